"""Deciding mutual-aid offers against an ICS 213RR request: accepting one (its agency
then fills the request) or declining one with the reason, by the position the
request's state calls for, and the offers of an incident counted for the picture."""

from __future__ import annotations

from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Agency
from vigil.platform.policy import PermissionDenied
from vigil.platform.policy.incident_rules import (
    OFFER_STATES,
    POSITIONS,
    OfferDecisionFacts,
    offer_deciders,
)
from vigil.platform.types import utcnow
from vigil.response.ics_models import ResourceOffer, ResourceRequest
from vigil.response.incident_records import actor_name, authorize_incident, main_position

DECISIONS: Final = {"accepted": "Accepted", "declined": "Declined"}
OFFER_STATUSES: Final = {"offered": "Waiting for a decision", **DECISIONS}
MIN_REASON: Final = 5
MAX_REASON: Final = 2000


class OfferRefused(PermissionDenied):
    """The actor's positions do not decide offers at the request's state; ``message``
    says who does."""

    def __init__(self, message: str, object_id: int) -> None:
        super().__init__("decide_offer", "resource_request", object_id)
        self.message = message


def _who_decides(state: str) -> str:
    names = sorted(POSITIONS[p].lower() for p in offer_deciders(state))
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def may_decide(actor: Actor, *, facts: OfferDecisionFacts) -> bool:
    """Whether the actor accepts or declines offers on a request at this state."""
    return policy.decide(actor, "decide_offer", "resource_request", facts)


def filled_by(session: Session, request_id: int) -> str | None:
    """The partner agency whose accepted offer fills the request, if one does."""
    return session.execute(
        select(Agency.name)
        .join(ResourceOffer, ResourceOffer.agency_id == Agency.id)
        .where(ResourceOffer.request_id == request_id, ResourceOffer.status == "accepted")
    ).scalar_one_or_none()


def decide_offer(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    request_id: int,
    offer_id: int,
    decision: str,
    reason: str | None = None,
) -> ResourceOffer:
    """Accept a mutual-aid offer (its agency fills the request) or decline it, saying
    why. Offers are decided while the request still takes them (requested, approved,
    ordered), by the positions that move it on from there; one offer fills a request."""
    _, facts = authorize_incident(session, actor, "read", incident_id, "resource_request")
    request = session.get(ResourceRequest, request_id)
    if request is None or request.incident_id != incident_id:
        raise NotFound("resource_request")
    offer = session.get(ResourceOffer, offer_id)
    if offer is None or offer.request_id != request.id:
        raise NotFound("resource_offer")
    if decision not in DECISIONS:
        raise InvalidInput({"decision": "Choose to accept or to decline the offer."})
    if offer.status != "offered":
        raise Conflict(
            f"This offer was already {offer.status}; an offer is decided once.",
            field="decision",
        )
    if request.state not in OFFER_STATES:
        raise Conflict(
            f"Request {request.number} is {request.state.replace('_', ' ')}; offers are "
            "decided until it is ordered, while it is requested, approved or ordered.",
            field="decision",
        )
    if not may_decide(actor, facts=OfferDecisionFacts(facts, request.state)):
        raise OfferRefused(
            f"While request {request.number} is {request.state}, only the "
            f"{_who_decides(request.state)} may accept or decline its offers.",
            request.id,
        )
    reason = (reason or "").strip() or None
    if decision == "declined" and (reason is None or len(reason) < MIN_REASON):
        raise InvalidInput(
            {"reason": f"Say why the offer is declined (at least {MIN_REASON} characters)."}
        )
    if reason is not None and (len(reason) > MAX_REASON or "\x00" in reason):
        raise InvalidInput({"reason": f"The reason must be at most {MAX_REASON:,} characters."})
    if decision == "accepted":
        taken = filled_by(session, request.id)
        if taken is not None:
            raise Conflict(
                f"Request {request.number} is already filled by {taken}'s offer; decline "
                "this one instead.",
                field="decision",
            )
    offer.status = decision
    offer.decided_at = utcnow()
    offer.decided_by_user_id = actor.user_id
    offer.decided_by_name = actor_name(actor)
    offer.decided_position = main_position(facts)
    offer.decision_reason = reason
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="resource_request.offer_decided",
        object_type="resource_request",
        object_id=request.id,
        details={"incident_id": incident_id, "offer_id": offer.id, "decision": decision},
    )
    return offer


def offer_counts(session: Session, *, actor: Actor, incident_id: int) -> dict[str, int]:
    """How many mutual-aid offers of the incident are waiting, accepted or declined."""
    authorize_incident(session, actor, "read", incident_id, "resource_request")
    rows = session.execute(
        select(ResourceOffer.status, func.count())
        .join(ResourceRequest, ResourceRequest.id == ResourceOffer.request_id)
        .where(ResourceRequest.incident_id == incident_id)
        .group_by(ResourceOffer.status)
    ).all()
    return {status: int(count) for status, count in rows}

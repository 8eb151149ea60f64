"""ICS 213RR resource requests: the life cycle from requested to demobilized (or rejected
or cancelled with a reason), each step by the position allowed to make it, the time
spent at each step and what is overdue, and mutual-aid partners' offers (decided in
resource_offers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
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
    REQUESTER,
    TRANSITIONS,
    IncidentRecordFacts,
    OfferDecisionFacts,
    StepFacts,
    allowed_positions,
)
from vigil.platform.types import utcnow
from vigil.response import resource_offers
from vigil.response.ics_models import (
    ResourceOffer,
    ResourceRequest,
    ResourceRequestStep,
    StepExpectation,
)
from vigil.response.incident_records import actor_name, authorize_incident, main_position
from vigil.response.resource_catalogue import TIMED_STATES, shipped_catalogue

STATES: Final = {
    "requested": "Requested",
    "approved": "Approved by section chief",
    "ordered": "Ordered by logistics",
    "funding_approved": "Funding approved by finance",
    "shipped": "Shipped",
    "received": "Received",
    "demobilized": "Demobilized",
    "rejected": "Rejected",
    "cancelled": "Cancelled",
}
MAIN_PATH: Final = (
    "requested",
    "approved",
    "ordered",
    "funding_approved",
    "shipped",
    "received",
    "demobilized",
)
NEEDS_REASON: Final = frozenset({"rejected", "cancelled"})
PRIORITIES: Final = {"urgent": "Urgent", "high": "High", "routine": "Routine"}
MAX_QUANTITY: Final = 10_000
MAX_TEXT: Final = 2000


class TransitionRefused(PermissionDenied):
    """The actor's positions do not allow this step; ``message`` says who may."""

    def __init__(self, message: str, object_id: int) -> None:
        super().__init__("transition", "resource_request", object_id)
        self.message = message


@dataclass(frozen=True)
class StepTime:
    """How long a request spent (or has been) in one state, against the expectation."""

    state: str
    entered_at: datetime
    left_at: datetime | None
    minutes: int
    expected_minutes: int | None

    @property
    def overdue(self) -> bool:
        return (
            self.left_at is None
            and self.expected_minutes is not None
            and (self.minutes > self.expected_minutes)
        )

    @property
    def late(self) -> bool:
        return self.expected_minutes is not None and self.minutes > self.expected_minutes


@dataclass(frozen=True)
class RequestView:
    request: ResourceRequest
    steps: list[ResourceRequestStep]
    times: list[StepTime]
    offers: list[tuple[ResourceOffer, str]]  # with the offering agency's name
    next_steps: list[str]  # the states the actor may move it to now
    # The partner whose accepted offer fills the request, and whether the actor may
    # accept or decline its offers now.
    filled_by: str | None = None
    may_decide_offers: bool = False


def next_states(state: str) -> list[str]:
    """Every state a request in ``state`` may move to, whoever moves it."""
    return [to for (frm, to) in TRANSITIONS if frm == state]


def expectations(session: Session, incident_id: int) -> dict[str, int]:
    """Minutes a request may wait in each timed state: shipped defaults, then this
    incident's own settings."""
    minutes = dict(shipped_catalogue().step_expectations_minutes)
    for state, value in session.execute(
        select(StepExpectation.state, StepExpectation.minutes).where(
            StepExpectation.incident_id == incident_id
        )
    ).all():
        minutes[state] = int(value)
    return minutes


def step_times(
    request: ResourceRequest,
    steps: list[ResourceRequestStep],
    expected: Mapping[str, int],
    now: datetime,
) -> list[StepTime]:
    """The time spent in each state the request passed through (the last one still open
    unless the request has ended)."""
    times = []
    ordered = sorted(steps, key=lambda s: (s.at, s.id))
    for index, step in enumerate(ordered):
        left = ordered[index + 1].at if index + 1 < len(ordered) else None
        final = step.to_state in ("demobilized", "rejected", "cancelled")
        end = left or (step.at if final else now)
        minutes = max(0, int((end - step.at).total_seconds() // 60))
        times.append(StepTime(step.to_state, step.at, left, minutes, expected.get(step.to_state)))
    return times


def _facts(session: Session, actor: Actor, incident_id: int, action: str) -> IncidentRecordFacts:
    _, facts = authorize_incident(session, actor, action, incident_id, "resource_request")
    return facts


def _get(session: Session, incident_id: int, request_id: int) -> ResourceRequest:
    request = session.get(ResourceRequest, request_id)
    if request is None or request.incident_id != incident_id:
        raise NotFound("resource_request")
    return request


def _add_step(
    session: Session,
    actor: Actor,
    request: ResourceRequest,
    facts: IncidentRecordFacts,
    from_state: str | None,
    to_state: str,
    reason: str | None,
    at: datetime,
) -> None:
    session.add(
        ResourceRequestStep(
            request_id=request.id,
            from_state=from_state,
            to_state=to_state,
            at=at,
            by_user_id=actor.user_id,
            by_name=actor_name(actor),
            position=main_position(facts),
            reason=reason,
        )
    )


def create_request(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    resource_id: str,
    quantity: int,
    priority: str,
    description: str,
    needed_by: datetime,
    deliver_to: str,
    estimated_cost_cents: int | None = None,
) -> ResourceRequest:
    """Ask for a typed resource (ICS 213RR, section 1: the requestor's part)."""
    facts = _facts(session, actor, incident_id, "create")
    errors = {}
    if shipped_catalogue().find(resource_id) is None:
        errors["resource_id"] = "Choose a resource from the catalogue."
    if not 1 <= quantity <= MAX_QUANTITY:
        errors["quantity"] = f"Ask for 1 to {MAX_QUANTITY:,}."
    if priority not in PRIORITIES:
        errors["priority"] = "Choose urgent, high or routine."
    description = description.strip()
    if not description or len(description) > MAX_TEXT or "\x00" in description:
        errors["description"] = f"Describe what is needed and why in 1 to {MAX_TEXT:,} characters."
    deliver_to = deliver_to.strip()
    if not deliver_to or len(deliver_to) > 200 or "\x00" in deliver_to:
        errors["deliver_to"] = "Give the delivery or reporting location (up to 200 characters)."
    now = utcnow()
    if needed_by < now - timedelta(hours=1):
        errors["needed_by"] = "The requested arrival time has passed; give a time from now on."
    if estimated_cost_cents is not None and not 0 <= estimated_cost_cents <= 10**11:
        errors["estimated_cost"] = "Give a cost from 0 up to 1,000,000,000."
    if errors:
        raise InvalidInput(errors)
    number = session.execute(
        select(func.coalesce(func.max(ResourceRequest.number), 0)).where(
            ResourceRequest.incident_id == incident_id
        )
    ).scalar_one()
    request = ResourceRequest(
        incident_id=incident_id,
        number=int(number) + 1,
        resource_id=resource_id,
        quantity=quantity,
        priority=priority,
        description=description,
        needed_by=needed_by,
        deliver_to=deliver_to,
        state="requested",
        state_changed_at=now,
        requested_by_user_id=actor.user_id,
        requested_by_name=actor_name(actor),
        requested_position=main_position(facts),
        requesting_agency_id=actor.agency_id,
        estimated_cost_cents=estimated_cost_cents,
        created_at=now,
    )
    session.add(request)
    session.flush()
    _add_step(session, actor, request, facts, None, "requested", None, now)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="resource_request.create",
        object_type="resource_request",
        object_id=request.id,
        details={"incident_id": incident_id, "resource_id": resource_id, "quantity": quantity},
    )
    return request


def _who_may(from_state: str, to_state: str) -> str:
    names = [
        "the requester" if p == REQUESTER else POSITIONS[p].lower()
        for p in sorted(allowed_positions(from_state, to_state))
    ]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def transition(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    request_id: int,
    to_state: str,
    reason: str | None = None,
    supplier: str | None = None,
    order_reference: str | None = None,
) -> ResourceRequest:
    """Move a request one step, if its state and the actor's position allow that step."""
    facts = _facts(session, actor, incident_id, "read")
    request = _get(session, incident_id, request_id)
    if to_state not in STATES:
        raise InvalidInput({"to_state": "Choose a state: " + ", ".join(STATES)})
    if (request.state, to_state) not in TRANSITIONS:
        possible = next_states(request.state)
        after = (
            ", ".join(STATES[s].lower() for s in possible) if possible else "nothing: it has ended"
        )
        raise Conflict(
            f"Request {request.number} is {STATES[request.state].lower()}; it cannot become "
            f"{STATES[to_state].lower()}. From here it can become: {after}.",
            field="to_state",
        )
    step = StepFacts(facts, request.state, to_state, request.requested_by_user_id)
    if not policy.decide(actor, "transition", "resource_request", step):
        raise TransitionRefused(
            f"Only the {_who_may(request.state, to_state)} may make request {request.number} "
            f"{STATES[to_state].lower()}.",
            request.id,
        )
    errors = {}
    reason = (reason or "").strip() or None
    if to_state in NEEDS_REASON and (reason is None or len(reason) < 5):
        errors["reason"] = f"Say why the request is {to_state} (at least 5 characters)."
    if reason is not None and (len(reason) > MAX_TEXT or "\x00" in reason):
        errors["reason"] = f"The reason must be at most {MAX_TEXT:,} characters of text."
    for name, value in (("supplier", supplier), ("order_reference", order_reference)):
        if value is not None and (
            len(value.strip()) > (200 if name == "supplier" else 60) or "\x00" in value
        ):
            errors[name] = f"The {name.replace('_', ' ')} is too long."
    if errors:
        raise InvalidInput(errors)
    now = utcnow()
    from_state = request.state
    request.state = to_state
    request.state_changed_at = now
    if to_state in NEEDS_REASON:
        request.reason = reason
    if supplier and supplier.strip():
        request.supplier = supplier.strip()
    if order_reference and order_reference.strip():
        request.order_reference = order_reference.strip()
    _add_step(session, actor, request, facts, from_state, to_state, reason, now)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="resource_request.transition",
        object_type="resource_request",
        object_id=request.id,
        details={"incident_id": incident_id, "from": from_state, "to": to_state},
    )
    return request


def view_request(
    session: Session, *, actor: Actor, incident_id: int, request_id: int
) -> RequestView:
    """A request with its steps, the time at each, offers, and the steps the actor may make."""
    facts = _facts(session, actor, incident_id, "read")
    request = _get(session, incident_id, request_id)
    steps = list(
        session.execute(
            select(ResourceRequestStep)
            .where(ResourceRequestStep.request_id == request.id)
            .order_by(ResourceRequestStep.at, ResourceRequestStep.id)
        ).scalars()
    )
    offers = [
        (offer, name)
        for offer, name in session.execute(
            select(ResourceOffer, Agency.name)
            .join(Agency, Agency.id == ResourceOffer.agency_id)
            .where(ResourceOffer.request_id == request.id)
            .order_by(ResourceOffer.id)
        ).all()
    ]
    possible = [
        to
        for to in next_states(request.state)
        if policy.decide(
            actor,
            "transition",
            "resource_request",
            StepFacts(facts, request.state, to, request.requested_by_user_id),
        )
    ]
    times = step_times(request, steps, expectations(session, incident_id), utcnow())
    return RequestView(
        request,
        steps,
        times,
        offers,
        possible,
        filled_by=resource_offers.filled_by(session, request.id),
        may_decide_offers=resource_offers.may_decide(
            actor, facts=OfferDecisionFacts(facts, request.state)
        ),
    )


@dataclass(frozen=True)
class RequestRow:
    request: ResourceRequest
    current: StepTime | None


def list_requests(session: Session, *, actor: Actor, incident_id: int) -> list[RequestRow]:
    """The incident's requests with the time in their current state (overdue flagged)."""
    _facts(session, actor, incident_id, "read")
    requests = list(
        session.execute(
            select(ResourceRequest)
            .where(ResourceRequest.incident_id == incident_id)
            .order_by(ResourceRequest.number)
        ).scalars()
    )
    expected = expectations(session, incident_id)
    steps: dict[int, list[ResourceRequestStep]] = {r.id: [] for r in requests}
    if requests:
        for step in session.execute(
            select(ResourceRequestStep).where(ResourceRequestStep.request_id.in_(list(steps)))
        ).scalars():
            steps[step.request_id].append(step)
    now = utcnow()
    rows = []
    for request in requests:
        times = step_times(request, steps[request.id], expected, now)
        rows.append(RequestRow(request, times[-1] if times else None))
    return rows


def offer(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    request_id: int,
    quantity: int,
    available_at: datetime,
    terms: str,
) -> ResourceOffer:
    """A mutual-aid partner offers resources against an open request."""
    _facts(session, actor, incident_id, "offer")
    request = _get(session, incident_id, request_id)
    if request.state not in OFFER_STATES:
        raise Conflict(
            f"Request {request.number} is {STATES[request.state].lower()}; offers are taken "
            "until it is ordered."
        )
    errors = {}
    if not 1 <= quantity <= MAX_QUANTITY:
        errors["quantity"] = f"Offer 1 to {MAX_QUANTITY:,}."
    terms = terms.strip()
    if not terms or len(terms) > MAX_TEXT or "\x00" in terms:
        errors["terms"] = "Describe what you offer and on what terms (1 to 2,000 characters)."
    if errors:
        raise InvalidInput(errors)
    made = ResourceOffer(
        request_id=request.id,
        agency_id=actor.agency_id or 0,
        quantity=quantity,
        available_at=available_at,
        terms=terms,
        status="offered",
        offered_by_user_id=actor.user_id,
    )
    session.add(made)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="resource_request.offer",
        object_type="resource_request",
        object_id=request.id,
        details={"incident_id": incident_id, "offer_id": made.id, "quantity": quantity},
    )
    return made


def set_expectation(
    session: Session, *, actor: Actor, incident_id: int, state: str, minutes: int
) -> None:
    """Set how long a request may wait in ``state`` in this incident before it is overdue."""
    _facts(session, actor, incident_id, "set_expectations")
    errors = {}
    if state not in TIMED_STATES:
        errors["state"] = "Choose a step: " + ", ".join(TIMED_STATES)
    if not 1 <= minutes <= 7 * 24 * 60:
        errors["minutes"] = "Give 1 to 10,080 minutes (7 days)."
    if errors:
        raise InvalidInput(errors)
    row = session.get(StepExpectation, (incident_id, state))
    if row is None:
        session.add(
            StepExpectation(
                incident_id=incident_id, state=state, minutes=minutes, set_by_user_id=actor.user_id
            )
        )
    else:
        row.minutes = minutes
        row.set_by_user_id = actor.user_id
        row.set_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="resource_request.expectation_set",
        object_type="incident",
        object_id=incident_id,
        details={"state": state, "minutes": minutes},
    )


def counts_by_state(session: Session, *, actor: Actor, incident_id: int) -> dict[str, int]:
    """How many requests are in each state (for the operating picture)."""
    _facts(session, actor, incident_id, "read")
    rows = session.execute(
        select(ResourceRequest.state, func.count())
        .where(ResourceRequest.incident_id == incident_id)
        .group_by(ResourceRequest.state)
    ).all()
    return {state: int(count) for state, count in rows}

"""The review queue: pairs of source rows the linkage left apart because it was not
sure, with the evidence, most likely first, and the rows' published places and dates so
a reader can judge; and an analyst's decision on each (one incident or two), kept apart
from the links so a reload of the catalogue honours it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from vigil.analytics.models import CatalogLink, LinkDecision, SourceRow
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.types import utcnow

PAGE_SIZE = 50


@dataclass(frozen=True)
class ReviewPair:
    link_id: int
    probability: float
    dataset_a: str
    row_key_a: str
    incident_a: str | None
    dataset_b: str
    row_key_b: str
    incident_b: str | None
    levels: dict[str, Any]


def review_queue(session: Session, *, actor: Actor, page: int = 1) -> tuple[list[ReviewPair], int]:
    """One page of the pairs waiting for review, and how many there are."""
    policy.authorize(actor, "read", "analytics_catalog")
    total = session.scalar(
        select(func.count()).select_from(CatalogLink).where(CatalogLink.decision == "review")
    )
    row_a, row_b = aliased(SourceRow), aliased(SourceRow)
    query = (
        select(CatalogLink, row_a.incident_id, row_b.incident_id)
        .outerjoin(
            row_a,
            and_(row_a.dataset == CatalogLink.dataset_a, row_a.row_key == CatalogLink.row_key_a),
        )
        .outerjoin(
            row_b,
            and_(row_b.dataset == CatalogLink.dataset_b, row_b.row_key == CatalogLink.row_key_b),
        )
        .where(CatalogLink.decision == "review")
        .order_by(CatalogLink.probability.desc(), CatalogLink.id)
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    )
    pairs = [
        ReviewPair(
            link_id=link.id,
            probability=link.probability,
            dataset_a=link.dataset_a,
            row_key_a=link.row_key_a,
            incident_a=incident_a,
            dataset_b=link.dataset_b,
            row_key_b=link.row_key_b,
            incident_b=incident_b,
            levels=dict(link.levels),
        )
        for link, incident_a, incident_b in session.execute(query)
    ]
    return pairs, int(total or 0)


DECISIONS = {"confirmed": "One incident (confirm the link)", "rejected": "Two incidents (reject)"}


def pair_key(dataset_a: str, row_key_a: str, dataset_b: str, row_key_b: str) -> tuple[str, ...]:
    """The pair in one order, whichever row came first in the linkage."""
    first, second = sorted(((dataset_a, row_key_a), (dataset_b, row_key_b)))
    return (*first, *second)


def decide_link(session: Session, *, actor: Actor, link_id: int, decision: str) -> LinkDecision:
    """Record an analyst's decision on a pair in the queue (audited). It takes effect
    the next time the catalogue is harmonised (``vigil analytics load``), which links a
    confirmed pair and never puts a rejected pair in one incident."""
    policy.authorize(actor, "decide", "analytics_link_decision")
    if decision not in DECISIONS:
        raise InvalidInput({"decision": "Choose one incident or two incidents."})
    link = session.get(CatalogLink, link_id)
    if link is None or link.decision not in ("review", *DECISIONS):
        raise NotFound("analytics_link")
    dataset_a, row_key_a, dataset_b, row_key_b = pair_key(
        link.dataset_a, link.row_key_a, link.dataset_b, link.row_key_b
    )
    found = session.scalar(
        select(LinkDecision).where(
            LinkDecision.dataset_a == dataset_a,
            LinkDecision.row_key_a == row_key_a,
            LinkDecision.dataset_b == dataset_b,
            LinkDecision.row_key_b == row_key_b,
        )
    )
    previous = found.decision if found else None
    if found is None:
        found = LinkDecision(
            dataset_a=dataset_a, row_key_a=row_key_a, dataset_b=dataset_b, row_key_b=row_key_b
        )
        session.add(found)
    found.decision = decision
    found.decided_by_user_id = actor.user_id
    found.decided_at = utcnow()
    link.decision = decision
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="analytics.link_decided",
        object_type="analytics_link_decision",
        object_id=found.id,
        details={
            "decision": decision,
            "previous": previous,
            "datasets": [dataset_a, dataset_b],
        },
    )
    return found


def link_decisions(session: Session, *, actor: Actor) -> dict[tuple[str, ...], str]:
    """Every recorded decision: pair_key(...) -> 'confirmed' or 'rejected'."""
    policy.authorize(actor, "read", "analytics_link_decision")
    return {
        (d.dataset_a, d.row_key_a, d.dataset_b, d.row_key_b): d.decision
        for d in session.scalars(select(LinkDecision))
    }


def decided_count(session: Session, *, actor: Actor) -> int:
    policy.authorize(actor, "read", "analytics_link_decision")
    return int(session.scalar(select(func.count()).select_from(LinkDecision)) or 0)

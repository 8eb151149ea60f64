"""The review queue: pairs of source rows the linkage left apart because it was not
sure, with the evidence, most likely first, and the rows' published places and dates so
a reader can judge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from vigil.analytics.models import CatalogLink, SourceRow
from vigil.platform import policy
from vigil.platform.actor import Actor

PAGE_SIZE = 50


@dataclass(frozen=True)
class ReviewPair:
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

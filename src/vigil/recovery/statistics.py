"""De-identified service statistics for funders and the public: clients served,
services by kind, referral outcomes and time to first service, with small-cell
suppression, computed inside the policy boundary (counts only ever leave here).

Suppression: a count from 1 to ``threshold - 1`` is never shown (0 is shown: nobody
is identified by it). Where a table shows its total, one suppressed cell could be
worked out by subtraction, so the next smallest cell is suppressed with it
(complementary suppression); a table whose total is itself small is suppressed
whole. A median is shown only over at least ``threshold`` cases. There is one view,
all providers over all time, so that subtracting one published table from another
cannot reveal a suppressed cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.recovery.models import Referral, SurvivorCase
from vigil.recovery.vocabulary import CASE_KINDS, REFERRAL_STATUSES, SERVICE_KINDS

DEFAULT_THRESHOLD = 11
MIN_THRESHOLD = 2
MAX_THRESHOLD = 1000


@dataclass(frozen=True)
class Cell:
    key: str
    label: str
    count: int | None  # None: suppressed


@dataclass(frozen=True)
class Table:
    title: str
    total: int | None
    cells: list[Cell]


@dataclass(frozen=True)
class ServiceStatistics:
    threshold: int
    clients: Table  # by case kind
    services: Table  # referrals by kind of service
    outcomes: Table  # referrals by outcome
    median_days_to_first_service: float | None
    cases_with_a_first_service: int | None


def suppress(counts: dict[str, int], threshold: int) -> tuple[int | None, dict[str, int | None]]:
    """(total, cells) with small cells and their complements hidden (see module doc)."""
    total = sum(counts.values())
    if 0 < total < threshold:
        return None, {key: None for key in counts}
    hidden = {key for key, count in counts.items() if 0 < count < threshold}
    if len(hidden) == 1:
        # One hidden cell equals total minus the others: hide the smallest other cell too
        # (a zero as well: a shown zero beside one hidden cell still gives it away).
        # (A table of one cell never gets here: its one count is its total.)
        others = sorted((count, key) for key, count in counts.items() if key not in hidden)
        hidden.add(others[0][1])
    return total, {key: (None if key in hidden else count) for key, count in counts.items()}


def _table(title: str, labels: dict[str, str], counts: dict[str, int], threshold: int) -> Table:
    full = {key: counts.get(key, 0) for key in labels}
    total, cells = suppress(full, threshold)
    return Table(title, total, [Cell(key, labels[key], cells[key]) for key in labels])


def service_statistics(
    db: Session, *, actor: Actor, threshold: int = DEFAULT_THRESHOLD
) -> ServiceStatistics:
    """The published statistics; audited as an aggregate read (no ids)."""
    policy.authorize(actor, "read", "survivor_statistics")
    if not MIN_THRESHOLD <= threshold <= MAX_THRESHOLD:
        raise InvalidInput(
            {"threshold": f"Use a threshold from {MIN_THRESHOLD} to {MAX_THRESHOLD}."}
        )
    by_kind = dict(
        db.execute(select(SurvivorCase.kind, func.count()).group_by(SurvivorCase.kind)).all()
    )
    by_service = dict(
        db.execute(
            select(Referral.service_kind, func.count()).group_by(Referral.service_kind)
        ).all()
    )
    by_status = dict(
        db.execute(select(Referral.status, func.count()).group_by(Referral.status)).all()
    )
    spans = db.execute(
        select(SurvivorCase.opened_at, SurvivorCase.first_service_at).where(
            SurvivorCase.first_service_at.is_not(None)
        )
    ).all()
    days = [
        max(0.0, (served - opened).total_seconds() / 86400)
        for opened, served in spans
        if served is not None
    ]
    served = len(days)
    audit.record(
        db,
        actor=actor,
        action="survivor_statistics.read",
        object_type="survivor_statistics",
        details={"threshold": threshold},
    )
    return ServiceStatistics(
        threshold=threshold,
        clients=_table("Clients served, by kind of case", CASE_KINDS, by_kind, threshold),
        services=_table("Referrals, by kind of service", SERVICE_KINDS, by_service, threshold),
        outcomes=_table("Referrals, by outcome", REFERRAL_STATUSES, by_status, threshold),
        median_days_to_first_service=round(median(days), 1) if served >= threshold else None,
        cases_with_a_first_service=served if served == 0 or served >= threshold else None,
    )

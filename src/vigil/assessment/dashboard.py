"""The threat-assessment dashboard: caseload by risk level, overdue interventions,
cases past their review date, and the time from the first report to the first
completed assessment — all over the cases the reader may see, counted in SQL."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.assessment.models import Case, Intervention
from vigil.assessment.vocabulary import ACTIVE_STATUSES, LEVELS, OPEN_INTERVENTION_STATUSES
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.types import utcnow

OVERDUE_SHOWN = 25
TIMING_SAMPLE = 2_000  # the newest first assessments the timing figures are taken over


@dataclass(frozen=True)
class OverdueItem:
    intervention_id: int
    case_id: int
    case_number: str
    kind: str
    due_on: date
    owner_user_id: int | None


@dataclass(frozen=True)
class Dashboard:
    caseload: dict[str, int]  # level (or "undecided") -> active cases
    active_cases: int
    overdue_count: int
    overdue: list[OverdueItem]
    past_review: int
    median_days_to_assessment: float | None
    mean_days_to_assessment: float | None
    assessed_cases_timed: int


def dashboard(db: Session, *, actor: Actor, today: date | None = None) -> Dashboard:
    policy.authorize(actor, "read", "assessment_dashboard")
    today = today or utcnow().date()
    visible = policy.scope(actor, "read", "case")
    active = Case.status.in_(ACTIVE_STATUSES)
    caseload = {level: 0 for level in LEVELS} | {"undecided": 0}
    past_review = 0
    # One pass over the visible active cases gives the caseload and those past review.
    for level, count, late in db.execute(
        select(
            Case.risk_level,
            func.count(),
            func.count(when((Case.next_review_on < today, 1))),
        )
        .where(visible, active)
        .group_by(Case.risk_level)
    ).all():
        caseload[level or "undecided"] = count
        past_review += late
    # The overdue interventions are found once: the window counts them all while the
    # 25 earliest are kept by id (from the index, without reading the rows); only those
    # 25 are then read in full. Counting, then listing, read every overdue row of a big
    # agency twice — more than the rest of the dashboard together.
    earliest = db.execute(
        select(Intervention.id, func.count().over())
        .join(Case, Case.id == Intervention.case_id)
        .where(
            Intervention.status.in_(OPEN_INTERVENTION_STATUSES),
            Intervention.due_on < today,
            visible,
            active,
        )
        .order_by(Intervention.due_on, Intervention.id)
        .limit(OVERDUE_SHOWN)
    ).all()
    overdue_count = earliest[0][1] if earliest else 0
    overdue = (
        [
            OverdueItem(row.id, row.case_id, row.number, row.kind, row.due_on, row.owner_user_id)
            for row in db.execute(
                select(
                    Intervention.id,
                    Intervention.case_id,
                    Case.number,
                    Intervention.kind,
                    Intervention.due_on,
                    Intervention.owner_user_id,
                )
                .join(Case, Case.id == Intervention.case_id)
                .where(Intervention.id.in_([row[0] for row in earliest]))
                .order_by(Intervention.due_on, Intervention.id)
            ).all()
        ]
        if earliest
        else []
    )
    timings = [
        (assessed - reported).total_seconds() / 86400
        for reported, assessed in db.execute(
            select(Case.origin_reported_at, Case.first_assessed_at)
            .where(
                visible,
                Case.first_assessed_at.is_not(None),
                Case.origin_reported_at.is_not(None),
            )
            .order_by(Case.first_assessed_at.desc())
            .limit(TIMING_SAMPLE)
        ).all()
        if reported is not None and assessed is not None
    ]
    audit.record(db, actor=actor, action="assessment.dashboard", object_type="case")
    return Dashboard(
        caseload=caseload,
        active_cases=sum(caseload.values()),
        overdue_count=overdue_count,
        overdue=overdue,
        past_review=past_review,
        median_days_to_assessment=round(statistics.median(timings), 1) if timings else None,
        mean_days_to_assessment=round(statistics.fmean(timings), 1) if timings else None,
        assessed_cases_timed=len(timings),
    )

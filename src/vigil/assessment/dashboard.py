"""The threat-assessment dashboard: caseload by risk level, overdue interventions,
cases past their review date, and the time from the first report to the first
completed assessment — all over the cases the reader may see, counted in SQL."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date

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
    for level, count in db.execute(
        select(Case.risk_level, func.count()).where(visible, active).group_by(Case.risk_level)
    ).all():
        caseload[level or "undecided"] = count
    overdue_filter = (
        Intervention.status.in_(OPEN_INTERVENTION_STATUSES),
        Intervention.due_on < today,
        visible,
        active,
    )
    overdue_count = db.execute(
        select(func.count())
        .select_from(Intervention)
        .join(Case, Case.id == Intervention.case_id)
        .where(*overdue_filter)
    ).scalar_one()
    overdue = [
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
            .where(*overdue_filter)
            .order_by(Intervention.due_on, Intervention.id)
            .limit(OVERDUE_SHOWN)
        ).all()
    ]
    past_review = db.execute(
        select(func.count()).select_from(Case).where(visible, active, Case.next_review_on < today)
    ).scalar_one()
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

"""Everything one reader may see of a case, gathered once for the case page, the
printable summary and the PDF. Linked reports the reader may not read are counted,
never shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.assessment import assessments as assessing
from vigil.assessment import cases, plan, shares
from vigil.assessment.instrument_schema import InstrumentDefinition
from vigil.assessment.instruments import definition_of
from vigil.assessment.models import (
    Assessment,
    AssessmentAnswer,
    Case,
    CaseMember,
    CaseReview,
    CaseShare,
    CaseStatusChange,
    CaseSubject,
    Instrument,
    Intervention,
    RiskDecision,
)
from vigil.assessment.suggestion import Suggestion
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.models import Agency, User
from vigil.platform.types import utcnow
from vigil.reports.models import Report


@dataclass(frozen=True)
class AssessmentView:
    assessment: Assessment
    instrument: Instrument
    definition: InstrumentDefinition
    answers: dict[str, AssessmentAnswer]


@dataclass(frozen=True)
class CaseView:
    case: Case
    owner_agency: str
    subjects: list[CaseSubject]
    members: list[CaseMember]
    former_members: list[CaseMember]
    status_history: list[CaseStatusChange]
    reports: list[Report]  # the linked reports the reader may read
    unreadable_reports: int  # and how many more there are
    assessments: list[AssessmentView]
    suggestion: Suggestion
    risk_history: list[RiskDecision]
    interventions: list[Intervention]
    overdue_ids: frozenset[int]
    reviews: list[CaseReview]
    shares: list[CaseShare]
    users: dict[int, str]  # user id -> display name, for everyone named on the page
    agencies: dict[int, str]
    today: date
    can_work: bool
    can_decide_risk: bool
    can_manage: bool

    @property
    def review_overdue(self) -> bool:
        return (
            self.case.status != "closed"
            and self.case.next_review_on is not None
            and self.case.next_review_on < self.today
        )


def view_case(
    db: Session, *, actor: Actor, case_id: int, purpose: str = "read", today: date | None = None
) -> CaseView:
    """The case as ``actor`` may see it; the read is audited (``purpose`` says whether
    it was the page, the printable summary or the PDF)."""
    case = cases.load_case(db, actor=actor, case_id=case_id)
    known = cases.facts(db, case)
    today = today or utcnow().date()
    everyone = cases.members(db, case, include_removed=True)
    linked = cases.report_ids(db, case)
    reports = (
        list(db.execute(select(Report).where(Report.id.in_(linked))).scalars().all())
        if linked
        else []
    )
    readable = [r for r in reports if policy.decide(actor, "read", "report", r)]
    readable.sort(key=lambda r: r.reported_at)
    assessment_views = [
        AssessmentView(
            assessment,
            instrument,
            definition_of(instrument),
            assessing.answers_of(db, assessment.id),
        )
        for assessment, instrument in assessing.assessments(db, case)
    ]
    interventions = plan.interventions(db, case)
    risk = assessing.risk_history(db, case)
    reviews = plan.reviews(db, case)
    case_shares = shares.shares(db, case)
    history = cases.status_history(db, case)
    user_ids = {m.user_id for m in everyone} | {
        uid
        for uid in (
            [i.owner_user_id for i in interventions]
            + [d.decided_by_user_id for d in risk]
            + [r.held_by_user_id for r in reviews]
            + [s.shared_by_user_id for s in case_shares]
            + [h.user_id for h in history]
            + [a.assessment.assessor_user_id for a in assessment_views]
        )
        if uid is not None
    }
    users = (
        dict(db.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all())
        if user_ids
        else {}
    )
    agencies = dict(db.execute(select(Agency.id, Agency.name)).all())
    audit.record(
        db,
        actor=actor,
        action="case.read" if purpose == "read" else f"case.{purpose}",
        object_type="case",
        object_id=case.id,
        agency_id=case.owner_agency_id,
    )
    return CaseView(
        case=case,
        owner_agency=agencies.get(case.owner_agency_id, ""),
        subjects=cases.subjects(db, case),
        members=[m for m in everyone if m.removed_at is None],
        former_members=[m for m in everyone if m.removed_at is not None],
        status_history=history,
        reports=readable,
        unreadable_reports=len(reports) - len(readable),
        assessments=assessment_views,
        suggestion=assessing.case_suggestion(db, case),
        risk_history=risk,
        interventions=interventions,
        overdue_ids=frozenset(i.id for i in interventions if plan.is_overdue(i, today)),
        reviews=reviews,
        shares=case_shares,
        users=users,
        agencies=agencies,
        today=today,
        can_work=policy.decide(actor, "work", "case", known),
        can_decide_risk=policy.decide(actor, "decide_risk", "case", known),
        can_manage=policy.decide(actor, "manage", "case", known),
    )

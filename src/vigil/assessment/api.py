"""Threat-assessment JSON API: cases, their teams, assessments (draft saves and
completion), risk decisions, interventions, reviews, shares, the dashboard and
instruments. The same services and policy as the pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, StrictBool, StrictInt

from vigil.assessment import assessments as assessing
from vigil.assessment import cases, instruments, plan, shares
from vigil.assessment.case_view import view_case
from vigil.assessment.dashboard import dashboard
from vigil.assessment.models import Case, CaseMember, CaseShare, Instrument, Intervention
from vigil.platform.errors import InvalidInput
from vigil.reports.schemas import RowId, Strict
from vigil.web.deps import ActorDep, PathId, SessionDep

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Sign-in required", **PROBLEM},
    403: {"description": "Not allowed", **PROBLEM},
    404: {"description": "Not found or not visible to you", **PROBLEM},
    409: {"description": "The case's state forbids it", **PROBLEM},
    422: {"description": "Invalid input", **PROBLEM},
}

router = APIRouter(prefix="/api/v1", tags=["assessment"], responses=RESPONSES)

Level = Literal["low", "moderate", "high", "imminent"]
Status = Literal["open", "assessing", "managing", "monitoring", "closed"]


class CaseSummaryOut(BaseModel):
    id: int
    number: str
    title: str
    owner_agency_id: int
    regime: str
    status: str
    risk_level: str | None
    opened_at: datetime
    next_review_on: date | None


def _summary(case: Case) -> CaseSummaryOut:
    return CaseSummaryOut(
        id=case.id,
        number=case.number,
        title=case.title,
        owner_agency_id=case.owner_agency_id,
        regime=case.regime,
        status=case.status,
        risk_level=case.risk_level,
        opened_at=case.opened_at,
        next_review_on=case.next_review_on,
    )


class CasePage(BaseModel):
    total: int
    page: int
    cases: list[CaseSummaryOut]


@router.get("/cases")
def list_cases(
    actor: ActorDep,
    db: SessionDep,
    status: Annotated[Status | Literal["active"] | None, Query()] = None,
    level: Annotated[Level | None, Query()] = None,
    overdue_review: bool = False,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> CasePage:
    """The cases you may see, the highest risk level first."""
    rows, total = cases.list_cases(
        db,
        actor=actor,
        filters=cases.CaseFilter(status=status, level=level, overdue_review=overdue_review),
        page=page,
    )
    return CasePage(total=total, page=page, cases=[_summary(case) for case in rows])


class CaseIn(Strict):
    title: str = Field(min_length=3, max_length=200)
    regime: Literal["threat_assessment", "school_record"] = "threat_assessment"
    report_id: RowId | None = None
    person_id: RowId | None = None
    closure_criteria: str | None = Field(default=None, max_length=4000)
    review_interval_days: StrictInt | None = Field(default=None, ge=1, le=365)


@router.post("/cases", status_code=201)
def open_case(data: CaseIn, actor: ActorDep, db: SessionDep) -> CaseSummaryOut:
    """Open a case from one report you may read or one person you may view; you lead it."""
    case = cases.open_case(db, actor=actor, **data.model_dump())
    return _summary(case)


class MemberOut(BaseModel):
    id: int
    user_id: int
    agency_id: int
    team_role: str
    added_at: datetime
    removed_at: datetime | None


def _member(member: CaseMember) -> MemberOut:
    return MemberOut(
        id=member.id,
        user_id=member.user_id,
        agency_id=member.agency_id,
        team_role=member.team_role,
        added_at=member.added_at,
        removed_at=member.removed_at,
    )


class AnswerOut(BaseModel):
    answer: str | None
    sources: str | None
    observed_on: date | None
    notes: str | None


class AssessmentOut(BaseModel):
    id: int
    instrument: str
    instrument_version: int
    subject_id: int | None
    status: str
    started_at: datetime
    completed_at: datetime | None
    answers: dict[str, AnswerOut]


class RuleOut(BaseModel):
    instrument: str
    level: str
    text: str
    items: list[str]


class SuggestionOut(BaseModel):
    level: str | None = Field(description="A suggestion from displayed rules; never a decision.")
    basis: str
    fired: list[RuleOut]


class RiskOut(BaseModel):
    level: str
    rationale: str
    suggested_level: str | None
    decided_by_user_id: int | None
    decided_at: datetime


class InterventionOut(BaseModel):
    id: int
    kind: str
    description: str
    owner_user_id: int | None
    due_on: date
    status: str
    overdue: bool
    outcome: str | None
    erpo_status: str | None
    erpo_filed_on: date | None
    erpo_decided_on: date | None
    erpo_expires_on: date | None
    firearms_reported: int | None
    firearms_relinquished: int | None
    relinquished_on: date | None


def _intervention(item: Intervention, today: date) -> InterventionOut:
    return InterventionOut(
        id=item.id,
        kind=item.kind,
        description=item.description,
        owner_user_id=item.owner_user_id,
        due_on=item.due_on,
        status=item.status,
        overdue=plan.is_overdue(item, today),
        outcome=item.outcome,
        erpo_status=item.erpo_status,
        erpo_filed_on=item.erpo_filed_on,
        erpo_decided_on=item.erpo_decided_on,
        erpo_expires_on=item.erpo_expires_on,
        firearms_reported=item.firearms_reported,
        firearms_relinquished=item.firearms_relinquished,
        relinquished_on=item.relinquished_on,
    )


class ReviewOut(BaseModel):
    id: int
    due_on: date | None
    held_on: date
    summary: str


class ShareOut(BaseModel):
    id: int
    agency_id: int
    reason: str
    shared_by_user_id: int | None
    shared_at: datetime
    revoked_at: datetime | None


def _share(share: CaseShare) -> ShareOut:
    return ShareOut(
        id=share.id,
        agency_id=share.agency_id,
        reason=share.reason,
        shared_by_user_id=share.shared_by_user_id,
        shared_at=share.shared_at,
        revoked_at=share.revoked_at,
    )


class SubjectOut(BaseModel):
    id: int
    person_id: int | None
    display_name: str
    description: str | None


class CaseOut(CaseSummaryOut):
    closed_at: datetime | None
    closure_criteria: str | None
    closing_summary: str | None
    review_interval_days: int
    subjects: list[SubjectOut]
    members: list[MemberOut]
    report_ids: list[int] = Field(description="Linked reports you may read.")
    unreadable_reports: int = Field(description="Linked reports you may not read: a count.")
    assessments: list[AssessmentOut]
    suggestion: SuggestionOut
    risk_history: list[RiskOut]
    interventions: list[InterventionOut]
    reviews: list[ReviewOut]
    shares: list[ShareOut]


@router.get("/cases/{case_id}")
def get_case(case_id: PathId, actor: ActorDep, db: SessionDep) -> CaseOut:
    """A case as you may see it (the read is audited)."""
    view = view_case(db, actor=actor, case_id=case_id)
    return CaseOut(
        **_summary(view.case).model_dump(),
        closed_at=view.case.closed_at,
        closure_criteria=view.case.closure_criteria,
        closing_summary=view.case.closing_summary,
        review_interval_days=view.case.review_interval_days,
        subjects=[
            SubjectOut(
                id=s.id,
                person_id=s.person_id,
                display_name=s.display_name,
                description=s.description,
            )
            for s in view.subjects
        ],
        members=[_member(m) for m in view.members + view.former_members],
        report_ids=[r.id for r in view.reports],
        unreadable_reports=view.unreadable_reports,
        assessments=[
            AssessmentOut(
                id=a.assessment.id,
                instrument=a.instrument.key,
                instrument_version=a.instrument.version,
                subject_id=a.assessment.subject_id,
                status=a.assessment.status,
                started_at=a.assessment.started_at,
                completed_at=a.assessment.completed_at,
                answers={
                    key: AnswerOut(
                        answer=row.answer,
                        sources=row.sources,
                        observed_on=row.observed_on,
                        notes=row.notes,
                    )
                    for key, row in a.answers.items()
                },
            )
            for a in view.assessments
        ],
        suggestion=SuggestionOut(
            level=view.suggestion.level,
            basis=view.suggestion.basis,
            fired=[
                RuleOut(instrument=r.instrument, level=r.level, text=r.text, items=list(r.items))
                for r in view.suggestion.fired
            ],
        ),
        risk_history=[
            RiskOut(
                level=d.level,
                rationale=d.rationale,
                suggested_level=d.suggested_level,
                decided_by_user_id=d.decided_by_user_id,
                decided_at=d.decided_at,
            )
            for d in view.risk_history
        ],
        interventions=[_intervention(i, view.today) for i in view.interventions],
        reviews=[
            ReviewOut(id=r.id, due_on=r.due_on, held_on=r.held_on, summary=r.summary)
            for r in view.reviews
        ],
        shares=[_share(s) for s in view.shares],
    )


class StatusIn(Strict):
    status: Status
    note: str | None = Field(default=None, max_length=2000)
    closing_summary: str | None = Field(default=None, max_length=8000)


@router.post("/cases/{case_id}/status")
def change_status(
    case_id: PathId, data: StatusIn, actor: ActorDep, db: SessionDep
) -> CaseSummaryOut:
    """Move the case along open → assessing → managing → monitoring → closed."""
    case = cases.change_status(
        db,
        actor=actor,
        case_id=case_id,
        to_status=data.status,
        note=data.note,
        closing_summary=data.closing_summary,
    )
    return _summary(case)


class MemberIn(Strict):
    username: str = Field(min_length=1, max_length=150)
    team_role: Literal["lead", "member"] = "member"


@router.post("/cases/{case_id}/members", status_code=201)
def add_member(case_id: PathId, data: MemberIn, actor: ActorDep, db: SessionDep) -> MemberOut:
    """Put a user of any agency on the team (audited)."""
    member = cases.add_member(
        db, actor=actor, case_id=case_id, username=data.username, team_role=data.team_role
    )
    return _member(member)


@router.delete("/cases/{case_id}/members/{member_id}", status_code=204)
def remove_member(case_id: PathId, member_id: PathId, actor: ActorDep, db: SessionDep) -> Response:
    """End a membership (audited); the row stays as history."""
    cases.remove_member(db, actor=actor, case_id=case_id, member_id=member_id)
    return Response(status_code=204)


class AssessmentStartIn(Strict):
    instrument_id: RowId
    subject_id: RowId | None = None


class AssessmentRef(BaseModel):
    id: int
    status: str
    errors: dict[str, str] = Field(
        default_factory=dict, description="Fields left unchanged because they were wrong."
    )


@router.post("/cases/{case_id}/assessments", status_code=201)
def start_assessment(
    case_id: PathId, data: AssessmentStartIn, actor: ActorDep, db: SessionDep
) -> AssessmentRef:
    """Start a draft assessment against an instrument."""
    assessment = assessing.start_assessment(
        db,
        actor=actor,
        case_id=case_id,
        instrument_id=data.instrument_id,
        subject_id=data.subject_id,
    )
    return AssessmentRef(id=assessment.id, status=assessment.status)


class AnswerIn(Strict):
    answer: str | None = Field(default=None, max_length=40)
    sources: str | None = Field(default=None, max_length=4000)
    observed_on: date | None = None
    notes: str | None = Field(default=None, max_length=8000)


class AnswersIn(Strict):
    answers: dict[str, AnswerIn] = Field(max_length=500)
    complete: StrictBool = False


@router.patch("/cases/{case_id}/assessments/{assessment_id}")
def save_assessment(
    case_id: PathId,
    assessment_id: PathId,
    data: AnswersIn,
    actor: ActorDep,
    db: SessionDep,
    request: Request,
) -> AssessmentRef:
    """Save answers to a draft; with ``complete``, finish it. What can be saved is saved
    even when something else is wrong (the draft never loses typed text)."""
    try:
        result = assessing.save_answers(
            db,
            actor=actor,
            case_id=case_id,
            assessment_id=assessment_id,
            answers={
                key: assessing.AnswerInput(**value.model_dump())
                for key, value in data.answers.items()
            },
            complete=data.complete,
        )
    except InvalidInput:
        request.state.commit_on_error = True  # the draft part is kept
        raise
    return AssessmentRef(
        id=result.assessment.id, status=result.assessment.status, errors=result.errors
    )


class RiskIn(Strict):
    level: Level
    rationale: str = Field(min_length=20, max_length=8000)


@router.post("/cases/{case_id}/risk", status_code=201)
def decide_risk(case_id: PathId, data: RiskIn, actor: ActorDep, db: SessionDep) -> RiskOut:
    """Record the team's risk level and its rationale (a human decision, audited)."""
    decision = assessing.decide_risk(
        db, actor=actor, case_id=case_id, level=data.level, rationale=data.rationale
    )
    return RiskOut(
        level=decision.level,
        rationale=decision.rationale,
        suggested_level=decision.suggested_level,
        decided_by_user_id=decision.decided_by_user_id,
        decided_at=decision.decided_at,
    )


class InterventionIn(Strict):
    kind: str = Field(max_length=40)
    description: str = Field(min_length=5, max_length=4000)
    owner_user_id: RowId | None = None
    due_on: date


@router.post("/cases/{case_id}/interventions", status_code=201)
def add_intervention(
    case_id: PathId, data: InterventionIn, actor: ActorDep, db: SessionDep
) -> InterventionOut:
    """Add an item to the management plan."""
    item = plan.add_intervention(db, actor=actor, case_id=case_id, **data.model_dump())
    return _intervention(item, date.today())


class InterventionChangeIn(Strict):
    status: str | None = Field(default=None, max_length=20)
    outcome: str | None = Field(default=None, max_length=4000)
    due_on: date | None = None
    owner_user_id: RowId | None = None
    erpo_status: str | None = Field(default=None, max_length=20)
    erpo_on: date | None = None
    erpo_expires_on: date | None = None
    firearms_reported: StrictInt | None = Field(default=None, ge=0, le=10_000)
    firearms_relinquished: StrictInt | None = Field(default=None, ge=0, le=10_000)
    relinquished_on: date | None = None


@router.patch("/cases/{case_id}/interventions/{intervention_id}")
def update_intervention(
    case_id: PathId,
    intervention_id: PathId,
    data: InterventionChangeIn,
    actor: ActorDep,
    db: SessionDep,
) -> InterventionOut:
    """Change an intervention's status, owner, due date, or an ERPO petition's steps."""
    item = plan.update_intervention(
        db,
        actor=actor,
        case_id=case_id,
        intervention_id=intervention_id,
        change=plan.InterventionUpdate(**data.model_dump()),
    )
    return _intervention(item, date.today())


class ReviewIn(Strict):
    held_on: date
    summary: str = Field(min_length=10, max_length=8000)


@router.post("/cases/{case_id}/reviews", status_code=201)
def hold_review(case_id: PathId, data: ReviewIn, actor: ActorDep, db: SessionDep) -> ReviewOut:
    """Record a held review; the next falls due one interval later."""
    review = plan.hold_review(
        db, actor=actor, case_id=case_id, held_on=data.held_on, summary=data.summary
    )
    return ReviewOut(
        id=review.id, due_on=review.due_on, held_on=review.held_on, summary=review.summary
    )


class ShareIn(Strict):
    agency_id: RowId
    reason: str = Field(min_length=10, max_length=2000)


@router.post("/cases/{case_id}/shares", status_code=201)
def share_case(case_id: PathId, data: ShareIn, actor: ActorDep, db: SessionDep) -> ShareOut:
    """Share the case with another agency's team: a dissemination record."""
    share = shares.share_case(
        db, actor=actor, case_id=case_id, agency_id=data.agency_id, reason=data.reason
    )
    return _share(share)


@router.delete("/cases/{case_id}/shares/{share_id}", status_code=204)
def revoke_share(case_id: PathId, share_id: PathId, actor: ActorDep, db: SessionDep) -> Response:
    """Revoke a share: the agency loses access at once."""
    shares.revoke_share(db, actor=actor, case_id=case_id, share_id=share_id)
    return Response(status_code=204)


class OverdueOut(BaseModel):
    intervention_id: int
    case_id: int
    case_number: str
    kind: str
    due_on: date


class DashboardOut(BaseModel):
    caseload: dict[str, int]
    active_cases: int
    overdue_interventions: int
    overdue: list[OverdueOut]
    cases_past_review: int
    median_days_to_first_assessment: float | None
    mean_days_to_first_assessment: float | None


@router.get("/assessment/dashboard")
def get_dashboard(actor: ActorDep, db: SessionDep) -> DashboardOut:
    """Caseload by level, overdue interventions, cases past review, time to assessment."""
    board = dashboard(db, actor=actor)
    return DashboardOut(
        caseload=board.caseload,
        active_cases=board.active_cases,
        overdue_interventions=board.overdue_count,
        overdue=[
            OverdueOut(
                intervention_id=o.intervention_id,
                case_id=o.case_id,
                case_number=o.case_number,
                kind=o.kind,
                due_on=o.due_on,
            )
            for o in board.overdue
        ],
        cases_past_review=board.past_review,
        median_days_to_first_assessment=board.median_days_to_assessment,
        mean_days_to_first_assessment=board.mean_days_to_assessment,
    )


class InstrumentOut(BaseModel):
    id: int
    key: str
    version: int
    title: str
    builtin: bool
    definition: dict[str, Any]


def _instrument(instrument: Instrument) -> InstrumentOut:
    return InstrumentOut(
        id=instrument.id,
        key=instrument.key,
        version=instrument.version,
        title=instrument.title,
        builtin=instrument.builtin,
        definition=instrument.definition,
    )


@router.get("/instruments")
def list_instruments(
    actor: ActorDep, db: SessionDep, all_versions: bool = False
) -> list[InstrumentOut]:
    """Instruments with their definitions (the latest version of each unless asked)."""
    return [
        _instrument(i)
        for i in instruments.list_instruments(db, actor=actor, current_only=not all_versions)
    ]


@router.post("/instruments", status_code=201)
def add_instrument(definition: dict[str, Any], actor: ActorDep, db: SessionDep) -> InstrumentOut:
    """Add an instrument (or a new version of one) from its definition; no migration needed."""
    return _instrument(instruments.add_instrument(db, actor=actor, data=definition))

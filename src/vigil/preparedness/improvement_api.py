"""Preparedness JSON API for getting better: corrective actions and their chain,
training (courses, sessions, attendance, a site's readiness), exercises (objectives,
evaluation guides, after-action report, improvement plan) and capability targets. The
same services and policy as the pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, StrictBool, StrictInt, field_validator, model_validator

from vigil.platform.errors import NotFound
from vigil.preparedness import capabilities, exercises, training
from vigil.preparedness import corrective_actions as ca
from vigil.preparedness.api import RESPONSES
from vigil.preparedness.improvement_models import (
    AfterActionItem,
    CorrectiveAction,
    CorrectiveActionEvidence,
    Exercise,
    ExerciseObjective,
)
from vigil.reports.schemas import Strict
from vigil.web.deps import ActorDep, PathId, SessionDep

router = APIRouter(prefix="/api/v1/preparedness", tags=["preparedness"], responses=RESPONSES)

Poete = Literal["planning", "organization", "equipment", "training", "exercise"]
SourceKind = Literal["finding", "measure", "exercise_area"]
Rating = Literal["P", "S", "M", "U"]
Id = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]
Level = Annotated[StrictInt, Field(ge=1, le=5)]


class ActionIn(Strict):
    """A corrective action of the caller's agency."""

    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    site_id: Id | None = None
    owner_user_id: Id
    due: date
    poete: Poete
    source_kind: SourceKind
    source_ref: str = Field(max_length=80)


class ActionChange(Strict):
    """Move an open action along, reassign it or move its due date."""

    status: Literal["open", "in_progress"] | None = None
    owner_user_id: Id | None = None
    due: date | None = None

    @field_validator("status", "owner_user_id", "due", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Leave a field out to keep it; null is not a status, an owner or a date.
        if value is None:
            raise ValueError("leave the field out to keep its value")
        return value

    @model_validator(mode="after")
    def _something(self) -> ActionChange:
        if self.status is None and self.owner_user_id is None and self.due is None:
            raise ValueError("give the new status, owner or due date")
        return self


class EvidenceIn(Strict):
    kind: Literal["document", "photo", "inspection", "training", "exercise", "other"]
    description: str = Field(max_length=4000)
    reference: str | None = Field(default=None, max_length=300)
    objective_id: Id | None = None


class EvidenceOut(BaseModel):
    id: int
    kind: str
    description: str
    reference: str | None
    objective_id: int | None
    added_at: datetime


class ActionOut(BaseModel):
    id: int
    site_id: int | None
    title: str
    description: str | None
    owner_user_id: int | None
    due: date
    poete: str
    source_kind: str
    source_ref: str
    status: str
    overdue: bool
    closed_at: datetime | None


class RetestOut(BaseModel):
    exercise_id: int
    objective_id: int
    capability_key: str | None
    ratings: list[str]


class ChainOut(BaseModel):
    """finding → corrective action → exercise objective → evidence that it is closed."""

    finding_ref: str | None
    action: ActionOut
    retests: list[RetestOut]
    evidence: list[EvidenceOut]
    demonstrated: bool


def _action(item: CorrectiveAction) -> ActionOut:
    return ActionOut(
        id=item.id,
        site_id=item.site_id,
        title=item.title,
        description=item.description,
        owner_user_id=item.owner_user_id,
        due=item.due_on,
        poete=item.poete,
        source_kind=item.source_kind,
        source_ref=item.source_ref,
        status=item.status,
        overdue=ca.is_overdue(item, ca.today_utc()),
        closed_at=item.closed_at,
    )


def _evidence(e: CorrectiveActionEvidence) -> EvidenceOut:
    return EvidenceOut(
        id=e.id,
        kind=e.kind,
        description=e.description,
        reference=e.reference,
        objective_id=e.objective_id,
        added_at=e.added_at,
    )


@router.get("/actions")
def list_actions(
    actor: ActorDep,
    db: SessionDep,
    status: Literal["open", "in_progress", "closed"] | None = None,
    overdue: bool = False,
) -> list[ActionOut]:
    """Corrective actions of the caller's agency (or those the caller owns), soonest due
    first; ``status=open`` means open or in progress."""
    items = ca.list_corrective_actions(
        db, actor=actor, status=status, overdue_on=ca.today_utc() if overdue else None
    )
    return [_action(i) for i in items]


@router.post("/actions", status_code=201)
def create_action(body: ActionIn, actor: ActorDep, db: SessionDep) -> ActionOut:
    """Record a corrective action (POETE element, owner and due date required)."""
    item = ca.create_corrective_action(db, actor=actor, **body.model_dump())
    return _action(item)


@router.get("/actions/{action_id}")
def read_action(action_id: PathId, actor: ActorDep, db: SessionDep) -> ChainOut:
    """A corrective action with its chain: the finding, the exercise objectives that
    retested it and their ratings, and the evidence."""
    chain = exercises.chain_of(db, actor=actor, action_id=action_id)
    return ChainOut(
        finding_ref=chain.finding_ref,
        action=_action(chain.action),
        retests=[
            RetestOut(
                exercise_id=t.exercise.id,
                objective_id=t.objective.id,
                capability_key=t.objective.capability_key,
                ratings=t.ratings,
            )
            for t in chain.tests
        ],
        evidence=[_evidence(e) for e in chain.evidence],
        demonstrated=chain.demonstrated,
    )


@router.patch("/actions/{action_id}")
def update_action(
    action_id: PathId, body: ActionChange, actor: ActorDep, db: SessionDep
) -> ActionOut:
    """Change an open action's status (open, in progress), owner or due date."""
    item = ca.update_corrective_action(db, actor=actor, action_id=action_id, **body.model_dump())
    return _action(item)


@router.post("/actions/{action_id}/evidence", status_code=201)
def add_evidence(
    action_id: PathId, body: EvidenceIn, actor: ActorDep, db: SessionDep
) -> EvidenceOut:
    """Attach evidence that the action is done."""
    evidence = ca.add_evidence(db, actor=actor, action_id=action_id, **body.model_dump())
    return _evidence(evidence)


@router.post("/actions/{action_id}/close")
def close_action(action_id: PathId, actor: ActorDep, db: SessionDep) -> ActionOut:
    """Close an action that has evidence (the agency's site staff only)."""
    return _action(ca.close_corrective_action(db, actor=actor, action_id=action_id))


class CourseIn(Strict):
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    validity_months: Annotated[StrictInt, Field(ge=1, le=120)] | None = None
    capability_key: str | None = Field(default=None, max_length=60)
    description: str | None = Field(default=None, max_length=4000)


class CourseOut(BaseModel):
    id: int
    code: str
    name: str
    validity_months: int | None
    capability_key: str | None
    seeded: bool


class SessionIn(Strict):
    course_id: Id
    held_on: date
    site_id: Id | None = None
    location: str | None = Field(default=None, max_length=200)
    instructor: str | None = Field(default=None, max_length=200)


class SessionOut(BaseModel):
    id: int
    course_id: int
    held_on: date
    site_id: int | None


class AttendanceIn(Strict):
    person_name: str = Field(max_length=200)
    completed: StrictBool
    user_id: Id | None = None
    site_id: Id | None = None


class AttendanceOut(BaseModel):
    id: int
    person_name: str
    completed: bool


class ReadinessCellOut(BaseModel):
    course_id: int
    status: str
    expires_on: date | None


class ReadinessOut(BaseModel):
    site_id: int
    people: dict[str, list[ReadinessCellOut]]
    trained: dict[int, int]


@router.get("/training/courses")
def list_courses(actor: ActorDep, db: SessionDep) -> list[CourseOut]:
    """The seeded courses and the caller's agency's own."""
    return [
        CourseOut(
            id=c.id,
            code=c.code,
            name=c.name,
            validity_months=c.validity_months,
            capability_key=c.capability_key,
            seeded=c.owner_agency_id is None,
        )
        for c in training.courses(db, actor=actor)
    ]


@router.post("/training/courses", status_code=201)
def add_course(body: CourseIn, actor: ActorDep, db: SessionDep) -> CourseOut:
    """Add a course of the caller's agency."""
    c = training.add_course(db, actor=actor, **body.model_dump())
    return CourseOut(
        id=c.id,
        code=c.code,
        name=c.name,
        validity_months=c.validity_months,
        capability_key=c.capability_key,
        seeded=False,
    )


@router.post("/training/sessions", status_code=201)
def schedule_session(body: SessionIn, actor: ActorDep, db: SessionDep) -> SessionOut:
    """Schedule a session of a course."""
    s = training.schedule_session(db, actor=actor, **body.model_dump())
    return SessionOut(id=s.id, course_id=s.course_id, held_on=s.held_on, site_id=s.site_id)


@router.post("/training/sessions/{session_id}/attendance", status_code=201)
def record_attendance(
    session_id: PathId, body: AttendanceIn, actor: ActorDep, db: SessionDep
) -> AttendanceOut:
    """Record an attendee; completing the course issues a certification."""
    a = training.record_attendance(db, actor=actor, session_id=session_id, **body.model_dump())
    return AttendanceOut(id=a.id, person_name=a.person_name, completed=a.completed)


@router.get("/sites/{site_id}/readiness")
def site_readiness(site_id: PathId, actor: ActorDep, db: SessionDep) -> ReadinessOut:
    """Who at a site is trained in what, and whether it is current."""
    r = training.site_readiness(db, actor=actor, site_id=site_id)
    return ReadinessOut(
        site_id=site_id,
        people={
            name: [
                ReadinessCellOut(
                    course_id=course_id, status=cell.status, expires_on=cell.expires_on
                )
                for course_id, cell in sorted(cells.items())
            ]
            for name, cells in r.people
        },
        trained=r.trained,
    )


class ExerciseIn(Strict):
    name: str = Field(max_length=200)
    kind: Literal["seminar", "workshop", "tabletop", "game", "drill", "functional", "full_scale"]
    starts_on: date
    ends_on: date
    site_id: Id | None = None
    scenario: str | None = Field(default=None, max_length=4000)


class ObjectiveIn(Strict):
    text: str = Field(max_length=4000)
    capability_key: str | None = Field(default=None, max_length=60)
    corrective_action_id: Id | None = None
    finding_ref: str | None = Field(default=None, max_length=80)


class EvaluationIn(Strict):
    rating: Rating
    strengths: str | None = Field(default=None, max_length=4000)
    areas_for_improvement: str | None = Field(default=None, max_length=4000)
    observations: str | None = Field(default=None, max_length=4000)


class ImprovementIn(Strict):
    item_id: Id
    owner_user_id: Id
    due: date
    poete: Poete
    title: str | None = Field(default=None, max_length=200)


class ObjectiveOut(BaseModel):
    id: int
    text: str
    capability_key: str | None
    corrective_action_id: int | None
    finding_ref: str | None
    ratings: list[str]


class ItemOut(BaseModel):
    id: int
    objective_id: int | None
    capability_key: str
    kind: str
    rating: str
    text: str


class ExerciseOut(BaseModel):
    id: int
    name: str
    kind: str
    starts_on: date
    ends_on: date
    site_id: int | None
    status: str


class ExerciseDetailOut(ExerciseOut):
    objectives: list[ObjectiveOut]
    after_action: list[ItemOut]


def _exercise(x: Exercise) -> ExerciseOut:
    return ExerciseOut(
        id=x.id,
        name=x.name,
        kind=x.kind,
        starts_on=x.starts_on,
        ends_on=x.ends_on,
        site_id=x.site_id,
        status=x.status,
    )


def _objective(o: ExerciseObjective, ratings: list[str]) -> ObjectiveOut:
    return ObjectiveOut(
        id=o.id,
        text=o.text,
        capability_key=o.capability_key,
        corrective_action_id=o.corrective_action_id,
        finding_ref=o.finding_ref,
        ratings=ratings,
    )


def _item(i: AfterActionItem) -> ItemOut:
    return ItemOut(
        id=i.id,
        objective_id=i.objective_id,
        capability_key=i.capability_key,
        kind=i.kind,
        rating=i.rating,
        text=i.text,
    )


@router.get("/exercises")
def list_exercises(actor: ActorDep, db: SessionDep) -> list[ExerciseOut]:
    """The caller's agency's exercises, newest first."""
    return [_exercise(x) for x in exercises.list_exercises(db, actor=actor)]


@router.post("/exercises", status_code=201)
def create_exercise(body: ExerciseIn, actor: ActorDep, db: SessionDep) -> ExerciseOut:
    """Design an exercise."""
    return _exercise(exercises.create_exercise(db, actor=actor, **body.model_dump()))


@router.get("/exercises/{exercise_id}")
def read_exercise(exercise_id: PathId, actor: ActorDep, db: SessionDep) -> ExerciseDetailOut:
    """An exercise with its objectives, their ratings and the after-action report."""
    x = exercises.get_exercise(db, actor=actor, exercise_id=exercise_id)
    guides = exercises.evaluations_of(db, actor=actor, exercise_id=x.id)
    return ExerciseDetailOut(
        **_exercise(x).model_dump(),
        objectives=[
            _objective(o, [g.rating for g in guides if g.objective_id == o.id])
            for o in exercises.objectives_of(db, actor=actor, exercise_id=x.id)
        ],
        after_action=[
            _item(i) for i in exercises.after_action_items(db, actor=actor, exercise_id=x.id)
        ],
    )


@router.post("/exercises/{exercise_id}/objectives", status_code=201)
def add_objective(
    exercise_id: PathId, body: ObjectiveIn, actor: ActorDep, db: SessionDep
) -> ObjectiveOut:
    """Add an objective (tied to a core capability, to be evaluated)."""
    o = exercises.add_objective(db, actor=actor, exercise_id=exercise_id, **body.model_dump())
    return _objective(o, [])


@router.put("/exercises/{exercise_id}/objectives/{objective_id}/evaluation")
def submit_evaluation(
    exercise_id: PathId, objective_id: PathId, body: EvaluationIn, actor: ActorDep, db: SessionDep
) -> ObjectiveOut:
    """The caller's evaluation guide for an objective: P, S, M or U (refused for an
    objective without a core capability)."""
    exercises.get_exercise(db, actor=actor, exercise_id=exercise_id)
    objectives = {
        o.id: o for o in exercises.objectives_of(db, actor=actor, exercise_id=exercise_id)
    }
    if objective_id not in objectives:
        raise NotFound("exercise_objective")
    exercises.submit_evaluation(db, actor=actor, objective_id=objective_id, **body.model_dump())
    guides = exercises.evaluations_of(db, actor=actor, exercise_id=exercise_id)
    return _objective(
        objectives[objective_id], [g.rating for g in guides if g.objective_id == objective_id]
    )


@router.post("/exercises/{exercise_id}/end")
def end_exercise(exercise_id: PathId, actor: ActorDep, db: SessionDep) -> list[ItemOut]:
    """End the exercise; the after-action report drafted from the evaluators' guides."""
    return [_item(i) for i in exercises.end_exercise(db, actor=actor, exercise_id=exercise_id)]


@router.post("/exercises/{exercise_id}/improvements", status_code=201)
def plan_improvement(
    exercise_id: PathId, body: ImprovementIn, actor: ActorDep, db: SessionDep
) -> ActionOut:
    """Turn an area for improvement of this exercise into a corrective action."""
    items = {i.id for i in exercises.after_action_items(db, actor=actor, exercise_id=exercise_id)}
    if body.item_id not in items:
        raise NotFound("after_action_item")
    return _action(exercises.plan_improvement(db, actor=actor, **body.model_dump()))


class TargetIn(Strict):
    target_level: Level
    current_level: Level
    note: str | None = Field(default=None, max_length=2000)


class GapOut(BaseModel):
    key: str
    name: str
    mission_areas: list[str]
    mass_violence: bool
    target: int | None
    current: int | None
    gap: int
    exercises: list[int]
    courses: list[int]
    open_actions: int
    measures: int


@router.get("/capabilities")
def gap_report(
    actor: ActorDep,
    db: SessionDep,
    mass_violence: Annotated[bool, Query()] = False,
) -> list[GapOut]:
    """The 32 core capabilities for the caller's jurisdiction, largest gap first, with
    the exercises, courses, open actions and measures that bear on each."""
    rows = capabilities.gap_report(db, actor=actor)
    return [
        GapOut(
            key=r.capability.key,
            name=r.capability.name,
            mission_areas=list(r.capability.mission_areas),
            mass_violence=r.capability.mass_violence,
            target=r.target,
            current=r.current,
            gap=r.gap,
            exercises=[i for i, _, _ in r.exercises],
            courses=[i for i, _, _ in r.courses],
            open_actions=r.open_actions,
            measures=r.measures,
        )
        for r in rows
        if r.capability.mass_violence or not mass_violence
    ]


@router.put("/capabilities/{capability_key}")
def set_target(
    capability_key: Annotated[str, Path(max_length=60)],
    body: TargetIn,
    actor: ActorDep,
    db: SessionDep,
) -> GapOut:
    """Set the caller's jurisdiction's target and current level for a capability
    (supervisors and agency administrators)."""
    capabilities.set_target(db, actor=actor, capability_key=capability_key, **body.model_dump())
    row = next(
        r for r in capabilities.gap_report(db, actor=actor) if r.capability.key == capability_key
    )
    return GapOut(
        key=row.capability.key,
        name=row.capability.name,
        mission_areas=list(row.capability.mission_areas),
        mass_violence=row.capability.mass_violence,
        target=row.target,
        current=row.current,
        gap=row.gap,
        exercises=[i for i, _, _ in row.exercises],
        courses=[i for i, _, _ in row.courses],
        open_actions=row.open_actions,
        measures=row.measures,
    )

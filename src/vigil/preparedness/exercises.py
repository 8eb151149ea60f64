"""Exercises in the HSEEP cycle: objectives tied to core capabilities (and to the
corrective actions and findings they retest), evaluation guides in which evaluators rate
each capability P, S, M or U, the after-action report drafted from those guides the day
the exercise ends, and the improvement plan its areas for improvement become.

The chain a reader follows end to end: assessment finding → corrective action →
exercise objective that retests it (with its ratings) → evidence that it is closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.types import utcnow
from vigil.preparedness import corrective_actions
from vigil.preparedness.capabilities import capability_names, check_capability
from vigil.preparedness.improvement_models import (
    AfterActionItem,
    CorrectiveAction,
    CorrectiveActionEvidence,
    EvaluationGuide,
    Exercise,
    ExerciseObjective,
)
from vigil.preparedness.sites import get_site

EXERCISE_KINDS = {
    "seminar": "Seminar (discussion-based)",
    "workshop": "Workshop (discussion-based)",
    "tabletop": "Tabletop exercise (discussion-based)",
    "game": "Game (discussion-based)",
    "drill": "Drill (operations-based)",
    "functional": "Functional exercise (operations-based)",
    "full_scale": "Full-scale exercise (operations-based)",
}
RATINGS = {
    "P": "Performed without challenges",
    "S": "Performed with some challenges",
    "M": "Performed with major challenges",
    "U": "Unable to be performed",
}
RATING_ORDER = {"P": 0, "S": 1, "M": 2, "U": 3}
MAX_TEXT = 4000
MAX_OBJECTIVES = 50


def _audit(db: Session, actor: Actor, action: str, exercise: Exercise, **details: object) -> None:
    audit.record(
        db,
        actor=actor,
        action=f"exercise.{action}",
        object_type="exercise",
        object_id=exercise.id,
        agency_id=exercise.owner_agency_id,
        details=details or None,
    )


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _text(value: str | None, field: str, errors: dict[str, str]) -> str | None:
    text = (value or "").strip() or None
    if text and len(text) > MAX_TEXT:
        errors[field] = f"Use at most {MAX_TEXT:,} characters."
    return text


def create_exercise(
    db: Session,
    *,
    actor: Actor,
    name: str,
    kind: str,
    starts_on: date | None,
    ends_on: date | None,
    site_id: int | None = None,
    scenario: str | None = None,
) -> Exercise:
    """Design an exercise of the actor's agency (its objectives come next)."""
    policy.authorize(actor, "create", "exercise")
    _, agency_id = actor.member_ids()
    errors: dict[str, str] = {}
    clean_name = _clean(name)
    if not clean_name or len(clean_name) > 200:
        errors["name"] = "Name the exercise (at most 200 characters)."
    if kind not in EXERCISE_KINDS:
        errors["kind"] = "Choose the kind of exercise."
    if starts_on is None:
        errors["starts_on"] = "Enter the first day, such as 2027-03-04."
    if ends_on is None:
        errors["ends_on"] = "Enter the last day, such as 2027-03-04."
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = "The last day cannot be before the first."
    text = _text(scenario, "scenario", errors)
    if site_id is not None:
        site = get_site(db, actor=actor, site_id=site_id)
        if site.owner_agency_id != agency_id:
            errors["site_id"] = "Choose a site your agency owns."
    if errors or starts_on is None or ends_on is None:
        raise InvalidInput(errors)
    exercise = Exercise(
        owner_agency_id=agency_id,
        site_id=site_id,
        name=clean_name,
        kind=kind,
        scenario=text,
        starts_on=starts_on,
        ends_on=ends_on,
        status="planned",
        created_at=utcnow(),
        created_by_user_id=actor.user_id,
    )
    db.add(exercise)
    db.flush()
    _audit(db, actor, "create", exercise, kind=kind)
    return exercise


def get_exercise(db: Session, *, actor: Actor, exercise_id: int, action: str = "read") -> Exercise:
    exercise = db.get(Exercise, exercise_id)
    if exercise is None or not policy.decide(actor, "read", "exercise", exercise):
        raise NotFound("exercise")
    if action != "read":
        policy.authorize(actor, action, "exercise", exercise)
    return exercise


def may_change(actor: Actor, exercise: Exercise) -> bool:
    return policy.decide(actor, "update", "exercise", exercise)


def list_exercises(db: Session, *, actor: Actor, limit: int = 200) -> list[Exercise]:
    policy.authorize(actor, "list", "exercise")
    return list(
        db.execute(
            select(Exercise)
            .where(policy.scope(actor, "list", "exercise"))
            .order_by(Exercise.starts_on.desc(), Exercise.id.desc())
            .limit(limit)
        ).scalars()
    )


def add_objective(
    db: Session,
    *,
    actor: Actor,
    exercise_id: int,
    text: str,
    capability_key: str | None,
    corrective_action_id: int | None = None,
    finding_ref: str | None = None,
) -> ExerciseObjective:
    """An objective; naming a corrective action says the exercise retests its fix (the
    finding behind the action is carried over)."""
    exercise = get_exercise(db, actor=actor, exercise_id=exercise_id, action="update")
    errors: dict[str, str] = {}
    if exercise.status == "ended":
        errors["text"] = "The exercise has ended; its objectives are fixed."
    body = (text or "").strip()
    if not body:
        errors["text"] = "State the objective."
    elif len(body) > MAX_TEXT:
        errors["text"] = f"Use at most {MAX_TEXT:,} characters."
    check_capability(capability_key, errors, "capability_key")
    ref = _clean(finding_ref) or None
    if ref and len(ref) > 80:
        errors["finding_ref"] = "Use at most 80 characters."
    if corrective_action_id is not None:
        action = db.get(CorrectiveAction, corrective_action_id)
        if action is None or action.owner_agency_id != exercise.owner_agency_id:
            errors["corrective_action_id"] = "Choose one of your agency's corrective actions."
        elif ref is None and action.source_kind == "finding":
            ref = action.source_ref
    if len(objectives_of(db, actor=actor, exercise_id=exercise.id)) >= MAX_OBJECTIVES:
        errors["text"] = f"An exercise has at most {MAX_OBJECTIVES} objectives."
    if errors:
        raise InvalidInput(errors)
    objective = ExerciseObjective(
        exercise_id=exercise.id,
        text=body,
        capability_key=capability_key,
        corrective_action_id=corrective_action_id,
        finding_ref=ref,
    )
    db.add(objective)
    db.flush()
    _audit(db, actor, "objective", exercise, objective_id=objective.id, capability=capability_key)
    return objective


def objectives_of(db: Session, *, actor: Actor, exercise_id: int) -> list[ExerciseObjective]:
    exercise = get_exercise(db, actor=actor, exercise_id=exercise_id)
    return list(
        db.execute(
            select(ExerciseObjective)
            .where(ExerciseObjective.exercise_id == exercise.id)
            .order_by(ExerciseObjective.id)
        ).scalars()
    )


def submit_evaluation(
    db: Session,
    *,
    actor: Actor,
    objective_id: int,
    rating: str,
    strengths: str | None = None,
    areas_for_improvement: str | None = None,
    observations: str | None = None,
) -> EvaluationGuide:
    """An evaluator's guide for an objective: the capability's rating and what was seen.
    One guide per evaluator and objective (a second submission replaces the first). An
    objective without a core capability cannot be evaluated."""
    objective = db.get(ExerciseObjective, objective_id)
    if objective is None:
        raise NotFound("exercise_objective")
    exercise = get_exercise(db, actor=actor, exercise_id=objective.exercise_id, action="update")
    errors: dict[str, str] = {}
    if objective.capability_key is None:
        errors["capability_key"] = (
            "This objective has no core capability, so there is nothing to rate: an "
            "evaluation guide is made only for an objective tied to a core capability."
        )
    if exercise.status == "ended":
        errors["rating"] = "The exercise has ended and its after-action report is drafted."
    if rating not in RATINGS:
        errors["rating"] = "Rate the capability P, S, M or U."
    values = {
        "strengths": _text(strengths, "strengths", errors),
        "areas_for_improvement": _text(areas_for_improvement, "areas_for_improvement", errors),
        "observations": _text(observations, "observations", errors),
    }
    if rating in ("S", "M", "U") and not values["areas_for_improvement"]:
        errors["areas_for_improvement"] = (
            "A rating of S, M or U needs the area for improvement that explains it."
        )
    if errors or objective.capability_key is None:
        raise InvalidInput(errors)
    guide = db.execute(
        select(EvaluationGuide).where(
            EvaluationGuide.objective_id == objective.id,
            EvaluationGuide.evaluator_user_id == actor.user_id,
        )
    ).scalar_one_or_none()
    if guide is None:
        guide = EvaluationGuide(objective_id=objective.id, evaluator_user_id=actor.user_id)
        db.add(guide)
    guide.capability_key = objective.capability_key
    guide.rating = rating
    guide.strengths = values["strengths"]
    guide.areas_for_improvement = values["areas_for_improvement"]
    guide.observations = values["observations"]
    guide.submitted_at = utcnow()
    db.flush()
    _audit(db, actor, "evaluation", exercise, objective_id=objective.id, rating=rating)
    return guide


def evaluations_of(db: Session, *, actor: Actor, exercise_id: int) -> list[EvaluationGuide]:
    exercise = get_exercise(db, actor=actor, exercise_id=exercise_id)
    return list(
        db.execute(
            select(EvaluationGuide)
            .join(ExerciseObjective, ExerciseObjective.id == EvaluationGuide.objective_id)
            .where(ExerciseObjective.exercise_id == exercise.id)
            .order_by(EvaluationGuide.objective_id, EvaluationGuide.id)
        ).scalars()
    )


@dataclass(frozen=True)
class DraftItem:
    objective_id: int
    capability_key: str
    kind: str  # strength, area
    rating: str
    text: str


def _lines(text: str | None) -> list[str]:
    return [line.strip(" -*•\t") for line in (text or "").splitlines() if line.strip(" -*•\t")]


def draft_items(
    objectives: Sequence[ExerciseObjective], guides: Sequence[EvaluationGuide]
) -> list[DraftItem]:
    """The after-action report's strengths and areas for improvement, per objective,
    from its evaluators' guides: the objective's rating is the most severe any evaluator
    gave; each distinct line an evaluator wrote becomes an item."""
    items: list[DraftItem] = []
    for objective in objectives:
        mine = [g for g in guides if g.objective_id == objective.id]
        if not mine or objective.capability_key is None:
            continue
        rating = max((g.rating for g in mine), key=RATING_ORDER.__getitem__)
        for kind, field in (("strength", "strengths"), ("area", "areas_for_improvement")):
            seen: set[str] = set()
            for guide in mine:
                for line in _lines(getattr(guide, field)):
                    if line.casefold() not in seen:
                        seen.add(line.casefold())
                        items.append(
                            DraftItem(objective.id, objective.capability_key, kind, rating, line)
                        )
        if rating in ("M", "U") and not any(
            i.objective_id == objective.id and i.kind == "area" for i in items
        ):
            items.append(
                DraftItem(
                    objective.id,
                    objective.capability_key,
                    "area",
                    rating,
                    f"{RATINGS[rating]}: describe what fell short.",
                )
            )
    return items


def end_exercise(db: Session, *, actor: Actor, exercise_id: int) -> list[AfterActionItem]:
    """End the exercise and draft its after-action report from the evaluation guides."""
    exercise = get_exercise(db, actor=actor, exercise_id=exercise_id, action="update")
    if exercise.status == "ended":
        raise InvalidInput({"status": "The exercise has already ended."})
    return _draft(db, actor, exercise)


def _draft(db: Session, actor: Actor, exercise: Exercise) -> list[AfterActionItem]:
    objectives = list(
        db.execute(
            select(ExerciseObjective)
            .where(ExerciseObjective.exercise_id == exercise.id)
            .order_by(ExerciseObjective.id)
        ).scalars()
    )
    guides = list(
        db.execute(
            select(EvaluationGuide)
            .where(EvaluationGuide.objective_id.in_([o.id for o in objectives]))
            .order_by(EvaluationGuide.id)
        ).scalars()
    )
    stored = [
        AfterActionItem(
            exercise_id=exercise.id,
            objective_id=item.objective_id,
            capability_key=item.capability_key,
            kind=item.kind,
            rating=item.rating,
            text=item.text,
        )
        for item in draft_items(objectives, guides)
    ]
    db.add_all(stored)
    exercise.status = "ended"
    exercise.ended_at = utcnow()
    db.flush()
    _audit(
        db,
        actor,
        "end",
        exercise,
        strengths=sum(1 for i in stored if i.kind == "strength"),
        areas=sum(1 for i in stored if i.kind == "area"),
    )
    return stored


def end_due_exercises(db: Session, *, actor: Actor, today: date) -> int:
    """The scheduled job: end every exercise whose last day has passed, drafting its
    after-action report (so the draft exists the day after the exercise at the latest)."""
    policy.authorize(actor, "send", "preparedness_reminder")
    due = list(
        db.execute(
            select(Exercise)
            .where(Exercise.status != "ended", Exercise.ends_on < today)
            .order_by(Exercise.id)
        ).scalars()
    )
    for exercise in due:
        _draft(db, actor, exercise)
    return len(due)


def after_action_items(db: Session, *, actor: Actor, exercise_id: int) -> list[AfterActionItem]:
    exercise = get_exercise(db, actor=actor, exercise_id=exercise_id)
    return list(
        db.execute(
            select(AfterActionItem)
            .where(AfterActionItem.exercise_id == exercise.id)
            .order_by(AfterActionItem.kind.desc(), AfterActionItem.id)
        ).scalars()
    )


def plan_improvement(
    db: Session,
    *,
    actor: Actor,
    item_id: int,
    owner_user_id: int | None,
    due: date | None,
    poete: str,
    title: str | None = None,
) -> CorrectiveAction:
    """Turn an area for improvement into a corrective action of the improvement plan."""
    item = db.get(AfterActionItem, item_id)
    if item is None:
        raise NotFound("after_action_item")
    exercise = get_exercise(db, actor=actor, exercise_id=item.exercise_id, action="update")
    if item.kind != "area":
        raise InvalidInput({"item": "Only an area for improvement becomes a corrective action."})
    capability = capability_names().get(item.capability_key, item.capability_key)
    return corrective_actions.create_corrective_action(
        db,
        actor=actor,
        site_id=exercise.site_id,
        title=_clean(title) or f"{capability}: {item.text}"[:200],
        owner_user_id=owner_user_id,
        due=due,
        poete=poete,
        source_kind="exercise_area",
        source_ref=str(item.id),
        description=item.text,
    )


@dataclass(frozen=True)
class ObjectiveTest:
    """An exercise objective that retested a corrective action, with its ratings."""

    objective: ExerciseObjective
    exercise: Exercise
    ratings: list[str]


@dataclass(frozen=True)
class Chain:
    """finding → corrective action → exercise objective → evidence that it is closed."""

    action: CorrectiveAction
    source_label: str
    finding_ref: str | None
    tests: list[ObjectiveTest]
    evidence: list[CorrectiveActionEvidence]

    @property
    def demonstrated(self) -> bool:
        """Whether a retest rated the capability P or S."""
        return any(r in ("P", "S") for t in self.tests for r in t.ratings)


def chain_of(db: Session, *, actor: Actor, action_id: int) -> Chain:
    """The whole chain of one corrective action, as far as the actor may see."""
    action = corrective_actions.get_corrective_action(db, actor=actor, action_id=action_id)
    evidence = corrective_actions.evidence_of(db, actor=actor, action_id=action.id)
    tests: list[ObjectiveTest] = []
    if policy.decide(actor, "list", "exercise"):
        rows = db.execute(
            select(ExerciseObjective, Exercise)
            .join(Exercise, Exercise.id == ExerciseObjective.exercise_id)
            .where(
                ExerciseObjective.corrective_action_id == action.id,
                policy.scope(actor, "list", "exercise"),
            )
            .order_by(Exercise.starts_on, ExerciseObjective.id)
        ).all()
        for objective, exercise in rows:
            ratings = list(
                db.execute(
                    select(EvaluationGuide.rating)
                    .where(EvaluationGuide.objective_id == objective.id)
                    .order_by(EvaluationGuide.id)
                ).scalars()
            )
            tests.append(ObjectiveTest(objective, exercise, ratings))
    finding = action.source_ref if action.source_kind == "finding" else None
    if finding is None:
        finding = next((t.objective.finding_ref for t in tests if t.objective.finding_ref), None)
    label = corrective_actions.SOURCE_KINDS.get(action.source_kind, action.source_kind)
    return Chain(action, f"{label} {action.source_ref}", finding, tests, evidence)

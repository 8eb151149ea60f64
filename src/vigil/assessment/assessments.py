"""Structured professional judgment on a case: assessments against an instrument
(saved as drafts as the assessor types, completed when every item has its answer,
source and date), the suggested level they support, and the team's risk decisions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.assessment.cases import audit_case, facts, load_case, text, touch
from vigil.assessment.instrument_schema import InstrumentDefinition
from vigil.assessment.instruments import definition_of
from vigil.assessment.models import (
    Assessment,
    AssessmentAnswer,
    Case,
    CaseSubject,
    Instrument,
    RiskDecision,
)
from vigil.assessment.suggestion import Suggestion, suggest
from vigil.assessment.vocabulary import LEVELS
from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.types import utcnow

EARLIEST_OBSERVATION = date(1900, 1, 1)


@dataclass(frozen=True)
class AnswerInput:
    answer: str | None = None
    sources: str | None = None
    observed_on: date | None = None
    notes: str | None = None


def start_assessment(
    db: Session, *, actor: Actor, case_id: int, instrument_id: int, subject_id: int | None
) -> Assessment:
    case = load_case(db, actor=actor, case_id=case_id, action="work")
    instrument = db.get(Instrument, instrument_id)
    if instrument is None or instrument.retired_at is not None:
        raise InvalidInput({"instrument_id": "Choose an instrument."})
    if subject_id is not None:
        subject = db.get(CaseSubject, subject_id)
        if subject is None or subject.case_id != case.id:
            raise InvalidInput({"subject_id": "Choose a subject of this case."})
    if case.status == "closed":
        raise Conflict("The case is closed; reopen it to assess.")
    now = utcnow()
    assessment = Assessment(
        case_id=case.id,
        subject_id=subject_id,
        instrument_id=instrument.id,
        status="draft",
        assessor_user_id=actor.user_id,
        started_at=now,
        updated_at=now,
    )
    db.add(assessment)
    touch(case)
    db.flush()
    audit_case(
        db, actor, "assessment.start", case, assessment_id=assessment.id, instrument=instrument.key
    )
    return assessment


def load_assessment(
    db: Session, *, actor: Actor, case_id: int, assessment_id: int, action: str = "read"
) -> tuple[Case, Assessment, Instrument]:
    case = load_case(db, actor=actor, case_id=case_id, action=action)
    assessment = db.get(Assessment, assessment_id)
    if assessment is None or assessment.case_id != case.id:
        raise NotFound("assessment")
    instrument = db.get_one(Instrument, assessment.instrument_id)
    return case, assessment, instrument


def answers_of(db: Session, assessment_id: int) -> dict[str, AssessmentAnswer]:
    return {
        row.item_key: row
        for row in db.execute(
            select(AssessmentAnswer).where(AssessmentAnswer.assessment_id == assessment_id)
        ).scalars()
    }


def _check(
    definition: InstrumentDefinition, answers: Mapping[str, AnswerInput], today: date
) -> dict[str, str]:
    items = definition.items_by_key()
    errors: dict[str, str] = {}
    for key, given in answers.items():
        item = items.get(key)
        if item is None:
            errors[key] = "This instrument has no such item."
            continue
        if given.answer is not None and given.answer not in definition.scale_values(item.scale):
            errors[f"{key}.answer"] = "Choose one of the answers offered."
        if given.observed_on is not None and not (
            EARLIEST_OBSERVATION <= given.observed_on <= today
        ):
            errors[f"{key}.observed_on"] = (
                "Give the date it was observed: not in the future, not before 1900."
            )
        for field, value, limit in (
            ("sources", given.sources, 4000),
            ("notes", given.notes, 8000),
        ):
            if value is not None and len(value) > limit:
                errors[f"{key}.{field}"] = f"Write at most {limit} characters."
    return errors


@dataclass(frozen=True)
class SaveResult:
    assessment: Assessment
    errors: dict[str, str]  # fields left as they were because what was sent was wrong


def save_answers(
    db: Session,
    *,
    actor: Actor,
    case_id: int,
    assessment_id: int,
    answers: Mapping[str, AnswerInput],
    complete: bool = False,
    today: date | None = None,
) -> SaveResult:
    """Save what the assessor has typed. A draft keeps everything it can, even
    half-done items: a field sent wrong (an answer not offered, an impossible date) is
    left as it was and reported, the rest is saved. ``complete`` then requires every
    item's answer, with its sources and date for every answer that is not "unknown";
    if anything is missing or wrong the draft is still saved and InvalidInput raised."""
    case, assessment, instrument = load_assessment(
        db, actor=actor, case_id=case_id, assessment_id=assessment_id, action="work"
    )
    if assessment.status != "draft":
        raise Conflict("This assessment is complete; start a new one to record changes.")
    definition = definition_of(instrument)
    today = today or utcnow().date()
    errors = _check(definition, answers, today)
    items = definition.items_by_key()
    stored = answers_of(db, assessment.id)
    now = utcnow()
    for key, given in answers.items():
        if key not in items:
            continue
        row = stored.get(key)
        if row is None:
            row = AssessmentAnswer(assessment_id=assessment.id, item_key=key)
            db.add(row)
            stored[key] = row
        if f"{key}.answer" not in errors:
            row.answer = given.answer
        if f"{key}.observed_on" not in errors:
            row.observed_on = given.observed_on
        if f"{key}.sources" not in errors:
            row.sources = (given.sources or "").strip() or None
        if f"{key}.notes" not in errors:
            row.notes = (given.notes or "").strip() or None
        row.updated_at = now
    assessment.updated_at = now
    touch(case)
    if complete:
        for key, item in items.items():
            row = stored.get(key)
            if row is None or row.answer is None:
                errors.setdefault(f"{key}.answer", f"Answer “{item.label}”.")
            elif row.answer != "unknown" and (row.sources is None or row.observed_on is None):
                errors.setdefault(
                    f"{key}.sources", f"Give the sources and the date for “{item.label}”."
                )
        if errors:
            db.flush()  # the draft keeps what was typed
            audit_case(db, actor, "assessment.save", case, assessment_id=assessment.id)
            raise InvalidInput(errors)
        assessment.status = "final"
        assessment.completed_at = now
        if case.first_assessed_at is None:
            case.first_assessed_at = now
    db.flush()
    audit_case(
        db,
        actor,
        "assessment.complete" if complete else "assessment.save",
        case,
        assessment_id=assessment.id,
        items=len(answers),
    )
    return SaveResult(assessment, errors)


def assessments(db: Session, case: Case) -> list[tuple[Assessment, Instrument]]:
    return [
        (assessment, instrument)
        for assessment, instrument in db.execute(
            select(Assessment, Instrument)
            .join(Instrument, Instrument.id == Assessment.instrument_id)
            .where(Assessment.case_id == case.id)
            .order_by(Assessment.started_at.desc(), Assessment.id.desc())
        ).all()
    ]


def case_suggestion(db: Session, case: Case) -> Suggestion:
    """The suggestion from the latest completed assessment of each instrument (drafts
    are not evidence yet)."""
    latest: dict[str, tuple[Assessment, Instrument]] = {}
    for assessment, instrument in assessments(db, case):
        if assessment.status == "final" and instrument.key not in latest:
            latest[instrument.key] = (assessment, instrument)
    assessed = []
    for assessment, instrument in latest.values():
        answers = {key: row.answer for key, row in answers_of(db, assessment.id).items()}
        assessed.append((definition_of(instrument), answers))
    return suggest(assessed)


def decide_risk(
    db: Session, *, actor: Actor, case_id: int, level: str, rationale: str
) -> RiskDecision:
    """Record the team's risk level; the suggestion shown at the time is kept beside it."""
    case = load_case(db, actor=actor, case_id=case_id, action="decide_risk")
    errors: dict[str, str] = {}
    if level not in LEVELS:
        errors["level"] = "Choose a risk level."
    try:
        clean = text(rationale, "rationale", minimum=20, maximum=8000)
    except InvalidInput as invalid:
        errors.update(invalid.errors)
    if errors:
        raise InvalidInput(errors)
    if case.status == "closed":
        raise Conflict("The case is closed; reopen it to change its level.")
    suggestion = case_suggestion(db, case)
    now = utcnow()
    decision = RiskDecision(
        case_id=case.id,
        level=level,
        rationale=clean or "",
        suggested_level=suggestion.level,
        suggestion=[
            {"instrument": rule.instrument, "level": rule.level, "text": rule.text}
            for rule in suggestion.fired
        ],
        decided_by_user_id=actor.user_id,
        decided_at=now,
    )
    db.add(decision)
    previous = case.risk_level
    case.risk_level = level
    case.risk_decided_at = now
    touch(case)
    db.flush()
    audit_case(
        db,
        actor,
        "case.risk",
        case,
        level=level,
        previous=previous,
        suggested=suggestion.level,
    )
    return decision


def risk_history(db: Session, case: Case) -> list[RiskDecision]:
    return list(
        db.execute(
            select(RiskDecision)
            .where(RiskDecision.case_id == case.id)
            .order_by(RiskDecision.decided_at.desc(), RiskDecision.id.desc())
        )
        .scalars()
        .all()
    )


def can(db: Session, actor: Actor, case: Case, action: str) -> bool:
    return policy.decide(actor, action, "case", facts(db, case))

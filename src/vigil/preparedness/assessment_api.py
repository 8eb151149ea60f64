"""Assessments in the JSON API: read an assessment with its scores and findings, and save
one answer at a time (what a script or a page's progressive enhancement sends). The same
services and policy as the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from vigil.preparedness import assessments
from vigil.preparedness.api import RESPONSES
from vigil.preparedness.assessment_models import SiteAssessmentAnswer
from vigil.reports.schemas import Strict
from vigil.web.deps import ActorDep, PathId, SessionDep

router = APIRouter(prefix="/api/v1/preparedness", tags=["preparedness"], responses=RESPONSES)

QuestionKey = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class AnswerIn(Strict):
    """The answer to one question: one of its scale's values, and an optional note."""

    answer: str = Field(min_length=1, max_length=40)
    note: str | None = Field(default=None, max_length=assessments.MAX_NOTE)


class AnswerOut(BaseModel):
    question: str
    answer: str
    note: str | None
    answered_at: datetime


class FindingOut(BaseModel):
    question: str
    answer: str
    finding: str
    options: list[str]


class AssessmentOut(BaseModel):
    id: int
    site_id: int
    instrument: str
    instrument_version: int
    marking: str
    language: str
    status: str
    signed_off_at: datetime | None
    answered: int
    questions: int
    section_scores: dict[str, float | None]
    score: float | None
    vulnerability: float | None
    answers: list[AnswerOut]
    findings: list[FindingOut]


def _answer(row: SiteAssessmentAnswer) -> AnswerOut:
    return AnswerOut(
        question=row.question_key, answer=row.value, note=row.note, answered_at=row.answered_at
    )


@router.get("/assessments/{assessment_id}")
def read_assessment(assessment_id: PathId, actor: ActorDep, db: SessionDep) -> AssessmentOut:
    """An assessment with its answers, scores by section and findings (text in the
    assessment's language); frozen scores once signed off."""
    view = assessments.read_assessment(db, actor=actor, assessment_id=assessment_id)
    language = view.assessment.language
    return AssessmentOut(
        id=view.assessment.id,
        site_id=view.assessment.site_id,
        instrument=view.instrument.key,
        instrument_version=view.instrument.version,
        marking=view.assessment.marking,
        language=language,
        status=view.assessment.status,
        signed_off_at=view.assessment.signed_off_at,
        answered=view.scores.answered,
        questions=view.scores.questions,
        section_scores=view.scores.sections,
        score=view.scores.overall,
        vulnerability=view.scores.vulnerability,
        answers=[_answer(row) for row in view.answers.values()],
        findings=[
            FindingOut(
                question=f.question.key,
                answer=f.answer,
                finding=f.finding.finding.in_language(language),
                options=[o.key for o in f.finding.options],
            )
            for f in view.findings
        ],
    )


@router.put("/assessments/{assessment_id}/answers/{question_key}")
def save_answer(
    assessment_id: PathId,
    question_key: QuestionKey,
    body: AnswerIn,
    actor: ActorDep,
    db: SessionDep,
) -> AnswerOut:
    """Save the answer to one question (while the assessment is in progress)."""
    row = assessments.save_answer(
        db,
        actor=actor,
        assessment_id=assessment_id,
        question_key=question_key,
        value=body.answer,
        note=body.note,
    )
    return _answer(row)

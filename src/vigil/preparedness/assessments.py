"""Vulnerability assessments of a site: starting one against the current version of an
instrument, saving it answer by answer with evidence, submitting it, the review and
sign-off by someone who did not assess, and the side-by-side history of a site.

Every answer is its own row, written the moment it is given, so nothing is lost on a
reload. Scores are computed from the instrument version the assessment pinned, and are
frozen on the assessment when it is signed off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.policy.site_assessment_rules import AssessmentFacts
from vigil.platform.types import utcnow
from vigil.preparedness.assessment_models import (
    SiteAssessment,
    SiteAssessmentAnswer,
    SiteAssessmentEvidence,
    SiteInstrument,
)
from vigil.preparedness.instruments import (
    LANGUAGES,
    InstrumentDefinition,
    definition_of,
    sync_instruments,
)
from vigil.preparedness.models import ProtectedSite
from vigil.preparedness.scoring import FindingRow, Scores, findings, score
from vigil.preparedness.sites import get_site
from vigil.preparedness.vocabulary import SITE_MARKINGS
from vigil.reports.attachments import (
    AttachmentRejected,
    AttachmentStore,
    UploadSource,
    safe_filename,
)

STATUSES = {
    "in_progress": "In progress",
    "submitted": "Submitted for review",
    "signed_off": "Signed off",
}
MAX_NOTE = 2000
MAX_EVIDENCE_PER_ANSWER = 10
MAX_REVIEW_NOTE = 2000


def _audit(
    db: Session, actor: Actor, action: str, assessment: SiteAssessment, **details: Any
) -> None:
    """Ids, keys and statuses only: never a note, an answer's text or a file name."""
    audit.record(
        db,
        actor=actor,
        action=f"site_assessment.{action}",
        object_type="site_assessment",
        object_id=assessment.id,
        agency_id=assessment.owner_agency_id,
        details={"site_id": assessment.site_id, **details},
    )


def facts_of(db: Session, assessment: SiteAssessment) -> AssessmentFacts:
    answerers = db.execute(
        select(SiteAssessmentAnswer.answered_by_user_id)
        .where(SiteAssessmentAnswer.assessment_id == assessment.id)
        .distinct()
    ).scalars()
    ids = {i for i in answerers if i is not None}
    if assessment.started_by_user_id is not None:
        ids.add(assessment.started_by_user_id)
    return AssessmentFacts(
        owner_agency_id=assessment.owner_agency_id,
        marking=assessment.marking,
        status=assessment.status,
        assessor_ids=frozenset(ids),
    )


def may(db: Session, actor: Actor, action: str, assessment: SiteAssessment) -> bool:
    return policy.decide(actor, action, "site_assessment", facts_of(db, assessment))


def get_assessment(
    db: Session, *, actor: Actor, assessment_id: int, action: str = "read"
) -> SiteAssessment:
    """An assessment the actor may ``action``; NotFound when it may not even read it,
    and when the site it assesses is hidden from the actor."""
    assessment = db.get(SiteAssessment, assessment_id)
    if assessment is None:
        raise NotFound("site_assessment")
    facts = facts_of(db, assessment)
    if not policy.decide(actor, "read", "site_assessment", facts):
        raise NotFound("site_assessment")
    get_site(db, actor=actor, site_id=assessment.site_id)
    if action != "read":
        policy.authorize(actor, action, "site_assessment", facts)
    return assessment


def current_instruments(db: Session, *, actor: Actor) -> list[SiteInstrument]:
    """The latest version of each instrument (the shipped files are stored first)."""
    policy.authorize(actor, "list", "site_assessment")
    sync_instruments(db)
    latest = (
        select(SiteInstrument.key, func.max(SiteInstrument.version).label("version"))
        .group_by(SiteInstrument.key)
        .subquery()
    )
    return list(
        db.execute(
            select(SiteInstrument)
            .join(
                latest,
                (latest.c.key == SiteInstrument.key) & (latest.c.version == SiteInstrument.version),
            )
            .order_by(SiteInstrument.key)
        ).scalars()
    )


def start_assessment(
    db: Session,
    *,
    actor: Actor,
    site_id: int,
    instrument_key: str,
    language: str = "en",
    marking: str = "AMBER",
) -> SiteAssessment:
    """Start an assessment of a site the actor's agency owns, pinned to the latest
    version of the chosen instrument."""
    site = get_site(db, actor=actor, site_id=site_id, action="update")
    policy.authorize(actor, "create", "site_assessment")
    errors: dict[str, str] = {}
    chosen = {i.key: i for i in current_instruments(db, actor=actor)}.get(instrument_key)
    if chosen is None:
        errors["instrument"] = "Choose an instrument from the list."
    if language not in LANGUAGES:
        errors["language"] = "Choose English or Spanish."
    if marking not in SITE_MARKINGS:
        errors["marking"] = "Choose TLP:CLEAR, TLP:GREEN, TLP:AMBER or TLP:AMBER+STRICT."
    if errors or chosen is None:
        raise InvalidInput(errors)
    now = utcnow()
    assessment = SiteAssessment(
        site_id=site.id,
        instrument_id=chosen.id,
        owner_agency_id=site.owner_agency_id,
        marking=marking,
        language=language,
        status="in_progress",
        started_at=now,
        started_by_user_id=actor.user_id,
        updated_at=now,
    )
    db.add(assessment)
    db.flush()
    _audit(db, actor, "start", assessment, instrument=f"{chosen.key} v{chosen.version}")
    return assessment


def answers_of(db: Session, assessment_id: int) -> dict[str, SiteAssessmentAnswer]:
    rows = db.execute(
        select(SiteAssessmentAnswer).where(SiteAssessmentAnswer.assessment_id == assessment_id)
    ).scalars()
    return {row.question_key: row for row in rows}


def _definition(
    db: Session, assessment: SiteAssessment
) -> tuple[SiteInstrument, InstrumentDefinition]:
    instrument = db.get(SiteInstrument, assessment.instrument_id)
    if instrument is None:  # the foreign key forbids it
        raise NotFound("instrument")
    return instrument, definition_of(instrument)


def save_answer(
    db: Session,
    *,
    actor: Actor,
    assessment_id: int,
    question_key: str,
    value: str,
    note: str | None = None,
) -> SiteAssessmentAnswer:
    """Record (or change) the answer to one question, at once and on its own."""
    assessment = get_assessment(db, actor=actor, assessment_id=assessment_id, action="answer")
    _, definition = _definition(db, assessment)
    question = definition.questions().get(question_key)
    if question is None:
        raise NotFound("question")
    errors: dict[str, str] = {}
    if definition.option(question.scale, value) is None:
        errors["answer"] = "Choose one of the answers."
    text = (note or "").strip() or None
    if text and len(text) > MAX_NOTE:
        errors["note"] = f"Use at most {MAX_NOTE:,} characters."
    if errors:
        raise InvalidInput(errors)
    now = utcnow()
    row = answers_of(db, assessment.id).get(question_key)
    if row is None:
        row = SiteAssessmentAnswer(assessment_id=assessment.id, question_key=question_key)
        db.add(row)
    row.value = value
    row.note = text
    row.answered_at = now
    row.answered_by_user_id = actor.user_id
    assessment.updated_at = now
    db.flush()
    _audit(db, actor, "answer", assessment, question=question_key, answer=value)
    return row


def add_evidence(
    db: Session,
    *,
    actor: Actor,
    store: AttachmentStore,
    assessment_id: int,
    question_key: str,
    stream: UploadSource,
    filename: str | None,
) -> SiteAssessmentEvidence:
    """Attach a photo or document to one answer. The bytes are checked (by content, not
    name) and written before the row is added; a refused file leaves nothing behind."""
    assessment = get_assessment(db, actor=actor, assessment_id=assessment_id, action="answer")
    _, definition = _definition(db, assessment)
    if question_key not in definition.questions():
        raise NotFound("question")
    count = db.execute(
        select(func.count())
        .select_from(SiteAssessmentEvidence)
        .where(
            SiteAssessmentEvidence.assessment_id == assessment.id,
            SiteAssessmentEvidence.question_key == question_key,
        )
    ).scalar_one()
    if count >= MAX_EVIDENCE_PER_ANSWER:
        raise InvalidInput({"evidence": f"An answer has at most {MAX_EVIDENCE_PER_ANSWER} files."})
    try:
        stored = store.save(stream)
    except AttachmentRejected as refused:
        raise InvalidInput({"evidence": str(refused)}) from None
    evidence = SiteAssessmentEvidence(
        assessment_id=assessment.id,
        question_key=question_key,
        sha256=stored.sha256,
        filename=safe_filename(filename, stored.media_type),
        media_type=stored.media_type,
        size_bytes=stored.size_bytes,
        added_at=utcnow(),
        added_by_user_id=actor.user_id,
    )
    db.add(evidence)
    db.flush()
    _audit(db, actor, "add_evidence", assessment, question=question_key, evidence_id=evidence.id)
    return evidence


def open_evidence(
    db: Session, *, actor: Actor, store: AttachmentStore, assessment_id: int, evidence_id: int
) -> tuple[SiteAssessmentEvidence, BinaryIO]:
    """A file on an assessment the actor may read, opened for download (audited)."""
    assessment = get_assessment(db, actor=actor, assessment_id=assessment_id)
    evidence = db.get(SiteAssessmentEvidence, evidence_id)
    if evidence is None or evidence.assessment_id != assessment.id:
        raise NotFound("evidence")
    try:
        stream = store.open(evidence.sha256)
    except FileNotFoundError:
        raise NotFound("evidence") from None
    _audit(db, actor, "read_evidence", assessment, evidence_id=evidence.id)
    return evidence, stream


def evidence_of(db: Session, assessment_id: int) -> dict[str, list[SiteAssessmentEvidence]]:
    found: dict[str, list[SiteAssessmentEvidence]] = {}
    for row in db.execute(
        select(SiteAssessmentEvidence)
        .where(SiteAssessmentEvidence.assessment_id == assessment_id)
        .order_by(SiteAssessmentEvidence.id)
    ).scalars():
        found.setdefault(row.question_key, []).append(row)
    return found


@dataclass(frozen=True)
class AssessmentView:
    """An assessment as its page shows it."""

    assessment: SiteAssessment
    site: ProtectedSite
    instrument: SiteInstrument
    definition: InstrumentDefinition
    answers: dict[str, SiteAssessmentAnswer]
    evidence: dict[str, list[SiteAssessmentEvidence]]
    scores: Scores
    findings: list[FindingRow]


def scores_of(
    assessment: SiteAssessment, definition: InstrumentDefinition, answers: dict[str, str]
) -> Scores:
    """A signed-off assessment's frozen scores; a live one's computed from its answers."""
    if assessment.status == "signed_off" and assessment.section_scores is not None:
        return Scores(
            sections=dict(assessment.section_scores),
            overall=assessment.score,
            vulnerability=assessment.vulnerability,
            answered=len(answers),
            questions=len(definition.questions()),
        )
    return score(definition, answers)


def read_assessment(db: Session, *, actor: Actor, assessment_id: int) -> AssessmentView:
    """An assessment with its answers, evidence, scores and findings (the read is audited)."""
    assessment = get_assessment(db, actor=actor, assessment_id=assessment_id)
    site = get_site(db, actor=actor, site_id=assessment.site_id)
    instrument, definition = _definition(db, assessment)
    answers = answers_of(db, assessment.id)
    values = {key: row.value for key, row in answers.items()}
    _audit(db, actor, "read", assessment)
    return AssessmentView(
        assessment=assessment,
        site=site,
        instrument=instrument,
        definition=definition,
        answers=answers,
        evidence=evidence_of(db, assessment.id),
        scores=scores_of(assessment, definition, values),
        findings=findings(definition, values),
    )


def submit_assessment(db: Session, *, actor: Actor, assessment_id: int) -> SiteAssessment:
    """Send a complete assessment for review; its answers are then fixed."""
    assessment = get_assessment(db, actor=actor, assessment_id=assessment_id, action="submit")
    _, definition = _definition(db, assessment)
    missing = [k for k in definition.questions() if k not in answers_of(db, assessment.id)]
    if missing:
        raise InvalidInput(
            {"submit": f"Answer every question first: {len(missing)} still unanswered."}
        )
    now = utcnow()
    assessment.status = "submitted"
    assessment.submitted_at = now
    assessment.updated_at = now
    db.flush()
    _audit(db, actor, "submit", assessment)
    return assessment


def review_assessment(
    db: Session, *, actor: Actor, assessment_id: int, decision: str, note: str | None = None
) -> SiteAssessment:
    """Sign off a submitted assessment (freezing its scores), or return it to its
    assessors with a note. The reviewer must not have started or answered it."""
    assessment = db.get(SiteAssessment, assessment_id)
    if assessment is not None and assessment.status != "submitted":
        get_assessment(db, actor=actor, assessment_id=assessment_id)
        raise Conflict("Only a submitted assessment is reviewed.", field="decision")
    assessment = get_assessment(db, actor=actor, assessment_id=assessment_id, action="review")
    text = (note or "").strip() or None
    errors: dict[str, str] = {}
    if decision not in ("sign_off", "return"):
        errors["decision"] = "Choose to sign off or to return the assessment."
    if text and len(text) > MAX_REVIEW_NOTE:
        errors["note"] = f"Use at most {MAX_REVIEW_NOTE:,} characters."
    if decision == "return" and not text:
        errors["note"] = "Say what needs to change."
    if errors:
        raise InvalidInput(errors)
    now = utcnow()
    assessment.reviewer_user_id = actor.user_id
    assessment.review_note = text
    assessment.updated_at = now
    if decision == "return":
        assessment.status = "in_progress"
        assessment.submitted_at = None
    else:
        _, definition = _definition(db, assessment)
        values = {k: row.value for k, row in answers_of(db, assessment.id).items()}
        scores = score(definition, values)
        assessment.status = "signed_off"
        assessment.signed_off_at = now
        assessment.score = scores.overall
        assessment.vulnerability = scores.vulnerability
        assessment.section_scores = dict(scores.sections)
    db.flush()
    _audit(db, actor, "sign_off" if decision == "sign_off" else "return", assessment)
    return assessment


def assessments_of_site(db: Session, *, actor: Actor, site_id: int) -> list[SiteAssessment]:
    """The site's assessments the actor may read, newest first."""
    site = get_site(db, actor=actor, site_id=site_id)
    return list(
        db.execute(
            select(SiteAssessment)
            .where(
                SiteAssessment.site_id == site.id,
                policy.scope(actor, "list", "site_assessment"),
            )
            .order_by(SiteAssessment.started_at.desc(), SiteAssessment.id.desc())
        ).scalars()
    )


@dataclass(frozen=True)
class HistoryColumn:
    assessment: SiteAssessment
    instrument: SiteInstrument
    definition: InstrumentDefinition
    answers: dict[str, str]


@dataclass(frozen=True)
class History:
    """A site's signed-off assessments, oldest first, section by section."""

    site: ProtectedSite
    columns: list[HistoryColumn]
    # (section key, title in English and Spanish) in the order first seen.
    sections: list[tuple[str, dict[str, str]]]


def site_history(db: Session, *, actor: Actor, site_id: int) -> History:
    """Every signed-off assessment of a site the actor may read, side by side."""
    site = get_site(db, actor=actor, site_id=site_id)
    rows = db.execute(
        select(SiteAssessment, SiteInstrument)
        .join(SiteInstrument, SiteInstrument.id == SiteAssessment.instrument_id)
        .where(
            SiteAssessment.site_id == site.id,
            SiteAssessment.status == "signed_off",
            policy.scope(actor, "list", "site_assessment"),
        )
        .order_by(SiteAssessment.signed_off_at, SiteAssessment.id)
    ).all()
    columns = []
    sections: dict[str, dict[str, str]] = {}
    for assessment, instrument in rows:
        definition = definition_of(instrument)
        for section in definition.sections:
            sections.setdefault(section.key, section.title.model_dump())
        values = {k: r.value for k, r in answers_of(db, assessment.id).items()}
        columns.append(HistoryColumn(assessment, instrument, definition, values))
    return History(site, columns, list(sections.items()))


def latest_signed_off(db: Session, *, actor: Actor, site_id: int) -> SiteAssessment | None:
    """The site's most recently signed-off assessment the actor may read."""
    return db.execute(
        select(SiteAssessment)
        .where(
            SiteAssessment.site_id == site_id,
            SiteAssessment.status == "signed_off",
            policy.scope(actor, "list", "site_assessment"),
        )
        .order_by(SiteAssessment.signed_off_at.desc(), SiteAssessment.id.desc())
        .limit(1)
    ).scalar_one_or_none()

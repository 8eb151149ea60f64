"""What a signed-off assessment's findings become: candidate mitigation measures (an
option's cost and vulnerability factor, weighed by the mitigation planner) and corrective
actions with an owner and a due date (the improvement plan's service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, NotFound
from vigil.preparedness import corrective_actions, measures
from vigil.preparedness.assessment_models import FindingMeasure, SiteAssessment, SiteInstrument
from vigil.preparedness.assessments import answers_of, get_assessment
from vigil.preparedness.improvement_models import CorrectiveAction
from vigil.preparedness.instruments import Question, definition_of
from vigil.preparedness.models import MitigationMeasure


def source_ref(assessment_id: int, question_key: str) -> str:
    """How a corrective action names the finding it came from."""
    return f"assessment {assessment_id}: {question_key}"


def _finding(
    db: Session, actor: Actor, assessment_id: int, question_key: str
) -> tuple[SiteAssessment, Question, str]:
    assessment = get_assessment(
        db, actor=actor, assessment_id=assessment_id, action="act_on_findings"
    )
    instrument = db.get(SiteInstrument, assessment.instrument_id)
    if instrument is None:
        raise NotFound("instrument")
    question = definition_of(instrument).questions().get(question_key)
    answer = answers_of(db, assessment.id).get(question_key)
    if question is None or answer is None or answer.value not in question.findings:
        raise NotFound("finding")
    return assessment, question, answer.value


def propose_measure(
    db: Session, *, actor: Actor, assessment_id: int, question_key: str, option_key: str
) -> MitigationMeasure:
    """Make an option of a finding a candidate measure at the site, at the middle of its
    cost range. The options of one finding exclude each other in a plan."""
    assessment, question, answer = _finding(db, actor, assessment_id, question_key)
    option = next((o for o in question.findings[answer].options if o.key == option_key), None)
    if option is None:
        raise NotFound("option")
    taken = db.execute(
        select(FindingMeasure.measure_id).where(
            FindingMeasure.assessment_id == assessment.id,
            FindingMeasure.question_key == question_key,
            FindingMeasure.option_key == option_key,
        )
    ).scalar_one_or_none()
    if taken is not None:
        raise Conflict(f"This option is already candidate measure #{taken}.", field="option")
    measure = measures.add_measure(
        db,
        actor=actor,
        site_id=assessment.site_id,
        name=option.text.en[:200],
        cost=option.cost_midpoint,
        vulnerability_factor=option.vulnerability_factor,
        exclusive_group=f"finding {question_key}"[:60],
    )
    db.add(
        FindingMeasure(
            assessment_id=assessment.id,
            question_key=question_key,
            option_key=option_key,
            measure_id=measure.id,
        )
    )
    db.flush()
    return measure


def raise_corrective_action(
    db: Session,
    *,
    actor: Actor,
    assessment_id: int,
    question_key: str,
    owner_user_id: int | None,
    due: date | None,
    poete: str,
    title: str | None = None,
) -> CorrectiveAction:
    """Turn a finding into a corrective action of the site's improvement plan."""
    assessment, question, answer = _finding(db, actor, assessment_id, question_key)
    return corrective_actions.create_corrective_action(
        db,
        actor=actor,
        site_id=assessment.site_id,
        title=(title or "").strip() or question.findings[answer].finding.en[:200],
        owner_user_id=owner_user_id,
        due=due,
        poete=poete,
        source_kind="finding",
        source_ref=source_ref(assessment.id, question_key),
    )


@dataclass(frozen=True)
class FindingFollowUp:
    """What has been done about each finding: measures proposed, actions raised."""

    measures: dict[tuple[str, str], int]
    actions: dict[str, list[CorrectiveAction]]


def follow_up_of(db: Session, *, actor: Actor, assessment: SiteAssessment) -> FindingFollowUp:
    """Measures proposed from the assessment's findings, and the corrective actions the
    actor may see that came from them (the caller has read the assessment)."""
    proposed = {
        (q, o): m
        for q, o, m in db.execute(
            select(
                FindingMeasure.question_key, FindingMeasure.option_key, FindingMeasure.measure_id
            ).where(FindingMeasure.assessment_id == assessment.id)
        ).all()
    }
    actions: dict[str, list[CorrectiveAction]] = {}
    if policy.decide(actor, "list", "corrective_action"):
        refs = {source_ref(assessment.id, key): key for key in answers_of(db, assessment.id)}
        found = corrective_actions.actions_for_source(
            db, actor=actor, source_kind="finding", source_refs=refs
        )
        actions = {refs[ref]: items for ref, items in found.items() if items}
    return FindingFollowUp(proposed, actions)


POETE = corrective_actions.POETE


def agency_members(db: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """Who may own a corrective action: the active members of the actor's agency."""
    return corrective_actions.agency_members(db, actor=actor)

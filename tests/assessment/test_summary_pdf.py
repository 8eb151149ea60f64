"""The case summary PDF: built from a case made through the real services, read back
with pypdf — what the reader may see is there, what they may not is not."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from tests.reports.factories import make_report
from vigil.assessment import summary_pdf
from vigil.assessment.assessments import AnswerInput, decide_risk, save_answers, start_assessment
from vigil.assessment.case_view import view_case
from vigil.assessment.cases import open_case
from vigil.assessment.models import Case, CaseReport, Instrument
from vigil.assessment.plan import (
    InterventionUpdate,
    add_intervention,
    hold_review,
    update_intervention,
)
from vigil.assessment.shares import share_case
from vigil.assessment.summary_pdf import SUBSTITUTE, render_case_pdf
from vigil.platform.actor import Actor
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.types import utcnow
from vigil.reports.models import Report

GENERATED = datetime(2026, 11, 26, 14, 5, tzinfo=UTC)
HIDDEN_NARRATIVE = "Marigold-7 saw the subject behind the gym with a rifle case."
GREEN_NARRATIVE = "Juniper-3 reported graffiti naming the school."


@dataclass
class Story:
    case: Case
    lead: Actor
    fusion_analyst: Actor
    hidden: Report  # AMBER, the owning agency's alone
    community: Report  # GREEN: every agency may read it


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture()
def story(db: Session) -> Story:
    today = utcnow().date()
    police = make_agency(db, name="Metro Police Department")
    fusion = make_agency(db, name="State Fusion Center", kind=AgencyKind.FUSION_CENTER)
    lead_user = make_user(db, agency=police, roles={Role.THREAT_ASSESSMENT})
    lead_user.display_name = "Zoë Ñúñez"
    analyst_user = make_user(db, agency=fusion, roles={Role.ANALYST})
    analyst_user.display_name = "Priya Raman"
    db.flush()
    lead, analyst = actor_for(lead_user), actor_for(analyst_user)
    hidden = make_report(
        db,
        agency=police,
        marking="AMBER",
        narrative=HIDDEN_NARRATIVE,
        mentions=[
            {
                "given_name": "Дмитрий",
                "family_name": "Ñúñez",
                "description": "Student, 16, nickname 王小明, writes محمد on his notebooks.",
            }
        ],
    )
    case = open_case(
        db,
        actor=lead,
        title="Threats against Lincoln High",
        regime="school_record",
        report_id=hidden.id,
        closure_criteria="Three months without concerning behavior and the plan carried out.",
    )
    community = make_report(
        db, agency=police, kind="sar", marking="GREEN", narrative=GREEN_NARRATIVE
    )
    db.add(CaseReport(case_id=case.id, report_id=community.id, added_at=utcnow()))
    ntac = db.execute(select(Instrument).where(Instrument.key == "ntac")).scalar_one()
    assessment = start_assessment(
        db, actor=lead, case_id=case.id, instrument_id=ntac.id, subject_id=None
    )
    answers = {
        item["key"]: AnswerInput(answer="unknown")
        for section in ntac.definition["sections"]
        for item in section["items"]
    }
    answers["access_to_weapons"] = AnswerInput(
        answer="yes",
        sources="Interview with the school resource officer",
        observed_on=today - timedelta(days=3),
        notes="Father's rifle is kept in an unlocked closet.",
    )
    answers["concerning_communications"] = AnswerInput(
        answer="yes",
        sources="Screenshots given by a classmate",
        observed_on=today - timedelta(days=5),
        notes="Posts signed «Дмитрий» say “Friday is the day”.",
    )
    save_answers(
        db, actor=lead, case_id=case.id, assessment_id=assessment.id, answers=answers, complete=True
    )
    decide_risk(
        db,
        actor=lead,
        case_id=case.id,
        level="high",
        rationale="Access to a rifle and a dated threat; the team agrees with the suggestion.",
    )
    erpo = add_intervention(
        db,
        actor=lead,
        case_id=case.id,
        kind="erpo_petition",
        description="Petition for an extreme risk protection order against the father's rifle.",
        owner_user_id=lead.user_id,
        due_on=today + timedelta(days=7),
    )
    update_intervention(
        db,
        actor=lead,
        case_id=case.id,
        intervention_id=erpo.id,
        change=InterventionUpdate(
            status="in_progress",
            erpo_status="filed",
            erpo_on=today,
            firearms_reported=3,
            firearms_relinquished=2,
            relinquished_on=today,
        ),
    )
    hold_review(
        db,
        actor=lead,
        case_id=case.id,
        held_on=today,
        summary="First review: plan on track, ERPO petition filed.",
    )
    share_case(
        db,
        actor=lead,
        case_id=case.id,
        agency_id=fusion.id,
        reason="The fusion center tracks the online posts.",
    )
    return Story(case, lead, analyst, hidden, community)


def test_shared_reader_sees_the_case_but_not_the_report_they_may_not_read(
    db: Session, story: Story
) -> None:
    view = view_case(db, actor=story.fusion_analyst, case_id=story.case.id, purpose="pdf")
    pdf = render_case_pdf(view, reader="Priya Raman", generated_at=GENERATED)
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)

    for expected in (
        f"Case {story.case.number}",
        "Threats against Lincoln High",
        "Metro Police Department",
        "School threat-assessment record (also a student education record)",
        "Threat-assessment record — handle under need-to-know",
        "Also a student education record",
        "Page 1 of",
        "generated 2026-11-26 14:05 UTC for Priya Raman",
        # risk level and its history, with the suggestion at the time
        "Risk level: High",
        "Access to a rifle and a dated threat; the team agrees with the suggestion.",
        "Decided by: Zoë Ñúñez",
        "Suggested then: High",
        "Access to weapons together with concerning communications or attack-related behaviors",
        # subjects and team
        "Ñúñez",
        "Zoë Ñúñez — Case lead, Metro Police Department",
        # the linked report they may read, and a count of the rest
        f"{story.community.receipt_number} — Suspicious-activity report",
        "1 further linked report you may not read.",
        # the assessment, item by item
        "NTAC investigative themes (version 1)",
        "Status: Complete",
        "Access to weapons: Yes, of concern",
        "Sources: Interview with the school resource officer",
        f"Observed: {(utcnow().date() - timedelta(days=3)).isoformat()}",
        "Notes: Father's rifle is kept in an unlocked closet.",
        "Motives and goals: Unknown",
        "Suggested level: High",
        # the plan, with the ERPO's steps and firearm relinquishment
        "Extreme risk protection order petition",
        "Owner: Zoë Ñúñez",
        "Status: In progress",
        "Petition: Petition filed",
        "Firearms known: 3",
        "Firearms relinquished: 2",
        # review, share and closure
        "First review: plan on track, ERPO petition filed.",
        "State Fusion Center",
        "Why: The fusion center tracks the online posts.",
        "Closure criteria: Three months without concerning behavior and the plan carried out.",
    ):
        assert expected in text, expected

    assert story.hidden.receipt_number not in text
    assert "Marigold" not in text
    # Report bodies are never in the summary, even the ones the reader may read.
    assert "Juniper" not in text


def test_scripts_the_font_cannot_print_are_substituted_visibly(db: Session, story: Story) -> None:
    view = view_case(db, actor=story.lead, case_id=story.case.id, purpose="pdf")
    text = _text(render_case_pdf(view, reader="Дмитрий Иванов", generated_at=GENERATED))

    assert SUBSTITUTE * 7 + " Ñúñez" in text  # Дмитрий Ñúñez, the subject
    assert f"nickname {SUBSTITUTE * 3}, writes {SUBSTITUTE * 4}" in text
    assert f"for {SUBSTITUTE * 7} {SUBSTITUTE * 6}" in text  # the reader, in the footer
    assert f"{SUBSTITUTE} stands for a character this PDF's font cannot print" in text
    # The owning agency's lead reads both linked reports.
    assert story.hidden.receipt_number in text
    assert "further linked report" not in text


def test_a_threat_assessment_record_is_not_marked_as_a_student_record(
    db: Session, story: Story
) -> None:
    story.case.regime = "threat_assessment"
    db.flush()
    view = view_case(db, actor=story.lead, case_id=story.case.id, purpose="pdf")
    text = _text(render_case_pdf(view, reader="Zoë Ñúñez"))

    assert "Threat-assessment record — handle under need-to-know" in text
    assert "student education record" not in text
    assert "stands for a character" in text  # the subject's name, still substituted


def test_missing_fonts_fail_clearly(
    db: Session, story: Story, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = view_case(db, actor=story.lead, case_id=story.case.id, purpose="pdf")
    monkeypatch.setattr(summary_pdf, "font_directory", lambda: tmp_path)
    summary_pdf.font_files.cache_clear()
    try:
        with pytest.raises(summary_pdf.SummaryFontMissing, match="make assets"):
            render_case_pdf(view, reader="Zoë Ñúñez")
    finally:
        summary_pdf.font_files.cache_clear()

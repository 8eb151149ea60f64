"""Vulnerability assessments on SQLite and PostgreSQL: instruments validated with the
line of each problem, answers saved one by one, scores by section, sign-off by someone
else, versions that never change past scores, markings through the policy module, and
threat raised only by the reports and cases a reader may see."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from vigil.assessment import cases
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import AuditEvent, User
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.settings import Settings
from vigil.preparedness import assessments, finding_actions, measures, site_threats, sites
from vigil.preparedness.assessment_models import SiteAssessmentAnswer, SiteInstrument
from vigil.preparedness.instruments import (
    InstrumentFileError,
    builtin_paths,
    load_instrument_file,
    parse_instrument,
    sync_instruments,
)
from vigil.preparedness.models import MitigationMeasure
from vigil.preparedness.risk import raised_threat
from vigil.preparedness.scoring import score
from vigil.reports import handling
from vigil.reports import service as reports
from vigil.reports.attachments import LocalAttachmentStore
from vigil.reports.schemas import MentionIn, ReportCreate

K12 = builtin_paths()[0]
DISPOSED = "referred_to_school"

# --- instruments ------------------------------------------------------------------------


def test_both_shipped_instruments_cover_the_ten_areas_in_english_and_spanish() -> None:
    areas = {
        "security_management",
        "perimeter",
        "access_control",
        "surveillance_detection",
        "communications",
        "lockdown_shelter",
        "emergency_plans",
        "training",
        "threat_assessment",
        "first_responders",
    }
    for path in builtin_paths():
        definition, digest = load_instrument_file(path)
        assert {s.key for s in definition.sections} == areas
        assert len(digest) == 64
        for question in definition.questions().values():
            assert question.text.en and question.text.es and question.text.en != question.text.es
            for finding in question.findings.values():
                for option in finding.options:
                    assert 0 <= option.cost[0] <= option.cost[1]
                    assert 0 < option.vulnerability_factor <= 1


def _k12_text() -> str:
    return K12.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "line_of", "reason"),
    [
        # A Spanish text left out: the line of the text mapping.
        (
            lambda t: t.replace("  es: Autoevaluación de seguridad escolar (K-12)\n", "", 1),
            "title:",
            "es",
        ),
        # A finding for an answer its scale does not offer.
        (
            lambda t: t.replace("          partial:\n", "          maybe:\n", 1),
            "maybe:",
            "maybe",
        ),
        # A vulnerability factor above 1.
        (
            lambda t: t.replace("vulnerability_factor: 0.97", "vulnerability_factor: 1.5", 1),
            "vulnerability_factor: 1.5",
            "less than or equal to 1",
        ),
        # A cost range given highest first.
        (
            lambda t: t.replace("cost: [0, 5000]", "cost: [5000, 0]", 1),
            "cost: [5000, 0]",
            "lowest first",
        ),
        # An unknown field.
        (
            lambda t: t.replace("weight: 2\n", "weight: 2\n        colour: red\n", 1),
            "colour: red",
            "Extra",
        ),
        # YAML that does not parse.
        (lambda t: t.replace("key: k12_school", "key: [k12_school", 1), None, ""),
        # A key given twice (YAML would keep the last silently).
        (lambda t: t.replace("version: 1\n", "version: 1\nversion: 2\n", 1), "version: 2", "twice"),
        # NaN is a number to YAML, never to an instrument.
        (
            lambda t: t.replace("vulnerability_floor: 0.1", "vulnerability_floor: .nan", 1),
            "vulnerability_floor",
            "finite",
        ),
    ],
)
def test_a_bad_instrument_file_is_refused_with_its_line_and_reason(
    change: Any, line_of: str | None, reason: str
) -> None:
    text = change(_k12_text())
    assert text != _k12_text()
    with pytest.raises(InstrumentFileError) as refused:
        parse_instrument(text, "k12_school.yaml")
    error = refused.value
    assert error.file == "k12_school.yaml"
    assert error.line is not None and error.line >= 1
    assert reason in error.reason
    assert str(error).startswith(f"k12_school.yaml, line {error.line}: ")
    if line_of is not None:
        lines = text.splitlines()
        expected = next(n for n, line in enumerate(lines, 1) if line_of in line)
        if line_of == "title:":
            assert error.line > expected  # somewhere inside that block
        else:
            assert error.line == expected


def test_a_file_that_is_not_a_mapping_or_not_utf8_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InstrumentFileError, match="line 1: an instrument is a mapping"):
        parse_instrument("- just\n- a list\n", "list.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_bytes(b"key: x\ntitle: \xff\n")
    with pytest.raises(InstrumentFileError) as refused:
        load_instrument_file(broken)
    assert refused.value.line == 2 and "UTF-8" in refused.value.reason


def test_an_edited_version_is_refused_and_a_new_version_is_stored(
    db: Session, tmp_path: Path
) -> None:
    sync_instruments(db)
    edited = tmp_path / "k12_school.yaml"
    edited.write_text(_k12_text().replace("weight: 3", "weight: 1"), encoding="utf-8")
    with pytest.raises(InstrumentFileError, match="new version number"):
        sync_instruments(db, [edited])
    edited.write_text(
        _k12_text().replace("weight: 3", "weight: 1").replace("version: 1", "version: 2", 1),
        encoding="utf-8",
    )
    assert sync_instruments(db, [edited]).added == ["k12_school v2"]
    assert sync_instruments(db, [edited]).unchanged == ["k12_school v2"]
    versions = db.execute(
        select(SiteInstrument.version).where(SiteInstrument.key == "k12_school")
    ).scalars()
    assert sorted(versions) == [1, 2]


# --- assessments ------------------------------------------------------------------------


class World:
    def __init__(self, db: Session) -> None:
        self.db = db
        self.district = make_agency(db, kind=AgencyKind.SCHOOL_OR_CAMPUS)
        self.police = make_agency(db)
        self.assessor = make_user(db, agency=self.district, roles={Role.THREAT_ASSESSMENT})
        self.supervisor = make_user(db, agency=self.district, roles={Role.SUPERVISOR})
        self.analyst = make_user(db, agency=self.district, roles={Role.ANALYST})
        self.outsider = make_user(db, agency=self.police, roles={Role.SUPERVISOR, Role.ANALYST})
        self.site = sites.register_site(
            db,
            actor=self.act(self.assessor),
            data=sites.SiteInput(
                name="Lincoln High School",
                kind="k12_school",
                address="1 School Lane",
                capacity=1000,
                threat=0.1,
                vulnerability=0.5,
            ),
        )

    def act(self, user: User) -> Any:
        return actor_for(user)

    def start(self, user: User | None = None, **kwargs: Any) -> int:
        assessment = assessments.start_assessment(
            self.db,
            actor=self.act(user or self.assessor),
            site_id=self.site.id,
            instrument_key="k12_school",
            **kwargs,
        )
        return assessment.id

    def answer_all(self, assessment_id: int, value: str, user: User | None = None) -> None:
        view = assessments.read_assessment(
            self.db, actor=self.act(user or self.assessor), assessment_id=assessment_id
        )
        for key, question in view.definition.questions().items():
            choice = value if question.scale == "in_place" else "never"
            if value == "in_place" and question.scale != "in_place":
                choice = "within_year"
            assessments.save_answer(
                self.db,
                actor=self.act(user or self.assessor),
                assessment_id=assessment_id,
                question_key=key,
                value=choice,
            )

    def sign_off(self, assessment_id: int) -> None:
        assessments.submit_assessment(
            self.db, actor=self.act(self.assessor), assessment_id=assessment_id
        )
        assessments.review_assessment(
            self.db,
            actor=self.act(self.supervisor),
            assessment_id=assessment_id,
            decision="sign_off",
        )


@pytest.fixture()
def world(db: Session) -> World:
    return World(db)


def test_answers_are_saved_one_by_one_and_the_last_one_counts(world: World) -> None:
    db = world.db
    assessment_id = world.start(language="es")
    actor = world.act(world.assessor)
    assessments.save_answer(
        db, actor=actor, assessment_id=assessment_id, question_key="single_entry", value="absent"
    )
    assessments.save_answer(
        db,
        actor=actor,
        assessment_id=assessment_id,
        question_key="single_entry",
        value="partial",
        note="Vestibule planned for summer.",
    )
    rows = (
        db.execute(
            select(SiteAssessmentAnswer).where(SiteAssessmentAnswer.assessment_id == assessment_id)
        )
        .scalars()
        .all()
    )
    assert [(r.question_key, r.value, r.note) for r in rows] == [
        ("single_entry", "partial", "Vestibule planned for summer.")
    ]
    view = assessments.read_assessment(db, actor=actor, assessment_id=assessment_id)
    assert view.assessment.language == "es"
    assert view.scores.answered == 1 and view.scores.sections["access_control"] == 0.5
    # Bad answers are refused with a reason and change nothing.
    with pytest.raises(InvalidInput) as refused:
        assessments.save_answer(
            db, actor=actor, assessment_id=assessment_id, question_key="single_entry", value="yes"
        )
    assert "answer" in refused.value.errors
    with pytest.raises(InvalidInput):
        assessments.save_answer(
            db,
            actor=actor,
            assessment_id=assessment_id,
            question_key="single_entry",
            value="absent",
            note="x" * 2001,
        )
    with pytest.raises(NotFound):
        assessments.save_answer(
            db, actor=actor, assessment_id=assessment_id, question_key="nope", value="absent"
        )
    assert answers_value(db, assessment_id, "single_entry") == "partial"
    audit = (
        db.execute(select(AuditEvent.details).where(AuditEvent.action == "site_assessment.answer"))
        .scalars()
        .all()
    )
    assert all("Vestibule" not in str(details) for details in audit)


def answers_value(db: Session, assessment_id: int, key: str) -> str:
    return db.execute(
        select(SiteAssessmentAnswer.value).where(
            SiteAssessmentAnswer.assessment_id == assessment_id,
            SiteAssessmentAnswer.question_key == key,
        )
    ).scalar_one()


def test_scores_by_section_weigh_questions_and_leave_out_what_does_not_apply() -> None:
    definition, _ = load_instrument_file(K12)
    answers = {
        "single_entry": "in_place",  # weight 3
        "exterior_doors_locked": "absent",  # weight 2
        "perimeter_defined": "not_applicable",
    }
    result = score(definition, answers)
    assert result.sections["access_control"] == pytest.approx(3 / 5)
    assert result.sections["perimeter"] is None
    assert result.sections["training"] is None
    assert result.overall == pytest.approx(3 / 5)
    assert result.vulnerability == pytest.approx(0.1 + 0.9 * (1 - 3 / 5))
    everything = {k: "in_place" for k, q in definition.questions().items() if q.scale == "in_place"}
    everything |= {
        k: "within_year" for k, q in definition.questions().items() if q.scale != "in_place"
    }
    assert score(definition, everything).vulnerability == pytest.approx(0.1)


def test_sign_off_needs_a_complete_assessment_and_a_reviewer_who_did_not_assess(
    world: World,
) -> None:
    db = world.db
    assessment_id = world.start()
    with pytest.raises(InvalidInput, match="unanswered"):
        assessments.submit_assessment(
            db, actor=world.act(world.assessor), assessment_id=assessment_id
        )
    world.answer_all(assessment_id, "partial")
    # The supervisor answers one question: they become an assessor, and may not sign off.
    assessments.save_answer(
        db,
        actor=world.act(world.supervisor),
        assessment_id=assessment_id,
        question_key="bta_team",
        value="absent",
    )
    assessments.submit_assessment(db, actor=world.act(world.assessor), assessment_id=assessment_id)
    with pytest.raises(PermissionDenied):  # answers are fixed once submitted
        assessments.save_answer(
            db,
            actor=world.act(world.assessor),
            assessment_id=assessment_id,
            question_key="bta_team",
            value="in_place",
        )
    for reviewer in (world.supervisor, world.assessor, world.analyst):
        with pytest.raises(PermissionDenied):
            assessments.review_assessment(
                db, actor=world.act(reviewer), assessment_id=assessment_id, decision="sign_off"
            )
    other_supervisor = make_user(db, agency=world.district, roles={Role.SUPERVISOR})
    with pytest.raises(InvalidInput, match="Say what needs to change"):
        assessments.review_assessment(
            db, actor=world.act(other_supervisor), assessment_id=assessment_id, decision="return"
        )
    assessments.review_assessment(
        db,
        actor=world.act(other_supervisor),
        assessment_id=assessment_id,
        decision="sign_off",
    )
    signed = assessments.get_assessment(
        db, actor=world.act(world.assessor), assessment_id=assessment_id
    )
    assert signed.status == "signed_off" and signed.reviewer_user_id == other_supervisor.id
    assert signed.section_scores is not None and signed.section_scores["threat_assessment"] == 0.0
    with pytest.raises(Conflict):
        assessments.review_assessment(
            db, actor=world.act(other_supervisor), assessment_id=assessment_id, decision="sign_off"
        )
    # The site's risk now takes its vulnerability from the assessment.
    _, risk = sites.read_site(db, actor=world.act(world.analyst), site_id=world.site.id)
    assert risk.assessment_id == assessment_id
    assert risk.vulnerability.value == pytest.approx(signed.vulnerability)
    assert risk.vulnerability.value != 0.5


def test_a_returned_assessment_can_be_answered_again(world: World) -> None:
    db = world.db
    assessment_id = world.start()
    world.answer_all(assessment_id, "absent")
    assessments.submit_assessment(db, actor=world.act(world.assessor), assessment_id=assessment_id)
    assessments.review_assessment(
        db,
        actor=world.act(world.supervisor),
        assessment_id=assessment_id,
        decision="return",
        note="Photos of the doors, please.",
    )
    returned = assessments.save_answer(
        db,
        actor=world.act(world.assessor),
        assessment_id=assessment_id,
        question_key="single_entry",
        value="partial",
    )
    assert returned.value == "partial"


def test_a_new_instrument_version_never_changes_a_past_score(world: World, tmp_path: Path) -> None:
    db = world.db
    first = world.start()
    world.answer_all(first, "partial")
    world.sign_off(first)
    before = assessments.read_assessment(db, actor=world.act(world.analyst), assessment_id=first)
    # Version 2 scores "partly in place" as nothing, and drops a question.
    v2 = tmp_path / "k12_school.yaml"
    text = _k12_text().replace("version: 1", "version: 2", 1).replace("points: 0.5", "points: 0.0")
    v2.write_text(text, encoding="utf-8")
    sync_instruments(db, [v2])
    after = assessments.read_assessment(db, actor=world.act(world.analyst), assessment_id=first)
    assert after.instrument.version == 1
    assert after.scores.sections == before.scores.sections
    assert after.scores.vulnerability == before.scores.vulnerability
    # A new assessment takes version 2, and the history shows both side by side.
    second = world.start()
    view = assessments.read_assessment(db, actor=world.act(world.assessor), assessment_id=second)
    assert view.instrument.version == 2
    world.answer_all(second, "partial")
    world.sign_off(second)
    history = assessments.site_history(db, actor=world.act(world.analyst), site_id=world.site.id)
    assert [c.instrument.version for c in history.columns] == [1, 2]
    assert history.columns[0].assessment.score == pytest.approx(before.scores.overall)
    assert before.scores.overall is not None and before.scores.overall > 0.4
    assert history.columns[1].assessment.score == pytest.approx(0.0)


def test_another_agency_neither_reads_nor_answers_an_amber_assessment(world: World) -> None:
    db = world.db
    assessment_id = world.start()
    assessment = assessments.get_assessment(
        db, actor=world.act(world.assessor), assessment_id=assessment_id
    )
    assert assessment.marking == "AMBER"
    outsider = world.act(world.outsider)
    with pytest.raises(NotFound):
        assessments.read_assessment(db, actor=outsider, assessment_id=assessment_id)
    with pytest.raises(NotFound):
        assessments.save_answer(
            db,
            actor=outsider,
            assessment_id=assessment_id,
            question_key="single_entry",
            value="absent",
        )
    with pytest.raises(NotFound):
        assessments.start_assessment(
            db, actor=outsider, site_id=world.site.id, instrument_key="k12_school"
        )
    clerk = make_user(db, agency=world.district)  # no role
    with pytest.raises(NotFound):
        assessments.read_assessment(db, actor=world.act(clerk), assessment_id=assessment_id)
    # Even when the site is shared (TLP:GREEN), an AMBER assessment stays the district's.
    sites.update_site(
        db,
        actor=world.act(world.assessor),
        site_id=world.site.id,
        data=sites.SiteInput(
            name="Lincoln High School",
            kind="k12_school",
            marking="GREEN",
            address="1 School Lane",
            capacity=1000,
            threat=0.1,
            vulnerability=0.5,
        ),
    )
    assert assessments.assessments_of_site(db, actor=outsider, site_id=world.site.id) == []
    with pytest.raises(NotFound):
        assessments.read_assessment(db, actor=outsider, assessment_id=assessment_id)
    world.answer_all(assessment_id, "in_place")
    world.sign_off(assessment_id)
    # The outsider's register keeps the analyst's baseline; the district's uses the assessment.
    theirs = sites.risk_register(db, actor=outsider).rows[0].risk
    ours = sites.risk_register(db, actor=world.act(world.analyst)).rows[0].risk
    assert theirs.vulnerability.value == 0.5 and theirs.assessment_id is None
    assert ours.vulnerability.value == pytest.approx(0.1) and ours.assessment_id == assessment_id
    with pytest.raises(InvalidInput):
        assessments.start_assessment(
            db,
            actor=world.act(world.assessor),
            site_id=world.site.id,
            instrument_key="no_such_instrument",
            language="fr",
        )


def test_evidence_is_checked_stored_and_read_back(world: World, tmp_path: Path) -> None:
    db = world.db
    store = LocalAttachmentStore(tmp_path, max_bytes=1024)
    assessment_id = world.start()
    actor = world.act(world.assessor)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    evidence = assessments.add_evidence(
        db,
        actor=actor,
        store=store,
        assessment_id=assessment_id,
        question_key="classroom_locks",
        stream=io.BytesIO(png),
        filename="door.png",
    )
    assert evidence.media_type == "image/png" and evidence.filename == "door.png"
    found, stream = assessments.open_evidence(
        db, actor=actor, store=store, assessment_id=assessment_id, evidence_id=evidence.id
    )
    assert found.id == evidence.id
    with stream:
        assert stream.read() == png
    for data, message in ((b"x" * 2000, "limit"), (b"PK\x03\x04" + b"\x00" * 40, "not accepted")):
        with pytest.raises(InvalidInput, match=message):
            assessments.add_evidence(
                db,
                actor=actor,
                store=store,
                assessment_id=assessment_id,
                question_key="classroom_locks",
                stream=io.BytesIO(data),
                filename="bad.zip",
            )
    with pytest.raises(NotFound):
        assessments.open_evidence(
            db,
            actor=world.act(world.outsider),
            store=store,
            assessment_id=assessment_id,
            evidence_id=evidence.id,
        )


def test_findings_become_candidate_measures_for_the_planner(world: World) -> None:
    db = world.db
    assessment_id = world.start()
    world.answer_all(assessment_id, "absent")
    actor = world.act(world.assessor)
    with pytest.raises(PermissionDenied):  # not before sign-off
        finding_actions.propose_measure(
            db,
            actor=actor,
            assessment_id=assessment_id,
            question_key="single_entry",
            option_key="secure_vestibule",
        )
    world.sign_off(assessment_id)
    measure = finding_actions.propose_measure(
        db,
        actor=actor,
        assessment_id=assessment_id,
        question_key="single_entry",
        option_key="secure_vestibule",
    )
    other = finding_actions.propose_measure(
        db,
        actor=actor,
        assessment_id=assessment_id,
        question_key="single_entry",
        option_key="buzz_in_basic",
    )
    assert measure.cost == 87_500 and measure.vulnerability_factor == 0.75
    assert measure.exclusive_group == other.exclusive_group == "finding single_entry"
    with pytest.raises(Conflict):
        finding_actions.propose_measure(
            db,
            actor=actor,
            assessment_id=assessment_id,
            question_key="single_entry",
            option_key="secure_vestibule",
        )
    with pytest.raises(NotFound):
        finding_actions.propose_measure(
            db,
            actor=actor,
            assessment_id=assessment_id,
            question_key="single_entry",
            option_key="buzz_in",  # an option of the "partial" finding, not this one
        )
    # The planner weighs them against the assessed vulnerability, never both at once.
    view = measures.plan_mitigation(db, actor=actor, budget=100_000, curve=False)
    signed = assessments.latest_signed_off(db, actor=actor, site_id=world.site.id)
    assert signed is not None and signed.vulnerability == pytest.approx(1.0)
    assert view.plan.risk_before == pytest.approx(0.1 * 1.0 * 1000)
    chosen = {c.measure.id for c in view.chosen}
    assert not {measure.id, other.id} <= chosen
    count = db.execute(select(func.count()).select_from(MitigationMeasure)).scalar_one()
    assert count == 2


# --- threats ----------------------------------------------------------------------------


def _report(db: Session, settings: Settings, user: User, marking: str = "AMBER") -> int:
    report, _ = reports.create_report(
        db,
        actor=actor_for(user),
        settings=settings,
        data=ReportCreate(
            narrative="He said he would shoot up Lincoln High.",
            marking=marking,
            mentions=[MentionIn(given_name="Jordan", family_name="Quill")],
        ),
    )
    db.flush()
    return report.id


def test_threat_is_raised_only_by_open_reports_and_cases_the_reader_may_see(
    world: World, settings: Settings
) -> None:
    db = world.db
    analyst = world.act(world.analyst)
    # Another agency files an AMBER report the district cannot see, and a GREEN one.
    police_analyst = make_user(db, agency=world.police, roles={Role.ANALYST})
    hidden = _report(db, settings, police_analyst, "AMBER")
    shared = _report(db, settings, police_analyst, "GREEN")
    own = _report(db, settings, world.analyst)
    with pytest.raises(InvalidInput):  # one cannot link what one cannot read
        site_threats.link_threat(db, actor=analyst, site_id=world.site.id, report_id=hidden)
    # The police analyst cannot link to the district's AMBER site either.
    with pytest.raises(NotFound):
        site_threats.link_threat(
            db, actor=actor_for(police_analyst), site_id=world.site.id, report_id=hidden
        )
    site_threats.link_threat(db, actor=analyst, site_id=world.site.id, report_id=shared)
    site_threats.link_threat(db, actor=analyst, site_id=world.site.id, report_id=own)
    with pytest.raises(Conflict):
        site_threats.link_threat(db, actor=analyst, site_id=world.site.id, report_id=own)
    case = cases.open_case(
        db, actor=world.act(world.assessor), title="Lincoln threat", report_id=own
    )
    site_threats.link_threat(
        db, actor=world.act(world.assessor), site_id=world.site.id, case_id=case.id
    )
    # A link to the hidden report made by someone who could read it (here: stored
    # directly, as after the report's marking changed) is neither counted nor shown.
    from vigil.preparedness.assessment_models import SiteThreat

    db.add(SiteThreat(site_id=world.site.id, report_id=hidden))
    db.flush()
    _, risk = sites.read_site(db, actor=analyst, site_id=world.site.id)
    # The analyst is not on the case team: the case is not theirs to see.
    assert (risk.open_reports, risk.open_cases) == (2, 0)
    assert risk.threat.value == pytest.approx(raised_threat(0.1, 2, 0))
    assert risk.threat.value == pytest.approx(1 - 0.9 * 0.8**2)
    assert "2 open reports" in risk.threat.source
    labels = [
        row.label for row in site_threats.threats_of(db, actor=analyst, site_id=world.site.id)
    ]
    assert len(labels) == 2 and all(label.startswith("Report ") for label in labels)
    _, lead_risk = sites.read_site(db, actor=world.act(world.assessor), site_id=world.site.id)
    assert (lead_risk.open_reports, lead_risk.open_cases) == (2, 1)
    register = sites.risk_register(db, actor=world.act(world.assessor))
    assert register.rows[0].risk.threat.value == pytest.approx(raised_threat(0.1, 2, 1))
    assert register.total_risk == pytest.approx(raised_threat(0.1, 2, 1) * 0.5 * 1000)
    # A report disposed of no longer raises the threat.
    handling.dispose_report(
        db, actor=analyst, report_id=own, disposition=DISPOSED, outcome="Checked: a rumour."
    )
    _, risk = sites.read_site(db, actor=analyst, site_id=world.site.id)
    assert (risk.open_reports, risk.open_cases) == (1, 0)


def test_a_finding_becomes_a_corrective_action_with_an_owner_and_a_due_date(
    world: World,
) -> None:
    db = world.db
    assessment_id = world.start()
    world.answer_all(assessment_id, "absent")
    world.sign_off(assessment_id)
    actor = world.act(world.assessor)
    due = date.today() + timedelta(days=60)
    with pytest.raises(InvalidInput) as refused:
        finding_actions.raise_corrective_action(
            db,
            actor=actor,
            assessment_id=assessment_id,
            question_key="classroom_locks",
            owner_user_id=None,
            due=None,
            poete="gadgets",
        )
    assert {"owner_user_id", "poete"} <= set(refused.value.errors)
    action = finding_actions.raise_corrective_action(
        db,
        actor=actor,
        assessment_id=assessment_id,
        question_key="classroom_locks",
        owner_user_id=world.analyst.id,
        due=due,
        poete="equipment",
    )
    assert action.title == "Classrooms cannot be locked from the inside."
    assert action.site_id == world.site.id and action.owner_user_id == world.analyst.id
    assert action.source_kind == "finding"
    assert action.source_ref == f"assessment {assessment_id}: classroom_locks"
    assessment = assessments.get_assessment(db, actor=actor, assessment_id=assessment_id)
    follow_up = finding_actions.follow_up_of(db, actor=actor, assessment=assessment)
    assert [a.id for a in follow_up.actions["classroom_locks"]] == [action.id]
    # A question the instrument does not have has no finding to act on.
    with pytest.raises(NotFound):
        finding_actions.raise_corrective_action(
            db,
            actor=actor,
            assessment_id=assessment_id,
            question_key="no_such_question",
            owner_user_id=world.analyst.id,
            due=due,
            poete="planning",
        )

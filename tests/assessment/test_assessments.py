"""Structured professional judgment, risk decisions, the management plan, reviews and
the dashboard, through their services on both databases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.assessment.case_factories import Staff, make_staff, open_case
from tests.reports.factories import make_report
from vigil.assessment import assessments as assessing
from vigil.assessment import cases, plan
from vigil.assessment.dashboard import dashboard
from vigil.assessment.models import Instrument
from vigil.assessment.plan import InterventionUpdate
from vigil.platform.errors import Conflict, InvalidInput
from vigil.platform.policy import PermissionDenied
from vigil.platform.types import utcnow

A = assessing.AnswerInput
TODAY = utcnow().date()


@pytest.fixture()
def staff(db) -> Staff:
    return make_staff(db)


def _instrument(db, key: str) -> Instrument:
    return db.execute(select(Instrument).where(Instrument.key == key)).scalar_one()


def _start(db, staff, case, key):
    return assessing.start_assessment(
        db,
        actor=staff.actor(staff.lead),
        case_id=case.id,
        instrument_id=_instrument(db, key).id,
        subject_id=cases.subjects(db, case)[0].id,
    )


def _all_answers(db, key: str, answer: str) -> dict[str, assessing.AnswerInput]:
    definition = _instrument(db, key).definition
    return {
        item["key"]: A(answer=answer, sources="Counselor interview", observed_on=TODAY)
        for section in definition["sections"]
        for item in section["items"]
    }


def test_a_draft_keeps_what_was_typed_even_when_some_of_it_is_wrong(db, staff):
    case = open_case(db, staff)
    draft = _start(db, staff, case, "trap18")
    result = assessing.save_answers(
        db,
        actor=staff.actor(staff.lead),
        case_id=case.id,
        assessment_id=draft.id,
        answers={
            "fixation": A(answer="present", sources="Notebook", notes="Half-typed thoughts"),
            "leakage": A(answer="maybe", sources="Told a friend", observed_on=date(2090, 1, 1)),
            "no_such_item": A(answer="present"),
        },
    )
    assert set(result.errors) == {"leakage.answer", "leakage.observed_on", "no_such_item"}
    stored = assessing.answers_of(db, draft.id)
    assert stored["fixation"].notes == "Half-typed thoughts"
    assert stored["leakage"].sources == "Told a friend"  # kept
    assert stored["leakage"].answer is None and stored["leakage"].observed_on is None
    assert "no_such_item" not in stored
    assert draft.status == "draft"


def test_completing_needs_every_answer_with_sources_and_date(db, staff):
    case = open_case(db, staff)
    lead = staff.actor(staff.lead)
    draft = _start(db, staff, case, "trap18")
    answers = _all_answers(db, "trap18", "absent")
    answers["fixation"] = A(answer="present")  # no source, no date
    del answers["leakage"]
    with pytest.raises(InvalidInput) as problem:
        assessing.save_answers(
            db, actor=lead, case_id=case.id, assessment_id=draft.id, answers=answers, complete=True
        )
    assert set(problem.value.errors) == {"fixation.sources", "leakage.answer"}
    assert draft.status == "draft" and assessing.answers_of(db, draft.id)["pathway"].answer
    assessing.save_answers(
        db,
        actor=lead,
        case_id=case.id,
        assessment_id=draft.id,
        answers={
            "fixation": A(answer="present", sources="Notebook", observed_on=TODAY),
            "leakage": A(answer="unknown"),  # unknown needs no source
        },
        complete=True,
    )
    assert draft.status == "final" and draft.completed_at is not None
    assert case.first_assessed_at == draft.completed_at
    with pytest.raises(Conflict):
        assessing.save_answers(
            db, actor=lead, case_id=case.id, assessment_id=draft.id, answers={}, complete=False
        )


def _complete(db, staff, case, key, answers):
    draft = _start(db, staff, case, key)
    assessing.save_answers(
        db,
        actor=staff.actor(staff.lead),
        case_id=case.id,
        assessment_id=draft.id,
        answers=answers,
        complete=True,
    )
    return draft


def test_the_suggestion_follows_the_displayed_rules_and_ignores_drafts(db, staff):
    case = open_case(db, staff)
    assert assessing.case_suggestion(db, case).level is None
    answers = _all_answers(db, "trap18", "absent")
    _complete(db, staff, case, "trap18", answers)
    suggestion = assessing.case_suggestion(db, case)
    assert suggestion.level == "low" and suggestion.fired == ()
    answers.update(
        fixation=A(answer="present", sources="Posts", observed_on=TODAY),
        leakage=A(answer="present", sources="Friend", observed_on=TODAY),
    )
    _complete(db, staff, case, "trap18", answers)
    suggestion = assessing.case_suggestion(db, case)
    assert suggestion.level == "high"
    assert {r.text for r in suggestion.fired} == {
        "Two or more proximal warning behaviors present",
        "A proximal warning behavior present",
    }
    assert set(suggestion.fired[0].items) == {"Fixation", "Leakage"}
    # A draft of the pathway at "attack" is not evidence until it is complete.
    draft = _start(db, staff, case, "pathway")
    assessing.save_answers(
        db,
        actor=staff.actor(staff.lead),
        case_id=case.id,
        assessment_id=draft.id,
        answers={"stage": A(answer="breach", sources="Police report", observed_on=TODAY)},
    )
    assert assessing.case_suggestion(db, case).level == "high"
    assessing.save_answers(
        db,
        actor=staff.actor(staff.lead),
        case_id=case.id,
        assessment_id=draft.id,
        answers={},
        complete=True,
    )
    assert assessing.case_suggestion(db, case).level == "imminent"


def test_the_risk_level_is_the_teams_decision_with_history(db, staff):
    case = open_case(db, staff)
    lead = staff.actor(staff.lead)
    with pytest.raises(InvalidInput) as problem:
        assessing.decide_risk(db, actor=lead, case_id=case.id, level="severe", rationale="short")
    assert set(problem.value.errors) == {"level", "rationale"}
    _complete(
        db,
        staff,
        case,
        "pathway",
        {"stage": A(answer="ideation", sources="Essay", observed_on=TODAY)},
    )
    first = assessing.decide_risk(
        db,
        actor=lead,
        case_id=case.id,
        level="high",
        rationale="Ideation plus a new interest in the 1999 attack; higher than suggested.",
    )
    assert first.suggested_level == "moderate" and first.suggestion[0]["text"] == "Violent ideation"
    assessing.decide_risk(
        db,
        actor=staff.actor(staff.supervisor),
        case_id=case.id,
        level="moderate",
        rationale="After the family meeting the team agrees on moderate.",
    )
    assert case.risk_level == "moderate"
    assert [d.level for d in assessing.risk_history(db, case)] == ["moderate", "high"]
    cases.add_member(db, actor=lead, case_id=case.id, username=staff.analyst.username)
    with pytest.raises(PermissionDenied):  # an analyst on the team works but does not decide
        assessing.decide_risk(
            db,
            actor=staff.actor(staff.analyst),
            case_id=case.id,
            level="low",
            rationale="An analyst may not decide the level of risk.",
        )


def test_an_erpo_petition_goes_through_the_courts_steps(db, staff):
    case = open_case(db, staff)
    lead = staff.actor(staff.lead)
    petition = plan.add_intervention(
        db,
        actor=lead,
        case_id=case.id,
        kind="erpo_petition",
        description="Petition for an extreme risk protection order",
        owner_user_id=staff.lead.id,
        due_on=TODAY + timedelta(days=3),
    )

    def update(**change):
        return plan.update_intervention(
            db,
            actor=lead,
            case_id=case.id,
            intervention_id=petition.id,
            change=InterventionUpdate(**change),
        )

    with pytest.raises(InvalidInput) as problem:
        update(erpo_status="granted", erpo_on=TODAY)
    assert "cannot become order granted" in problem.value.errors["erpo_status"]
    with pytest.raises(InvalidInput) as problem:
        update(erpo_status="filed", erpo_on=TODAY + timedelta(days=1))
    assert "erpo_on" in problem.value.errors
    update(erpo_status="filed", erpo_on=TODAY - timedelta(days=5), firearms_reported=3)
    with pytest.raises(InvalidInput):
        update(erpo_status="granted", erpo_on=TODAY - timedelta(days=6))  # before filing
    update(
        erpo_status="granted",
        erpo_on=TODAY - timedelta(days=2),
        erpo_expires_on=TODAY + timedelta(days=363),
        status="in_progress",
    )
    with pytest.raises(InvalidInput) as problem:
        update(firearms_relinquished=4)
    assert "firearms_relinquished" in problem.value.errors
    update(firearms_relinquished=3, relinquished_on=TODAY - timedelta(days=1))
    with pytest.raises(InvalidInput) as problem:
        update(status="done")
    assert "outcome" in problem.value.errors
    update(status="done", outcome="Order granted; all three firearms relinquished.")
    assert (petition.erpo_status, petition.firearms_relinquished, petition.status) == (
        "granted",
        3,
        "done",
    )
    with pytest.raises(InvalidInput):
        update(status="planned")  # a finished intervention stays finished


def test_an_impossible_court_step_says_where_the_petition_is_and_what_may_follow(db, staff):
    case = open_case(db, staff)
    lead = staff.actor(staff.lead)
    petition = plan.add_intervention(
        db,
        actor=lead,
        case_id=case.id,
        kind="erpo_petition",
        description="Petition for an extreme risk protection order",
        owner_user_id=staff.lead.id,
        due_on=TODAY + timedelta(days=3),
    )

    def refused(step: str) -> str:
        with pytest.raises(InvalidInput) as problem:
            plan.update_intervention(
                db,
                actor=lead,
                case_id=case.id,
                intervention_id=petition.id,
                change=InterventionUpdate(erpo_status=step, erpo_on=TODAY),
            )
        return problem.value.errors["erpo_status"]

    assert refused("expired") == (
        "The petition is not filed yet: it cannot become order expired next; "
        "only petition filed can come next."
    )
    plan.update_intervention(
        db,
        actor=lead,
        case_id=case.id,
        intervention_id=petition.id,
        change=InterventionUpdate(erpo_status="filed", erpo_on=TODAY),
    )
    assert refused("expired") == (
        "The petition's last step is “petition filed”: it cannot become order expired "
        "next; only order granted or petition denied can come next."
    )


def test_interventions_are_checked_and_overdue_ones_show(db, staff):
    case = open_case(db, staff)
    lead = staff.actor(staff.lead)
    with pytest.raises(InvalidInput) as problem:
        plan.add_intervention(
            db,
            actor=lead,
            case_id=case.id,
            kind="detention",
            description="x",
            owner_user_id=staff.officer.id,  # not on the team
            due_on=None,
        )
    assert set(problem.value.errors) == {"kind", "description", "owner_user_id", "due_on"}
    late = plan.add_intervention(
        db,
        actor=lead,
        case_id=case.id,
        kind="mental_health_referral",
        description="Referral to the county crisis team",
        owner_user_id=staff.lead.id,
        due_on=TODAY - timedelta(days=2),
    )
    assert plan.is_overdue(late, TODAY) and not plan.is_overdue(late, TODAY - timedelta(days=2))
    with pytest.raises(InvalidInput) as problem:
        plan.update_intervention(
            db,
            actor=lead,
            case_id=case.id,
            intervention_id=late.id,
            change=InterventionUpdate(firearms_reported=1),
        )
    assert "erpo_status" in problem.value.errors
    board = dashboard(db, actor=lead, today=TODAY)
    assert board.overdue_count == 1 and board.overdue[0].intervention_id == late.id


def test_reviews_schedule_the_next_one(db, staff):
    case = open_case(db, staff, review_interval_days=14)
    lead = staff.actor(staff.lead)
    with pytest.raises(InvalidInput) as problem:
        plan.hold_review(
            db, actor=lead, case_id=case.id, held_on=TODAY + timedelta(days=1), summary="no"
        )
    assert set(problem.value.errors) == {"held_on", "summary"}
    review = plan.hold_review(
        db, actor=lead, case_id=case.id, held_on=TODAY, summary="Plan on track; keep monitoring."
    )
    assert review.due_on == TODAY + timedelta(days=14)
    assert case.next_review_on == TODAY + timedelta(days=14)


def test_the_dashboard_counts_only_visible_cases(db, staff):
    mine = open_case(db, staff)
    theirs = cases.open_case(
        db,
        actor=staff.actor(staff.officer),
        title="Police case",
        report_id=make_report(db, agency=staff.police, mentions=[{"given_name": "Al"}]).id,
    )
    for case, user in ((mine, staff.lead), (theirs, staff.officer)):
        assessing.decide_risk(
            db,
            actor=staff.actor(user),
            case_id=case.id,
            level="high",
            rationale="Enough rationale for the test to pass.",
        )
        case.next_review_on = TODAY - timedelta(days=1)
    _complete(
        db,
        staff,
        mine,
        "pathway",
        {"stage": A(answer="none", sources="Interview", observed_on=TODAY)},
    )
    board = dashboard(db, actor=staff.actor(staff.lead), today=TODAY)
    assert board.caseload["high"] == 1 and board.active_cases == 1 and board.past_review == 1
    assert board.assessed_cases_timed == 1 and board.median_days_to_assessment is not None
    assert dashboard(db, actor=staff.actor(staff.colleague), today=TODAY).active_cases == 0
    with pytest.raises(PermissionDenied):
        dashboard(db, actor=staff.actor(staff.admin))

"""Exercises, training and capability targets on SQLite and PostgreSQL: P/S/M/U and the
core-capability rule, the after-action report drafted from the evaluators' guides, the
chain finding → corrective action → exercise objective → evidence, certification expiry
and reminders, the gap report and the policy's refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_user
from tests.preparedness.test_corrective_actions import TODAY, World
from vigil.platform.actor import command_line
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.models import Notification
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role
from vigil.preparedness import capabilities, exercises, reminders, training
from vigil.preparedness import corrective_actions as ca
from vigil.preparedness.improvement_models import EvaluationGuide


def _exercise(db: Session, w: World) -> int:
    return exercises.create_exercise(
        db,
        actor=w.officer,
        name="Lockdown tabletop",
        kind="tabletop",
        starts_on=TODAY,
        ends_on=TODAY,
        site_id=w.site_id,
    ).id


def test_capability_data_has_the_32_core_capabilities_mass_violence_first() -> None:
    found = capabilities.capabilities()
    assert len(found) == 32 and len({c.name for c in found}) == 32
    assert set(capabilities.mission_areas()) == {
        "prevention",
        "protection",
        "mitigation",
        "response",
        "recovery",
    }
    flags = [c.mass_violence for c in found]
    assert flags == sorted(flags, reverse=True) and flags[0] and not flags[-1]
    names = capabilities.capability_names()
    assert names["on_scene_security"] == "On-scene Security, Protection, and Law Enforcement"
    assert sum(1 for c in found if "response" in c.mission_areas) == 15
    with pytest.raises(capabilities.CapabilityDataError):
        capabilities.parse_capabilities({"mission_areas": {}, "capabilities": []})


def test_evaluations_need_a_capability_and_a_p_s_m_u_rating(db: Session) -> None:
    w = World(db)
    exercise_id = _exercise(db, w)
    loose = exercises.add_objective(
        db, actor=w.officer, exercise_id=exercise_id, text="Talk it through", capability_key=None
    )
    with pytest.raises(InvalidInput) as refused:
        exercises.submit_evaluation(db, actor=w.officer, objective_id=loose.id, rating="P")
    assert "core capability" in refused.value.errors["capability_key"]
    with pytest.raises(InvalidInput):
        exercises.add_objective(
            db, actor=w.officer, exercise_id=exercise_id, text="x", capability_key="courage"
        )
    objective = exercises.add_objective(
        db,
        actor=w.officer,
        exercise_id=exercise_id,
        text="Lock down every classroom within 3 minutes of the alert",
        capability_key="physical_protective_measures",
    )
    for rating in ("", "A", "p", "PS"):
        with pytest.raises(InvalidInput) as refused:
            exercises.submit_evaluation(
                db, actor=w.officer, objective_id=objective.id, rating=rating
            )
        assert refused.value.errors["rating"] == "Rate the capability P, S, M or U."
    # S, M and U need the area for improvement that explains them.
    with pytest.raises(InvalidInput) as refused:
        exercises.submit_evaluation(db, actor=w.officer, objective_id=objective.id, rating="M")
    assert "areas_for_improvement" in refused.value.errors
    for rating in "PSMU":
        guide = exercises.submit_evaluation(
            db,
            actor=w.officer,
            objective_id=objective.id,
            rating=rating,
            areas_for_improvement="Gym doors had no locks",
        )
        assert guide.rating == rating
    # One guide per evaluator: the last submission stands.
    assert len(db.execute(select(EvaluationGuide)).scalars().all()) == 1
    with pytest.raises(NotFound):
        exercises.submit_evaluation(db, actor=w.outsider, objective_id=objective.id, rating="P")


def test_the_after_action_report_is_drafted_from_the_evaluators_guides(db: Session) -> None:
    w = World(db)
    second_evaluator = actor_for(make_user(db, agency=w.district, roles={Role.ANALYST}))
    exercise_id = _exercise(db, w)
    lockdown = exercises.add_objective(
        db,
        actor=w.officer,
        exercise_id=exercise_id,
        text="Lock down within 3 minutes",
        capability_key="physical_protective_measures",
    )
    alert = exercises.add_objective(
        db,
        actor=w.officer,
        exercise_id=exercise_id,
        text="Alert every room",
        capability_key="public_information_warning",
    )
    exercises.submit_evaluation(
        db,
        actor=w.officer,
        objective_id=lockdown.id,
        rating="S",
        strengths="Teachers knew the lockdown call\n- Doors closed fast",
        areas_for_improvement="Gym doors had no locks",
    )
    exercises.submit_evaluation(
        db,
        actor=second_evaluator,
        objective_id=lockdown.id,
        rating="M",
        strengths="doors closed fast",
        areas_for_improvement="Gym doors had no locks\nPortable classrooms never heard the call",
    )
    exercises.submit_evaluation(
        db, actor=w.officer, objective_id=alert.id, rating="P", strengths="PA reached all rooms"
    )
    items = exercises.end_exercise(db, actor=w.officer, exercise_id=exercise_id)
    drafted = sorted((i.objective_id, i.kind, i.rating, i.text) for i in items)
    assert drafted == sorted(
        [
            (lockdown.id, "strength", "M", "Teachers knew the lockdown call"),
            (lockdown.id, "strength", "M", "Doors closed fast"),
            (lockdown.id, "area", "M", "Gym doors had no locks"),
            (lockdown.id, "area", "M", "Portable classrooms never heard the call"),
            (alert.id, "strength", "P", "PA reached all rooms"),
        ]
    )
    with pytest.raises(InvalidInput):
        exercises.end_exercise(db, actor=w.officer, exercise_id=exercise_id)
    with pytest.raises(InvalidInput):
        exercises.submit_evaluation(db, actor=w.officer, objective_id=alert.id, rating="P")
    # The improvement plan: an area for improvement becomes a corrective action.
    area = next(i for i in items if i.text == "Gym doors had no locks")
    strength = next(i for i in items if i.kind == "strength")
    with pytest.raises(InvalidInput):
        exercises.plan_improvement(
            db,
            actor=w.officer,
            item_id=strength.id,
            owner_user_id=w.facilities_user.id,
            due=date.today() + timedelta(days=60),
            poete="equipment",
        )
    with pytest.raises(InvalidInput) as refused:
        exercises.plan_improvement(
            db,
            actor=w.officer,
            item_id=area.id,
            owner_user_id=w.facilities_user.id,
            due=date.today() + timedelta(days=60),
            poete="",
        )
    assert "poete" in refused.value.errors
    action = exercises.plan_improvement(
        db,
        actor=w.officer,
        item_id=area.id,
        owner_user_id=w.facilities_user.id,
        due=date.today() + timedelta(days=60),
        poete="equipment",
    )
    assert (action.source_kind, action.source_ref, action.site_id) == (
        "exercise_area",
        str(area.id),
        w.site_id,
    )
    assert action.title.startswith("Physical Protective Measures: Gym doors")


def test_overdue_exercises_are_ended_by_the_scheduled_job(db: Session) -> None:
    w = World(db)
    exercise_id = _exercise(db, w)
    objective = exercises.add_objective(
        db,
        actor=w.officer,
        exercise_id=exercise_id,
        text="Stop the bleeding",
        capability_key="public_health_ems",
    )
    exercises.submit_evaluation(
        db, actor=w.officer, objective_id=objective.id, rating="U", areas_for_improvement="No kits"
    )
    scheduler = command_line("scheduler")
    assert exercises.end_due_exercises(db, actor=scheduler, today=TODAY) == 0
    assert exercises.end_due_exercises(db, actor=scheduler, today=TODAY + timedelta(days=1)) == 1
    items = exercises.after_action_items(db, actor=w.officer, exercise_id=exercise_id)
    assert [(i.kind, i.rating, i.text) for i in items] == [("area", "U", "No kits")]
    with pytest.raises(PermissionDenied):
        exercises.end_due_exercises(db, actor=w.officer, today=TODAY)


def test_one_chain_from_finding_to_evidence_of_closure(db: Session) -> None:
    w = World(db)
    action = w.action(db, source_ref="F-7", due=date.today() + timedelta(days=10))
    exercise_id = _exercise(db, w)
    objective = exercises.add_objective(
        db,
        actor=w.officer,
        exercise_id=exercise_id,
        text="Retest: classroom doors lock from inside",
        capability_key="physical_protective_measures",
        corrective_action_id=action.id,
    )
    assert objective.finding_ref == "F-7"
    exercises.submit_evaluation(
        db, actor=w.officer, objective_id=objective.id, rating="P", strengths="All doors locked"
    )
    ca.add_evidence(
        db,
        actor=w.officer,
        action_id=action.id,
        kind="exercise",
        description="Retested in the lockdown tabletop: rated P",
        objective_id=objective.id,
    )
    ca.close_corrective_action(db, actor=w.officer, action_id=action.id)
    chain = exercises.chain_of(db, actor=w.officer, action_id=action.id)
    assert chain.finding_ref == "F-7" and chain.action.status == "closed"
    assert [(t.objective.id, t.ratings) for t in chain.tests] == [(objective.id, ["P"])]
    assert chain.demonstrated
    assert [e.objective_id for e in chain.evidence] == [objective.id]
    with pytest.raises(NotFound):
        exercises.chain_of(db, actor=w.outsider, action_id=action.id)
    # Evidence cannot point at another agency's exercise.
    other = exercises.create_exercise(
        db, actor=w.outsider, name="Other", kind="drill", starts_on=TODAY, ends_on=TODAY
    )
    theirs = exercises.add_objective(
        db, actor=w.outsider, exercise_id=other.id, text="x", capability_key="planning"
    )
    reopened = ca.reopen_corrective_action(db, actor=w.officer, action_id=action.id)
    with pytest.raises(InvalidInput):
        ca.add_evidence(
            db,
            actor=w.officer,
            action_id=reopened.id,
            kind="exercise",
            description="x",
            objective_id=theirs.id,
        )
    with pytest.raises(InvalidInput):
        exercises.add_objective(
            db,
            actor=w.outsider,
            exercise_id=other.id,
            text="x",
            capability_key="planning",
            corrective_action_id=action.id,
        )


def test_certifications_expire_are_reminded_and_show_in_site_readiness(db: Session) -> None:
    w = World(db)
    seeded = {c.code: c for c in training.courses(db, actor=w.officer)}
    assert {"ASR", "BLEED", "BTAM", "SAR"} <= set(seeded)
    bleed = seeded["BLEED"]
    assert bleed.validity_months == 24
    held = date(2024, 12, 10)
    session = training.schedule_session(
        db, actor=w.officer, course_id=bleed.id, held_on=held, site_id=w.site_id
    )
    training.record_attendance(
        db,
        actor=w.officer,
        session_id=session.id,
        person_name="Dana Teacher",
        completed=True,
        user_id=w.facilities_user.id,
    )
    training.record_attendance(
        db, actor=w.officer, session_id=session.id, person_name="Sam Coach", completed=False
    )
    with pytest.raises(InvalidInput):
        training.record_attendance(
            db, actor=w.officer, session_id=session.id, person_name=" ", completed=True
        )
    own = training.add_course(
        db, actor=w.officer, code="rad-1", name="Reunification drill", validity_months=None
    )
    with pytest.raises(InvalidInput):
        training.add_course(db, actor=w.officer, code="RAD-1", name="Again", validity_months=0)
    readiness = training.site_readiness(db, actor=w.officer, site_id=w.site_id, today=TODAY)
    assert own.id in {c.id for c in readiness.courses}
    people = dict(readiness.people)
    assert set(people) == {"Dana Teacher"}
    cell = people["Dana Teacher"][bleed.id]
    assert cell.expires_on == date(2026, 12, 10) and cell.status == "expiring"
    assert readiness.trained[bleed.id] == 1
    assert training.certification_status(cell.expires_on, date(2026, 12, 11)) == "expired"
    assert training.certification_status(cell.expires_on, date(2026, 10, 1)) == "current"
    scheduler = command_line("scheduler")
    now = datetime(2026, 11, 26, 8, tzinfo=UTC)
    assert reminders.send_due_reminders(db, actor=scheduler, now=now) == 1
    assert reminders.send_due_reminders(db, actor=scheduler, now=now + timedelta(days=1)) == 0
    (note,) = db.execute(
        select(Notification).where(Notification.kind == "preparedness.certification_expiring")
    ).scalars()
    assert note.user_id == w.facilities_user.id and "BLEED" in note.subject
    assert "Dana" not in note.subject
    with pytest.raises(NotFound):
        training.site_readiness(db, actor=w.outsider, site_id=w.site_id)
    with pytest.raises(NotFound):
        training.get_session(db, actor=w.outsider, session_id=session.id)
    with pytest.raises(PermissionDenied):
        training.schedule_session(db, actor=w.facilities, course_id=bleed.id, held_on=TODAY)


def test_capability_targets_and_the_gap_report(db: Session) -> None:
    w = World(db)
    supervisor = actor_for(w.supervisor_user)
    with pytest.raises(PermissionDenied):
        capabilities.set_target(
            db, actor=w.officer, capability_key="planning", target_level=5, current_level=2
        )
    with pytest.raises(InvalidInput) as refused:
        capabilities.set_target(
            db, actor=supervisor, capability_key="magic", target_level=6, current_level=None
        )
    assert set(refused.value.errors) == {"capability_key", "target_level", "current_level"}
    capabilities.set_target(
        db, actor=supervisor, capability_key="public_health_ems", target_level=5, current_level=2
    )
    capabilities.set_target(
        db, actor=supervisor, capability_key="planning", target_level=4, current_level=3
    )
    exercise_id = _exercise(db, w)
    objective = exercises.add_objective(
        db,
        actor=w.officer,
        exercise_id=exercise_id,
        text="Pack wounds",
        capability_key="public_health_ems",
    )
    exercises.submit_evaluation(
        db, actor=w.officer, objective_id=objective.id, rating="M", areas_for_improvement="Few kits"
    )
    bleed = next(c for c in training.courses(db, actor=w.officer) if c.code == "BLEED")
    session = training.schedule_session(db, actor=w.officer, course_id=bleed.id, held_on=TODAY)
    training.record_attendance(
        db, actor=w.officer, session_id=session.id, person_name="A", completed=True
    )
    report = capabilities.gap_report(db, actor=w.officer, today=TODAY)
    assert len(report) == 32
    first, second = report[0], report[1]
    assert (first.capability.key, first.gap, second.capability.key, second.gap) == (
        "public_health_ems",
        3,
        "planning",
        1,
    )
    assert first.exercises == [(exercise_id, "Lockdown tabletop", "M")]
    assert (bleed.id, bleed.name, 1) in first.courses
    # The outsider's jurisdiction has no targets and sees none of this agency's work.
    theirs = capabilities.gap_report(db, actor=w.outsider, today=TODAY)
    assert all(r.gap == 0 and not r.exercises for r in theirs)
    assert next(r for r in theirs if r.capability.key == "public_health_ems").courses == [
        (bleed.id, bleed.name, 0)
    ]
    with pytest.raises(PermissionDenied):
        capabilities.gap_report(db, actor=w.facilities)

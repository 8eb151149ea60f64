"""Incidents as records (agencies, periods, positions), the significant-events log and
ICS forms: drafts editable by their author, submitted forms append-only (in the
services and in the database), corrections as new forms, policy and audit; SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_user
from tests.platform.audit_checks import assert_audit_free_of
from tests.response.ics_world import SHELL, IcsWorld, build_world
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role
from vigil.platform.types import utcnow
from vigil.response import demo_ics, ics_forms, incident_records, resource_requests
from vigil.response.ics_form_specs import SPECS
from vigil.response.ics_models import IcsForm, IncidentEvent, StaffAssignment
from vigil.response.models import IncidentAgency
from vigil.response.reunification import create_incident

SITUATION = "Shots fired in the east wing; suspect Marcus Delacroix-Abernathy in custody."


@pytest.fixture()
def world(db: Session) -> IcsWorld:
    return build_world(db)


def file_201(db: Session, world: IcsWorld, name: str = "planning", **extra: object) -> IcsForm:
    return ics_forms.create_form(
        db,
        actor=world.actor(name),
        incident_id=world.incident_id,
        form="201",
        fields={"situation": SITUATION, "objectives": "Account for everyone."},
        **extra,  # type: ignore[arg-type]
    )


def test_a_draft_is_edited_by_its_author_then_submitted_and_frozen(
    db: Session, world: IcsWorld
) -> None:
    draft = file_201(db, world)
    assert draft.status == "draft" and draft.prepared_by_position == "planning_section_chief"
    # A draft is its author's until submitted: others neither change nor see it.
    with pytest.raises(NotFound):
        ics_forms.update_draft(
            db,
            actor=world.actor("commander"),
            incident_id=world.incident_id,
            form_id=draft.id,
            fields={"situation": "Someone else's words", "objectives": "x"},
        )
    with pytest.raises(NotFound):
        ics_forms.view_form(
            db, actor=world.actor("commander"), incident_id=world.incident_id, form_id=draft.id
        )
    with pytest.raises(InvalidInput) as incomplete:
        ics_forms.update_draft(
            db,
            actor=world.actor("planning"),
            incident_id=world.incident_id,
            form_id=draft.id,
            fields={"situation": SITUATION},
            submit=True,
        )
    assert "objectives" in incomplete.value.errors
    submitted = ics_forms.update_draft(
        db,
        actor=world.actor("planning"),
        incident_id=world.incident_id,
        form_id=draft.id,
        fields={
            "situation": SITUATION,
            "objectives": "Account for everyone.",
            "actions": [{"time": "2026-11-25T14:20", "action": "Perimeter set"}],
        },
        submit=True,
    )
    assert submitted.status == "submitted" and submitted.submitted_at is not None
    assert submitted.fields["actions"] == [
        {"time": "2026-11-25T14:20+00:00", "action": "Perimeter set"}
    ]
    with pytest.raises(Conflict, match="file a correction"):
        ics_forms.update_draft(
            db,
            actor=world.actor("planning"),
            incident_id=world.incident_id,
            form_id=draft.id,
            fields={"situation": "Changed", "objectives": "Changed"},
        )
    view = ics_forms.view_form(
        db, actor=world.actor("commander"), incident_id=world.incident_id, form_id=draft.id
    )
    assert view.may_correct and not view.may_edit


def test_a_correction_is_a_new_form_naming_the_old(db: Session, world: IcsWorld) -> None:
    first = file_201(db, world, submit=True)
    with pytest.raises(InvalidInput):
        ics_forms.create_form(
            db,
            actor=world.actor("commander"),
            incident_id=world.incident_id,
            form="202",
            fields={},
            corrects_id=first.id,
        )
    fixed = ics_forms.create_form(
        db,
        actor=world.actor("commander"),
        incident_id=world.incident_id,
        form="201",
        fields={"situation": "Suspect in custody; two casualties.", "objectives": "Account."},
        corrects_id=first.id,
        submit=True,
    )
    assert fixed.number == first.number + 1 and fixed.corrects_id == first.id
    view = ics_forms.view_form(
        db, actor=world.actor("safety"), incident_id=world.incident_id, form_id=first.id
    )
    assert view.corrected_by == [fixed.id]
    assert db.get(IcsForm, first.id).fields["situation"] == SITUATION  # untouched
    draft = file_201(db, world)
    with pytest.raises(Conflict, match="Only a submitted form"):
        ics_forms.create_form(
            db,
            actor=world.actor("planning"),
            incident_id=world.incident_id,
            form="201",
            fields={},
            corrects_id=draft.id,
        )


def test_submitted_forms_and_logged_events_are_append_only_in_the_database(
    db: Session, world: IcsWorld
) -> None:
    submitted = file_201(db, world, submit=True)
    draft = file_201(db, world)
    event = incident_records.log_event(
        db,
        actor=world.actor("safety"),
        incident_id=world.incident_id,
        kind="safety",
        summary="Secondary device reported in the parking lot.",
        occurred_at=utcnow(),
    )
    forms = IcsForm.__table__
    for statement in (
        update(forms).where(forms.c.id == submitted.id).values(fields={"situation": "rewritten"}),
        update(forms).where(forms.c.id == submitted.id).values(status="draft"),
        forms.delete().where(forms.c.id == submitted.id),
        update(IncidentEvent.__table__)
        .where(IncidentEvent.__table__.c.id == event.id)
        .values(summary="rewritten"),
        IncidentEvent.__table__.delete().where(IncidentEvent.__table__.c.id == event.id),
    ):
        attempt = db.begin_nested()
        with pytest.raises((DBAPIError, IntegrityError)):
            db.execute(statement)
        attempt.rollback()
    # A draft is still edited in place.
    db.execute(update(forms).where(forms.c.id == draft.id).values(fields={"situation": "new"}))


@pytest.mark.parametrize("code", sorted(SPECS))
def test_every_form_checks_its_fields(db: Session, world: IcsWorld, code: str) -> None:
    spec = SPECS[code]
    with pytest.raises(InvalidInput) as refused:
        ics_forms.create_form(
            db,
            actor=world.actor("planning"),
            incident_id=world.incident_id,
            form=code,
            fields={"no_such_block": "x"},
            submit=True,
        )
    required = {f.name for f in spec.fields() if f.required}
    assert required <= set(refused.value.errors)
    assert "fields" in refused.value.errors
    bad: dict[str, object] = {}
    for field in spec.fields():
        bad[field.name] = {
            "text": "x" * 201,
            "textarea": "x" * 5001,
            "datetime": "yesterday",
            "count": "-3",
            "choice": "maybe",
            "table": "not rows",
        }[field.kind]
    with pytest.raises(InvalidInput) as wrong:
        ics_forms.create_form(
            db,
            actor=world.actor("planning"),
            incident_id=world.incident_id,
            form=code,
            fields=bad,
        )
    assert set(wrong.value.errors) == {f.name for f in spec.fields()}


def test_table_rows_are_checked_cell_by_cell(db: Session, world: IcsWorld) -> None:
    with pytest.raises(InvalidInput) as refused:
        ics_forms.create_form(
            db,
            actor=world.actor("staging"),
            incident_id=world.incident_id,
            form="211",
            fields={
                "location": "Staging, Oak Street",
                "check_ins": [
                    {"agency": "County EMS", "personnel": "four", "checked_in_at": "soon"},
                    {"agency": "Fire", "rank": "captain"},
                ],
            },
        )
    assert set(refused.value.errors) == {
        "check_ins-1-personnel",
        "check_ins-1-checked_in_at",
        "check_ins",
    }
    with pytest.raises(InvalidInput):
        ics_forms.create_form(
            db,
            actor=world.actor("staging"),
            incident_id=world.incident_id,
            form="ics-999",
            fields={},
        )


def test_writers_hold_a_position_and_outsiders_see_nothing(db: Session, world: IcsWorld) -> None:
    for name in ("unassigned", "police_supervisor"):
        with pytest.raises(PermissionDenied):
            file_201(db, world, name)
        with pytest.raises(PermissionDenied):
            incident_records.log_event(
                db,
                actor=world.actor(name),
                incident_id=world.incident_id,
                kind="report",
                summary="A report",
                occurred_at=utcnow(),
            )
        # ... yet they read the submitted record.
        assert incident_records.view_incident(
            db, actor=world.actor(name), incident_id=world.incident_id
        )
    for name in ("stranger_commander", "stranger_supervisor", "eoc_analyst"):
        with pytest.raises(NotFound):
            incident_records.view_incident(
                db, actor=world.actor(name), incident_id=world.incident_id
            )
        with pytest.raises(NotFound):
            file_201(db, world, name)
        assert world.incident_id not in {
            i.id for i in incident_records.list_incidents(db, actor=world.actor(name))
        }
    assert world.incident_id in {
        i.id for i in incident_records.list_incidents(db, actor=world.actor("unassigned"))
    }


def test_command_assigns_positions_agencies_and_periods(db: Session, world: IcsWorld) -> None:
    commander = world.actor("commander")
    # Command is stood up: other incident-command staff no longer assign positions.
    with pytest.raises(PermissionDenied):
        incident_records.assign_position(
            db,
            actor=world.actor("unassigned"),
            incident_id=world.incident_id,
            user_id=world.users["unassigned"].id,
            position="liaison_officer",
        )
    with pytest.raises(InvalidInput, match="not part of this incident"):
        incident_records.assign_position(
            db,
            actor=commander,
            incident_id=world.incident_id,
            user_id=world.users["stranger_supervisor"].id,
            position="liaison_officer",
        )
    incident_records.add_agency(
        db,
        actor=commander,
        incident_id=world.incident_id,
        agency_id=world.stranger_id,
        role="support",
    )
    assert db.get(IncidentAgency, (world.incident_id, world.stranger_id)).role == "support"
    made = incident_records.assign_position(
        db,
        actor=commander,
        incident_id=world.incident_id,
        user_id=world.users["stranger_supervisor"].id,
        position="liaison_officer",
    )
    with pytest.raises(Conflict):
        incident_records.assign_position(
            db,
            actor=commander,
            incident_id=world.incident_id,
            user_id=world.users["stranger_supervisor"].id,
            position="liaison_officer",
        )
    incident_records.relieve_position(
        db, actor=commander, incident_id=world.incident_id, assignment_id=made.id
    )
    assert db.get(StaffAssignment, made.id).relieved_at is not None
    start = datetime(2026, 11, 25, 14, tzinfo=UTC)
    first = incident_records.add_period(
        db,
        actor=commander,
        incident_id=world.incident_id,
        starts_at=start,
        ends_at=start + timedelta(hours=12),
    )
    assert first.number == 1
    with pytest.raises(InvalidInput):
        incident_records.add_period(
            db,
            actor=commander,
            incident_id=world.incident_id,
            starts_at=start + timedelta(hours=6),
            ends_at=start + timedelta(hours=18),
        )
    with pytest.raises(PermissionDenied):
        incident_records.add_period(
            db,
            actor=world.actor("safety"),
            incident_id=world.incident_id,
            starts_at=start + timedelta(hours=12),
            ends_at=start + timedelta(hours=24),
        )


def test_events_are_logged_with_author_and_corrected_by_new_entries(
    db: Session, world: IcsWorld
) -> None:
    first = incident_records.log_event(
        db,
        actor=world.actor("operations"),
        incident_id=world.incident_id,
        kind="casualty",
        summary="Three injured transported to County General.",
        occurred_at=utcnow() - timedelta(minutes=10),
    )
    fix = incident_records.log_event(
        db,
        actor=world.actor("operations"),
        incident_id=world.incident_id,
        kind="correction",
        summary="Two injured transported, not three.",
        occurred_at=utcnow(),
        corrects_id=first.id,
    )
    log = incident_records.list_events(
        db, actor=world.actor("police_supervisor"), incident_id=world.incident_id
    )
    assert [e.id for e in log] == [first.id, fix.id]
    assert log[0].author_position == "operations_section_chief"
    assert log[0].author_name == world.users["operations"].username
    with pytest.raises(InvalidInput) as refused:
        incident_records.log_event(
            db,
            actor=world.actor("operations"),
            incident_id=world.incident_id,
            kind="rumour",
            summary=" ",
            occurred_at=utcnow() + timedelta(days=1),
            corrects_id=999_999,
        )
    assert set(refused.value.errors) == {"kind", "summary", "occurred_at", "corrects_id"}


def test_audit_holds_ids_not_form_text(db: Session, world: IcsWorld) -> None:
    form = file_201(db, world, submit=True)
    ics_forms.view_form(
        db, actor=world.actor("commander"), incident_id=world.incident_id, form_id=form.id
    )
    incident_records.log_event(
        db,
        actor=world.actor("operations"),
        incident_id=world.incident_id,
        kind="report",
        summary=SITUATION,
        occurred_at=utcnow(),
    )
    assert assert_audit_free_of(db, "Delacroix-Abernathy", "east wing") > 0
    actions = set(db.execute(select(AuditEvent.action)).scalars())
    assert {"ics_form.submit", "ics_form.read", "incident.event_log"} <= actions


def test_the_demo_seed_files_forms_and_requests(db: Session, world: IcsWorld) -> None:
    eoc = world.users["commander"].agency
    incident = create_incident(
        db,
        actor=SHELL,
        name="Demo school",
        kind="school_shooting",
        place="Demo High",
        started_at=utcnow() - timedelta(hours=1),
        lead_agency_id=eoc.id,
        agencies={},
    )
    commander = make_user(db, agency=eoc, roles={Role.INCIDENT_COMMAND})
    seed = demo_ics.seed_ics(db, incident_id=incident.id, commander_user_id=commander.id)
    assert set(seed.forms) == {"201", "202"} and len(seed.events) == 5
    counts = resource_requests.counts_by_state(
        db, actor=actor_for(commander), incident_id=incident.id
    )
    assert counts == {"demobilized": 1, "received": 1, "ordered": 1, "requested": 1, "rejected": 1}


def test_text_no_column_can_hold_is_refused_inside_forms() -> None:
    from vigil.response.ics_form_specs import clean_fields

    spec = SPECS["213"]
    _, errors = clean_fields(
        spec,
        {"to": "IC\x00", "subject": "Lone \ud800 surrogate", "\ud800": "x"},
        complete=False,
    )
    assert set(errors) == {"to", "subject", "fields"}
    assert "NUL" in errors["to"] and "Unicode" in errors["subject"]
    _, errors = clean_fields(
        SPECS["214"], {"activities": [{"at": "2026-11-25T14:00", "\ud800": "x"}]}, complete=False
    )
    assert "unknown columns ?" in errors["activities"]

"""Corrective actions on SQLite and PostgreSQL: every field checked (POETE required),
closed only with evidence, kept inside the agency, and reminded once when overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import actor_for, make_agency, make_user
from vigil.platform.actor import command_line
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.models import AuditEvent, Notification
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.settings import Settings
from vigil.preparedness import corrective_actions as ca
from vigil.preparedness import reminders, sites

TODAY = date(2026, 11, 26)


def _school(db: Session, actor: Any) -> int:
    site = sites.register_site(
        db,
        actor=actor,
        data=sites.SiteInput(
            name="Lincoln High",
            kind="k12_school",
            address="1 School Lane",
            capacity=900,
            threat=0.1,
            vulnerability=0.5,
        ),
    )
    return site.id


class World:
    def __init__(self, db: Session) -> None:
        self.district = make_agency(db, kind=AgencyKind.SCHOOL_OR_CAMPUS)
        self.other = make_agency(db)
        self.officer_user = make_user(db, agency=self.district, roles={Role.THREAT_ASSESSMENT})
        self.officer = actor_for(self.officer_user)
        self.supervisor_user = make_user(db, agency=self.district, roles={Role.SUPERVISOR})
        self.facilities_user = make_user(db, agency=self.district)  # no role: owns actions
        self.facilities = actor_for(self.facilities_user)
        self.outsider_user = make_user(db, agency=self.other, roles={Role.ANALYST})
        self.outsider = actor_for(self.outsider_user)
        self.site_id = _school(db, self.officer)

    def action(self, db: Session, **changes: Any) -> Any:
        values: dict[str, Any] = {
            "site_id": self.site_id,
            "title": "Install a door-locking system on classroom doors",
            "owner_user_id": self.facilities_user.id,
            "due": TODAY + timedelta(days=30),
            "poete": "equipment",
            "source_kind": "finding",
            "source_ref": "F-12",
            "today": TODAY,
        }
        values.update(changes)
        return ca.create_corrective_action(db, actor=self.officer, **values)


def test_every_field_is_checked_and_poete_is_required(db: Session) -> None:
    w = World(db)
    with pytest.raises(InvalidInput) as refused:
        w.action(
            db,
            title="  ",
            owner_user_id=w.outsider_user.id,
            due=TODAY - timedelta(days=1),
            poete="",
            source_kind="rumour",
            source_ref="",
        )
    errors = refused.value.errors
    assert set(errors) == {"title", "owner_user_id", "due", "poete", "source_kind", "source_ref"}
    assert "planning, organization, equipment, training or exercise" in errors["poete"]
    with pytest.raises(InvalidInput) as refused:
        w.action(db, poete="Equipment", due=None, owner_user_id=None)
    assert set(refused.value.errors) == {"poete", "due", "owner_user_id"}
    item = w.action(db)
    assert (item.status, item.poete, item.source_kind, item.source_ref) == (
        "open",
        "equipment",
        "finding",
        "F-12",
    )


def test_an_action_is_closed_only_with_evidence_and_stays_in_its_agency(db: Session) -> None:
    w = World(db)
    item = w.action(db)
    with pytest.raises(NotFound):
        ca.get_corrective_action(db, actor=w.outsider, action_id=item.id)
    assert ca.list_corrective_actions(db, actor=w.outsider) == []
    # The owner (no site role) sees and works the action, but closing is for site staff.
    assert [i.id for i in ca.list_corrective_actions(db, actor=w.facilities)] == [item.id]
    ca.update_corrective_action(db, actor=w.facilities, action_id=item.id, status="in_progress")
    with pytest.raises(InvalidInput) as refused:
        ca.close_corrective_action(db, actor=w.officer, action_id=item.id)
    assert "evidence" in refused.value.errors["status"]
    with pytest.raises(InvalidInput):
        ca.add_evidence(db, actor=w.facilities, action_id=item.id, kind="video", description="")
    ca.add_evidence(
        db,
        actor=w.facilities,
        action_id=item.id,
        kind="photo",
        description="Locks fitted on all 42 classroom doors",
        reference="work order 7781",
    )
    with pytest.raises(PermissionDenied):
        ca.close_corrective_action(db, actor=w.facilities, action_id=item.id)
    closed = ca.close_corrective_action(db, actor=w.officer, action_id=item.id)
    assert closed.status == "closed" and closed.closed_by_user_id == w.officer_user.id
    with pytest.raises(InvalidInput):
        ca.update_corrective_action(db, actor=w.officer, action_id=item.id, status="open")
    assert ca.actions_for_source(db, actor=w.officer, source_kind="finding", source_refs=["F-12"])[
        "F-12"
    ] == [closed]
    trail = repr(
        db.execute(
            select(AuditEvent.action, AuditEvent.details).where(
                AuditEvent.object_type == "corrective_action"
            )
        ).all()
    )
    assert "corrective_action.close" in trail
    for secret in ("door-locking", "42 classroom", "7781"):
        assert secret not in trail


def test_overdue_actions_are_reminded_once_to_their_owner(db: Session) -> None:
    w = World(db)
    item = w.action(db)
    gone = w.action(db, owner_user_id=w.officer_user.id, poete="planning")
    done = w.action(db, poete="training")
    ca.add_evidence(db, actor=w.officer, action_id=done.id, kind="training", description="Done")
    ca.close_corrective_action(db, actor=w.officer, action_id=done.id)
    scheduler = command_line("scheduler")
    due_day = datetime(2026, 12, 26, 9, tzinfo=UTC)
    # On its due date an action is not overdue yet.
    assert reminders.send_due_reminders(db, actor=scheduler, now=due_day) == 0
    # The officer who owned the second action has left: the supervisors hear instead.
    w.officer_user.disabled_at = due_day
    db.flush()
    next_day = due_day + timedelta(days=1)
    assert reminders.send_due_reminders(db, actor=scheduler, now=next_day) == 2
    assert reminders.send_due_reminders(db, actor=scheduler, now=next_day) == 0
    notes = db.execute(
        select(Notification.user_id, Notification.object_id, Notification.subject).where(
            Notification.kind == "preparedness.corrective_action_overdue"
        )
    ).all()
    assert sorted((u, o) for u, o, _ in notes) == sorted(
        [(w.facilities_user.id, str(item.id)), (w.supervisor_user.id, str(gone.id))]
    )
    assert all("door" not in subject for _, _, subject in notes)
    with pytest.raises(PermissionDenied):
        reminders.send_due_reminders(db, actor=w.officer, now=next_day)


def test_the_scheduled_job_reminds_and_drafts(
    db: Session, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    from vigil.preparedness import exercises
    from vigil.reports import jobs

    w = World(db)
    item = w.action(db)
    item.due_on = date.today() - timedelta(days=2)
    exercise = exercises.create_exercise(
        db,
        actor=w.officer,
        name="Drill",
        kind="drill",
        starts_on=date.today() - timedelta(days=3),
        ends_on=date.today() - timedelta(days=2),
    )
    db.commit()
    jobs.preparedness_job(settings, session_factory)
    db.expire_all()
    assert exercise.status == "ended"
    owners = db.execute(
        select(Notification.user_id).where(Notification.object_id == str(item.id))
    ).scalars()
    assert list(owners) == [w.facilities_user.id]

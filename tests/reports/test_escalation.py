"""Acknowledgement deadlines: a breach escalates once to the routed agency's active
supervisors (and nobody else), notifications are private to their user, and the
scheduler inside `vigil serve` runs escalation and retention on its own."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import TEST_SECRET
from tests.factories import actor_for, make_agency, make_user
from tests.reports.intake_support import World, build_world, file, make_app, sign_in
from tests.servers import scheduler_threads
from vigil.platform import migrate, policy
from vigil.platform.actor import Actor, anonymous, command_line
from vigil.platform.database import make_engine, make_sessionmaker
from vigil.platform.models import AuditEvent, Notification, User
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import escalation, handling, jobs, notifications, retention
from vigil.reports.models import Report, ReportEvent
from vigil.reports.service import ack_deadline

MINUTE = timedelta(minutes=1)
NARRATIVE = "Ravenna Blackwood posted that she will burn down the chapel on Sunday."


@pytest.fixture()
def world(db: Session) -> World:
    built = build_world(db)
    db.commit()
    return built


def escalate(db: Session, settings: Settings, now: Any) -> int:
    count = escalation.escalate_breaches(db, settings=settings, now=now)
    db.flush()
    return count


def notified(db: Session, report_id: int) -> list[Notification]:
    return list(
        db.execute(
            select(Notification)
            .where(Notification.object_type == "report", Notification.object_id == str(report_id))
            .order_by(Notification.user_id)
        ).scalars()
    )


# --- deadlines -------------------------------------------------------------------------


def test_default_deadlines_per_urgency_level() -> None:
    settings = Settings(secret_key=TEST_SECRET)
    start = utcnow()
    expected = {
        "imminent": timedelta(minutes=15),
        "high": timedelta(hours=4),
        "moderate": timedelta(days=2),
        "low": timedelta(days=7),
    }
    for level, allowed in expected.items():
        assert ack_deadline(settings, level, start) - start == allowed


# --- escalation ------------------------------------------------------------------------


def test_a_breach_escalates_once_to_the_active_supervisors_only(
    db: Session, settings: Settings, world: World
) -> None:
    report = file(db, settings, world.analyst, narrative=NARRATIVE)
    assert report.ack_due_at is not None
    assert escalate(db, settings, report.ack_due_at - MINUTE) == 0

    assert escalate(db, settings, report.ack_due_at + MINUTE) == 1
    sent = notified(db, report.id)
    assert [n.user_id for n in sent] == sorted([world.supervisor.id, world.second_supervisor.id])
    level = report.effective_level
    for notification in sent:
        assert notification.subject == (
            f"Acknowledgement overdue: report {report.receipt_number} ({level})"
        )
        assert notification.link == f"/reports/{report.id}"
        assert notification.read_at is None
    db.refresh(report)
    assert report.escalated_at == report.ack_due_at + MINUTE
    [event] = db.execute(
        select(ReportEvent).where(
            ReportEvent.report_id == report.id, ReportEvent.kind == "escalated"
        )
    ).scalars()
    assert event.agency_id == world.home.id
    [audited] = db.execute(
        select(AuditEvent).where(
            AuditEvent.action == "report.escalate", AuditEvent.object_id == str(report.id)
        )
    ).scalars()
    assert audited.details == {"level": level, "routed_agency": world.home.id, "notified": 2}
    assert "Ravenna" not in str(audited.details) + str([n.subject for n in sent])

    assert escalate(db, settings, report.ack_due_at + 60 * MINUTE) == 0
    assert len(notified(db, report.id)) == 2


def test_acknowledged_or_disposed_reports_do_not_escalate(
    db: Session, settings: Settings, world: World
) -> None:
    acknowledged = file(db, settings, world.analyst)
    handling.acknowledge_report(db, actor=actor_for(world.analyst), report_id=acknowledged.id)
    disposed = file(db, settings, world.analyst)
    handling.dispose_report(
        db,
        actor=actor_for(world.analyst),
        report_id=disposed.id,
        disposition="information_only",
        outcome="Checked with the school; no threat.",
    )
    db.flush()
    later = utcnow() + timedelta(days=30)
    assert escalate(db, settings, later) == 0
    assert notified(db, acknowledged.id) == [] and notified(db, disposed.id) == []


def test_a_report_routed_elsewhere_escalates_to_the_new_agencys_supervisors(
    db: Session, settings: Settings, world: World
) -> None:
    report = file(db, settings, world.analyst)
    assert report.ack_due_at is not None
    escalate(db, settings, report.ack_due_at + MINUTE)
    handling.route_report(
        db,
        actor=actor_for(world.analyst),
        settings=settings,
        report_id=report.id,
        agency_id=world.other.id,
        reason="The school district is responsible for this campus.",
    )
    db.flush()
    assert report.escalated_at is None and report.ack_due_at is not None
    assert escalate(db, settings, report.ack_due_at + MINUTE) == 1
    users = {n.user_id for n in notified(db, report.id)}
    assert world.other_supervisor.id in users and world.other_admin.id not in users


# --- notifications: rules and pages -------------------------------------------------


def _user(user_id: int) -> Actor:
    return Actor(kind="user", user_id=user_id, agency_id=1, roles=frozenset({Role.SUPERVISOR}))


def test_notification_policy_owner_only_and_created_by_the_system() -> None:
    mine = SimpleNamespace(user_id=7)
    assert policy.decide(_user(7), "mark_read", "notification", mine)
    assert policy.decide(_user(7), "read", "notification", mine)
    assert not policy.decide(_user(8), "mark_read", "notification", mine)
    assert not policy.decide(_user(7), "create", "notification")
    assert policy.decide(command_line("scheduler"), "create", "notification")
    assert not policy.decide(command_line("scheduler"), "read", "notification", mine)
    assert not policy.decide(anonymous(), "list", "notification")


def test_users_see_and_mark_only_their_own_notifications(
    db: Session, settings: Settings, session_factory: Any, world: World
) -> None:
    report = file(db, settings, world.analyst)
    assert report.ack_due_at is not None
    escalate(db, settings, report.ack_due_at + MINUTE)
    db.commit()
    [first, _second] = notified(db, report.id)
    app = make_app(settings, session_factory)
    owner = sign_in(app, settings, session_factory, first.user_id)
    analyst = sign_in(app, settings, session_factory, world.analyst.id)

    page = owner.get("/notifications")
    assert page.status_code == 200
    assert report.receipt_number in page.text and "1 unread" in page.text
    assert report.receipt_number not in analyst.get("/notifications").text

    assert analyst.post(f"/notifications/{first.id}/read").status_code == 404
    with session_factory() as check:
        assert check.get(Notification, first.id).read_at is None
    marked = owner.post(f"/notifications/{first.id}/read")
    assert marked.status_code == 303 and marked.headers["location"] == "/notifications"
    with session_factory() as check:
        assert check.get(Notification, first.id).read_at is not None
    assert "Nothing unread" in owner.get("/notifications").text


def test_listing_counts_unread(db: Session, settings: Settings, world: World) -> None:
    for _ in range(2):
        report = file(db, settings, world.analyst)
        assert report.ack_due_at is not None
        escalate(db, settings, report.ack_due_at + MINUTE)
    found, unread = notifications.list_notifications(db, actor=actor_for(world.supervisor))
    assert len(found) == 2 and unread == 2
    notifications.mark_read(db, actor=actor_for(world.supervisor), notification_id=found[0].id)
    assert notifications.list_notifications(db, actor=actor_for(world.supervisor))[1] == 1


# --- the scheduler ---------------------------------------------------------------------


@pytest.fixture()
def own_database(tmp_path: Path) -> Iterator[tuple[Settings, sessionmaker[Session]]]:
    """A real SQLite database of its own: the scheduler's thread commits for real."""
    settings = Settings(
        data_dir=tmp_path / "data",
        secret_key=TEST_SECRET,
        attachments_dir=tmp_path / "files",
    )
    engine = make_engine(settings)
    migrate.upgrade(engine)
    try:
        yield settings, make_sessionmaker(engine)
    finally:
        engine.dispose()


def _overdue(db: Session, settings: Settings, analyst: User) -> Report:
    report = file(db, settings, analyst)
    report.ack_due_at = utcnow() - MINUTE
    return report


def wait_for(check: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_the_scheduler_runs_escalation_and_retention_again_and_again(
    own_database: tuple[Settings, sessionmaker[Session]],
) -> None:
    settings, factory = own_database
    with factory() as db:
        agency = make_agency(db)
        analyst = make_user(db, agency=agency, roles={Role.ANALYST})
        supervisor = make_user(db, agency=agency, roles={Role.SUPERVISOR})
        overdue = _overdue(db, settings, analyst)
        stale = file(db, settings, analyst)
        stale.purge_due_at = utcnow() - MINUTE
        db.commit()

    def escalated(report_id: int) -> bool:
        with factory() as db:
            report = db.get(Report, report_id)
            return report is not None and report.escalated_at is not None

    def purged() -> bool:
        with factory() as db:
            return db.get(Report, stale.id) is None

    scheduler = jobs.start_scheduler(settings, factory, interval=timedelta(milliseconds=200))
    try:
        assert wait_for(lambda: escalated(overdue.id)), "no escalation ran"
        assert wait_for(purged), "no retention run purged the stale report"
        # A later run picks up a breach that happened after the first one.
        with factory() as db:
            later = _overdue(db, settings, analyst)
            db.commit()
        assert wait_for(lambda: escalated(later.id)), "the job did not run again"
    finally:
        scheduler.shutdown()
    assert not scheduler_threads()
    with factory() as db:
        actions = set(
            db.execute(select(AuditEvent.action).where(AuditEvent.actor_type == "cli")).scalars()
        )
        assert {"report.escalate", "report.purge"} <= actions
        mine = select(func.count()).select_from(Notification)
        assert db.execute(mine.where(Notification.user_id == supervisor.id)).scalar_one() == 2


def test_a_failing_job_is_logged_without_personal_data_and_does_not_raise(
    own_database: tuple[Settings, sessionmaker[Session]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings, factory = own_database

    def explode(*_args: Any, **_kwargs: Any) -> int:
        raise RuntimeError("Ravenna Blackwood, 12 Chapel Road")

    monkeypatch.setattr(escalation, "escalate_breaches", explode)
    monkeypatch.setattr(retention, "run_retention", explode)
    with caplog.at_level(logging.ERROR, logger="vigil.jobs"):
        jobs.escalation_job(settings, factory)
        jobs.retention_job(settings, factory)
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "scheduled escalation failed: RuntimeError",
        "scheduled retention run failed: RuntimeError",
    ]


def test_create_app_does_not_start_the_scheduler_but_vigil_serve_does(
    own_database: tuple[Settings, sessionmaker[Session]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    from vigil import cli

    settings, factory = own_database
    app = make_app(settings, factory)
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        assert not scheduler_threads()

    seen: dict[str, Any] = {}

    def fake_run(application: Any, **_options: Any) -> None:
        seen["threads"] = len(scheduler_threads())

    monkeypatch.setattr(uvicorn, "run", fake_run)
    cli.run_server(settings, "127.0.0.1", 8765)
    assert seen["threads"] == 1
    assert not scheduler_threads()

"""Reminders about overdue interventions and due reviews fire at the right moments,
once per due date and recipient, to the right people, by e-mail and in the app,
without a subject's name or any description leaving the audited system; a failed
send is tried again by the next run. Time is moved by passing ``now`` and, for the
scheduled job and the command, by travelling with time-machine."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tests.assessment.reminder_factories import (
    CASE_TITLE,
    INTERVENTION_DESCRIPTION,
    SECRETS,
    make_case,
    make_staff,
    read_outbox,
)
from tests.conftest import TEST_SECRET
from tests.factories import actor_for, make_agency
from vigil.assessment import cases, plan, reminders
from vigil.assessment.models import Case, Intervention, ReminderSent
from vigil.platform import migrate
from vigil.platform.actor import command_line
from vigil.platform.database import make_engine, make_sessionmaker
from vigil.platform.mail import FileMailer, Mailer, MailRefused, SmtpMailer
from vigil.platform.models import Agency, AuditEvent, Notification, User
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import jobs

SCHEDULER = command_line("scheduler")
BASE_URL = "https://vigil.agency.example"
DAY = timedelta(days=1)
# Due dates a little ahead of the real today, so the services accept them.
DUE = utcnow().date() + timedelta(days=20)


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


@dataclass
class World:
    agency: Agency
    lead: User
    owner: User
    case: Case
    item: Intervention
    outbox: Path
    mailer: FileMailer

    def run(self, db: Session, day: date, *, mailer: Mailer | None = None) -> int:
        return reminders.send_due_reminders(
            db, actor=SCHEDULER, mailer=mailer or self.mailer, now=at(day), base_url=BASE_URL
        )

    def mail(self) -> list[tuple[str, str]]:
        """(recipient, subject) of every message sent so far."""
        return sorted((str(m["To"]), str(m["Subject"])) for m in read_outbox(self.outbox))


@pytest.fixture()
def world(db: Session, tmp_path: Path) -> World:
    agency = make_agency(db)
    lead = make_staff(db, agency=agency)
    owner = make_staff(db, agency=agency)
    case = make_case(db, agency=agency, lead=lead, members=(owner,))
    item = plan.add_intervention(
        db,
        actor=actor_for(lead),
        case_id=case.id,
        kind="mental_health_referral",
        description=INTERVENTION_DESCRIPTION,
        owner_user_id=owner.id,
        due_on=DUE,
    )
    outbox = tmp_path / "outbox"
    return World(agency, lead, owner, case, item, outbox, FileMailer("vigil@x.example", outbox))


def notifications(db: Session, user: User) -> list[Notification]:
    return list(
        db.execute(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        ).scalars()
    )


def reminder_audits(db: Session) -> list[AuditEvent]:
    return list(
        db.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "assessment.reminders")
            .order_by(AuditEvent.seq)
        ).scalars()
    )


def cancel(db: Session, world: World) -> None:
    """Take the world's intervention out of the way of a test about reviews."""
    plan.update_intervention(
        db,
        actor=actor_for(world.lead),
        case_id=world.case.id,
        intervention_id=world.item.id,
        change=plan.InterventionUpdate(status="cancelled"),
    )


OVERDUE = "Overdue intervention in case {}"
REVIEW = "Review due for case {}"


# --- when an overdue intervention is reminded ---------------------------------------------


def test_an_intervention_is_reminded_the_day_after_its_due_date_and_only_once(
    db: Session, world: World
) -> None:
    assert world.run(db, DUE - DAY) == 0
    assert (
        reminders.send_due_reminders(
            db, actor=SCHEDULER, mailer=world.mailer, now=at(DUE, 23), base_url=BASE_URL
        )
        == 0
    ), "on its due date an intervention is still in time"
    assert world.mail() == []

    assert world.run(db, DUE + DAY) == 1
    assert world.mail() == [(world.owner.email, OVERDUE.format(world.case.number))]
    (note,) = notifications(db, world.owner)
    assert (note.kind, note.link, note.object_type) == (
        "case.intervention_overdue",
        f"/cases/{world.case.id}",
        "case",
    )
    assert world.case.number in note.subject and "Mental-health referral" in note.subject

    assert world.run(db, DUE + DAY) == 0
    assert world.run(db, DUE + 30 * DAY) == 0
    assert len(world.mail()) == 1 and len(notifications(db, world.owner)) == 1
    assert notifications(db, world.lead) == [], "the owner is reminded, not the lead"


def test_moving_the_due_date_fires_a_new_reminder_at_the_new_date(
    db: Session, world: World
) -> None:
    assert world.run(db, DUE + DAY) == 1
    later = DUE + 5 * DAY
    plan.update_intervention(
        db,
        actor=actor_for(world.owner),
        case_id=world.case.id,
        intervention_id=world.item.id,
        change=plan.InterventionUpdate(due_on=later, status="in_progress"),
        today=DUE + DAY,
    )
    assert world.run(db, later) == 0
    assert world.run(db, later + DAY) == 1
    assert world.run(db, later + 2 * DAY) == 0
    keys = db.execute(
        select(ReminderSent.due_key).where(ReminderSent.object_id == world.item.id)
    ).scalars()
    assert sorted(keys) == [DUE.isoformat(), later.isoformat()]
    assert len(world.mail()) == 2


@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_finished_interventions_are_not_reminded(db: Session, world: World, status: str) -> None:
    plan.update_intervention(
        db,
        actor=actor_for(world.owner),
        case_id=world.case.id,
        intervention_id=world.item.id,
        change=plan.InterventionUpdate(status=status, outcome="Referral made and attended."),
    )
    assert world.run(db, DUE + 10 * DAY) == 0
    assert world.mail() == [] and notifications(db, world.owner) == []


def test_interventions_of_a_closed_case_are_not_reminded(db: Session, world: World) -> None:
    cases.change_status(
        db,
        actor=actor_for(world.lead),
        case_id=world.case.id,
        to_status="closed",
        closing_summary="The subject engaged with services; no further concern.",
    )
    assert world.run(db, DUE + 10 * DAY) == 0
    assert world.mail() == []


def test_without_an_enabled_owner_on_the_team_the_leads_are_reminded(
    db: Session, world: World
) -> None:
    second_lead = make_staff(db, agency=world.agency)
    cases.add_member(
        db,
        actor=actor_for(world.lead),
        case_id=world.case.id,
        username=second_lead.username,
        team_role="lead",
    )
    world.owner.disabled_at = utcnow()
    db.flush()
    assert world.run(db, DUE + DAY) == 2
    assert world.mail() == sorted(
        (lead.email, OVERDUE.format(world.case.number)) for lead in (world.lead, second_lead)
    )
    assert notifications(db, world.owner) == []

    # An intervention with no owner at all goes to the leads as well.
    plan.add_intervention(
        db,
        actor=actor_for(world.lead),
        case_id=world.case.id,
        kind="safety_plan",
        description="Agree a safety plan with the school",
        owner_user_id=None,
        due_on=DUE + DAY,
    )
    assert world.run(db, DUE + 2 * DAY) == 2


def test_an_owner_taken_off_the_team_is_not_reminded(db: Session, world: World) -> None:
    (membership,) = [m for m in cases.members(db, world.case) if m.user_id == world.owner.id]
    cases.remove_member(
        db, actor=actor_for(world.lead), case_id=world.case.id, member_id=membership.id
    )
    assert world.run(db, DUE + DAY) == 1
    assert world.mail() == [(world.lead.email, OVERDUE.format(world.case.number))]


def test_recipients_without_an_address_get_the_notification_only(db: Session, world: World) -> None:
    world.owner.email = None
    db.flush()
    assert world.run(db, DUE + DAY) == 1
    assert world.mail() == []
    assert len(notifications(db, world.owner)) == 1
    (event,) = reminder_audits(db)
    assert event.details["in_app_only"] == 1 and event.details["emailed"] == 0


# --- when a review is reminded -----------------------------------------------------------


def test_a_review_is_reminded_to_the_leads_on_its_date_and_again_for_the_next(
    db: Session, world: World
) -> None:
    cancel(db, world)
    member = make_staff(db, agency=world.agency)
    review_on = DUE - 10 * DAY
    case = make_case(
        db, agency=world.agency, lead=world.lead, members=(member,), next_review_on=review_on
    )
    assert world.run(db, review_on - DAY) == 0
    assert world.run(db, review_on) == 1
    assert world.mail() == [(world.lead.email, REVIEW.format(case.number))]
    assert world.run(db, review_on + DAY) == 0
    assert notifications(db, member) == []

    plan.hold_review(
        db,
        actor=actor_for(world.lead),
        case_id=case.id,
        held_on=review_on + DAY,
        summary="The team met; the plan stands as agreed.",
        today=review_on + DAY,
    )
    assert case.next_review_on == review_on + 31 * DAY
    assert world.run(db, review_on + 30 * DAY) == 0
    assert world.run(db, review_on + 31 * DAY) == 1
    assert len(world.mail()) == 2


def test_no_review_reminder_for_a_closed_case(db: Session, world: World) -> None:
    make_case(db, agency=world.agency, lead=world.lead, status="closed", next_review_on=DUE - DAY)
    assert world.run(db, DUE - DAY) == 0


def test_a_case_without_an_enabled_lead_reminds_the_agencys_supervisors(
    db: Session, world: World
) -> None:
    supervisor = make_staff(db, agency=world.agency, roles=frozenset({Role.SUPERVISOR}))
    other_agency_supervisor = make_staff(
        db, agency=make_agency(db), roles=frozenset({Role.SUPERVISOR})
    )
    lead = make_staff(db, agency=world.agency)
    case = make_case(db, agency=world.agency, lead=lead, next_review_on=DUE - DAY)
    lead.disabled_at = utcnow()
    db.flush()
    assert world.run(db, DUE - DAY) == 1
    assert world.mail() == [(supervisor.email, REVIEW.format(case.number))]
    assert notifications(db, other_agency_supervisor) == []


# --- delivery failures -------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_failed_send_records_nothing_and_the_next_run_sends_it(db: Session, world: World) -> None:
    unreachable = SmtpMailer(
        "vigil@x.example", host="127.0.0.1", port=closed_port(), starttls=False
    )
    no_address = make_staff(db, agency=world.agency, email=None)
    make_case(db, agency=world.agency, lead=no_address, next_review_on=DUE)

    assert world.run(db, DUE + DAY, mailer=unreachable) == 1, "the in-app-only one still goes"
    assert notifications(db, world.owner) == []
    assert (
        db.execute(
            select(func.count())
            .select_from(ReminderSent)
            .where(ReminderSent.recipient_user_id == world.owner.id)
        ).scalar_one()
        == 0
    )
    (failed,) = reminder_audits(db)
    assert failed.details["mail_deferred"] == 1 and failed.details["in_app_only"] == 1

    assert world.run(db, DUE + 2 * DAY) == 1
    assert world.mail() == [(world.owner.email, OVERDUE.format(world.case.number))]
    assert len(notifications(db, world.owner)) == 1


class RefusingMailer:
    def send(self, *, to: str, subject: str, body: str) -> None:
        raise MailRefused("the SMTP server refused the recipient for good")


def test_an_address_refused_for_good_gets_the_notification_and_is_not_retried(
    db: Session, world: World
) -> None:
    assert world.run(db, DUE + DAY, mailer=RefusingMailer()) == 1
    assert len(notifications(db, world.owner)) == 1
    assert world.run(db, DUE + 2 * DAY) == 0
    assert world.mail() == []
    (event,) = reminder_audits(db)
    assert event.details["mail_refused"] == 1 and event.details["in_app_only"] == 1


# --- what leaves the system ---------------------------------------------------------------


def test_mail_notifications_and_audit_carry_no_names_or_descriptions(
    db: Session, world: World
) -> None:
    make_case(db, agency=world.agency, lead=world.lead, next_review_on=DUE)
    assert world.run(db, DUE + DAY) == 2

    messages = read_outbox(world.outbox)
    assert len(messages) == 2
    for message in messages:
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        content = body.get_content()
        everything = message.as_string() + content
        assert f"{BASE_URL}/cases/" in content
        for secret in (*SECRETS, CASE_TITLE):
            assert secret not in everything
    overdue = next(m for m in messages if "Overdue" in str(m["Subject"]))
    overdue_body = overdue.get_body(preferencelist=("plain",))
    assert overdue_body is not None
    text = overdue_body.get_content()
    assert world.case.number in text and DUE.isoformat() in text
    assert "Mental-health referral" in text
    assert f"{BASE_URL}/cases/{world.case.id}" in text

    subjects = " ".join(n.subject for n in notifications(db, world.owner))
    subjects += " ".join(n.subject for n in notifications(db, world.lead))
    for secret in SECRETS:
        assert secret not in subjects
    (event,) = reminder_audits(db)
    assert (event.actor_type, event.actor_name, event.object_type) == (
        "cli",
        "scheduler",
        "assessment_reminder",
    )
    assert event.details == {
        "interventions_overdue": 1,
        "reviews_due": 1,
        "emailed": 2,
        "in_app_only": 0,
        "mail_refused": 0,
        "mail_deferred": 0,
    }


def test_a_quiet_run_writes_nothing(db: Session, world: World) -> None:
    assert world.run(db, DUE - DAY) == 0
    assert reminder_audits(db) == []


def test_only_the_command_line_sends_reminders(db: Session, world: World) -> None:
    for user in (world.lead, world.owner):
        with pytest.raises(PermissionDenied):
            reminders.send_due_reminders(
                db, actor=actor_for(user), mailer=world.mailer, now=at(DUE), base_url=BASE_URL
            )


def test_the_message_names_the_case_the_kind_and_the_date() -> None:
    reminder = reminders.Reminder(
        reminders.INTERVENTION_OVERDUE,
        7,
        date(2030, 5, 1),
        3,
        "TA-2030-000003",
        "erpo_petition",
        reminders.Recipient(1, "a@b.example", "lead"),
    )
    message = reminders.compose(reminder, link="https://v.example/cases/3")
    assert message.subject == "Overdue intervention in case TA-2030-000003"
    assert "Extreme risk protection order petition" in message.body
    assert "Due: 2030-05-01" in message.body and "https://v.example/cases/3" in message.body
    assert "you lead this case" in message.body


# --- on a schedule and from the shell, travelling in time ---------------------------------


@pytest.fixture()
def own_database(tmp_path: Path) -> Iterator[tuple[Settings, sessionmaker[Session]]]:
    """A real SQLite database of its own: the job commits for real."""
    settings = Settings(
        data_dir=tmp_path / "data",
        secret_key=TEST_SECRET,
        mail_backend="file",
        mail_file_dir=tmp_path / "outbox",
        public_url=BASE_URL,
    )
    engine = make_engine(settings)
    migrate.upgrade(engine)
    try:
        yield settings, make_sessionmaker(engine)
    finally:
        engine.dispose()


def _seed(factory: sessionmaker[Session], due_on: date) -> tuple[str, str]:
    """A case with an intervention due on ``due_on``; the owner's address and the number."""
    with factory() as db:
        agency = make_agency(db)
        lead = make_staff(db, agency=agency)
        owner = make_staff(db, agency=agency)
        case = make_case(db, agency=agency, lead=lead, members=(owner,))
        plan.add_intervention(
            db,
            actor=actor_for(lead),
            case_id=case.id,
            kind="school_support",
            description=INTERVENTION_DESCRIPTION,
            owner_user_id=owner.id,
            due_on=due_on,
        )
        db.commit()
        assert owner.email is not None
        return owner.email, case.number


def test_the_scheduled_job_reminds_when_the_clock_passes_the_due_date(
    own_database: tuple[Settings, sessionmaker[Session]],
) -> None:
    settings, factory = own_database
    address, number = _seed(factory, DUE)
    outbox = settings.resolved_mail_file_dir

    with time_machine.travel(at(DUE, 23), tick=False):
        jobs.reminders_job(settings, factory)
    assert read_outbox(outbox) == []

    with time_machine.travel(at(DUE + DAY, 0), tick=False):
        jobs.reminders_job(settings, factory)
        jobs.reminders_job(settings, factory)
    (message,) = read_outbox(outbox)
    assert (message["To"], message["Subject"]) == (address, OVERDUE.format(number))
    with factory() as db:
        assert db.execute(select(func.count()).select_from(ReminderSent)).scalar_one() == 1


def test_a_failing_run_is_logged_by_its_type_alone_and_the_next_run_catches_up(
    own_database: tuple[Settings, sessionmaker[Session]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings, factory = own_database
    _seed(factory, DUE)

    def explode(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("Ravenna Blackwood, 12 Chapel Road")

    with monkeypatch.context() as patched:
        patched.setattr(reminders, "send_due_reminders", explode)
        with (
            caplog.at_level(logging.ERROR, logger="vigil.jobs"),
            time_machine.travel(at(DUE + DAY), tick=False),
        ):
            jobs.reminders_job(settings, factory)
    assert [r.getMessage() for r in caplog.records] == ["scheduled reminders failed: RuntimeError"]
    with time_machine.travel(at(DUE + 2 * DAY), tick=False):
        jobs.reminders_job(settings, factory)
    assert len(read_outbox(settings.resolved_mail_file_dir)) == 1


def test_the_command_sends_what_is_due_at_the_given_moment(
    own_database: tuple[Settings, sessionmaker[Session]],
) -> None:
    from vigil.cli import app

    settings, factory = own_database
    address, _ = _seed(factory, DUE)
    env = {
        "VIGIL_DATA_DIR": str(settings.data_dir),
        "VIGIL_SECRET_KEY": TEST_SECRET,
        "VIGIL_MAIL_BACKEND": "file",
        "VIGIL_MAIL_FILE_DIR": str(settings.resolved_mail_file_dir),
    }
    runner = CliRunner()
    early = runner.invoke(app, ["assessment", "reminders", "--now", DUE.isoformat()], env=env)
    assert (early.exit_code, early.output.strip()) == (0, "0 reminders sent.")
    due = runner.invoke(
        app, ["assessment", "reminders", "--now", f"{(DUE + DAY).isoformat()}T08:00"], env=env
    )
    assert (due.exit_code, due.output.strip()) == (0, "1 reminder sent.")
    assert [m["To"] for m in read_outbox(settings.resolved_mail_file_dir)] == [address]
    bad = runner.invoke(app, ["assessment", "reminders", "--now", "next tuesday"], env=env)
    assert bad.exit_code == 2

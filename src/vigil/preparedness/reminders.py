"""Preparedness reminders: corrective actions past their due date and certifications
about to expire, each sent once per due date and recipient, in the app and by e-mail.

An open corrective action is overdue the day after its due date; its owner is reminded,
or, when the owner is gone (disabled, moved agency), the agency's supervisors. A
certification is reminded ``CERTIFICATION_NOTICE_DAYS`` before it expires, to its
holder when the holder is a user, else to the agency's supervisors. A message carries
the action's or course's number and the date and a link, never a title or a name.

Each reminder is recorded in a SAVEPOINT released only after the mailer accepted the
message, so a failed send leaves nothing behind and the next run tries again; the
unique key makes a second run skip what the first recorded. ``send_due_reminders`` is
what the scheduled job (vigil.reports.jobs.preparedness_job) calls.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.mail import Mailer, MailError, MailRefused
from vigil.platform.models import Agency, Notification, User, UserRole
from vigil.platform.roles import Role
from vigil.preparedness.corrective_actions import OPEN_STATUSES
from vigil.preparedness.improvement_models import (
    Certification,
    CorrectiveAction,
    Course,
    PreparednessReminder,
)

log = logging.getLogger("vigil.preparedness.reminders")

ACTION_OVERDUE = "corrective_action_overdue"
CERTIFICATION_EXPIRING = "certification_expiring"
CERTIFICATION_NOTICE_DAYS = 30


@dataclass(frozen=True)
class Reminder:
    kind: str
    object_id: int
    due_on: date
    recipient_user_id: int
    email: str | None
    subject: str
    link: str

    @property
    def key(self) -> tuple[str, int, str, int]:
        return (self.kind, self.object_id, self.due_on.isoformat(), self.recipient_user_id)


def _supervisors(db: Session, agency_ids: set[int]) -> dict[int, list[tuple[int, str | None]]]:
    found: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
    if not agency_ids:
        return found
    rows = db.execute(
        select(User.agency_id, User.id, User.email)
        .join(UserRole, UserRole.user_id == User.id)
        .join(Agency, Agency.id == User.agency_id)
        .where(
            User.agency_id.in_(agency_ids),
            User.disabled_at.is_(None),
            Agency.active.is_(True),
            UserRole.role == Role.SUPERVISOR.value,
        )
        .order_by(User.agency_id, User.id)
    ).all()
    for agency_id, user_id, email in rows:
        found[agency_id].append((user_id, email))
    return found


def _active_users(db: Session, ids: set[int]) -> dict[int, tuple[int, str | None]]:
    """user id -> (agency id, e-mail) for enabled users of active agencies."""
    if not ids:
        return {}
    rows = db.execute(
        select(User.id, User.agency_id, User.email)
        .join(Agency, Agency.id == User.agency_id)
        .where(User.id.in_(ids), User.disabled_at.is_(None), Agency.active.is_(True))
    ).all()
    return {user_id: (agency_id, email) for user_id, agency_id, email in rows}


def due_reminders(db: Session, *, today: date) -> list[Reminder]:
    """Every reminder due on ``today`` (UTC), sent or not."""
    overdue = list(
        db.execute(
            select(CorrectiveAction)
            .where(CorrectiveAction.status.in_(OPEN_STATUSES), CorrectiveAction.due_on < today)
            .order_by(CorrectiveAction.due_on, CorrectiveAction.id)
        ).scalars()
    )
    expiring = db.execute(
        select(Certification, Course.code)
        .join(Course, Course.id == Certification.course_id)
        .where(
            Certification.expires_on.is_not(None),
            Certification.expires_on <= today + timedelta(days=CERTIFICATION_NOTICE_DAYS),
        )
        .order_by(Certification.expires_on, Certification.id)
    ).all()
    users = _active_users(
        db,
        {i.owner_user_id for i in overdue if i.owner_user_id is not None}
        | {c.user_id for c, _ in expiring if c.user_id is not None},
    )
    agencies = {i.owner_agency_id for i in overdue} | {c.owner_agency_id for c, _ in expiring}
    supervisors = _supervisors(db, agencies)

    def recipients(user_id: int | None, agency_id: int) -> list[tuple[int, str | None]]:
        found = users.get(user_id or 0)
        if found is not None and found[0] == agency_id and user_id is not None:
            return [(user_id, found[1])]
        return supervisors.get(agency_id, [])

    reminders: list[Reminder] = []
    for item in overdue:
        for user_id, email in recipients(item.owner_user_id, item.owner_agency_id):
            reminders.append(
                Reminder(
                    ACTION_OVERDUE,
                    item.id,
                    item.due_on,
                    user_id,
                    email,
                    f"Corrective action CA-{item.id} is overdue (due {item.due_on.isoformat()})",
                    f"/preparedness/actions/{item.id}",
                )
            )
    for certification, code in expiring:
        expires = certification.expires_on
        if expires is None:  # the query asks for a date
            continue
        verb = "expired" if expires < today else "expires"
        for user_id, email in recipients(certification.user_id, certification.owner_agency_id):
            reminders.append(
                Reminder(
                    CERTIFICATION_EXPIRING,
                    certification.id,
                    expires,
                    user_id,
                    email,
                    f"Training certification {code} #{certification.id} {verb} on "
                    f"{expires.isoformat()}",
                    "/preparedness/training",
                )
            )
    return reminders


def _already_sent(db: Session, reminders: list[Reminder]) -> set[tuple[str, int, str, int]]:
    if not reminders:
        return set()
    rows = db.execute(
        select(
            PreparednessReminder.kind,
            PreparednessReminder.object_id,
            PreparednessReminder.due_key,
            PreparednessReminder.recipient_user_id,
        ).where(PreparednessReminder.object_id.in_({r.object_id for r in reminders}))
    ).all()
    return {(k, o, d, u) for k, o, d, u in rows}


def _record(db: Session, reminder: Reminder, now: datetime) -> None:
    db.add(
        PreparednessReminder(
            kind=reminder.kind,
            object_id=reminder.object_id,
            due_key=reminder.due_on.isoformat(),
            recipient_user_id=reminder.recipient_user_id,
            sent_at=now,
        )
    )
    db.add(
        Notification(
            user_id=reminder.recipient_user_id,
            kind=f"preparedness.{reminder.kind}"[:40],
            subject=reminder.subject,
            link=reminder.link,
            object_type="corrective_action"
            if reminder.kind == ACTION_OVERDUE
            else "training_certification",
            object_id=str(reminder.object_id),
            created_at=now,
        )
    )
    db.flush()


def send_due_reminders(
    db: Session, *, actor: Actor, now: datetime, mailer: Mailer | None = None, base_url: str = ""
) -> int:
    """Remind owners of overdue corrective actions and holders of expiring certifications,
    once per due date and recipient; returns how many reminders were recorded."""
    policy.authorize(actor, "send", "preparedness_reminder")
    due = due_reminders(db, today=now.astimezone(UTC).date())
    sent = _already_sent(db, due)
    counts = {ACTION_OVERDUE: 0, CERTIFICATION_EXPIRING: 0}
    deferred = 0
    mail_down = False
    for reminder in due:
        if reminder.key in sent:
            continue
        email = reminder.email if mailer is not None else None
        if email and mail_down:
            deferred += 1
            continue
        body = (
            f"{reminder.subject}.\n\nOpen Vigil to see the details:\n"
            f"{base_url.rstrip('/')}{reminder.link}\n\nThe details stay in Vigil; "
            "this message carries none.\n"
        )
        try:
            with db.begin_nested():
                _record(db, reminder, now)
                if email and mailer is not None:
                    mailer.send(to=email, subject=reminder.subject, body=body)
        except IntegrityError:
            continue
        except MailRefused as error:
            log.warning("reminder e-mail to user %d: %s", reminder.recipient_user_id, error)
            try:
                with db.begin_nested():
                    _record(db, reminder, now)
            except IntegrityError:
                continue
        except MailError as error:
            log.error("reminder e-mail: %s; the rest wait for the next run", error)
            mail_down = True
            deferred += 1
            continue
        sent.add(reminder.key)
        counts[reminder.kind] += 1
    recorded = sum(counts.values())
    if recorded or deferred:
        audit.record(
            db,
            actor=actor,
            action="preparedness.reminders",
            object_type="preparedness_reminder",
            details={
                "actions_overdue": counts[ACTION_OVERDUE],
                "certifications_expiring": counts[CERTIFICATION_EXPIRING],
                "mail_deferred": deferred,
            },
            at=now,
        )
    return recorded

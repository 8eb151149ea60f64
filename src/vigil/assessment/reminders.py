"""Reminders about threat-assessment cases: overdue interventions and due reviews, by
e-mail and as in-app notifications, each sent once per due date and recipient.

An intervention (planned or in progress, in a case that is not closed) is overdue
the day after its due date, as the dashboard counts it; its owner is reminded, or,
when it has no owner or the owner is disabled or off the team, the case's leads. A
case's review is due on its ``next_review_on`` date; its leads are reminded. With
no enabled lead left, the owning agency's supervisors are reminded instead.

E-mail leaves the audited system, so a message carries the case number, the kind of
intervention, the due date and a link, never a subject's name, the case title, a
narrative or a description. The in-app notification says the same.

Delivery is at least once. Each reminder is recorded (``ReminderSent``, the
notification) in a SAVEPOINT that is released only after the mailer accepted the
message, so a failed send leaves nothing behind and the next run tries again; the
unique key makes a concurrent run wait for ours and then skip what we recorded.
Only a commit that fails after a send repeats an e-mail. An address the server
refuses for good (5xx) gets the notification alone, and the log names the user whose
address to fix. The caller's transaction stays open while mail is handed over (on
SQLite that holds the write lock), so after the first failure of the mail service
itself the run sends no more e-mail and leaves those reminders to the next run.
A run that finds nothing to send writes nothing, not even an audit event.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigil.assessment.models import Case, CaseMember, Intervention, ReminderSent
from vigil.assessment.vocabulary import (
    ACTIVE_STATUSES,
    INTERVENTION_KINDS,
    OPEN_INTERVENTION_STATUSES,
)
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.mail import Mailer, MailError, MailRefused
from vigil.platform.models import Agency, Notification, User, UserRole
from vigil.platform.roles import Role

log = logging.getLogger("vigil.assessment.reminders")

INTERVENTION_OVERDUE = "intervention_overdue"
REVIEW_DUE = "review_due"
WHY = {
    "owner": "you own this intervention",
    "lead": "you lead this case",
    "supervisor": "you supervise the agency that owns this case and it has no active lead",
}


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str | None
    why: str  # owner, lead, supervisor


@dataclass(frozen=True)
class Reminder:
    """One reminder to one person about one due date."""

    kind: str
    object_id: int
    due_on: date
    case_id: int
    case_number: str
    intervention_kind: str | None
    recipient: Recipient

    @property
    def key(self) -> tuple[str, int, str, int]:
        return (self.kind, self.object_id, self.due_on.isoformat(), self.recipient.user_id)


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    headline: str  # the in-app notification's subject


def compose(reminder: Reminder, *, link: str) -> Message:
    """The e-mail and the notification: case number, intervention kind, date, link."""
    due = reminder.due_on.isoformat()
    number = reminder.case_number
    if reminder.kind == INTERVENTION_OVERDUE:
        label = INTERVENTION_KINDS.get(reminder.intervention_kind or "", "Intervention")
        subject = f"Overdue intervention in case {number}"
        opening = (
            f"An intervention in threat-assessment case {number} is overdue.\n\n"
            f"Intervention: {label}\nDue: {due}\n"
        )
        headline = f"Intervention overdue in case {number}: {label}, due {due}"
    else:
        subject = f"Review due for case {number}"
        opening = f"A scheduled review of threat-assessment case {number} is due.\n\nDue: {due}\n"
        headline = f"Review due for case {number} on {due}"
    body = (
        f"{opening}\nOpen the case in Vigil to see the details and bring it up to date:\n"
        f"{link}\n\n"
        f"You receive this because {WHY[reminder.recipient.why]}. The details stay in "
        "Vigil; this message carries none.\n"
    )
    return Message(subject=subject, body=body, headline=headline)


def _team(db: Session, case_ids: set[int]) -> dict[int, dict[int, tuple[str, str | None]]]:
    """Per case: the enabled members of active agencies, user id -> (team role, e-mail)."""
    if not case_ids:
        return {}
    rows = db.execute(
        select(CaseMember.case_id, CaseMember.user_id, CaseMember.team_role, User.email)
        .join(User, User.id == CaseMember.user_id)
        .join(Agency, Agency.id == User.agency_id)
        .where(
            CaseMember.case_id.in_(case_ids),
            CaseMember.removed_at.is_(None),
            User.disabled_at.is_(None),
            Agency.active.is_(True),
        )
        .order_by(CaseMember.case_id, CaseMember.user_id)
    ).all()
    team: dict[int, dict[int, tuple[str, str | None]]] = defaultdict(dict)
    for case_id, user_id, role, email in rows:
        known = team[case_id].get(user_id)
        if known is None or role == "lead":
            team[case_id][user_id] = (role, email)
    return team


def _supervisors(db: Session, agency_ids: set[int]) -> dict[int, list[Recipient]]:
    if not agency_ids:
        return {}
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
    found: dict[int, list[Recipient]] = defaultdict(list)
    for agency_id, user_id, email in rows:
        found[agency_id].append(Recipient(user_id, email, "supervisor"))
    return found


def due_reminders(db: Session, *, today: date) -> list[Reminder]:
    """Every reminder due on ``today`` (UTC), sent or not, oldest due date first."""
    overdue = db.execute(
        select(Intervention, Case.number, Case.owner_agency_id)
        .join(Case, Case.id == Intervention.case_id)
        .where(
            Intervention.status.in_(OPEN_INTERVENTION_STATUSES),
            Intervention.due_on < today,
            Case.status.in_(ACTIVE_STATUSES),
        )
        .order_by(Intervention.due_on, Intervention.id)
    ).all()
    review_cases = list(
        db.execute(
            select(Case)
            .where(
                Case.status.in_(ACTIVE_STATUSES),
                Case.next_review_on.is_not(None),
                Case.next_review_on <= today,
            )
            .order_by(Case.next_review_on, Case.id)
        ).scalars()
    )
    owners = {item.case_id: agency_id for item, _, agency_id in overdue}
    owners.update({case.id: case.owner_agency_id for case in review_cases})
    team = _team(db, set(owners))
    leads = {
        case_id: [
            Recipient(user_id, email, "lead")
            for user_id, (role, email) in team.get(case_id, {}).items()
            if role == "lead"
        ]
        for case_id in owners
    }
    supervisors = _supervisors(
        db, {owners[case_id] for case_id, found in leads.items() if not found}
    )

    def responsible(case_id: int) -> list[Recipient]:
        return leads[case_id] or supervisors.get(owners[case_id], [])

    reminders: list[Reminder] = []
    for item, number, _ in overdue:
        owner = team.get(item.case_id, {}).get(item.owner_user_id or 0)
        recipients = (
            [Recipient(item.owner_user_id, owner[1], "owner")]
            if owner is not None and item.owner_user_id is not None
            else responsible(item.case_id)
        )
        reminders.extend(
            Reminder(INTERVENTION_OVERDUE, item.id, item.due_on, item.case_id, number, item.kind, r)
            for r in recipients
        )
    for case in review_cases:
        if case.next_review_on is None:  # the query asks for a date; closed cases have none
            continue
        reminders.extend(
            Reminder(REVIEW_DUE, case.id, case.next_review_on, case.id, case.number, None, r)
            for r in responsible(case.id)
        )
    return reminders


def _already_sent(db: Session, reminders: list[Reminder]) -> set[tuple[str, int, str, int]]:
    if not reminders:
        return set()
    wanted = {reminder.key for reminder in reminders}
    rows = db.execute(
        select(
            ReminderSent.kind,
            ReminderSent.object_id,
            ReminderSent.due_key,
            ReminderSent.recipient_user_id,
        ).where(
            ReminderSent.kind.in_({reminder.kind for reminder in reminders}),
            ReminderSent.object_id.in_({reminder.object_id for reminder in reminders}),
        )
    ).all()
    return {(kind, object_id, due_key, user) for kind, object_id, due_key, user in rows} & wanted


def _record(db: Session, reminder: Reminder, message: Message, now: datetime) -> None:
    db.add(
        ReminderSent(
            kind=reminder.kind,
            object_id=reminder.object_id,
            due_key=reminder.due_on.isoformat(),
            recipient_user_id=reminder.recipient.user_id,
            sent_at=now,
        )
    )
    db.add(
        Notification(
            user_id=reminder.recipient.user_id,
            kind=f"case.{reminder.kind}",
            subject=message.headline,
            link=f"/cases/{reminder.case_id}",
            object_type="case",
            object_id=str(reminder.case_id),
            created_at=now,
        )
    )
    # Claims the unique key now: a concurrent run waits here until ours ends, then skips.
    db.flush()


@dataclass
class _Tally:
    interventions: int = 0
    reviews: int = 0
    emailed: int = 0
    in_app_only: int = 0
    refused: int = 0
    deferred: int = 0

    @property
    def recorded(self) -> int:
        return self.interventions + self.reviews


def send_due_reminders(
    db: Session, *, actor: Actor, mailer: Mailer, now: datetime, base_url: str
) -> int:
    """Remind the people responsible for overdue interventions and due reviews, once
    per due date and recipient, by e-mail (when they have an address) and in the app;
    returns how many reminders were recorded in this run."""
    policy.authorize(actor, "send", "assessment_reminder")
    policy.authorize(actor, "create", "notification")
    due = due_reminders(db, today=now.astimezone(UTC).date())
    sent = _already_sent(db, due)
    tally = _Tally()
    mail_down = False
    for reminder in due:
        email = reminder.recipient.email
        if reminder.key in sent:
            continue
        if email and mail_down:
            tally.deferred += 1
            continue
        message = compose(reminder, link=f"{base_url.rstrip('/')}/cases/{reminder.case_id}")
        try:
            with db.begin_nested():
                _record(db, reminder, message, now)
                if email:
                    mailer.send(to=email, subject=message.subject, body=message.body)
        except IntegrityError:
            continue
        except MailRefused as error:
            # Trying again will not help: the reminder stays in the app only, and the
            # operator learns whose address to fix.
            log.warning("reminder e-mail to user %d: %s", reminder.recipient.user_id, error)
            try:
                with db.begin_nested():
                    _record(db, reminder, message, now)
            except IntegrityError:
                continue
            tally.refused += 1
            email = None
        except MailError as error:
            log.error("reminder e-mail: %s; the rest wait for the next run", error)
            mail_down = True
            tally.deferred += 1
            continue
        sent.add(reminder.key)
        if reminder.kind == INTERVENTION_OVERDUE:
            tally.interventions += 1
        else:
            tally.reviews += 1
        if email:
            tally.emailed += 1
        else:
            tally.in_app_only += 1
    if tally.recorded or tally.deferred:
        # Counts only: who was reminded about what is in assessment_reminders.
        audit.record(
            db,
            actor=actor,
            action="assessment.reminders",
            object_type="assessment_reminder",
            details={
                "interventions_overdue": tally.interventions,
                "reviews_due": tally.reviews,
                "emailed": tally.emailed,
                "in_app_only": tally.in_app_only,
                "mail_refused": tally.refused,
                "mail_deferred": tally.deferred,
            },
            at=now,
        )
    return tally.recorded

"""Dates that matter to a survivor (anniversaries, court dates, trial milestones,
follow-ups) and the reminders their advocate gets before each one.

A yearly date (an anniversary) recurs; the reminder for each occurrence is sent once.
A reminder is an in-app notification naming the case number and the date, never the
survivor or what the date is about, because notifications are shown outside the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.models import Notification, User
from vigil.platform.types import utcnow
from vigil.recovery.cases import audit_case, get_case
from vigil.recovery.models import DateReminder, ImportantDate, SurvivorCase
from vigil.recovery.vocabulary import DATE_KINDS

MAX_REMIND_DAYS = 90


def next_occurrence(on_date: date, yearly: bool, today: date) -> date | None:
    """The next time the date falls on or after ``today`` (29 February → 28th in other
    years); None for a one-off date already past."""
    if not yearly:
        return on_date if on_date >= today else None
    for year in (today.year, today.year + 1):
        try:
            candidate = on_date.replace(year=year)
        except ValueError:  # 29 February in a common year
            candidate = date(year, 2, 28)
        if candidate >= today and candidate >= on_date:
            return candidate
    return None


def add_date(
    db: Session,
    *,
    actor: Actor,
    case_id: int,
    kind: str,
    label: str,
    on_date: date,
    yearly: bool = False,
    remind_days_before: int = 7,
) -> ImportantDate:
    case = get_case(db, actor=actor, case_id=case_id, action="work")
    errors: dict[str, str] = {}
    if kind not in DATE_KINDS:
        errors["kind"] = "Choose a kind of date from the list."
    text = " ".join(label.split())
    if not 1 <= len(text) <= 200:
        errors["label"] = "Say what the date is (1 to 200 characters)."
    if not 0 <= remind_days_before <= MAX_REMIND_DAYS:
        errors["remind_days_before"] = f"Remind 0 to {MAX_REMIND_DAYS} days before."
    if errors:
        raise InvalidInput(errors)
    moment = ImportantDate(
        case_id=case.id,
        kind=kind,
        label=text,
        on_date=on_date,
        yearly=yearly,
        remind_days_before=remind_days_before,
        created_at=utcnow(),
    )
    db.add(moment)
    db.flush()
    audit_case(
        db, actor=actor, action="date_add", case=case, details={"date_id": moment.id, "kind": kind}
    )
    return moment


def remove_date(db: Session, *, actor: Actor, case_id: int, date_id: int) -> None:
    case = get_case(db, actor=actor, case_id=case_id, action="work")
    moment = db.get(ImportantDate, date_id)
    if moment is None or moment.case_id != case.id:
        raise NotFound("survivor_date")
    db.delete(moment)
    audit_case(db, actor=actor, action="date_remove", case=case, details={"date_id": date_id})


def list_dates(db: Session, *, actor: Actor, case_id: int) -> list[ImportantDate]:
    case = get_case(db, actor=actor, case_id=case_id)
    statement = (
        select(ImportantDate)
        .where(ImportantDate.case_id == case.id)
        .order_by(ImportantDate.on_date)
    )
    return list(db.execute(statement).scalars())


@dataclass(frozen=True)
class DueReminder:
    date_id: int
    case_id: int
    case_number: str
    advocate_user_id: int
    kind: str
    occurs_on: date


def due_reminders(db: Session, *, today: date) -> list[DueReminder]:
    """Reminders due today or overdue (their date not yet passed), not yet sent, for open
    cases with an enabled advocate."""
    horizon = today + timedelta(days=MAX_REMIND_DAYS)
    statement = (
        select(ImportantDate, SurvivorCase.number, SurvivorCase.advocate_user_id)
        .join(SurvivorCase, SurvivorCase.id == ImportantDate.case_id)
        .join(User, User.id == SurvivorCase.advocate_user_id)
        .where(SurvivorCase.status == "open", User.disabled_at.is_(None))
        # A one-off date within the horizon, or any yearly one (its next occurrence is
        # worked out below).
        .where((ImportantDate.yearly.is_(True)) | ImportantDate.on_date.between(today, horizon))
        .order_by(ImportantDate.id)
    )
    due: list[DueReminder] = []
    sent = {
        (date_id, occurs_on)
        for date_id, occurs_on in db.execute(
            select(DateReminder.date_id, DateReminder.occurs_on).where(
                DateReminder.occurs_on >= today
            )
        )
    }
    for moment, number, advocate in db.execute(statement):
        occurs = next_occurrence(moment.on_date, moment.yearly, today)
        if occurs is None or advocate is None or (moment.id, occurs) in sent:
            continue
        if today >= occurs - timedelta(days=moment.remind_days_before):
            due.append(
                DueReminder(moment.id, moment.case_id, number, advocate, moment.kind, occurs)
            )
    return due


def send_due_reminders(db: Session, *, actor: Actor, now: datetime | None = None) -> int:
    """Notify each advocate once per occurrence of a date that matters; returns how many."""
    policy.authorize(actor, "send_reminders", "survivor_operations")
    now = now or utcnow()
    reminders = due_reminders(db, today=now.date())
    for reminder in reminders:
        kind = DATE_KINDS[reminder.kind].lower()
        db.add(
            Notification(
                user_id=reminder.advocate_user_id,
                kind="survivor_date",
                subject=f"Case {reminder.case_number}: {kind} on {reminder.occurs_on.isoformat()}",
                link=f"/recovery/cases/{reminder.case_id}",
                object_type="survivor_case",
                object_id=str(reminder.case_id),
                created_at=now,
            )
        )
        db.add(
            DateReminder(
                date_id=reminder.date_id,
                occurs_on=reminder.occurs_on,
                user_id=reminder.advocate_user_id,
                sent_at=now,
            )
        )
    if reminders:
        audit.record(
            db,
            actor=actor,
            action="survivor_case.reminders_send",
            object_type="survivor_case",
            details={"date_ids": [r.date_id for r in reminders]},
        )
    db.flush()
    return len(reminders)

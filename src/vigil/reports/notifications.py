"""Notifications about reports: telling an agency's supervisors, listing one's own
notifications and marking them read.

A notification's subject names a report by its receipt number and says what
happened; it never quotes a narrative or names a person, because it is shown
outside the report's own page and policy.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.platform import actor as actors
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import NotFound
from vigil.platform.models import Agency, Notification, User, UserRole
from vigil.platform.roles import Role
from vigil.platform.types import utcnow
from vigil.reports.models import Report


def active_supervisor_ids(db: Session, agency_id: int) -> list[int]:
    """Ids of the enabled supervisors of an active agency."""
    statement = (
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .join(Agency, Agency.id == User.agency_id)
        .where(
            User.agency_id == agency_id,
            User.disabled_at.is_(None),
            Agency.active.is_(True),
            UserRole.role == Role.SUPERVISOR.value,
        )
        .order_by(User.id)
    )
    return list(db.execute(statement).scalars())


def readers_among(db: Session, user_ids: list[int], report: Report) -> list[int]:
    """Those of ``user_ids`` (enabled accounts) who may read the report. A notification's
    receipt number and link tell that the report exists, so whoever may not read it (a
    TLP:RED report that does not name them) is not told."""
    users = db.execute(
        select(User).where(User.id.in_(user_ids), User.disabled_at.is_(None)).order_by(User.id)
    ).scalars()
    return [u.id for u in users if policy.decide(actors.for_user(u), "read", "report", report)]


def notify_supervisors(
    db: Session,
    *,
    actor: Actor,
    agency_id: int,
    kind: str,
    subject: str,
    link: str,
    report_id: int,
    at: datetime | None = None,
) -> int:
    """One notification per active supervisor of the agency who may read the report;
    returns how many."""
    policy.authorize(actor, "create", "notification")
    at = at or utcnow()
    report = db.get(Report, report_id)
    recipients = readers_among(db, active_supervisor_ids(db, agency_id), report) if report else []
    for user_id in recipients:
        db.add(
            Notification(
                user_id=user_id,
                kind=kind,
                subject=subject,
                link=link,
                object_type="report",
                object_id=str(report_id),
                created_at=at,
            )
        )
    db.flush()
    return len(recipients)


def forget_report(db: Session, report_id: int) -> None:
    """Remove every notification about a purged report (its link leads nowhere now)."""
    for notification in db.execute(
        select(Notification).where(
            Notification.object_type == "report", Notification.object_id == str(report_id)
        )
    ).scalars():
        db.delete(notification)


def list_notifications(
    db: Session, *, actor: Actor, limit: int = 100
) -> tuple[list[Notification], int]:
    """The actor's own notifications, newest first, and how many are unread."""
    policy.authorize(actor, "list", "notification")
    mine = policy.scope(actor, "list", "notification")
    rows = list(
        db.execute(
            select(Notification)
            .where(mine)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        ).scalars()
    )
    unread = db.execute(
        select(func.count()).select_from(Notification).where(mine, Notification.read_at.is_(None))
    ).scalar_one()
    return rows, unread


def mark_read(db: Session, *, actor: Actor, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read (someone else's is not found)."""
    notification = db.get(Notification, notification_id)
    if notification is None or not policy.decide(actor, "mark_read", "notification", notification):
        raise NotFound("notification")
    if notification.read_at is None:
        notification.read_at = utcnow()
        audit.record(
            db,
            actor=actor,
            action="notification.mark_read",
            object_type="notification",
            object_id=notification.id,
        )
    return notification

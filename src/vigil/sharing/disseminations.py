"""The dissemination log of a report: who received it, from whom, why and when, as far
as the reader may know (28 CFR 23.20(g))."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.errors import NotFound
from vigil.platform.models import Agency, User
from vigil.reports.models import Report
from vigil.sharing.models import Dissemination

CHANNEL_LABELS = {
    "stix_export": "STIX export",
    "group": "Sharing group",
    "taxii": "TAXII",
}


@dataclass(frozen=True)
class Received:
    """One line of the log as shown."""

    id: int
    at: datetime
    channel: str
    recipient: str
    by: str
    reason: str
    marking: str
    revoked_at: datetime | None


def for_report(db: Session, *, actor: Actor, report_id: int) -> list[Received]:
    """The records of a report the actor may read: all of them for the agency that
    disseminated, only those addressed to the reader's agency for anyone else."""
    report = db.get(Report, report_id)
    if report is None or not policy.decide(actor, "read", "report", report):
        raise NotFound("report")
    policy.authorize(actor, "list", "dissemination")
    statement = (
        select(Dissemination, User.display_name, Agency.name)
        .outerjoin(User, User.id == Dissemination.by_user_id)
        .outerjoin(Agency, Agency.id == Dissemination.by_agency_id)
        .where(Dissemination.report_id == report.id)
        .where(policy.scope(actor, "list", "dissemination"))
        .order_by(Dissemination.at.desc(), Dissemination.id.desc())
        .limit(1000)
    )
    return [
        Received(
            id=record.id,
            at=record.at,
            channel=CHANNEL_LABELS.get(record.channel, record.channel),
            recipient=record.recipient_label,
            by=f"{user_name or 'system'} ({agency_name or 'no agency'})",
            reason=record.reason,
            marking=record.marking,
            revoked_at=record.revoked_at,
        )
        for record, user_name, agency_name in db.execute(statement)
    ]

"""Closing an incident, and deleting its reunification data on schedule afterwards.

Reunification data exists to reunite families during and just after an incident.
Once the incident has been closed for the retention period, the lists, inquiries,
candidate matches, notification records, guardians, check-ins, releases and PFIF
records of the incident are deleted; the incident itself (its name, place and dates)
and the audit trail stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Delete

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict
from vigil.response.models import (
    AccountabilityList,
    DeathNotification,
    Incident,
    Inquiry,
    InquiryCandidate,
    ListedPerson,
    ListedPersonLink,
    ReunificationAccess,
    ReunificationNote,
    ReunificationPerson,
)
from vigil.response.pfif_exchange import incident_facts
from vigil.response.site_models import (
    AuthorizedGuardian,
    GuardianCheckIn,
    InquiryContact,
    Release,
)

DEFAULT_RETENTION_DAYS: Final = 30
# The personal data of the reunification sites, in the order their keys allow (the
# sites and map points themselves name places, not people, and stay).
SITE_TABLES: Final = (Release, GuardianCheckIn, AuthorizedGuardian, InquiryContact)


@dataclass(frozen=True)
class Purged:
    incident_id: int
    listed: int
    inquiries: int
    pfif_persons: int


def close_incident(session: Session, *, actor: Actor, incident_id: int, now: datetime) -> None:
    """Close an incident; its reunification data is deleted after the retention period."""
    policy.authorize(actor, "close_incident", "reunification", incident_facts(session, incident_id))
    incident = session.get_one(Incident, incident_id)
    if incident.status == "closed":
        raise Conflict("the incident is already closed")
    incident.status, incident.closed_at = "closed", now
    session.flush()
    audit.record(
        session, actor=actor, action="incident.close", object_type="incident", object_id=incident_id
    )


def _deleted(session: Session, statement: Delete) -> int:
    return int(getattr(session.execute(statement), "rowcount", 0) or 0)


def purge_closed_incidents(
    session: Session, *, actor: Actor, now: datetime, retention_days: int = DEFAULT_RETENTION_DAYS
) -> list[Purged]:
    """Delete the reunification data of every incident closed more than `retention_days`
    ago (once); what was deleted, by incident, audited with counts only."""
    policy.authorize(actor, "expire", "reunification")
    if retention_days < 0:
        raise ValueError("retention_days must not be negative")
    due = list(
        session.execute(
            select(Incident).where(
                Incident.status == "closed",
                Incident.closed_at <= now - timedelta(days=retention_days),
                Incident.reunification_purged_at.is_(None),
            )
        ).scalars()
    )
    purged = []
    for incident in due:
        ident = incident.id
        for model in (
            DeathNotification,
            InquiryCandidate,
            ReunificationAccess,
            ListedPersonLink,
            *SITE_TABLES,
        ):
            _deleted(session, delete(model).where(model.incident_id == ident))
        listed = _deleted(session, delete(ListedPerson).where(ListedPerson.incident_id == ident))
        _deleted(session, delete(AccountabilityList).where(AccountabilityList.incident_id == ident))
        inquiries = _deleted(session, delete(Inquiry).where(Inquiry.incident_id == ident))
        # Notes go with their persons (deleted explicitly, not left to ON DELETE).
        person_ids = select(ReunificationPerson.id).where(ReunificationPerson.incident_id == ident)
        _deleted(
            session, delete(ReunificationNote).where(ReunificationNote.person_id.in_(person_ids))
        )
        persons = _deleted(
            session, delete(ReunificationPerson).where(ReunificationPerson.incident_id == ident)
        )
        incident.reunification_purged_at = now
        audit.record(
            session,
            actor=actor,
            action="reunification.purge",
            object_type="incident",
            object_id=ident,
            details={"listed": listed, "inquiries": inquiries, "pfif_persons": persons},
        )
        purged.append(Purged(ident, listed, inquiries, persons))
    session.flush()
    return purged

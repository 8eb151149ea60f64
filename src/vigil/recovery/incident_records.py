"""What recovery needs of the incident's own records: that an incident exists (and its
name), and which reunification list a person's row is on, for linking a family to its
reunification record and checking a fund claim's eligibility evidence.

This reads the response domain's tables, narrowly and never names: only the list kind
of one row id the provider's staff already hold (the reference the reunification staff
gave the family). The response domain offers no service for it yet; when it does, this
module becomes a call to it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.response.models import Incident, ListedPerson


def incident_name(db: Session, incident_id: int) -> str | None:
    """The incident's name, or None when there is no such incident."""
    return db.execute(select(Incident.name).where(Incident.id == incident_id)).scalar_one_or_none()


def find_incident(db: Session, name: str) -> int | None:
    """The id of the newest incident of exactly this name, if any."""
    return db.execute(
        select(Incident.id).where(Incident.name == name).order_by(Incident.id.desc()).limit(1)
    ).scalar_one_or_none()


def list_kinds_of(db: Session, *, incident_id: int, row_id: str) -> frozenset[str]:
    """The kinds of list (roster, hospital, medical_examiner, attendees) the row id is on
    for this incident; empty when it is on none."""
    found = db.execute(
        select(ListedPerson.list_kind).where(
            ListedPerson.incident_id == incident_id, ListedPerson.row_id == row_id
        )
    ).scalars()
    return frozenset(found)


def row_ids_on(db: Session, *, incident_id: int, list_kind: str, limit: int) -> list[str]:
    """Row ids (never names) on one kind of the incident's lists, for the demo's claims."""
    return list(
        db.execute(
            select(ListedPerson.row_id)
            .where(ListedPerson.incident_id == incident_id, ListedPerson.list_kind == list_kind)
            .order_by(ListedPerson.row_id)
            .limit(limit)
        ).scalars()
    )


def incident_started(db: Session, incident_id: int) -> datetime | None:
    return db.execute(
        select(Incident.started_at).where(Incident.id == incident_id)
    ).scalar_one_or_none()

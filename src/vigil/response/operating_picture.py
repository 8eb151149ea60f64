"""An incident's common operating picture, as one viewer may see it: the incident and
its agencies, significant events, resource requests by state, people by reunification
status, open tasks and the map's points.

People are counted once each: rows that staff linked as the same person (person_links)
count as one, at the most serious of their statuses; the rows per list stay beside
them in a table of their own.

Each section asks the policy of its own records: the people figures and the
reunification tasks only for viewers the reunification rule lets read them; events and
resource requests only for those the incident-record rules let read them. A section a
viewer may not see is left out (and the page says so), never shown empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import NotFound
from vigil.platform.models import Agency
from vigil.response import incident_records, resource_offers, resource_requests
from vigil.response.models import (
    DeathNotification,
    Incident,
    IncidentAgency,
    InquiryCandidate,
)
from vigil.response.person_links import people_figures
from vigil.response.pfif_exchange import incident_facts
from vigil.response.picture_map import MapPoint
from vigil.response.reunification_sites import release_counts
from vigil.response.site_models import IncidentLocation, ReunificationSite

SHOWN_EVENTS: Final = 12
# Resource-request states in which someone still has to act.
OPEN_REQUEST_STATES: Final = ("requested", "approved", "ordered", "funding_approved", "shipped")
PEOPLE_ORDER: Final = (
    "unaccounted",
    "accounted_for",
    "with_adult",
    "at_hospital",
    "released",
    "deceased_confirmed",
)


@dataclass(frozen=True)
class EventLine:
    occurred_at: datetime
    kind: str
    summary: str
    author: str


@dataclass(frozen=True)
class Task:
    label: str
    count: int
    href: str


@dataclass
class Picture:
    """What one viewer sees; None marks a section the policy keeps from them."""

    incident_id: int
    name: str
    kind: str
    place: str
    status: str
    started_at: datetime
    agencies: list[tuple[str, str]]
    people: dict[str, int] | None = None
    hospitals: list[tuple[str, int]] | None = None
    # Rows by list kind and status, as uploaded (one person may be on two lists).
    list_rows: list[tuple[str, str, int]] | None = None
    linked_people: int = 0
    events: list[EventLine] | None = None
    requests: dict[str, int] | None = None
    # Mutual-aid offers by status (offered, accepted, declined), with the requests.
    offers: dict[str, int] | None = None
    tasks: list[Task] = field(default_factory=list)
    points: list[MapPoint] = field(default_factory=list)


def open_picture(session: Session, *, actor: Actor, incident_id: int) -> Picture:
    """The picture for this viewer, audited as one page read (counts, no personal data)."""
    picture = build_picture(session, actor=actor, incident_id=incident_id)
    audit.record(
        session,
        actor=actor,
        action="incident.picture_read",
        object_type="incident",
        object_id=incident_id,
        details={
            "people": picture.people is not None,
            "events": picture.events is not None,
            "requests": picture.requests is not None,
        },
    )
    return picture


def build_picture(session: Session, *, actor: Actor, incident_id: int) -> Picture:
    """The picture for this viewer (the live updates call this every few seconds)."""
    facts = incident_facts(session, incident_id)
    if not policy.decide(actor, "read", "operating_picture", facts):
        # Someone outside the incident does not learn that it exists (the 404 is audited
        # as a denial: it names the object type the policy refused).
        raise NotFound("operating_picture")
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("incident")
    agencies = [
        (name, role)
        for name, role in session.execute(
            select(Agency.name, IncidentAgency.role)
            .join(Agency, Agency.id == IncidentAgency.agency_id)
            .where(IncidentAgency.incident_id == incident_id)
            .order_by(Agency.name)
        ).all()
    ]
    picture = Picture(
        incident_id=incident_id,
        name=incident.name,
        kind=incident.kind,
        place=incident.place,
        status=incident.status,
        started_at=incident.started_at,
        agencies=agencies,
    )
    if policy.decide(actor, "read", "reunification", facts):
        _people(session, picture)
    _records(session, actor, picture)
    picture.points = _points(session, incident_id)
    return picture


def _people(session: Session, picture: Picture) -> None:
    ident = picture.incident_id
    # People, not rows: a roster's student who is a hospital's patient is one person.
    figures = people_figures(session, ident)
    counts = figures.people
    picture.people = {s: counts[s] for s in PEOPLE_ORDER if s in counts} | {
        s: c for s, c in counts.items() if s not in PEOPLE_ORDER
    }
    picture.hospitals = figures.hospitals
    picture.list_rows = figures.rows
    picture.linked_people = figures.linked_people
    pending_matches = session.execute(
        select(func.count(func.distinct(InquiryCandidate.inquiry_id))).where(
            InquiryCandidate.incident_id == ident, InquiryCandidate.confirmed_at.is_(None)
        )
    ).scalar_one()
    notifications = session.execute(
        select(func.count()).where(
            DeathNotification.incident_id == ident, DeathNotification.notified_at.is_(None)
        )
    ).scalar_one()
    released = release_counts(session, ident)
    base = f"/reunification/incidents/{ident}"
    picture.tasks.extend(
        task
        for task in (
            Task("Inquiries with candidate matches to confirm", int(pending_matches), base),
            Task("Families waiting for an in-person notification", int(notifications), base),
            Task(
                "Verified guardians waiting for a release",
                released["awaiting_release"],
                f"{base}/sites",
            ),
            Task("People still unaccounted for", counts.get("unaccounted", 0), f"{base}/upload"),
        )
        if task.count
    )


def _records(session: Session, actor: Actor, picture: Picture) -> None:
    """Events and resource requests, through the incident-record services (which ask the
    policy of their own records and refuse viewers they do not serve)."""
    denied: tuple[type[Exception], ...] = (NotFound, policy.PermissionDenied, LookupError)
    try:
        events: list[Any] = incident_records.list_events(
            session, actor=actor, incident_id=picture.incident_id
        )
    except denied:
        events = []
        readable = False
    else:
        readable = True
    if readable:
        corrected = {e.corrects_id for e in events if e.corrects_id is not None}
        picture.events = [
            EventLine(e.occurred_at, e.kind, e.summary, e.author_name)
            for e in reversed(events)
            if e.id not in corrected
        ][:SHOWN_EVENTS]
    try:
        picture.requests = resource_requests.counts_by_state(
            session, actor=actor, incident_id=picture.incident_id
        )
    except denied:
        return
    picture.offers = resource_offers.offer_counts(
        session, actor=actor, incident_id=picture.incident_id
    )
    if picture.offers.get("offered"):
        picture.tasks.append(
            Task(
                "Mutual-aid offers waiting to be accepted or declined",
                picture.offers["offered"],
                f"/incidents/{picture.incident_id}#requests",
            )
        )
    waiting = sum(picture.requests.get(s, 0) for s in OPEN_REQUEST_STATES)
    if waiting:
        picture.tasks.append(
            Task(
                "Resource requests still moving (requested to shipped)",
                waiting,
                f"/incidents/{picture.incident_id}",
            )
        )


def _points(session: Session, incident_id: int) -> list[MapPoint]:
    points = [
        MapPoint(place.kind, place.name, place.latitude, place.longitude)
        for place in session.execute(
            select(IncidentLocation)
            .where(IncidentLocation.incident_id == incident_id)
            .order_by(IncidentLocation.id)
        ).scalars()
    ]
    points.extend(
        MapPoint("reunification_site", site.name, site.latitude, site.longitude)
        for site in session.execute(
            select(ReunificationSite)
            .where(
                ReunificationSite.incident_id == incident_id,
                ReunificationSite.latitude.is_not(None),
                ReunificationSite.longitude.is_not(None),
            )
            .order_by(ReunificationSite.id)
        ).scalars()
        if site.latitude is not None and site.longitude is not None
    )
    return points

"""Reunification sites and their desk: opening a site, points on the incident's map,
students arriving (accounted for), guardians checking in with identity verification
against the student's authorised-guardian list, and releases.

A check-in is verified only when staff saw a photo identity document whose name is an
authorised, unrestricted guardian of that student; otherwise it is recorded as refused
with the reason (not on the list, custody restriction, identity not verified). A
release needs a verified check-in for that student at that site, and is recorded once:
who released whom to whom and when. Nothing here is ever updated or deleted, and the
audit trail holds ids and outcomes only, never names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.response.guardians import RELEASABLE_LISTS, find_person, guardians_of, name_key
from vigil.response.models import ListedPerson
from vigil.response.pfif_exchange import incident_facts, incident_name
from vigil.response.site_models import (
    GuardianCheckIn,
    IncidentLocation,
    Release,
    ReunificationSite,
)

LOCATION_KINDS: Final[dict[str, str]] = {
    "incident": "Incident",
    "hospital": "Hospital",
    "command_post": "Incident command post",
    "staging": "Staging area",
    "family_assistance": "Family assistance center",
}
ID_DOCUMENTS: Final[dict[str, str]] = {
    "drivers_license": "Driver's license",
    "state_id": "State identification card",
    "passport": "Passport",
    "military_id": "Military identification",
    "tribal_id": "Tribal identification",
    "other_government": "Other government photo identification",
}
REFUSALS: Final[dict[str, str]] = {
    "not_authorized": "Not on the student's authorised-guardian list",
    "custody_restriction": "Custody or no-contact restriction",
    "identity_not_verified": "Identity not verified against a photo document",
}
# Statuses a student may arrive at the site from, and the status of a released one.
ARRIVES_FROM: Final = frozenset({"unaccounted"})
ACCOUNTED: Final = "accounted_for"
RELEASED: Final = "released"


@dataclass(frozen=True)
class CheckInOutcome:
    checkin_id: int
    verified: bool
    reason: str | None


@dataclass(frozen=True)
class DeskRow:
    """One check-in on a site's desk, with its release if there is one."""

    checkin_id: int
    person_row_id: str
    presented_name: str
    id_document: str
    outcome: str
    reason: str | None
    checked_in_at: datetime
    checked_in_by: str
    released_at: datetime | None
    released_by: str | None
    person_id: int = 0


def _who(actor: Actor) -> str:
    return (actor.username or f"user {actor.user_id}")[:150]


def _authorize(session: Session, actor: Actor, action: str, incident_id: int) -> None:
    policy.authorize(actor, action, "reunification", incident_facts(session, incident_id))


def incident_for(session: Session, *, actor: Actor, action: str, incident_id: int) -> str:
    """The incident's name, once the policy allows `action` on its reunification data."""
    _authorize(session, actor, action, incident_id)
    return incident_name(session, incident_id)


def read_position(
    latitude: str, longitude: str, *, required: bool
) -> tuple[tuple[float, float] | None, dict[str, str]]:
    """Typed coordinates and the problems with them (for a form that reports all)."""
    try:
        return coordinates(latitude, longitude, required=required), {}
    except InvalidInput as problem:
        return None, problem.errors


def coordinates(latitude: str, longitude: str, *, required: bool) -> tuple[float, float] | None:
    """Latitude and longitude typed in decimal degrees; InvalidInput when wrong."""
    if not latitude.strip() and not longitude.strip() and not required:
        return None
    errors: dict[str, str] = {}
    values: list[float] = []
    for name, raw, limit in (("latitude", latitude, 90.0), ("longitude", longitude, 180.0)):
        try:
            value = float(raw.strip())
        except ValueError:
            errors[name] = f"give the {name} in decimal degrees (for example 43.0247)"
            continue
        if not math.isfinite(value) or abs(value) > limit:
            errors[name] = f"the {name} must be between -{limit:g} and {limit:g}"
            continue
        values.append(value)
    if errors:
        raise InvalidInput(errors)
    return values[0], values[1]


def open_site(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    name: str,
    address: str,
    position: tuple[float, float] | None,
    form_errors: dict[str, str] | None = None,
) -> ReunificationSite:
    """Open a reunification site for the incident (`form_errors`: problems the caller
    already found, such as unreadable coordinates, reported with these)."""
    _authorize(session, actor, "manage_site", incident_id)
    errors: dict[str, str] = dict(form_errors or {})
    if not 1 <= len(name.strip()) <= 200:
        errors["name"] = "give the site a name of 1 to 200 characters"
    if not 1 <= len(address.strip()) <= 300:
        errors["address"] = "give the site's address (1 to 300 characters)"
    if errors:
        raise InvalidInput(errors)
    taken = session.execute(
        select(ReunificationSite.id).where(
            ReunificationSite.incident_id == incident_id,
            ReunificationSite.name == name.strip(),
        )
    ).first()
    if taken is not None:
        raise Conflict("this incident already has a site of that name", field="name")
    site = ReunificationSite(
        incident_id=incident_id,
        name=name.strip(),
        address=address.strip(),
        latitude=position[0] if position else None,
        longitude=position[1] if position else None,
        opened_by=_who(actor),
    )
    session.add(site)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="reunification.site_open",
        object_type="incident",
        object_id=incident_id,
        details={"site_id": site.id},
    )
    return site


def add_location(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    kind: str,
    name: str,
    position: tuple[float, float] | None,
    form_errors: dict[str, str] | None = None,
) -> IncidentLocation:
    """Put a point on the incident's map (the incident, a hospital, a command post...)."""
    _authorize(session, actor, "manage_site", incident_id)
    errors: dict[str, str] = dict(form_errors or {})
    if position is None:
        errors.setdefault("latitude", "give the place's latitude and longitude")
    if kind not in LOCATION_KINDS:
        errors["kind"] = "choose one of: " + ", ".join(LOCATION_KINDS.values())
    if not 1 <= len(name.strip()) <= 200:
        errors["name"] = "give the place a name of 1 to 200 characters"
    if errors or position is None:
        raise InvalidInput(errors)
    location = IncidentLocation(
        incident_id=incident_id,
        kind=kind,
        name=name.strip(),
        latitude=position[0],
        longitude=position[1],
    )
    session.add(location)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="reunification.location_add",
        object_type="incident",
        object_id=incident_id,
        details={"location_id": location.id, "kind": kind},
    )
    return location


def sites(session: Session, *, actor: Actor, incident_id: int) -> list[ReunificationSite]:
    """The incident's reunification sites, oldest first."""
    _authorize(session, actor, "read", incident_id)
    return list(
        session.execute(
            select(ReunificationSite)
            .where(ReunificationSite.incident_id == incident_id)
            .order_by(ReunificationSite.id)
        ).scalars()
    )


def locations(session: Session, incident_id: int) -> list[IncidentLocation]:
    """The incident's map points (the caller has asked the policy)."""
    return list(
        session.execute(
            select(IncidentLocation)
            .where(IncidentLocation.incident_id == incident_id)
            .order_by(IncidentLocation.id)
        ).scalars()
    )


def site(session: Session, *, actor: Actor, incident_id: int, site_id: int) -> ReunificationSite:
    _authorize(session, actor, "read", incident_id)
    found = session.get(ReunificationSite, site_id)
    if found is None or found.incident_id != incident_id:
        raise NotFound("reunification site")
    return found


def record_arrival(
    session: Session, *, actor: Actor, incident_id: int, site_id: int, person_row_id: str
) -> ListedPerson:
    """A student seen at the site: unaccounted becomes accounted for (again: no change)."""
    _authorize(session, actor, "account", incident_id)
    site(session, actor=actor, incident_id=incident_id, site_id=site_id)
    person = find_person(session, incident_id, person_row_id)
    if person.list_kind not in RELEASABLE_LISTS:
        raise InvalidInput({"person": "only people on a roster or attendee list arrive at a site"})
    if person.status == ACCOUNTED:
        return person  # recorded already (two staff at the door): nothing changes
    if person.status not in ARRIVES_FROM:
        raise Conflict(f"this person is already {person.status.replace('_', ' ')}", "person")
    person.status = ACCOUNTED
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="reunification.arrival",
        object_type="incident",
        object_id=incident_id,
        details={"site_id": site_id, "listed_person_id": person.id},
    )
    return person


def check_in(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    site_id: int,
    person_row_id: str,
    presented_name: str,
    id_document: str,
    identity_verified: bool,
) -> CheckInOutcome:
    """A guardian asks for a student: verified against the student's guardian list, or
    refused with the reason. Either way the check-in is recorded."""
    _authorize(session, actor, "check_in", incident_id)
    site(session, actor=actor, incident_id=incident_id, site_id=site_id)
    errors: dict[str, str] = {}
    if not 1 <= len(presented_name.strip()) <= 300 or not name_key(presented_name):
        errors["presented_name"] = "type the first and last name on the identity document"
    if id_document not in ID_DOCUMENTS:
        errors["id_document"] = "choose the kind of photo identity document presented"
    if errors:
        raise InvalidInput(errors)
    person = find_person(session, incident_id, person_row_id)
    if person.list_kind not in RELEASABLE_LISTS:
        raise InvalidInput({"person": "only people on a roster or attendee list are released"})
    key = name_key(presented_name)
    named = [g for g in guardians_of(session, incident_id, person.id) if g.name_key == key]
    restricted = next((g for g in named if g.restricted), None)
    allowed = next((g for g in named if not g.restricted), None)
    reason: str | None
    if restricted is not None:
        reason, guardian = "custody_restriction", restricted
    elif allowed is None:
        reason, guardian = "not_authorized", None
    elif not identity_verified:
        reason, guardian = "identity_not_verified", allowed
    else:
        reason, guardian = None, allowed
    row = GuardianCheckIn(
        incident_id=incident_id,
        site_id=site_id,
        listed_person_id=person.id,
        guardian_id=guardian.id if guardian else None,
        presented_name=presented_name.strip(),
        id_document=id_document,
        outcome="refused" if reason else "verified",
        reason=reason,
        checked_in_by=_who(actor),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="reunification.check_in",
        object_type="incident",
        object_id=incident_id,
        outcome="success" if reason is None else "refused",
        details={"checkin_id": row.id, "site_id": site_id, "reason": reason},
    )
    return CheckInOutcome(row.id, reason is None, reason)


def release(
    session: Session, *, actor: Actor, incident_id: int, site_id: int, checkin_id: int
) -> Release:
    """Release the student of a verified check-in to that guardian, once (the same
    release sent again returns the first record; another release of the student is
    refused)."""
    _authorize(session, actor, "release", incident_id)
    site(session, actor=actor, incident_id=incident_id, site_id=site_id)
    checked = session.get(GuardianCheckIn, checkin_id)
    if checked is None or checked.site_id != site_id or checked.incident_id != incident_id:
        raise NotFound("check-in")
    if checked.outcome != "verified":
        raise Conflict("this check-in was refused: the student cannot be released on it")
    person = session.get(ListedPerson, checked.listed_person_id)
    if person is None:
        raise NotFound("listed person")
    done = session.execute(
        select(Release).where(Release.listed_person_id == person.id)
    ).scalar_one_or_none()
    if done is not None and done.checkin_id == checked.id:
        return done  # the same release submitted twice: it stands as first recorded
    if done is not None or person.status == RELEASED:
        raise Conflict("this student has already been released")
    if person.status != ACCOUNTED:
        raise Conflict("record the student's arrival at the site before releasing them")
    row = Release(
        incident_id=incident_id,
        site_id=site_id,
        listed_person_id=person.id,
        checkin_id=checked.id,
        released_to=checked.presented_name,
        released_by=_who(actor),
    )
    person.status = RELEASED
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="reunification.release",
        object_type="incident",
        object_id=incident_id,
        details={"release_id": row.id, "checkin_id": checked.id, "site_id": site_id},
    )
    return row


def desk(session: Session, *, actor: Actor, incident_id: int, site_id: int) -> list[DeskRow]:
    """A site's check-ins, newest first, each with its release (a read of personal data,
    audited with the count only)."""
    site(session, actor=actor, incident_id=incident_id, site_id=site_id)
    rows = session.execute(
        select(
            GuardianCheckIn.id.label("checkin_id"),
            ListedPerson.row_id.label("person_row_id"),
            GuardianCheckIn.presented_name,
            GuardianCheckIn.id_document,
            GuardianCheckIn.outcome,
            GuardianCheckIn.reason,
            GuardianCheckIn.checked_in_at,
            GuardianCheckIn.checked_in_by,
            Release.released_at,
            Release.released_by,
            ListedPerson.id.label("person_id"),
        )
        .join(ListedPerson, ListedPerson.id == GuardianCheckIn.listed_person_id)
        .outerjoin(Release, Release.checkin_id == GuardianCheckIn.id)
        .where(GuardianCheckIn.site_id == site_id)
        .order_by(GuardianCheckIn.id.desc())
    ).all()
    audit.record(
        session,
        actor=actor,
        action="reunification.desk_read",
        object_type="incident",
        object_id=incident_id,
        details={"site_id": site_id, "checkins": len(rows)},
    )
    return [DeskRow(**row._asdict()) for row in rows]


def release_counts(session: Session, incident_id: int) -> dict[str, int]:
    """Check-ins awaiting release and refusals, for the operating picture (counts only;
    the caller has asked the policy)."""
    verified_unreleased = session.execute(
        select(func.count())
        .select_from(GuardianCheckIn)
        .outerjoin(Release, Release.checkin_id == GuardianCheckIn.id)
        .join(ListedPerson, ListedPerson.id == GuardianCheckIn.listed_person_id)
        .where(
            GuardianCheckIn.incident_id == incident_id,
            GuardianCheckIn.outcome == "verified",
            Release.id.is_(None),
            ListedPerson.status != RELEASED,
        )
    ).scalar_one()
    refused = session.execute(
        select(func.count())
        .select_from(GuardianCheckIn)
        .where(GuardianCheckIn.incident_id == incident_id, GuardianCheckIn.outcome == "refused")
    ).scalar_one()
    return {"awaiting_release": int(verified_unreleased), "refused": int(refused)}

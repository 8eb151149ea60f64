"""Rows of an incident's lists that are one person: staff's "same person as" links, the
status of each linked group, and the people figures that count each person once.

A student on the school roster who is also a hospital's patient is two rows and one
person. Only staff say two rows are the same person (never the matching, which only
proposes); the link is kept with who made it and when, and audited with ids only.
A linked group's status is the most serious of its rows' (`STATUS_PRECEDENCE`).

A mistaken link hides a person (a student still unaccounted for, linked to a patient,
leaves the unaccounted count), so staff remove it with a reason. The link's row stays,
marked removed, as the history of who linked and who unlinked; only links in force
count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.types import utcnow
from vigil.response.models import AccountabilityList, ListedPerson, ListedPersonLink
from vigil.response.pfif_exchange import incident_facts

# Most serious first: a death confirmed by the medical examiner, then a hospital, then
# a release to a guardian or an adult, then accounted for, then unaccounted for.
STATUS_PRECEDENCE: Final = (
    "deceased_confirmed",
    "at_hospital",
    "released",
    "with_adult",
    "accounted_for",
    "unaccounted",
)
HOSPITAL: Final = "at_hospital"
MAX_REMOVAL_REASON: Final = 500


def person_status(statuses: Iterable[str]) -> str:
    """The status of one person listed on several rows: the most serious of theirs
    (a status outside `STATUS_PRECEDENCE` counts least)."""
    ranked = sorted(
        statuses,
        key=lambda s: (
            STATUS_PRECEDENCE.index(s) if s in STATUS_PRECEDENCE else len(STATUS_PRECEDENCE),
            s,
        ),
    )
    if not ranked:
        raise ValueError("a person has at least one row")
    return ranked[0]


def linked_groups(links: Iterable[tuple[int, int]]) -> list[frozenset[int]]:
    """The groups of row ids the links join (each link joins its two rows; a row linked
    to two others joins all three). Rows in no link are in no group."""
    parent: dict[int, int] = {}

    def root(item: int) -> int:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for first, second in links:
        a, b = root(first), root(second)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[int, set[int]] = {}
    for item in list(parent):
        groups.setdefault(root(item), set()).add(item)
    return sorted((frozenset(g) for g in groups.values()), key=min)


@dataclass(frozen=True)
class Row:
    """One list row as the figures need it (no personal data)."""

    id: int
    status: str
    list_id: int
    source_name: str


@dataclass(frozen=True)
class PeopleFigures:
    """People counted once each, and the list rows they come from."""

    # People by status (a linked group once, at its most serious status).
    people: dict[str, int]
    # People at a hospital, by the hospital list that has them (the latest uploaded,
    # for someone on two: a transfer).
    hospitals: list[tuple[str, int]]
    # List rows by list kind and status, as uploaded (a person on two lists is two rows).
    rows: list[tuple[str, str, int]]
    # People who are on more than one row.
    linked_people: int


def figures_from(
    status_rows: Mapping[str, int],
    hospital_rows: Mapping[str, int],
    linked: Iterable[Row],
    groups: Iterable[frozenset[int]],
) -> tuple[dict[str, int], dict[str, int]]:
    """People by status and by hospital, from the row counts and the linked rows: each
    linked row's own count is taken out and each group is counted once instead."""
    people = dict(status_rows)
    hospitals = dict(hospital_rows)
    by_id = {row.id: row for row in linked}
    for row in by_id.values():
        people[row.status] -= 1
        if row.status == HOSPITAL:
            hospitals[row.source_name] -= 1
    for group in groups:
        members = [by_id[i] for i in group if i in by_id]
        if not members:
            continue
        status = person_status(m.status for m in members)
        people[status] = people.get(status, 0) + 1
        if status == HOSPITAL:
            latest = max((m for m in members if m.status == HOSPITAL), key=lambda m: m.list_id)
            hospitals[latest.source_name] = hospitals.get(latest.source_name, 0) + 1
    return (
        {s: c for s, c in people.items() if c > 0},
        {s: c for s, c in hospitals.items() if c > 0},
    )


def _links(session: Session, incident_id: int) -> list[tuple[int, int]]:
    """The pairs of the incident's links in force (a removed link joins nothing)."""
    return [
        (int(a), int(b))
        for a, b in session.execute(
            select(ListedPersonLink.person_id, ListedPersonLink.same_as_id).where(
                ListedPersonLink.incident_id == incident_id,
                ListedPersonLink.removed_at.is_(None),
            )
        ).all()
    ]


def people_figures(session: Session, incident_id: int) -> PeopleFigures:
    """The incident's people figures. The caller has asked the policy (reunification
    read): these are counts of reunification data."""
    status_rows = {
        status: int(count)
        for status, count in session.execute(
            select(ListedPerson.status, func.count())
            .where(ListedPerson.incident_id == incident_id)
            .group_by(ListedPerson.status)
        ).all()
    }
    hospital_rows = {
        source: int(count)
        for source, count in session.execute(
            select(AccountabilityList.source_name, func.count())
            .join(ListedPerson, ListedPerson.list_id == AccountabilityList.id)
            .where(ListedPerson.incident_id == incident_id, ListedPerson.status == HOSPITAL)
            .group_by(AccountabilityList.source_name)
        ).all()
    }
    rows = [
        (kind, status, int(count))
        for kind, status, count in session.execute(
            select(ListedPerson.list_kind, ListedPerson.status, func.count())
            .where(ListedPerson.incident_id == incident_id)
            .group_by(ListedPerson.list_kind, ListedPerson.status)
            .order_by(ListedPerson.list_kind, ListedPerson.status)
        ).all()
    ]
    groups = linked_groups(_links(session, incident_id))
    linked: list[Row] = []
    if groups:
        ids = sorted(set().union(*groups))
        linked = [
            Row(int(i), status, int(list_id), source)
            for i, status, list_id, source in session.execute(
                select(
                    ListedPerson.id,
                    ListedPerson.status,
                    ListedPerson.list_id,
                    AccountabilityList.source_name,
                )
                .join(AccountabilityList, AccountabilityList.id == ListedPerson.list_id)
                .where(ListedPerson.id.in_(ids))
            ).all()
        ]
    people, hospitals = figures_from(status_rows, hospital_rows, linked, groups)
    return PeopleFigures(
        people=people,
        hospitals=sorted(hospitals.items()),
        rows=rows,
        linked_people=len(groups),
    )


def group_of(session: Session, incident_id: int, person_id: int) -> frozenset[int]:
    """The ids of the rows linked to this one, itself included."""
    for group in linked_groups(_links(session, incident_id)):
        if person_id in group:
            return group
    return frozenset({person_id})


def _who(actor: Actor) -> str:
    return (actor.username or f"user {actor.user_id}")[:150]


def find_row(
    session: Session, incident_id: int, *, person_id: int | None = None, row_id: str | None = None
) -> ListedPerson:
    """A row of this incident's lists, by its id or by the id its list gave it."""
    where = ListedPerson.id == person_id if person_id is not None else ListedPerson.row_id == row_id
    person = session.execute(
        select(ListedPerson).where(ListedPerson.incident_id == incident_id, where)
    ).scalar_one_or_none()
    if person is None:
        raise NotFound("listed person")
    return person


@dataclass(frozen=True)
class Linked:
    person_id: int
    same_as_id: int
    linked_at: datetime
    linked_by: str
    link_id: int


def link_same_person(
    session: Session, *, actor: Actor, incident_id: int, person_id: int, same_as_row_id: str
) -> Linked:
    """Record that staff confirmed two listed rows are the same person."""
    policy.authorize(actor, "link", "reunification", incident_facts(session, incident_id))
    person = find_row(session, incident_id, person_id=person_id)
    same_as_row_id = same_as_row_id.strip()
    if not same_as_row_id or len(same_as_row_id) > 100 or not same_as_row_id.isprintable():
        raise InvalidInput({"same_as": "Give the list id of the other row (up to 100 characters)."})
    try:
        other = find_row(session, incident_id, row_id=same_as_row_id)
    except NotFound:
        raise InvalidInput(
            {"same_as": f"No row {same_as_row_id!r} is on this incident's lists."}
        ) from None
    if other.id == person.id:
        raise InvalidInput({"same_as": "Choose another row than this one."})
    if other.id in group_of(session, incident_id, person.id):
        raise Conflict(f"{person.row_id} and {other.row_id} are already linked.", field="same_as")
    first, second = sorted((person.id, other.id))
    link = ListedPersonLink(
        incident_id=incident_id,
        person_id=first,
        same_as_id=second,
        linked_by=_who(actor),
        linked_by_user_id=actor.user_id,
    )
    try:
        with session.begin_nested():  # two staff linking the same pair at once: one wins
            session.add(link)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"{person.row_id} and {other.row_id} were linked at the same moment; reload.",
            field="same_as",
        ) from None
    audit.record(
        session,
        actor=actor,
        action="reunification.same_person",
        object_type="incident",
        object_id=incident_id,
        details={"link_id": link.id, "listed_person_ids": [first, second]},
    )
    return Linked(first, second, link.linked_at, link.linked_by, link.id)


@dataclass(frozen=True)
class LinkedRow:
    """Another row of the same person, and who linked it."""

    person_id: int
    row_id: str
    list_kind: str
    source_name: str
    status: str
    linked_by: str | None
    linked_at: datetime | None
    # The link in force that joins it to this row directly (None: through a third row).
    link_id: int | None = None


def _touching(person_id: int) -> ColumnElement[bool]:
    return or_(ListedPersonLink.person_id == person_id, ListedPersonLink.same_as_id == person_id)


def linked_rows(session: Session, incident_id: int, person_id: int) -> list[LinkedRow]:
    """The other rows linked to this one, with the link that joined each (a row joined
    through a third one shows no direct link)."""
    group = group_of(session, incident_id, person_id) - {person_id}
    if not group:
        return []
    direct = {
        (b if a == person_id else a): (by, at, link_id)
        for a, b, by, at, link_id in session.execute(
            select(
                ListedPersonLink.person_id,
                ListedPersonLink.same_as_id,
                ListedPersonLink.linked_by,
                ListedPersonLink.linked_at,
                ListedPersonLink.id,
            ).where(
                ListedPersonLink.incident_id == incident_id,
                ListedPersonLink.removed_at.is_(None),
                _touching(person_id),
            )
        ).all()
    }
    found = []
    for row, source in session.execute(
        select(ListedPerson, AccountabilityList.source_name)
        .join(AccountabilityList, AccountabilityList.id == ListedPerson.list_id)
        .where(ListedPerson.id.in_(sorted(group)))
        .order_by(ListedPerson.id)
    ).all():
        by, at, link_id = direct.get(row.id, (None, None, None))
        found.append(
            LinkedRow(row.id, row.row_id, row.list_kind, source, row.status, by, at, link_id)
        )
    return found


@dataclass(frozen=True)
class LinkHistoryLine:
    """One link this row has had, in force or removed: who linked it, and who removed
    it, when and why."""

    link_id: int
    other_person_id: int
    other_row_id: str
    linked_by: str
    linked_at: datetime
    removed_by: str | None
    removed_at: datetime | None
    removal_reason: str | None


def link_history(session: Session, incident_id: int, person_id: int) -> list[LinkHistoryLine]:
    """Every link that joined this row to another, oldest first, removed ones included.
    The caller has asked the policy (reunification read): the reasons are reunification
    data."""
    links = session.execute(
        select(ListedPersonLink)
        .where(ListedPersonLink.incident_id == incident_id, _touching(person_id))
        .order_by(ListedPersonLink.linked_at, ListedPersonLink.id)
    ).scalars()
    found = []
    for link in links:
        other_id = link.same_as_id if link.person_id == person_id else link.person_id
        other = session.get(ListedPerson, other_id)
        found.append(
            LinkHistoryLine(
                link.id,
                other_id,
                other.row_id if other is not None else "",
                link.linked_by,
                link.linked_at,
                link.removed_by,
                link.removed_at,
                link.removal_reason,
            )
        )
    return found


@dataclass(frozen=True)
class Unlinked:
    link_id: int
    person_id: int
    same_as_id: int
    removed_at: datetime
    removed_by: str


def unlink_same_person(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    person_id: int,
    link_id: int,
    reason: str,
) -> Unlinked:
    """Remove a mistaken "same person" link of this row, with the reason: the rows count
    as separate people again, and the link stays as history (who linked it, who removed
    it, when and why). The same staff who link may remove a link."""
    policy.authorize(actor, "link", "reunification", incident_facts(session, incident_id))
    person = find_row(session, incident_id, person_id=person_id)
    link = session.execute(
        select(ListedPersonLink).where(
            ListedPersonLink.id == link_id,
            ListedPersonLink.incident_id == incident_id,
            _touching(person.id),
        )
    ).scalar_one_or_none()
    if link is None:
        raise NotFound("same-person link")
    reason = reason.strip()
    if not reason or len(reason) > MAX_REMOVAL_REASON or "\x00" in reason:
        raise InvalidInput(
            {
                "reason": "Say why the rows are not the same person "
                f"(1 to {MAX_REMOVAL_REASON} characters)."
            }
        )
    now = utcnow()
    # Only a link still in force is removed: of two staff removing it at once, the
    # second finds it gone (no row changes) and is told so.
    removed = session.execute(
        update(ListedPersonLink)
        .where(ListedPersonLink.id == link.id, ListedPersonLink.removed_at.is_(None))
        .values(
            removed_at=now,
            removed_by=_who(actor),
            removed_by_user_id=actor.user_id,
            removal_reason=reason,
        )
        .execution_options(synchronize_session="fetch")
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        raise Conflict("This link was already removed; reload the page.", field="reason")
    audit.record(
        session,
        actor=actor,
        action="reunification.same_person_removed",
        object_type="incident",
        object_id=incident_id,
        details={"link_id": link.id, "listed_person_ids": [link.person_id, link.same_as_id]},
    )
    return Unlinked(link.id, link.person_id, link.same_as_id, now, _who(actor))

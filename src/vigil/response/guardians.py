"""Each listed person's authorised guardians and custody restrictions: entered one at a
time or uploaded as a CSV beside the roster (whole, or nothing and every row's problem).

A guardian is matched at check-in on the name written on the identity document they
present, compared as a key (accents, case, punctuation, titles and middle names dropped;
"LAST, FIRST" and "First Last" alike). A restricted entry names someone the student must
not be released to (a custody order, a no-contact order); it refuses the release.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.linkage.normalise import split_full_name
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.response.match_files import BadFile, RowProblem, decode, rows_from_text
from vigil.response.models import ListedPerson
from vigil.response.pfif_exchange import incident_facts
from vigil.response.site_models import AuthorizedGuardian

GUARDIAN_COLUMNS: Final[tuple[str, ...]] = (
    "person_id",
    "guardian_name",
    "relationship",
    "phone",
    "restricted",
    "restriction",
)
YES: Final = frozenset({"yes", "y", "true", "1"})
NO: Final = frozenset({"no", "n", "false", "0", ""})
# People who may be released on a site: those on a school's or an event's list.
RELEASABLE_LISTS: Final = frozenset({"roster", "attendees"})
MAX_GUARDIAN_ROWS: Final = 400_000


@dataclass(frozen=True)
class GuardianEntry:
    """One authorised (or restricted) guardian as typed or read from a file."""

    person_row_id: str
    full_name: str
    relationship: str = ""
    phone: str = ""
    restricted: bool = False
    restriction: str = ""


@dataclass
class GuardianUpload:
    stored: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    file_problem: str | None = None


def name_key(name: str) -> str:
    """The comparable form of a person's name: 'first|surname' folded, or '' if none."""
    first, _middle, surname = split_full_name(name)
    if not first or not surname:
        return ""
    return f"{first}|{surname}"[:300]


def _who(actor: Actor) -> str:
    return (actor.username or f"user {actor.user_id}")[:150]


def entry_problems(entry: GuardianEntry) -> dict[str, str]:
    """What is wrong with one entry, by field (empty when it can be stored)."""
    errors: dict[str, str] = {}
    if not entry.person_row_id.strip() or len(entry.person_row_id) > 100:
        errors["person"] = "give the id of the person on the roster"
    if not 1 <= len(entry.full_name.strip()) <= 300 or not name_key(entry.full_name):
        errors["guardian_name"] = "give the guardian's first and last name"
    if len(entry.relationship) > 100:
        errors["relationship"] = "keep the relationship within 100 characters"
    if len(entry.phone) > 50:
        errors["phone"] = "keep the phone number within 50 characters"
    if entry.restricted and not entry.restriction.strip():
        errors["restriction"] = "say what restricts this person (a custody or no-contact order)"
    if len(entry.restriction) > 2000:
        errors["restriction"] = "keep the restriction within 2,000 characters"
    return errors


def _people(session: Session, incident_id: int, row_ids: Sequence[str]) -> dict[str, ListedPerson]:
    found: dict[str, ListedPerson] = {}
    ordered = sorted(set(row_ids))
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        found.update(
            (person.row_id, person)
            for person in session.execute(
                select(ListedPerson).where(
                    ListedPerson.incident_id == incident_id, ListedPerson.row_id.in_(chunk)
                )
            ).scalars()
        )
    return found


def _person_problem(person: ListedPerson | None) -> str | None:
    if person is None:
        return "no person with this id is on a list of this incident"
    if person.list_kind not in RELEASABLE_LISTS:
        return "guardians are kept for people on a roster or an attendee list"
    return None


def _store(
    session: Session, actor: Actor, incident_id: int, person: ListedPerson, entry: GuardianEntry
) -> AuthorizedGuardian:
    guardian = AuthorizedGuardian(
        incident_id=incident_id,
        listed_person_id=person.id,
        full_name=entry.full_name.strip(),
        name_key=name_key(entry.full_name),
        relationship=entry.relationship.strip() or None,
        phone=entry.phone.strip() or None,
        restricted=entry.restricted,
        restriction=entry.restriction.strip() or None,
        added_by=_who(actor),
    )
    session.add(guardian)
    return guardian


def add_guardian(
    session: Session, *, actor: Actor, incident_id: int, entry: GuardianEntry
) -> AuthorizedGuardian:
    """Record one authorised guardian (or a restricted person) for a listed person."""
    policy.authorize(actor, "manage_site", "reunification", incident_facts(session, incident_id))
    errors = entry_problems(entry)
    person = None
    if "person" not in errors:
        person = _people(session, incident_id, [entry.person_row_id.strip()]).get(
            entry.person_row_id.strip()
        )
        if (problem := _person_problem(person)) is not None:
            errors["person"] = problem
    if errors or person is None:
        raise InvalidInput(errors or {"person": "no such person"})
    guardian = _store(session, actor, incident_id, person, entry)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="reunification.guardian_add",
        object_type="incident",
        object_id=incident_id,
        details={"guardian_id": guardian.id, "restricted": entry.restricted},
    )
    return guardian


def _flag(raw: str) -> bool | None:
    value = raw.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    return None


def upload_guardians(
    session: Session, *, actor: Actor, incident_id: int, data: bytes, source_name: str
) -> GuardianUpload:
    """Store a guardians file whole (columns GUARDIAN_COLUMNS), or nothing and every
    row's problems."""
    policy.authorize(actor, "manage_site", "reunification", incident_facts(session, incident_id))
    try:
        rows = rows_from_text(decode(data, source_name), source_name, GUARDIAN_COLUMNS)
    except BadFile as problem:
        return GuardianUpload(file_problem=str(problem))
    if len(rows) > MAX_GUARDIAN_ROWS:
        return GuardianUpload(
            file_problem=f"{source_name} has {len(rows):,} rows, over {MAX_GUARDIAN_ROWS:,}"
        )
    people = _people(session, incident_id, [row["person_id"] for row in rows])
    problems: list[RowProblem] = []
    entries: list[tuple[ListedPerson, GuardianEntry]] = []
    for row in rows:
        restricted = _flag(row["restricted"])
        entry = GuardianEntry(
            person_row_id=row["person_id"],
            full_name=row["guardian_name"],
            relationship=row["relationship"],
            phone=row["phone"],
            restricted=bool(restricted),
            restriction=row["restriction"],
        )
        reasons = list(entry_problems(entry).values())
        if restricted is None:
            reasons.append(f"restricted {row['restricted']!r} is not yes or no")
        person = people.get(row["person_id"])
        if "person" not in entry_problems(entry) and (found := _person_problem(person)):
            reasons.append(found)
        if reasons or person is None:
            problems.append(RowProblem(int(row["_line"]), row["person_id"], tuple(reasons)))
            continue
        entries.append((person, entry))
    if problems:
        return GuardianUpload(problems=problems)
    for person, entry in entries:
        _store(session, actor, incident_id, person, entry)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="reunification.guardians_upload",
        object_type="incident",
        object_id=incident_id,
        details={"rows": len(entries)},
    )
    return GuardianUpload(stored=len(entries))


def guardians_of(session: Session, incident_id: int, person_id: int) -> list[AuthorizedGuardian]:
    """A listed person's guardian entries (the caller has asked the policy)."""
    return list(
        session.execute(
            select(AuthorizedGuardian)
            .where(
                AuthorizedGuardian.incident_id == incident_id,
                AuthorizedGuardian.listed_person_id == person_id,
            )
            .order_by(AuthorizedGuardian.id)
        ).scalars()
    )


def find_person(session: Session, incident_id: int, row_id: str) -> ListedPerson:
    """The listed person with this row id in the incident, else InvalidInput (a typed id
    that names nobody is a mistake to correct on the form)."""
    person = _people(session, incident_id, [row_id.strip()]).get(row_id.strip())
    if person is None:
        raise InvalidInput({"person": "no person with this id is on a list of this incident"})
    return person

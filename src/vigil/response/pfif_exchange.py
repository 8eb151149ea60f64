"""Importing and exporting reunification persons and notes as PFIF documents.

Import checks the whole document first (`pfif_validation`), then stores each record
that broke no rule, each in its own savepoint, so a malformed or hostile record is
reported and skipped while the rest land consistently: a note needs its person
(in the document or already stored), a newer copy of a person replaces an older one
(PFIF's update rule: the later source_date wins), notes are never changed once
stored, a `believed_dead` note is taken only from a source allowed to send one, and
a record whose expiry_date has passed keeps only its placeholder. Export writes
PFIF 1.4, with expired records as placeholders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from lxml import etree  # type: ignore[import-untyped]
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.policy.response_rules import IncidentFacts
from vigil.response import pfif_spec as spec
from vigil.response.models import (
    Incident,
    IncidentAgency,
    ReunificationNote,
    ReunificationPerson,
)
from vigil.response.pfif_validation import (
    UnreadableDocument,
    parse_document,
    parse_utc,
    validate_root,
)

EXPORT_VERSION: Final = "1.4"
# Older field names and the PFIF 1.4 names they became.
RENAMED: Final[dict[str, str]] = {
    "home_zip": "home_postal_code",
    "first_name": "given_name",
    "last_name": "family_name",
    "other": "description",
    "found": "author_made_contact",
}
_PERSON_COLUMNS: Final = frozenset(
    {"person_record_id", "entry_date", "source_date", "expiry_date", "full_name"}
)
_NOTE_COLUMNS: Final = frozenset(
    {"note_record_id", "person_record_id", "entry_date", "source_date", "status"}
)
# XML 1.0 cannot carry these characters at all.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class RecordProblem:
    """A record left out of an import, and why."""

    record: str
    line: int | None
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.record}: " + "; ".join(self.reasons)


@dataclass
class ImportResult:
    """What an import stored, left as it was, reduced to a placeholder or refused."""

    version: str
    persons_added: int = 0
    persons_updated: int = 0
    persons_unchanged: int = 0
    notes_added: int = 0
    notes_unchanged: int = 0
    expired: int = 0
    problems: list[RecordProblem] = field(default_factory=list)


@dataclass
class _Incoming:
    kind: str
    line: int | None
    values: dict[str, str]
    parent: _Incoming | None = None

    @property
    def record_id(self) -> str:
        return self.values.get(f"{self.kind}_record_id", "")

    @property
    def label(self) -> str:
        return f"{self.kind} {self.record_id}" if self.record_id else f"{self.kind} (no id)"


def incident_facts(session: Session, incident_id: int) -> IncidentFacts:
    """The incident and its agencies' roles, for the policy; NotFound if there is none."""
    if session.get(Incident, incident_id) is None:
        raise NotFound("incident")
    rows = session.execute(
        select(IncidentAgency.agency_id, IncidentAgency.role).where(
            IncidentAgency.incident_id == incident_id
        )
    ).all()
    return IncidentFacts(incident_id, {agency: role for agency, role in rows})


def _values(element: etree._Element, ns: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        qname = etree.QName(child)
        if qname.namespace == ns and qname.localname != "note":
            name = RENAMED.get(qname.localname, qname.localname)
            values.setdefault(name, (child.text or "").strip())
    return values


def _incoming(root: etree._Element, ns: str) -> list[_Incoming]:
    found: list[_Incoming] = []
    for child in root:
        if not isinstance(child.tag, str) or etree.QName(child).namespace != ns:
            continue
        name = etree.QName(child).localname
        if name == "person":
            person = _Incoming("person", child.sourceline, _values(child, ns))
            found.append(person)
            for inner in child:
                if isinstance(inner.tag, str) and etree.QName(inner) == etree.QName(ns, "note"):
                    found.append(_Incoming("note", inner.sourceline, _values(inner, ns), person))
        elif name == "note":
            found.append(_Incoming("note", child.sourceline, _values(child, ns)))
    return found


def _full_name(values: dict[str, str]) -> str | None:
    if values.get("full_name"):
        return values["full_name"]
    joined = " ".join(v for v in (values.get("given_name"), values.get("family_name")) if v)
    return joined or None


def _domain(record_id: str) -> str:
    return record_id.split("/", 1)[0].lower().rstrip(".")


def import_document(
    session: Session,
    *,
    actor: Actor,
    data: bytes,
    incident_id: int | None = None,
    believed_dead_from: Iterable[str] = (),
    now: datetime | None = None,
) -> ImportResult:
    """Store the valid records of a PFIF 1.1-1.4 document; report the others.

    UnreadableDocument when the document cannot be read as PFIF at all.
    """
    now = now or datetime.now(UTC)
    facts = incident_facts(session, incident_id) if incident_id is not None else None
    policy.authorize(actor, "import", "reunification", facts)
    root = parse_document(data)
    report = validate_root(root, now=now)
    if report.version is None:
        raise UnreadableDocument(report.violations[0].message)
    allowed_dead = {d.lower().rstrip(".") for d in believed_dead_from}
    broken: dict[str, list[str]] = {}
    for violation in report.errors:
        # An expired record that still carries content is stored as its placeholder.
        if violation.record and violation.rule != "expiry":
            field_name = f"{violation.field}: " if violation.field else ""
            broken.setdefault(violation.record, []).append(field_name + violation.message)
    _expire_due(session, actor=actor, now=now)
    records = _incoming(root, spec.namespace(report.version))
    refused: dict[int, list[str]] = {}
    for record in records:
        reasons = list(broken.get(record.label, []))
        if record.parent is not None and record.parent.label in broken:
            reasons.append(f"its {record.parent.label} was not imported")
        if reasons:
            refused[id(record)] = reasons
    try:
        # One savepoint for all the records: they have passed every rule, so the
        # database should take them at once.
        with session.begin_nested():
            result = _store_all(session, records, refused, incident_id, allowed_dead, now)
            result.version = report.version
    except SQLAlchemyError:
        # Something the rules did not foresee: store record by record, each on its own.
        result = _store_each(session, records, refused, incident_id, allowed_dead, now)
        result.version = report.version
    audit.record(
        session,
        actor=actor,
        action="reunification.pfif_import",
        object_type="incident" if incident_id is not None else None,
        object_id=incident_id,
        outcome="success" if not result.problems else "partial",
        details={
            "pfif_version": result.version,
            "persons_added": result.persons_added,
            "persons_updated": result.persons_updated,
            "updates_added": result.notes_added,
            "expired": result.expired,
            "records_refused": len(result.problems),
        },
    )
    return result


class _Skip(Exception):
    """Roll back the savepoint of a record that cannot be stored."""


def _person_of(record: _Incoming) -> str:
    if record.kind == "person":
        return record.record_id
    return record.values.get("person_record_id") or (
        record.parent.record_id if record.parent else ""
    )


def _chunks(values: set[str], size: int = 500) -> list[list[str]]:
    ordered = sorted(values)
    return [ordered[start : start + size] for start in range(0, len(ordered), size)]


def _store_all(
    session: Session,
    records: list[_Incoming],
    refused: dict[int, list[str]],
    incident_id: int | None,
    allowed_dead: set[str],
    now: datetime,
) -> ImportResult:
    """Store every record that passed the rules with a few queries: the persons first
    (so that new notes can point at them), then the notes."""
    result = ImportResult("")
    persons: dict[str, ReunificationPerson] = {}
    for chunk in _chunks({_person_of(r) for r in records}):
        for person in session.execute(
            select(ReunificationPerson).where(ReunificationPerson.record_id.in_(chunk))
        ).scalars():
            persons[person.record_id] = person
    known_notes: set[str] = set()
    for chunk in _chunks({r.record_id for r in records if r.kind == "note"}):
        known_notes.update(
            session.execute(
                select(ReunificationNote.record_id).where(ReunificationNote.record_id.in_(chunk))
            ).scalars()
        )
    problems = dict(refused)
    for record in records:
        if record.kind == "person" and id(record) not in problems:
            reasons, stored = _store_person(
                session, record, persons.get(record.record_id), incident_id, now, result
            )
            if reasons:
                problems[id(record)] = reasons
            elif stored is not None:
                persons[record.record_id] = stored
    session.flush()
    for record in records:
        if record.kind == "note" and id(record) not in problems:
            reasons = _store_note(
                session,
                record,
                persons.get(_person_of(record)),
                record.record_id in known_notes,
                incident_id,
                allowed_dead,
                result,
            )
            if reasons:
                problems[id(record)] = reasons
            known_notes.add(record.record_id)
    session.flush()
    result.problems = [
        RecordProblem(r.label, r.line, tuple(problems[id(r)])) for r in records if id(r) in problems
    ]
    return result


def _store_each(
    session: Session,
    records: list[_Incoming],
    refused: dict[int, list[str]],
    incident_id: int | None,
    allowed_dead: set[str],
    now: datetime,
) -> ImportResult:
    """The slow way: each record in its own savepoint, looked up on its own."""
    result = ImportResult("")
    for record in records:
        reasons = list(refused.get(id(record), []))
        if not reasons:
            try:
                with session.begin_nested():
                    if record.kind == "person":
                        existing = session.execute(
                            select(ReunificationPerson).where(
                                ReunificationPerson.record_id == record.record_id
                            )
                        ).scalar_one_or_none()
                        reasons, _ = _store_person(
                            session, record, existing, incident_id, now, result
                        )
                    else:
                        person = session.execute(
                            select(ReunificationPerson).where(
                                ReunificationPerson.record_id == _person_of(record)
                            )
                        ).scalar_one_or_none()
                        known = session.execute(
                            select(ReunificationNote.id).where(
                                ReunificationNote.record_id == record.record_id
                            )
                        ).first()
                        reasons = _store_note(
                            session,
                            record,
                            person,
                            known is not None,
                            incident_id,
                            allowed_dead,
                            result,
                        )
                    if reasons:
                        raise _Skip
                    session.flush()
            except _Skip:
                pass
            except SQLAlchemyError as failure:
                reasons = [f"the database refused it ({type(failure).__name__})"]
        if reasons:
            result.problems.append(RecordProblem(record.label, record.line, tuple(reasons)))
    return result


def _store_person(
    session: Session,
    record: _Incoming,
    existing: ReunificationPerson | None,
    incident_id: int | None,
    now: datetime,
    result: ImportResult,
) -> tuple[list[str], ReunificationPerson | None]:
    """Store, update or leave one person record: (why it is refused, the stored row)."""
    values = record.values
    if existing is not None and existing.incident_id not in (None, incident_id):
        return ["the person is already recorded for another incident"], None
    source_date = parse_utc(values["source_date"]) if values.get("source_date") else None
    expiry = parse_utc(values["expiry_date"]) if values.get("expiry_date") else None
    if existing is not None:
        if existing.expired_at is not None or (
            existing.source_date is not None
            and (source_date is None or source_date <= existing.source_date)
        ):
            result.persons_unchanged += 1
            return [], existing
        person = existing
        result.persons_updated += 1
    else:
        person = ReunificationPerson(record_id=record.record_id, incident_id=incident_id)
        session.add(person)
        result.persons_added += 1
    person.entry_date = now
    person.source_date = source_date
    person.expiry_date = expiry
    if expiry is not None and expiry <= now:
        # Past its expiry: only the placeholder may be kept (PFIF's data expiry rule).
        person.full_name, person.fields, person.expired_at = None, {}, now
        person.source_date = now
        result.expired += 1
    else:
        person.full_name = _full_name(values)
        person.fields = {k: v for k, v in values.items() if k not in _PERSON_COLUMNS and v}
    return [], person


def _store_note(
    session: Session,
    record: _Incoming,
    person: ReunificationPerson | None,
    known: bool,
    incident_id: int | None,
    allowed_dead: set[str],
    result: ImportResult,
) -> list[str]:
    values = record.values
    if person is None:
        return [f"its person {_person_of(record)!r} is neither in the document nor stored"]
    if person.incident_id not in (None, incident_id):
        return ["its person is recorded for another incident"]
    if values.get("status") == "believed_dead" and _domain(record.record_id) not in allowed_dead:
        return [
            f"a believed_dead note is accepted only from an allowed source, not "
            f"{_domain(record.record_id)!r}"
        ]
    if person.expired_at is not None:
        result.expired += 1
        return []
    if known:
        result.notes_unchanged += 1
        return []
    session.add(
        ReunificationNote(
            record_id=record.record_id,
            person_id=person.id,
            status=values.get("status") or None,
            source_date=parse_utc(values["source_date"]) if values.get("source_date") else None,
            fields={k: v for k, v in values.items() if k not in _NOTE_COLUMNS and v},
        )
    )
    result.notes_added += 1
    return []


def expire_due(session: Session, *, actor: Actor, now: datetime | None = None) -> int:
    """Delete the content of every person record whose expiry_date has passed (and its
    notes), keeping the placeholder PFIF asks for; the count, audited."""
    now = now or datetime.now(UTC)
    policy.authorize(actor, "expire", "reunification")
    return _expire_due(session, actor=actor, now=now)


def _expire_due(session: Session, *, actor: Actor, now: datetime) -> int:
    # Retention is a duty, not a choice: every import and export first does it, whoever
    # asked for them (the audit event names who triggered it).
    due = list(
        session.execute(
            select(ReunificationPerson).where(
                ReunificationPerson.expiry_date <= now, ReunificationPerson.expired_at.is_(None)
            )
        ).scalars()
    )
    for person in due:
        person.full_name, person.fields, person.expired_at = None, {}, now
        person.source_date = now
        person.entry_date = now
        session.execute(delete(ReunificationNote).where(ReunificationNote.person_id == person.id))
    if due:
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="reunification.expire",
            object_type="reunification_person",
            details={"records": len(due)},
        )
    return len(due)


def _pfif_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _add(parent: etree._Element, ns: str, name: str, value: str | None) -> None:
    child = etree.SubElement(parent, etree.QName(ns, name))
    child.text = _NOT_XML.sub("", value or "")


def export_document(
    session: Session,
    *,
    actor: Actor,
    incident_id: int | None = None,
    now: datetime | None = None,
) -> tuple[bytes, int, int]:
    """A PFIF 1.4 document of the persons (and their notes) the actor may export,
    of one incident or all; with the counts of persons and notes."""
    now = now or datetime.now(UTC)
    if incident_id is not None:
        policy.authorize(actor, "export", "reunification", incident_facts(session, incident_id))
    elif actor.kind != "cli":
        raise InvalidInput({"incident": "choose the incident to export"})
    _expire_due(session, actor=actor, now=now)
    query = select(ReunificationPerson).where(policy.scope(actor, "export", "reunification"))
    if incident_id is not None:
        query = query.where(ReunificationPerson.incident_id == incident_id)
    ns = spec.namespace(EXPORT_VERSION)
    root = etree.Element(etree.QName(ns, "pfif"), nsmap={"pfif": ns})
    persons = notes = 0
    elements: dict[int, etree._Element] = {}
    for person in session.execute(query.order_by(ReunificationPerson.id)).scalars():
        element = etree.SubElement(root, etree.QName(ns, "person"))
        _write_person(element, ns, person)
        elements[person.id] = element
        persons += 1
    # The notes of all those persons in one query (not one per person).
    exported = query.with_only_columns(ReunificationPerson.id).scalar_subquery()
    for note in session.execute(
        select(ReunificationNote)
        .where(ReunificationNote.person_id.in_(exported))
        .order_by(ReunificationNote.person_id, ReunificationNote.id)
    ).scalars():
        parent = elements.get(note.person_id)
        if parent is not None:
            _write_note(etree.SubElement(parent, etree.QName(ns, "note")), ns, note)
            notes += 1
    audit.record(
        session,
        actor=actor,
        action="reunification.pfif_export",
        object_type="incident" if incident_id is not None else None,
        object_id=incident_id,
        details={"persons": persons, "updates": notes},
    )
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data, persons, notes


def _write_person(element: etree._Element, ns: str, person: ReunificationPerson) -> None:
    values: dict[str, Any] = dict(person.fields)
    _add(element, ns, "person_record_id", person.record_id)
    # A placeholder's dates are both the moment its content was deleted.
    entry_date = person.expired_at or person.entry_date
    _add(element, ns, "entry_date", _pfif_time(entry_date))
    if person.expiry_date is not None:
        _add(element, ns, "expiry_date", _pfif_time(person.expiry_date))
    if person.expired_at is not None:
        _add(element, ns, "source_date", _pfif_time(person.expired_at))
        _add(element, ns, "full_name", "")
        return
    for name in spec.PERSON_FIELDS[EXPORT_VERSION]:
        if name in ("person_record_id", "entry_date", "expiry_date"):
            continue
        if name == "source_date":
            _add(element, ns, name, _pfif_time(person.source_date))
        elif name == "full_name":
            _add(element, ns, name, person.full_name)
        elif values.get(name):
            _add(element, ns, name, str(values[name]))


def _write_note(element: etree._Element, ns: str, note: ReunificationNote) -> None:
    values: dict[str, Any] = dict(note.fields)
    for name in spec.NOTE_FIELDS[EXPORT_VERSION]:
        if name == "note_record_id":
            _add(element, ns, name, note.record_id)
        elif name == "person_record_id":
            continue  # nested in its person
        elif name == "entry_date":
            _add(element, ns, name, _pfif_time(note.entry_date))
        elif name == "source_date":
            _add(element, ns, name, _pfif_time(note.source_date))
        elif name == "status":
            if note.status:
                _add(element, ns, name, note.status)
        elif values.get(name):
            _add(element, ns, name, str(values[name]))


def incident_name(session: Session, incident_id: int) -> str:
    """An incident's name (its existence and access are checked by the caller)."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("incident")
    return incident.name

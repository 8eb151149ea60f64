"""Checking a PFIF document against the rules of its version (1.1 to 1.4), naming each
violation with its line, record and field.

Documents are read without a document type declaration, entity or network access
(defusedxml refuses them first; lxml then reads the checked bytes for line numbers).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final
from urllib.parse import urlparse

# Neither ships type information (and pyproject's overrides are not this package's).
import defusedxml.ElementTree as SafeElementTree  # type: ignore[import-untyped]
from defusedxml import DefusedXmlException
from lxml import etree  # type: ignore[import-untyped]

from vigil.response import pfif_spec as spec

MAX_DOCUMENT_BYTES: Final = 256 * 1024 * 1024


class UnreadableDocument(Exception):
    """A document that cannot be read as PFIF at all (not XML, hostile, too big)."""


@dataclass(frozen=True)
class Violation:
    """One broken rule: where, in which record and field, and what."""

    message: str
    line: int | None = None
    record: str | None = None
    field: str | None = None
    error: bool = True
    rule: str = ""  # "expiry" for the data-expiry rules, which an importer can fix

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "document"
        parts = [where]
        if self.record:
            parts.append(self.record)
        if self.field:
            parts.append(self.field)
        kind = "error" if self.error else "warning"
        return f"{': '.join(parts)}: {kind}: {self.message}"


@dataclass(frozen=True)
class Report:
    """The version found and every violation, in document order."""

    version: str | None
    persons: int
    notes: int
    violations: tuple[Violation, ...]

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.error]

    @property
    def valid(self) -> bool:
        return not self.errors


def parse_document(data: bytes) -> etree._Element:
    """The root element of a PFIF document, read safely; UnreadableDocument if not XML,
    if it declares a document type or entities, or is over MAX_DOCUMENT_BYTES."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise UnreadableDocument(f"the document is over {MAX_DOCUMENT_BYTES // 2**20} MiB")
    if not data.strip():
        raise UnreadableDocument("the document is empty")
    try:
        SafeElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as hostile:
        raise UnreadableDocument(
            f"refused: {type(hostile).__name__} (document type declarations, entities and "
            "external references are not allowed in PFIF)"
        ) from None
    except SafeElementTree.ParseError as broken:
        raise UnreadableDocument(f"not well-formed XML: {broken}") from None
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as broken:
        raise UnreadableDocument(f"not well-formed XML: {broken}") from None


def _local(element: etree._Element) -> tuple[str | None, str]:
    qname = etree.QName(element)
    return qname.namespace, qname.localname


def parse_utc(text: str) -> datetime | None:
    """A PFIF date-time (yyyy-mm-ddThh:mm:ss[.fff]Z) as an aware datetime, or None."""
    found = spec.UTC_DATETIME.match(text)
    if found is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(found.group(i)) for i in range(1, 7))
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def _format_problem(kind: str, value: str) -> str | None:
    """Why `value` does not have format `kind`, or None when it does."""
    if kind == "text":
        return None
    if kind == "record_id":
        return None if spec.RECORD_ID.match(value) else "is not a record id of the form domain/id"
    if kind == "datetime":
        if parse_utc(value) is None:
            return "is not a UTC date and time of the form yyyy-mm-ddThh:mm:ssZ"
        return None
    if kind == "date_of_birth":
        return _date_of_birth_problem(value)
    if kind == "age":
        found = spec.AGE.match(value)
        if found is None:
            return "is not an age (a whole number of years or a range like 30-40)"
        if found.group(2) is not None and int(found.group(2)) < int(found.group(1)):
            return "is a range whose end is below its start"
        return None
    if kind in ("url", "urls"):
        values = [v for v in value.split("\n") if v.strip()] if kind == "urls" else [value]
        for item in values:
            try:
                parsed = urlparse(item.strip())
            except ValueError:  # an unbalanced "[" or "]" in the host: not a URL at all
                return f"{item.strip()!r} is not an http or https URL"
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                return f"{item.strip()!r} is not an http or https URL"
        return None
    if kind == "sex":
        return None if value in spec.SEXES else "is not one of female, male, other"
    if kind == "status":
        vocabulary = ", ".join(spec.NOTE_STATUSES)
        return None if value in spec.NOTE_STATUSES else f"is not a note status ({vocabulary})"
    checks = {
        "email": (spec.EMAIL, "is not an e-mail address"),
        "phone": (spec.PHONE, "is not a telephone number"),
        "boolean": (spec.BOOLEAN, "is not true or false"),
        "country": (spec.COUNTRY, "is not an upper-case ISO 3166-1 two-letter country code"),
        "subdivision": (spec.SUBDIVISION, "is not an upper-case ISO 3166-2 subdivision code"),
        "us_state": (spec.US_STATE, "is not a two-letter upper-case state code"),
        "capitals": (spec.CAPITALS, "must be capital letters and spaces only in PFIF 1.1"),
        "digits": (spec.DIGITS, "must be digits only in this version"),
    }
    pattern, problem = checks[kind]
    return None if pattern.match(value) else problem


def _date_of_birth_problem(value: str) -> str | None:
    found = spec.DATE_OF_BIRTH.match(value)
    if found is None:
        return "is not a date of birth of the form YYYY, YYYY-MM or YYYY-MM-DD"
    year, month, day = found.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return "is not a calendar date"
    return None


@dataclass
class _Record:
    kind: str  # "person" or "note"
    element: etree._Element
    fields: dict[str, etree._Element]
    parent_person: _Record | None = None

    def text(self, field: str) -> str | None:
        element = self.fields.get(field)
        return None if element is None else (element.text or "")

    @property
    def label(self) -> str:
        ident = self.text(f"{self.kind}_record_id")
        return f"{self.kind} {ident}" if ident else f"{self.kind} (no id)"


class _Checker:
    def __init__(self, version: str, ns: str, now: datetime) -> None:
        self.version = version
        self.ns = ns
        self.now = now
        self.found: list[Violation] = []

    def add(
        self,
        message: str,
        element: etree._Element | None = None,
        record: _Record | None = None,
        field: str | None = None,
        *,
        error: bool = True,
        rule: str = "",
    ) -> None:
        line = element.sourceline if element is not None else None
        label = record.label if record else None
        self.found.append(Violation(message, line, label, field, error, rule))

    def read_record(self, kind: str, element: etree._Element, parent: _Record | None) -> _Record:
        allowed = (spec.PERSON_FIELDS if kind == "person" else spec.NOTE_FIELDS)[self.version]
        record = _Record(kind, element, {}, parent)
        seen_children: list[str] = []
        after_note = False
        for child in element:
            if not isinstance(child.tag, str):
                continue  # comments and processing instructions
            ns, name = _local(child)
            if ns != self.ns:
                self.add(
                    f"element {{{ns or ''}}}{name} is not in the PFIF {self.version} namespace",
                    child,
                    record,
                )
                continue
            if kind == "person" and name == "note":
                after_note = True
                continue
            if after_note and self.version in ("1.1", "1.2"):
                self.add(
                    f"{name} comes after a note; notes come last in a person in PFIF "
                    f"{self.version}",
                    child,
                    record,
                    name,
                )
            if name not in allowed:
                self.add(f"{name} is not a field of a {kind} in PFIF {self.version}", child, record)
                continue
            if name in record.fields:
                self.add(f"{name} appears more than once", child, record, name)
                continue
            if len(child):
                self.add(f"{name} must hold text, not elements", child, record, name)
            record.fields[name] = child
            seen_children.append(name)
        self.check_order(record, seen_children, allowed)
        return record

    def check_order(self, record: _Record, names: list[str], allowed: tuple[str, ...]) -> None:
        if self.version == "1.1":
            positions = [allowed.index(n) for n in names]
            for before, after, name in zip(positions, positions[1:], names[1:], strict=False):
                if after < before:
                    self.add(
                        f"{name} is out of the order PFIF 1.1 prescribes",
                        record.fields[name],
                        record,
                        name,
                    )
                    break
        elif self.version == "1.2" and names:
            first = f"{record.kind}_record_id"
            if first in names and names[0] != first:
                self.add(
                    f"{first} must come first in PFIF 1.2", record.fields[first], record, first
                )

    def check_values(self, record: _Record) -> None:
        for name, element in record.fields.items():
            value = element.text or ""
            if not value.strip():
                self.add(f"{name} is empty", element, record, name, error=False)
                continue
            limit = spec.LONG_FIELD_CHARS if name in spec.LONG_FIELDS else spec.SHORT_FIELD_CHARS
            if len(value) > limit:
                self.add(
                    f"{name} is {len(value):,} characters, over {limit:,}", element, record, name
                )
            kind = (
                spec.person_format(self.version, name)
                if record.kind == "person"
                else spec.note_format(name)
            )
            problem = _format_problem(kind, value)
            if problem:
                self.add(f"{value[:80]!r} {problem}", element, record, name)
        for name in ("source_date", "entry_date"):
            value = record.text(name)
            moment = parse_utc(value) if value else None
            if moment is not None and moment > self.now + timedelta(minutes=5):
                self.add(f"{name} is in the future", record.fields[name], record, name, error=False)

    def check_required(self, record: _Record) -> None:
        required = (spec.PERSON_REQUIRED if record.kind == "person" else spec.NOTE_REQUIRED)[
            self.version
        ]
        for name in required:
            if name not in record.fields:
                self.add(f"required field {name} is missing", record.element, record, name)
        if (
            record.kind == "note"
            and record.parent_person is None
            and ("person_record_id" not in record.fields)
        ):
            self.add(
                "a note outside a person must have a person_record_id",
                record.element,
                record,
                "person_record_id",
            )
        if record.kind == "note" and record.parent_person is not None:
            own = record.text("person_record_id")
            parent = record.parent_person.text("person_record_id")
            if own is not None and parent is not None and own != parent:
                self.add(
                    f"person_record_id {own!r} is not that of the person holding the note "
                    f"({parent!r})",
                    record.fields["person_record_id"],
                    record,
                    "person_record_id",
                )

    def check_note_rules(self, record: _Record) -> None:
        status = record.text("status")
        contact = record.text("author_made_contact") or record.text("found")
        if status == "believed_dead" and contact == "true":
            self.add(
                "status believed_dead with author_made_contact true: the author says they "
                "were in contact with a person believed dead",
                record.fields["status"],
                record,
                "status",
                error=False,
            )
        linked = record.text("linked_person_record_id")
        if linked is not None and linked == self.person_id_of(record):
            self.add(
                "linked_person_record_id points at the note's own person",
                record.fields["linked_person_record_id"],
                record,
                "linked_person_record_id",
            )

    def person_id_of(self, note: _Record) -> str | None:
        own = note.text("person_record_id")
        if own is not None:
            return own
        return note.parent_person.text("person_record_id") if note.parent_person else None

    def check_expiry(self, person: _Record, notes: list[_Record]) -> None:
        value = person.text("expiry_date")
        expiry = parse_utc(value) if value else None
        # The rules give a repository a day after expiry to remove the content.
        if expiry is None or expiry + timedelta(days=1) >= self.now:
            return
        for record in (person, *notes):
            for name, element in record.fields.items():
                if record is person and name in spec.PLACEHOLDER_FIELDS:
                    continue
                if (element.text or "").strip():
                    self.add(
                        f"the record expired on {value} but still holds {name}",
                        element,
                        record,
                        name,
                        rule="expiry",
                    )
        source, entry = person.text("source_date"), person.text("entry_date")
        if source != entry:
            self.add(
                "an expired record's placeholder must have source_date equal to entry_date",
                person.element,
                person,
                "source_date",
                rule="expiry",
            )
        source_moment = parse_utc(source) if source else None
        if source_moment is not None and source_moment > expiry + timedelta(days=1):
            self.add(
                "the placeholder was made more than a day after the record expired",
                person.fields["source_date"],
                person,
                "source_date",
                error=False,
                rule="expiry",
            )


def _records(checker: _Checker, root: etree._Element) -> Iterator[_Record]:
    for child in root:
        if not isinstance(child.tag, str):
            continue
        ns, name = _local(child)
        if ns != checker.ns:
            checker.add(
                f"element {{{ns or ''}}}{name} is not in the PFIF {checker.version} namespace",
                child,
            )
            continue
        if name == "person":
            person = checker.read_record("person", child, None)
            yield person
            for inner in child:
                if isinstance(inner.tag, str) and _local(inner) == (checker.ns, "note"):
                    yield checker.read_record("note", inner, person)
        elif name == "note" and checker.version != "1.1":
            yield checker.read_record("note", child, None)
        elif name == "note":
            checker.add("a note outside a person is not allowed in PFIF 1.1", child)
        else:
            checker.add(f"{name} is not allowed under pfif (only person and note)", child)


def validate_root(root: etree._Element, *, now: datetime | None = None) -> Report:
    """Check a parsed document against the rules of the PFIF version its namespace names."""
    now = now or datetime.now(UTC)
    ns, name = _local(root)
    if not ns or not ns.startswith(spec.NAMESPACE_PREFIX):
        return Report(
            None,
            0,
            0,
            (
                Violation(
                    f"the root element is {{{ns or ''}}}{name}, not pfif in a PFIF namespace "
                    f"({spec.NAMESPACE_PREFIX}1.4 and earlier)",
                    root.sourceline,
                ),
            ),
        )
    version = ns.removeprefix(spec.NAMESPACE_PREFIX).rstrip("/")
    if version not in spec.VERSIONS:
        return Report(
            None,
            0,
            0,
            (Violation(f"unknown PFIF version {version!r} (namespace {ns})", root.sourceline),),
        )
    checker = _Checker(version, ns, now)
    if name != "pfif":
        checker.add(f"the root element must be pfif, not {name}", root)
    records = list(_records(checker, root))
    persons = [r for r in records if r.kind == "person"]
    notes = [r for r in records if r.kind == "note"]
    if not records:
        checker.add("the document holds no person or note", root, error=False)
    for record in records:
        checker.check_values(record)
        checker.check_required(record)
        if record.kind == "note":
            checker.check_note_rules(record)
    _check_unique(checker, persons, "person_record_id")
    _check_unique(checker, notes, "note_record_id")
    _check_links(checker, notes)
    if version in ("1.3", "1.4"):
        by_person: dict[str, list[_Record]] = {}
        for note in notes:
            owner = checker.person_id_of(note)
            if owner:
                by_person.setdefault(owner, []).append(note)
        for person in persons:
            checker.check_expiry(person, by_person.get(person.text("person_record_id") or "", []))
    ordered = sorted(checker.found, key=lambda v: v.line or 0)
    return Report(version, len(persons), len(notes), tuple(ordered))


def _check_unique(checker: _Checker, records: Iterable[_Record], field: str) -> None:
    seen: dict[str, int | None] = {}
    for record in records:
        value = record.text(field)
        if not value:
            continue
        if value in seen:
            checker.add(
                f"{field} {value!r} is used again (first on line {seen[value]})",
                record.fields[field],
                record,
                field,
            )
        else:
            seen[value] = record.fields[field].sourceline


def _check_links(checker: _Checker, notes: list[_Record]) -> None:
    links: dict[str, set[str]] = {}
    where: dict[tuple[str, str], _Record] = {}
    for note in notes:
        owner, linked = checker.person_id_of(note), note.text("linked_person_record_id")
        if owner and linked:
            links.setdefault(owner, set()).add(linked)
            where[(owner, linked)] = note
    for (owner, linked), note in where.items():
        if owner not in links.get(linked, set()) and linked in links:
            checker.add(
                f"{owner} is linked to {linked}, which is in this document but does not link back",
                note.fields["linked_person_record_id"],
                note,
                "linked_person_record_id",
                error=False,
            )


def validate(data: bytes, *, now: datetime | None = None) -> Report:
    """Parse and check a PFIF document; UnreadableDocument if it cannot be read."""
    return validate_root(parse_document(data), now=now)

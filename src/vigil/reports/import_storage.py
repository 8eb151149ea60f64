"""Storing imported reports in bulk: COPY on PostgreSQL, executemany on SQLite, into
reports, mentions, report_events and the search index, in the caller's transaction.

Rows bypass the ORM (a million ORM objects would not fit); the values written are the
ones the ORM would write, which the import tests check by reading reports back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

import psycopg
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from vigil.platform.actor import Actor
from vigil.reports import identifiers
from vigil.reports.vocabulary import FileClass, MentionRole, Source

REPORT_COLUMNS = (
    "id",
    "receipt_number",
    "kind",
    "file_class",
    "source",
    "narrative",
    "occurred_at",
    "reported_at",
    "location_text",
    "latitude",
    "longitude",
    "behaviors",
    "weapons",
    "target_types",
    "target_name",
    "marking",
    "owner_agency_id",
    "routed_agency_id",
    "created_by_user_id",
    "protected_activity_only",
    "urgency_score",
    "urgency_level",
    "urgency_rules",
    "ack_due_at",
    "review_due_at",
    "purge_due_at",
    "created_at",
    "updated_at",
)
MENTION_COLUMNS = (
    "report_id",
    "role",
    "given_name",
    "middle_name",
    "family_name",
    "aliases",
    "date_of_birth",
    "age_min",
    "age_max",
    "sex",
    "phones",
    "emails",
    "handles",
    "addresses",
    "school_or_employer",
    "description",
)
EVENT_COLUMNS = ("report_id", "kind", "user_id", "agency_id", "at", "summary", "data")
# List columns, as indexes into a prepared mention (which has no report_id).
_MENTION_JSON = frozenset(
    MENTION_COLUMNS.index(name) - 1
    for name in ("aliases", "phones", "emails", "handles", "addresses")
)

# What identifiers.folded reads, as indexes into a prepared mention.
_SUBJECT_PARTS = tuple(
    MENTION_COLUMNS.index(name) - 1
    for name in ("role", "given_name", "family_name", "phones", "emails", "handles")
)
IDENTIFIER_COLUMNS = ("report_id", "kind", "value")


@dataclass(slots=True)
class PreparedReport:
    """One validated, triaged row, ready to store (lists still Python lists)."""

    receipt_number: str
    kind: str
    narrative: str
    occurred_at: datetime | None
    reported_at: datetime
    location_text: str | None
    latitude: float | None
    longitude: float | None
    behaviors: list[str]
    weapons: list[str]
    target_types: list[str]
    target_name: str | None
    marking: str
    protected_activity_only: bool
    urgency_score: int
    urgency_level: str
    urgency_rules: str  # already JSON
    ack_due_at: datetime
    review_due_at: datetime | None
    purge_due_at: datetime
    # (role, given, middle, family, aliases, dob, age_min, age_max, sex, phones,
    #  emails, handles, addresses, school_or_employer, description)
    mentions: list[tuple[Any, ...]]
    document: str
    recipient_user_id: int | None


class StorageRefused(Exception):
    """The database refused a batch (a constraint, the server); the name of the error
    class is safe to show, its message (which may quote values) is not."""

    def __init__(self, error: Exception) -> None:
        super().__init__(type(error).__name__)
        self.error = error


class ReportWriter(Protocol):
    def write(self, batch: list[PreparedReport]) -> None:
        """Store a batch in the open transaction."""
        ...


# One encoder for every value: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# What that encoder escapes in a string (with ensure_ascii=False).
_ESCAPED = re.compile(r'[\x00-\x1f"\\]')


def _json(value: Any) -> str:
    if not value:
        return "[]"
    # Most values are short lists of plain strings: joined, they are what the encoder
    # would write, without its per-call cost.
    if isinstance(value, list) and all(type(item) is str for item in value):
        joined = '","'.join(value)
        if not _ESCAPED.search(joined):
            return f'["{joined}"]'
    return _ENCODER.encode(value)


class _Rows:
    """Turns prepared reports into table rows; shared by both writers."""

    def __init__(self, *, agency_id: int, actor: Actor, import_id: str, now: datetime) -> None:
        self.agency_id = agency_id
        self.user_id = actor.user_id
        self.import_id = import_id
        self.now = now
        self.summary = f"Filed by {Source.IMPORT.value}; routed to agency {agency_id}"

    def report(self, report_id: int, r: PreparedReport) -> tuple[Any, ...]:
        return (
            report_id,
            r.receipt_number,
            r.kind,
            FileClass.TIP_LEAD.value,
            Source.IMPORT.value,
            r.narrative,
            r.occurred_at,
            r.reported_at,
            r.location_text,
            r.latitude,
            r.longitude,
            _json(r.behaviors),
            _json(r.weapons),
            _json(r.target_types),
            r.target_name,
            r.marking,
            self.agency_id,
            self.agency_id,
            self.user_id,
            r.protected_activity_only,
            r.urgency_score,
            r.urgency_level,
            r.urgency_rules,
            r.ack_due_at,
            r.review_due_at,
            r.purge_due_at,
            self.now,
            self.now,
        )

    def mentions(self, report_id: int, r: PreparedReport) -> list[tuple[Any, ...]]:
        rows = []
        for mention in r.mentions:
            row = [report_id, *mention]
            for index in _MENTION_JSON:
                row[index + 1] = _json(row[index + 1])
            rows.append(tuple(row))
        return rows

    def subject_identifiers(self, report_id: int, r: PreparedReport) -> list[tuple[Any, ...]]:
        # The subjects' folded names and contacts, as filing writes them (the
        # earlier-reports count of later filings looks them up).
        found: set[identifiers.Identifier] = set()
        for mention in r.mentions:
            role, given, family, phones, emails, handles = (mention[i] for i in _SUBJECT_PARTS)
            if role == MentionRole.SUBJECT:
                found |= identifiers.folded(given, family, phones, emails, handles)
        return [(report_id, kind, value) for kind, value in sorted(found)]

    def event(self, report_id: int, r: PreparedReport) -> tuple[Any, ...]:
        data = {"level": r.urgency_level, "score": r.urgency_score, "import_id": self.import_id}
        return (
            report_id,
            "filed",
            self.user_id,
            self.agency_id,
            self.now,
            self.summary,
            _json(data),
        )


class PostgresWriter:
    """COPY through psycopg, on the session's own connection (so in its transaction)."""

    def __init__(self, connection: Connection, rows: _Rows) -> None:
        self.connection = connection
        self.rows = rows
        self.driver: Any = connection.connection.driver_connection

    def write(self, batch: list[PreparedReport]) -> None:
        try:
            self._write(batch)
        except (psycopg.Error, DBAPIError) as error:
            raise StorageRefused(getattr(error, "orig", None) or error) from error

    def _write(self, batch: list[PreparedReport]) -> None:
        ids = (
            self.connection.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence('reports', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": len(batch)},
            )
            .scalars()
            .all()
        )
        pairs = list(zip(ids, batch, strict=True))
        with self.driver.cursor() as cursor:
            with cursor.copy(f"COPY reports ({', '.join(REPORT_COLUMNS)}) FROM STDIN") as copy:
                for report_id, prepared in pairs:
                    copy.write_row(self.rows.report(report_id, prepared))
            with cursor.copy(f"COPY mentions ({', '.join(MENTION_COLUMNS)}) FROM STDIN") as copy:
                for report_id, prepared in pairs:
                    for mention in self.rows.mentions(report_id, prepared):
                        copy.write_row(mention)
            with cursor.copy(
                f"COPY mention_identifiers ({', '.join(IDENTIFIER_COLUMNS)}) FROM STDIN"
            ) as copy:
                for report_id, prepared in pairs:
                    for identifier in self.rows.subject_identifiers(report_id, prepared):
                        copy.write_row(identifier)
            with cursor.copy("COPY report_search (report_id, document) FROM STDIN") as copy:
                for report_id, prepared in pairs:
                    copy.write_row((report_id, prepared.document))
            with cursor.copy(f"COPY report_events ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
                for report_id, prepared in pairs:
                    copy.write_row(self.rows.event(report_id, prepared))
            recipients = [
                (report_id, prepared.recipient_user_id)
                for report_id, prepared in pairs
                if prepared.recipient_user_id is not None
            ]
            if recipients:
                cursor.executemany(
                    "INSERT INTO report_recipients (report_id, user_id) VALUES (%s, %s)",
                    recipients,
                )


def _sqlite_time(value: datetime | None) -> str | None:
    # The text SQLAlchemy's SQLite DateTime writes (UTC, no zone, microseconds).
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


_REPORT_TIMES = tuple(
    REPORT_COLUMNS.index(name)
    for name in (
        "occurred_at",
        "reported_at",
        "ack_due_at",
        "review_due_at",
        "purge_due_at",
        "created_at",
        "updated_at",
    )
)
_REPORT_FLAG = REPORT_COLUMNS.index("protected_activity_only")
_MENTION_DATE = MENTION_COLUMNS.index("date_of_birth")
_EVENT_TIME = EVENT_COLUMNS.index("at")


def _insert(table: str, columns: tuple[str, ...]) -> str:
    # Only this module's constant table and column names go into the statement.
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"  # noqa: S608


_INSERT_REPORTS = _insert("reports", REPORT_COLUMNS)
_INSERT_MENTIONS = _insert("mentions", MENTION_COLUMNS)
_INSERT_EVENTS = _insert("report_events", EVENT_COLUMNS)
_INSERT_IDENTIFIERS = _insert("mention_identifiers", IDENTIFIER_COLUMNS)


class SQLiteWriter:
    """executemany on the session's connection. The write lock is already held
    (every transaction opens with BEGIN IMMEDIATE), so ids can be handed out here."""

    def __init__(self, connection: Connection, rows: _Rows) -> None:
        self.connection = connection
        self.rows = rows
        self.next_id = (
            int(connection.execute(text("SELECT coalesce(max(id), 0) FROM reports")).scalar_one())
            + 1
        )

    def write(self, batch: list[PreparedReport]) -> None:
        try:
            self._write(batch)
        except DBAPIError as error:
            raise StorageRefused(error.orig or error) from error

    def _write(self, batch: list[PreparedReport]) -> None:
        reports, mentions, documents, events, recipients = [], [], [], [], []
        subject_identifiers: list[tuple[Any, ...]] = []
        # Most times of an import are the same few (now, and deadlines counted from it).
        times: dict[datetime, str | None] = {}
        for prepared in batch:
            report_id = self.next_id
            self.next_id += 1
            row = list(self.rows.report(report_id, prepared))
            for index in _REPORT_TIMES:
                moment = row[index]
                if moment is not None:
                    if moment not in times:
                        times[moment] = _sqlite_time(moment)
                    row[index] = times[moment]
            row[_REPORT_FLAG] = int(row[_REPORT_FLAG])
            reports.append(tuple(row))
            for mention in self.rows.mentions(report_id, prepared):
                values = list(mention)
                values[_MENTION_DATE] = _sqlite_date(values[_MENTION_DATE])
                mentions.append(tuple(values))
            subject_identifiers += self.rows.subject_identifiers(report_id, prepared)
            documents.append((report_id, prepared.document))
            event = list(self.rows.event(report_id, prepared))
            event[_EVENT_TIME] = times.get(event[_EVENT_TIME]) or _sqlite_time(event[_EVENT_TIME])
            events.append(tuple(event))
            if prepared.recipient_user_id is not None:
                recipients.append((report_id, prepared.recipient_user_id))
        run = self.connection.exec_driver_sql
        run(_INSERT_REPORTS, reports)
        if mentions:
            run(_INSERT_MENTIONS, mentions)
        if subject_identifiers:
            run(_INSERT_IDENTIFIERS, subject_identifiers)
        run("INSERT INTO report_search (rowid, document) VALUES (?, ?)", documents)
        run(_INSERT_EVENTS, events)
        if recipients:
            run("INSERT INTO report_recipients (report_id, user_id) VALUES (?, ?)", recipients)


def make_writer(
    db: Session, *, agency_id: int, actor: Actor, import_id: str, now: datetime
) -> ReportWriter:
    connection = db.connection()
    rows = _Rows(agency_id=agency_id, actor=actor, import_id=import_id, now=now)
    if connection.dialect.name == "postgresql":
        return PostgresWriter(connection, rows)
    return SQLiteWriter(connection, rows)

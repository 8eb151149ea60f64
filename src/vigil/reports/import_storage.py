"""Storing imported reports in bulk: COPY on PostgreSQL, executemany on SQLite, into
reports, mentions, mention_identifiers, report_events and the search index, in the
caller's transaction.

Rows bypass the ORM (a million ORM objects would not fit); the values written are the
ones the ORM would write, which the import tests check by reading reports back. Values
are put in their stored form (`stored_time`, `json_text`) where rows are prepared,
which may be a worker process; `Tables` adds what only the writing process knows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

import psycopg
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from vigil.reports.vocabulary import Source

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
IDENTIFIER_COLUMNS = ("report_id", "kind", "value")
# The report columns a prepared row holds: the ones between the receipt number and triage.
PREPARED_REPORT_COLUMNS = REPORT_COLUMNS[2 : REPORT_COLUMNS.index("urgency_score")]

# One encoder for every value: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# What that encoder escapes in a string (with ensure_ascii=False).
_ESCAPED = re.compile(r'[\x00-\x1f"\\]')


def json_text(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, faster."""
    if not value:
        return "[]"
    # Most values are short lists of plain strings: joined, they are what the encoder
    # would write, without its per-call cost.
    if isinstance(value, list) and all(type(item) is str for item in value):
        joined = '","'.join(value)
        if not _ESCAPED.search(joined):
            return f'["{joined}"]'
    return _ENCODER.encode(value)


def stored_time(value: datetime | None, *, sqlite: bool) -> Any:
    """A time as the writer takes it: on SQLite, the text SQLAlchemy's DateTime writes
    (UTC, no zone, microseconds); on PostgreSQL, the datetime itself."""
    if value is None or not sqlite:
        return value
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def stored_date(value: date | None, *, sqlite: bool) -> Any:
    if value is None or not sqlite:
        return value
    return value.isoformat()


class StorageRefused(Exception):
    """The database refused a batch (a constraint, the server); the name of the error
    class is safe to show, its message (which may quote values) is not."""

    def __init__(self, error: Exception) -> None:
        super().__init__(type(error).__name__)
        self.error = error


@dataclass
class Tables:
    """A batch of reports as table rows, built in file order by the writing process."""

    agency_id: int
    user_id: int | None
    import_id: str
    now: Any  # in stored form
    reports: list[tuple[Any, ...]] = field(default_factory=list)
    mentions: list[tuple[Any, ...]] = field(default_factory=list)
    identifiers: list[tuple[Any, ...]] = field(default_factory=list)
    documents: list[tuple[int, str]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    recipients: list[tuple[int, int]] = field(default_factory=list)
    _event_data: dict[tuple[str, int], str] = field(default_factory=dict)
    _summary: str = field(init=False)

    def __post_init__(self) -> None:
        self._summary = f"Filed by {Source.IMPORT.value}; routed to agency {self.agency_id}"

    def add(
        self,
        report_id: int,
        receipt_number: str,
        report: tuple[Any, ...],
        urgency: tuple[int, str, str],
        deadlines: tuple[Any, Any, Any],
        mentions: list[tuple[Any, ...]],
        identifiers: list[tuple[str, str]],
        document: str,
        recipient_user_id: int | None,
    ) -> None:
        """One report: ``report`` holds the PREPARED_REPORT_COLUMNS, ``urgency`` the
        score, level and rules (JSON), ``deadlines`` the acknowledgement, review and
        purge times, ``mentions`` the MENTION_COLUMNS after report_id."""
        score, level, _ = urgency
        self.reports.append(
            (report_id, receipt_number, *report, *urgency, *deadlines, self.now, self.now)
        )
        self.mentions += [(report_id, *mention) for mention in mentions]
        self.identifiers += [(report_id, kind, value) for kind, value in identifiers]
        self.documents.append((report_id, document))
        if (level, score) not in self._event_data:
            self._event_data[level, score] = json_text(
                {"level": level, "score": score, "import_id": self.import_id}
            )
        self.events.append(
            (
                report_id,
                "filed",
                self.user_id,
                self.agency_id,
                self.now,
                self._summary,
                self._event_data[level, score],
            )
        )
        if recipient_user_id is not None:
            self.recipients.append((report_id, recipient_user_id))


class ReportWriter(Protocol):
    sqlite: bool

    def reserve(self, count: int) -> list[int]:
        """Ids for the next ``count`` reports."""
        ...

    def write(self, tables: Tables) -> None:
        """Store a batch in the open transaction."""
        ...


class PostgresWriter:
    """COPY through psycopg, on the session's own connection (so in its transaction)."""

    sqlite = False

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.driver: Any = connection.connection.driver_connection

    def reserve(self, count: int) -> list[int]:
        try:
            return list(
                self.connection.execute(
                    text(
                        "SELECT nextval(pg_get_serial_sequence('reports', 'id')) "
                        "FROM generate_series(1, :n)"
                    ),
                    {"n": count},
                ).scalars()
            )
        except DBAPIError as error:
            raise StorageRefused(error.orig or error) from error

    def write(self, tables: Tables) -> None:
        try:
            self._write(tables)
        except (psycopg.Error, DBAPIError) as error:
            raise StorageRefused(getattr(error, "orig", None) or error) from error

    def _write(self, tables: Tables) -> None:
        with self.driver.cursor() as cursor:
            for table, columns, rows in (
                ("reports", REPORT_COLUMNS, tables.reports),
                ("mentions", MENTION_COLUMNS, tables.mentions),
                ("mention_identifiers", IDENTIFIER_COLUMNS, tables.identifiers),
                ("report_search", ("report_id", "document"), tables.documents),
                ("report_events", EVENT_COLUMNS, tables.events),
            ):
                if rows:
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            if tables.recipients:
                cursor.executemany(
                    "INSERT INTO report_recipients (report_id, user_id) VALUES (%s, %s)",
                    tables.recipients,
                )


def _insert(table: str, columns: tuple[str, ...]) -> str:
    # Only this module's constant table and column names go into the statement.
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"  # noqa: S608  # nosec B608


_INSERT_REPORTS = _insert("reports", REPORT_COLUMNS)
_INSERT_MENTIONS = _insert("mentions", MENTION_COLUMNS)
_INSERT_IDENTIFIERS = _insert("mention_identifiers", IDENTIFIER_COLUMNS)
_INSERT_SEARCH = _insert("report_search", ("rowid", "document"))
_INSERT_EVENTS = _insert("report_events", EVENT_COLUMNS)
_INSERT_RECIPIENTS = _insert("report_recipients", ("report_id", "user_id"))


class SQLiteWriter:
    """executemany on the session's connection. The write lock is already held
    (every transaction opens with BEGIN IMMEDIATE), so ids can be handed out here."""

    sqlite = True

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.next_id = (
            int(connection.execute(text("SELECT coalesce(max(id), 0) FROM reports")).scalar_one())
            + 1
        )

    def reserve(self, count: int) -> list[int]:
        first, self.next_id = self.next_id, self.next_id + count
        return list(range(first, self.next_id))

    def write(self, tables: Tables) -> None:
        try:
            for statement, rows in (
                (_INSERT_REPORTS, tables.reports),
                (_INSERT_MENTIONS, tables.mentions),
                (_INSERT_IDENTIFIERS, tables.identifiers),
                (_INSERT_SEARCH, tables.documents),
                (_INSERT_EVENTS, tables.events),
                (_INSERT_RECIPIENTS, tables.recipients),
            ):
                if rows:
                    self.connection.exec_driver_sql(statement, rows)
        except DBAPIError as error:
            raise StorageRefused(error.orig or error) from error


def make_writer(db: Session) -> ReportWriter:
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        return PostgresWriter(connection)
    return SQLiteWriter(connection)

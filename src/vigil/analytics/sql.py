"""Read-only SQL over the public catalogue for analysts: DuckDB in memory, holding only
copies of the catalogue's tables, with file, network and extension access switched off
and the configuration locked before the analyst's query runs; a time limit and a row
limit. Nothing the query does can reach the application database."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.analytics.export import COLUMNS, _record
from vigil.analytics.models import CatalogIncident, SourceRow
from vigil.platform import audit, policy
from vigil.platform.actor import Actor

MAX_QUERY_CHARS = 5000
DEFAULT_ROW_LIMIT = 1000
DEFAULT_SECONDS = 10.0
TABLES = {
    "incidents": "one row per harmonised incident (columns as the catalogue export)",
    "source_rows": "dataset, row_key, incident_id of every source row",
}
# Applied in this order; the last one makes every setting, these included, read-only.
_LOCKDOWN = (
    "SET enable_external_access = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET lock_configuration = true",
)


class QueryRefused(Exception):
    """The query is empty, too long, failed, or ran past its limits."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


def _incidents(session: Session) -> pa.Table:
    rows = [_record(row) for row in session.scalars(select(CatalogIncident))]
    return pa.Table.from_pylist(rows, schema=pa.schema([(name, _type(name)) for name in COLUMNS]))


def _type(name: str) -> pa.DataType:
    if name in {"killed", "injured"}:
        return pa.int32()
    if name in {"school", "shot4", "killed4", "active_shooter", "public_mass"}:
        return pa.bool_()
    if name in {"school_shooting", "needs_review"}:
        return pa.bool_()
    return pa.string()


def _source_rows(session: Session) -> pa.Table:
    found = session.execute(
        select(SourceRow.dataset, SourceRow.row_key, SourceRow.incident_id)
    ).all()
    return pa.table(
        {
            "dataset": [row[0] for row in found],
            "row_key": [row[1] for row in found],
            "incident_id": [row[2] for row in found],
        }
    )


# The public catalogue's tables: the only names that go into the DDL below (a table
# name cannot be a bound parameter).
PUBLIC_TABLES = frozenset({"incidents", "source_rows"})


def locked_connection(tables: dict[str, pa.Table]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding ``tables`` and nothing else, locked down."""
    unknown = set(tables) - PUBLIC_TABLES
    if unknown:
        raise ValueError(f"not tables of the public catalogue: {sorted(unknown)}")
    connection = duckdb.connect(":memory:", config={"threads": 1})
    for name, table in tables.items():
        connection.register(f"_{name}", table)
        connection.execute(f"CREATE TABLE {name} AS SELECT * FROM _{name}")  # noqa: S608  # nosec B608
        connection.unregister(f"_{name}")
    for statement in _LOCKDOWN:
        connection.execute(statement)
    return connection


def run_locked(
    connection: duckdb.DuckDBPyConnection,
    query: str,
    *,
    row_limit: int = DEFAULT_ROW_LIMIT,
    seconds: float = DEFAULT_SECONDS,
) -> QueryResult:
    """Run one analyst query with a time and a row limit."""
    text = query.strip().rstrip(";").strip()
    if not text:
        raise QueryRefused("Write a query.")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryRefused(f"A query may be at most {MAX_QUERY_CHARS} characters.")
    try:
        statements = connection.extract_statements(text)
    except duckdb.Error as error:
        raise QueryRefused(_first_line(error)) from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise QueryRefused("Only one SELECT (or WITH ... SELECT) query is allowed.")
    timer = threading.Timer(seconds, connection.interrupt)
    timer.start()
    try:
        cursor = connection.execute(text)
        if cursor.description is None:
            return QueryResult([], [], False)
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchmany(row_limit + 1)
    except duckdb.InterruptException:
        raise QueryRefused(f"The query ran past {seconds:g} seconds and was stopped.") from None
    except duckdb.Error as error:
        raise QueryRefused(_first_line(error)) from None
    finally:
        timer.cancel()
    return QueryResult(columns, rows[:row_limit], len(rows) > row_limit)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def query_catalog(
    session: Session,
    *,
    actor: Actor,
    query: str,
    row_limit: int = DEFAULT_ROW_LIMIT,
    seconds: float = DEFAULT_SECONDS,
) -> QueryResult:
    """Run ``query`` over copies of the public catalogue's tables; audited (the query's
    length and outcome, not its text)."""
    policy.authorize(actor, "read", "analytics_catalog")
    connection = locked_connection(
        {"incidents": _incidents(session), "source_rows": _source_rows(session)}
    )
    outcome = "success"
    try:
        result = run_locked(connection, query, row_limit=row_limit, seconds=seconds)
    except QueryRefused:
        outcome = "refused"
        raise
    finally:
        connection.close()
        audit.record(
            session,
            actor=actor,
            action="analytics.sql_query",
            object_type="analytics_catalog",
            outcome=outcome,
            details={"query_chars": len(query)},
        )
    return result

"""Read-only SQL over the public catalogue: DuckDB with no file, network or extension
access, one SELECT, time and row limits; the page and the command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from vigil.analytics.catalog import load_catalog
from vigil.analytics.sql import QueryRefused, locked_connection, query_catalog, run_locked
from vigil.platform.actor import anonymous, command_line
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied


@pytest.fixture
def locked():  # type: ignore[no-untyped-def]
    found = locked_connection({"incidents": pa.table({"killed": list(range(3000))})})
    yield found
    found.close()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("select * from read_csv('/etc/passwd')", "file system operations are disabled"),
        ("select * from 'https://example.com/data.csv'", "file system operations are disabled"),
        ("copy (select 1) to '/tmp/vigil-leak.csv'", "Only one SELECT"),
        ("attach '/tmp/vigil.db' as other", "Only one SELECT"),
        ("install httpfs", "Only one SELECT"),
        ("load httpfs", "Only one SELECT"),
        ("set enable_external_access = true", "Only one SELECT"),
        ("select 1; drop table incidents", "Only one SELECT"),
        ("create table copy as select * from incidents", "Only one SELECT"),
        ("select * from nowhere", "Table with name nowhere does not exist"),
        ("selec 1", "syntax error"),
        ("   ", "Write a query."),
        ("select 1 " + "x" * 6000, "at most 5000 characters"),
    ],
)
def test_refused_queries(locked, query: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QueryRefused, match=message):
        run_locked(locked, query)


def test_the_configuration_is_locked_even_inside_a_select(locked) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QueryRefused, match="file system operations are disabled"):
        run_locked(locked, "select * from read_parquet('/tmp/*.parquet')")
    result = run_locked(
        locked,
        "select value from duckdb_settings() where name in "
        "('enable_external_access', 'lock_configuration') order by name",
    )
    assert result.rows == [("false",), ("true",)]


def test_time_and_row_limits(locked) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QueryRefused, match=r"ran past 0\.5 seconds"):
        run_locked(locked, "select count(*) from range(10000000000)", seconds=0.5)
    result = run_locked(locked, "select killed from incidents order by killed", row_limit=10)
    assert result.truncated and [row[0] for row in result.rows] == list(range(10))
    total = run_locked(locked, "with t as (select sum(killed) s from incidents) select s from t")
    assert total.rows == [(sum(range(3000)),)] and not total.truncated


def test_query_the_loaded_catalogue(db: Session, copy_datasets: Callable[..., Path]) -> None:
    root = copy_datasets("fbi_active_shooter_2000_2018", "motherjones_codeholics")
    load_catalog(db, actor=command_line("operator"), directory=root)
    reader = actor_for(make_user(db, agency=make_agency(db)))
    result = query_catalog(
        db,
        actor=reader,
        query="select count(*) from incidents where active_shooter and public_mass "
        "and occurred_on between '2017-01-01' and '2017-12-31'",
    )
    assert result.columns == ["count_star()"] and result.rows[0][0] >= 5
    rows = query_catalog(
        db, actor=reader, query="select count(*) from source_rows where dataset like 'fbi%'"
    )
    assert rows.rows == [(281,)]
    with pytest.raises(QueryRefused):
        query_catalog(db, actor=reader, query="select * from users")  # not in DuckDB at all
    outcomes = db.execute(
        select(AuditEvent.outcome, AuditEvent.details).where(
            AuditEvent.action == "analytics.sql_query"
        )
    ).all()
    assert [o for o, _ in outcomes] == ["success", "success", "refused"]
    assert all(set(details) == {"query_chars"} for _, details in outcomes)
    with pytest.raises(PermissionDenied):
        query_catalog(db, actor=anonymous(), query="select 1")


def test_only_the_public_catalogue_tables_are_created() -> None:
    """Table names go into DDL unbound, so only the catalogue's own are accepted."""
    with pytest.raises(ValueError, match="not tables of the public catalogue"):
        locked_connection({"x; DROP TABLE incidents": pa.table({"a": [1]})})

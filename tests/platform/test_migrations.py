"""Migrations: up, all the way down and up again on fresh databases of both kinds;
the result matches the models and carries the audit trail's append-only triggers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import (
    create_postgres_database,
    drop_postgres_database,
    make_settings,
    require_postgres,
)
from vigil.platform import audit, migrate
from vigil.platform.database import Base, make_engine
from vigil.platform.models_registry import import_all_models

PLATFORM_TABLES = {
    "agencies",
    "users",
    "user_roles",
    "web_sessions",
    "api_tokens",
    "login_failures",
    "login_locks",
    "audit_events",
    "audit_chain_head",
    "audit_checkpoints",
}

# Tables whose rows the database itself refuses to change: the audit trail, and the
# response domain's submitted ICS forms, significant events and request steps.
APPEND_ONLY_TABLES = (
    "audit_events",
    "audit_checkpoints",
    "incident_events",
    "ics_forms",
    "resource_request_steps",
)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(request, tmp_path) -> Iterator[Engine]:
    """An empty database of its own, not the suite's shared one."""
    url = None
    if request.param == "postgresql":
        require_postgres()
        url = create_postgres_database()
    engine = make_engine(make_settings(tmp_path, url))
    try:
        yield engine
    finally:
        engine.dispose()
        if url:
            drop_postgres_database(url)


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def trigger_names(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        else:
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        return set(connection.execute(text(query)).scalars())


def head_revision() -> str:
    config = migrate.alembic_config(None)  # type: ignore[arg-type]
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def assert_migrated(engine: Engine) -> None:
    import_all_models()
    found = tables(engine)
    # Search indexes are hand-made (FTS5 and its shadow tables, or a tsvector table).
    assert {"report_search"} <= found
    assert {t for t in found if not t.startswith("report_search")} == (
        set(Base.metadata.tables) | {"alembic_version"}
    )
    assert found >= PLATFORM_TABLES
    with engine.connect() as connection:
        head = connection.execute(text("SELECT id, seq, hash FROM audit_chain_head")).all()
        assert [tuple(row) for row in head] == [(audit.HEAD_ROW_ID, 0, audit.GENESIS_HASH)]
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == head_revision()
    if engine.dialect.name == "postgresql":
        assert trigger_names(engine) == {f"{table}_append_only" for table in APPEND_ONLY_TABLES}
    else:
        assert trigger_names(engine) == {
            f"{table}_no_{verb}" for table in APPEND_ONLY_TABLES for verb in ("update", "delete")
        }


def test_upgrade_downgrade_upgrade(fresh_engine):
    assert tables(fresh_engine) == set()

    migrate.upgrade(fresh_engine)
    assert_migrated(fresh_engine)

    migrate.downgrade(fresh_engine, "base")
    assert tables(fresh_engine) == {"alembic_version"}
    assert trigger_names(fresh_engine) == set()
    if fresh_engine.dialect.name == "postgresql":
        with fresh_engine.connect() as connection:
            assert (
                connection.execute(
                    text("SELECT count(*) FROM pg_proc WHERE proname = 'vigil_audit_append_only'")
                ).scalar()
                == 0
            )

    migrate.upgrade(fresh_engine)
    assert_migrated(fresh_engine)


def test_the_migrated_schema_matches_the_models(fresh_engine):
    import_all_models()
    migrate.upgrade(fresh_engine)

    with fresh_engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": migrate.include_object}
        )
        differences = compare_metadata(context, Base.metadata)

    assert differences == []


def test_the_migrated_audit_trail_is_append_only(fresh_engine):
    migrate.upgrade(fresh_engine)
    insert = text(
        "INSERT INTO audit_events (seq, occurred_at, actor_type, action, outcome, details, "
        "prev_hash, hash) VALUES (1, '2026-01-01T00:00:00.000000Z', 'cli', 'test', "
        "'success', '{}', :zero, :zero)"
    )
    with fresh_engine.begin() as connection:
        connection.execute(insert, {"zero": "0" * 64})

    for statement in ("UPDATE audit_events SET outcome = 'failure'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), fresh_engine.begin() as connection:
            connection.execute(text(statement))

    with fresh_engine.connect() as connection:
        assert connection.execute(text("SELECT outcome FROM audit_events")).all() == [("success",)]

"""Database engine, sessions, durability checks and the declarative base."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from vigil.platform.settings import (
    SAFE_SQLITE_SYNCHRONOUS,
    UNSAFE_SQLITE_JOURNAL_MODES,
    ConfigurationError,
    Settings,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_SYNCHRONOUS_NAMES = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
READ_ONLY_OPTION = "vigil_read_only"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    """Build the engine for the configured database, with its per-connection set-up."""
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine, settings)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine, settings: Settings) -> None:
    journal_mode = settings.sqlite_journal_mode
    synchronous = settings.sqlite_synchronous
    busy_timeout = int(settings.sqlite_busy_timeout_ms)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so SAVEPOINTs work and so
        # that we can open every transaction with BEGIN IMMEDIATE (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA journal_mode={journal_mode}")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            # A long read (audit verify, export) must not hold the write lock: in WAL
            # mode a deferred transaction reads one consistent snapshot and blocks no one.
            connection.exec_driver_sql("BEGIN")
            return
        # A deferred transaction that later writes can fail at once with SQLITE_BUSY
        # instead of waiting; taking the write lock up front serialises writers cleanly.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def check_durability(engine: Engine) -> None:
    """Refuse to start on a database that could lose acknowledged writes."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            sync_value = connection.exec_driver_sql("PRAGMA synchronous").scalar()
            journal = str(connection.exec_driver_sql("PRAGMA journal_mode").scalar()).upper()
            sync_name = SQLITE_SYNCHRONOUS_NAMES.get(int(sync_value or 0), str(sync_value))
            if sync_name not in SAFE_SQLITE_SYNCHRONOUS:
                raise ConfigurationError(
                    f"SQLite synchronous={sync_name}: acknowledged writes could be lost on "
                    "power loss. Vigil needs FULL."
                )
            if journal.upper() in UNSAFE_SQLITE_JOURNAL_MODES:
                raise ConfigurationError(
                    f"SQLite journal_mode={journal}: a crash could corrupt the database."
                )
        elif engine.dialect.name == "postgresql":
            fsync = str(connection.execute(text("SHOW fsync")).scalar()).lower()
            commit = str(connection.execute(text("SHOW synchronous_commit")).scalar()).lower()
            if fsync == "off":
                raise ConfigurationError(
                    "PostgreSQL runs with fsync=off: a crash can corrupt the database. "
                    "Turn fsync on in postgresql.conf."
                )
            if commit == "off":
                raise ConfigurationError(
                    "PostgreSQL synchronous_commit=off: acknowledged writes can be lost. "
                    "Set synchronous_commit to on (server, database, role or URL options)."
                )
        connection.rollback()


def begin_read_only(session: Session) -> None:
    """Make the session's next transaction a consistent snapshot that never blocks
    writers: a deferred BEGIN on SQLite, REPEATABLE READ READ ONLY on PostgreSQL.
    Call it before the session's first query (or right after a commit)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
    else:
        session.connection(execution_options={READ_ONLY_OPTION: True})


def make_sessionmaker(bind: Any, **kwargs: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, expire_on_commit=False, **kwargs)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

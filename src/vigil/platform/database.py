"""Database engine, sessions, durability checks and the declarative base."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from vigil.platform.settings import (
    SAFE_SQLITE_SYNCHRONOUS,
    UNSAFE_SQLITE_JOURNAL_MODES,
    ConfigurationError,
    Settings,
)
from vigil.platform.sqlite_writers import WriterQueue

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_SYNCHRONOUS_NAMES = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
READ_ONLY_OPTION = "vigil_read_only"
WRITE_LOCK_ON_WRITE_OPTION = "vigil_write_lock_on_write"
# Kept in the pooled connection's info: does its open transaction hold SQLite's write lock,
# and this process's writers' turn (sqlite_writers)?
_HOLDS_WRITE_LOCK = "vigil_holds_write_lock"
_HAS_WRITER_TURN = "vigil_has_writer_turn"
# Statements that neither write nor announce a write. Anything else (an INSERT, an
# UPDATE, a SAVEPOINT, which code opens to try a write, or a word not listed here) takes
# the write lock first: wrongly taking it costs time, wrongly not taking it an error.
_NEUTRAL_WORDS = frozenset({"SELECT", "PRAGMA", "EXPLAIN", "BEGIN", "RELEASE", "ROLLBACK"})
_WRITE_WORDS = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


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

    writers = WriterQueue()
    turn_timeout_seconds = busy_timeout / 1000

    def take_write_lock(connection: Any, begin: str | None) -> None:
        """This process's writers' turn, then the database's lock (by ``begin``, or by
        the next write of a transaction that cannot be ended)."""
        try:
            writers.acquire(turn_timeout_seconds)
            connection.info[_HAS_WRITER_TURN] = True
            if begin is not None:
                connection.connection.driver_connection.execute(begin)
        except sqlite3.Error as error:
            _give_up_turn(connection.info)
            # As SQLAlchemy reports a busy database everywhere else.
            raise OperationalError(begin, None, error) from error
        except BaseException:
            _give_up_turn(connection.info)
            raise
        connection.info[_HOLDS_WRITE_LOCK] = True

    def _give_up_turn(info: dict[Any, Any]) -> None:
        if info.pop(_HAS_WRITER_TURN, False):
            writers.release()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(READ_ONLY_OPTION) or options.get(WRITE_LOCK_ON_WRITE_OPTION):
            # A long read (audit verify, export) or a request that reads first must not
            # hold the write lock while it reads: in WAL mode a deferred transaction
            # reads one consistent snapshot and blocks no one.
            connection.exec_driver_sql("BEGIN")
            connection.info[_HOLDS_WRITE_LOCK] = False
            return
        # A deferred transaction that later writes can fail at once with SQLITE_BUSY
        # instead of waiting; taking the write lock up front serialises writers cleanly.
        take_write_lock(connection, "BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def _before_cursor_execute(
        connection: Any,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        context: Any,
        _executemany: bool,
    ) -> None:
        if connection.info.get(_HOLDS_WRITE_LOCK, True):
            return
        if not connection.get_execution_options().get(WRITE_LOCK_ON_WRITE_OPTION):
            return
        if _leaves_data_alone(statement, context):
            return
        # Never by upgrading the snapshot in place: a deferred transaction whose
        # snapshot is older than another writer's commit cannot upgrade
        # (SQLITE_BUSY_SNAPSHOT, at once, whatever the busy timeout). It has written
        # nothing, so it ends, and a new one takes the write lock (waiting its turn)
        # and reads the newest data from then on: what the request read before is as
        # current as a READ COMMITTED read on PostgreSQL, which every request already
        # has to be correct under.
        if connection.in_nested_transaction():
            # A SAVEPOINT is open (one is never opened before the lock: it counts as a
            # write), so ending the transaction would end it too: upgrade in place.
            take_write_lock(connection, None)
            return
        connection.connection.driver_connection.execute("COMMIT")
        take_write_lock(connection, "BEGIN IMMEDIATE")

    # The turn ends with the transaction: after its COMMIT (made here, so that the next
    # writer finds the lock free instead of polling for it through this commit's fsync;
    # SQLAlchemy's own commit then finds nothing left to commit), at its ROLLBACK, or
    # when the connection goes back to the pool without either.
    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        if not connection.info.get(_HAS_WRITER_TURN):
            return
        try:
            connection.connection.driver_connection.commit()
        except sqlite3.Error as error:
            raise OperationalError("COMMIT", None, error) from error
        finally:
            _give_up_turn(connection.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        _give_up_turn(connection.info)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        _give_up_turn(record.info)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, record: Any, _error: Any) -> None:
        _give_up_turn(record.info)


def _leaves_data_alone(statement: str, context: Any) -> bool:
    """True for a statement that reads without meaning to write what it reads."""
    compiled_statement = getattr(getattr(context, "compiled", None), "statement", None)
    # SELECT ... FOR UPDATE (the audit chain's head, a job's claim) reads to write: under
    # SQLite it must read the newest data under the lock, not the snapshot's.
    if getattr(compiled_statement, "_for_update_arg", None) is not None:
        return False
    words = statement.lstrip(" \t\r\n(").split(None, 1)
    first = words[0].upper() if words else ""
    if first == "WITH":
        return _WRITE_WORDS.search(statement) is None
    return first in _NEUTRAL_WORDS


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


def take_write_lock_on_write(session: Session) -> None:
    """Let a request that reads first read without SQLite's write lock.

    The session's transactions begin deferred and take the write lock at their first
    write, SAVEPOINT or SELECT ... FOR UPDATE (see ``_configure_sqlite``), so a page view
    no longer makes every tip filing wait for it. Call it before the session's first
    query. A no-op on PostgreSQL, whose reads never block writers, and on a session
    bound to a connection (tests: the outer transaction already holds the lock).
    """
    bind = session.bind
    if isinstance(bind, Engine) and bind.dialect.name == "sqlite":
        session.bind = bind.execution_options(**{WRITE_LOCK_ON_WRITE_OPTION: True})


def holds_write_lock(session: Session) -> bool:
    """True when the session's open transaction holds SQLite's write lock, so that its
    next writes and its commit wait for no one (False on PostgreSQL: row locks)."""
    if session.get_bind().dialect.name != "sqlite" or session.get_transaction() is None:
        return False
    return bool(session.connection().info.get(_HOLDS_WRITE_LOCK, False))


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

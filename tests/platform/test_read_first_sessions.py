"""Requests that read: they hold no SQLite write lock while they read, their audit
events are appended at the end, chained as every other event, and a snapshot older than
another writer's commit never makes their write fail."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import (
    create_postgres_database,
    drop_postgres_database,
    make_settings,
    require_postgres,
)
from vigil.platform import audit, migrate
from vigil.platform.actor import command_line
from vigil.platform.database import (
    make_engine,
    make_sessionmaker,
    take_write_lock_on_write,
    transaction,
)
from vigil.platform.models import Agency, AuditEvent

ACTOR = command_line("test")


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = None
    if request.param == "postgresql":
        require_postgres()
        url = create_postgres_database()
    # A short busy timeout: a writer that waited for a reader's lock fails the test fast.
    engine = make_engine(make_settings(tmp_path, url, sqlite_busy_timeout_ms=1500))
    migrate.upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        if url:
            drop_postgres_database(url)


def add_agency(factory: sessionmaker[Session]) -> int:
    with transaction(factory) as db:
        agency = Agency(name="Riverside Police Department", kind="police")
        db.add(agency)
        db.flush()
        return agency.id


def reading_session(factory: sessionmaker[Session]) -> Session:
    """A session set up as the web middleware sets up a GET request's."""
    session = factory()
    take_write_lock_on_write(session)
    audit.defer_events(session)
    return session


def write_event_elsewhere(factory: sessionmaker[Session], action: str) -> list[BaseException]:
    """Append one event from another thread (a tip filing), waiting for it to commit."""
    failures: list[BaseException] = []

    def write() -> None:
        try:
            with transaction(factory) as db:
                audit.record(db, actor=ACTOR, action=action)
        except BaseException as error:
            failures.append(error)

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(timeout=20)
    assert not writer.is_alive(), "the writer is still waiting"
    return failures


def actions(factory: sessionmaker[Session]) -> list[str]:
    with factory() as db:
        return list(db.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars())


def test_a_reader_blocks_no_writer_and_appends_its_event_after_the_writers(
    fresh_engine: Engine,
) -> None:
    factory = make_sessionmaker(fresh_engine)
    add_agency(factory)
    reader = reading_session(factory)
    try:
        assert reader.execute(select(Agency.name)).first() is not None  # the read has begun
        audit.record(reader, actor=ACTOR, action="test.read")
        # Another request files and commits while the read is open: it must not wait for
        # the reader (it would time out after 1.5 s on SQLite if it did).
        assert write_event_elsewhere(factory, "test.filed") == []
        # The reader's snapshot is now older than that commit: appending its event must
        # neither fail (SQLITE_BUSY_SNAPSHOT) nor fork the chain from the old head.
        assert audit.write_deferred(reader) == 1
        reader.commit()
    finally:
        reader.close()
    assert actions(factory) == ["test.filed", "test.read"]
    with factory() as db:
        result = audit.verify(db, checkpoint_key=None)
    assert result.ok, result.reason
    assert result.events_checked == 2


def test_deferred_events_are_not_in_the_trail_until_written(fresh_engine: Engine) -> None:
    factory = make_sessionmaker(fresh_engine)
    with reading_session(factory) as reader:
        first = audit.record(reader, actor=ACTOR, action="test.first", details={"n": 1})
        audit.record(reader, actor=ACTOR, action="test.second")
        assert actions(factory) == []
        reader.rollback()  # what the middleware does on an error status
    assert actions(factory) == []
    with reading_session(factory) as reader:
        first = audit.record(reader, actor=ACTOR, action="test.first", details={"n": 1})
        audit.record(reader, actor=ACTOR, action="test.second")
        assert audit.write_deferred(reader) == 2
        assert audit.write_deferred(reader) == 0  # written once, not twice
        reader.commit()
    assert first.seq == 1 and first.details == {"n": 1}
    assert actions(factory) == ["test.first", "test.second"]
    with factory() as db:
        assert audit.verify(db, checkpoint_key=None).ok


def test_a_reader_that_writes_mid_request_waits_its_turn_instead_of_failing(
    fresh_engine: Engine,
) -> None:
    """A GET that writes something besides its audit events (a last-seen time, a
    dissemination record) takes the write lock at that write, even though another
    writer committed after its snapshot began."""
    factory = make_sessionmaker(fresh_engine)
    agency_id = add_agency(factory)
    with reading_session(factory) as reader:
        agency = reader.get(Agency, agency_id)
        assert agency is not None
        assert write_event_elsewhere(factory, "test.filed") == []
        agency.kind = "school_district"
        reader.flush()
        # It holds the lock now: the chain head it reads for its event is the newest.
        audit.record(reader, actor=ACTOR, action="test.read")
        audit.write_deferred(reader)
        reader.commit()
    with factory() as db:
        assert audit.verify(db, checkpoint_key=None).ok
        stored = db.get(Agency, agency_id)
        assert stored is not None and stored.kind == "school_district"
    assert actions(factory) == ["test.filed", "test.read"]


def locked_out(engine: Engine) -> bool:
    """Whether another connection is refused SQLite's write lock right now."""
    raw = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
    try:
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return True
    finally:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        raw.close()
    return False


def test_sqlite_write_lock_is_taken_by_writers_and_by_readers_only_when_they_write(
    fresh_engine: Engine,
) -> None:
    if fresh_engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    factory = make_sessionmaker(fresh_engine)
    add_agency(factory)
    with transaction(factory) as db:  # the command line, a job, a POST: from the start
        db.execute(select(Agency.name)).first()
        assert locked_out(fresh_engine)
    assert not locked_out(fresh_engine)
    with reading_session(factory) as reader:
        reader.execute(select(Agency.name)).first()
        audit.record(reader, actor=ACTOR, action="test.read")
        assert not locked_out(fresh_engine)
        # Opening a SAVEPOINT (the session does so at its next statement) means a
        # write is coming: the lock is taken first.
        with reader.begin_nested():
            reader.execute(select(Agency.name)).first()
            assert locked_out(fresh_engine)
        audit.write_deferred(reader)
        reader.commit()
    assert not locked_out(fresh_engine)
    with reading_session(factory) as reader:
        reader.execute(select(Agency.name)).first()
        assert not locked_out(fresh_engine)
        audit.record(reader, actor=ACTOR, action="test.read")
        audit.write_deferred(reader)  # the head is read FOR UPDATE: under the lock
        assert locked_out(fresh_engine)
        reader.commit()
    with factory() as db:
        assert audit.verify(db, checkpoint_key=None).ok

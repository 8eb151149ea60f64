"""Verifying the trail while others write: no false alarm, and no writer blocked."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import (
    create_postgres_database,
    drop_postgres_database,
    make_settings,
    require_postgres,
)
from vigil.platform import audit, migrate
from vigil.platform.actor import command_line
from vigil.platform.database import begin_read_only, make_engine, make_sessionmaker, transaction


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = None
    if request.param == "postgresql":
        require_postgres()
        url = create_postgres_database()
    engine = make_engine(make_settings(tmp_path, url, sqlite_busy_timeout_ms=2000))
    migrate.upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        if url:
            drop_postgres_database(url)


def test_a_write_during_verification_is_neither_blocked_nor_a_false_alarm(
    fresh_engine: Engine,
) -> None:
    factory = make_sessionmaker(fresh_engine)
    actor = command_line("test")
    with transaction(factory) as db:
        for _ in range(50):
            audit.record(db, actor=actor, action="test.event")

    written = threading.Event()
    failures: list[BaseException] = []

    def write_one() -> None:
        try:
            with transaction(factory) as db:
                audit.record(db, actor=actor, action="test.concurrent")
            written.set()
        except BaseException as error:
            failures.append(error)

    with factory() as reader:
        begin_read_only(reader)
        progress_calls = 0

        def progress(done: int, total: int) -> None:
            nonlocal progress_calls
            progress_calls += 1
            if progress_calls == 1:  # mid-walk: a sign-in elsewhere appends an event
                writer = threading.Thread(target=write_one)
                writer.start()
                writer.join(timeout=10)

        result = audit.verify(reader, checkpoint_key=None, progress=progress, batch_size=10)

    assert failures == [] and written.is_set()
    assert result.ok, result.reason
    assert result.events_checked == 50
    with factory() as db:
        after = audit.verify(db, checkpoint_key=None)
    assert after.ok and after.events_checked == 51

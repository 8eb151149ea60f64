"""Through the app on a real engine (not the tests' shared connection): a GET reads
without SQLite's write lock and its audit event is in the trail, chained, before the
answer; a POST holds the lock from its first statement, as before."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.conftest import (
    create_postgres_database,
    drop_postgres_database,
    make_settings,
    require_postgres,
)
from tests.factories import make_agency, make_user
from tests.reports.factories import make_report
from vigil.platform import audit, migrate, sessions
from vigil.platform.database import make_engine, make_sessionmaker, transaction
from vigil.platform.models import AuditEvent
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.reports import routing, service
from vigil.reports.models import Report
from vigil.web.app import create_app


@pytest.fixture(params=["sqlite", "postgresql"])
def real_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    url = None
    if request.param == "postgresql":
        require_postgres()
        url = create_postgres_database()
    settings = make_settings(tmp_path, url, sqlite_busy_timeout_ms=2000)
    engine = make_engine(settings)
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield settings
    finally:
        if url:
            drop_postgres_database(url)


def locked_out(engine: Engine) -> bool | None:
    """Whether another connection is refused SQLite's write lock now (None: PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        return None
    raw = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
    try:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        raw.close()


def test_a_get_reads_without_the_write_lock_and_is_audited_before_its_answer(
    real_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(real_settings)
    factory = make_sessionmaker(engine)
    with transaction(factory) as db:
        agency = make_agency(db)
        analyst = make_user(db, agency=agency, roles={Role.ANALYST})
        token, _ = sessions.create_api_token(db, user=analyst, name="test", days=1)
        report_id = make_report(db, agency=agency).id
        # The token was just used: its last-used time is not written again on this read.
        sessions.resolve_api_token(db, token)

    seen_while_reading: list[bool | None] = []
    real_get_report = service.get_report

    def get_report(*args: Any, **kwargs: Any) -> Any:
        seen_while_reading.append(locked_out(engine))
        report = real_get_report(*args, **kwargs)
        seen_while_reading.append(locked_out(engine))  # after its event was recorded
        return report

    monkeypatch.setattr(service, "get_report", get_report)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with TestClient(create_app(real_settings)) as client:
            answer = client.get(f"/api/v1/reports/{report_id}", headers=headers)
            assert answer.status_code == 200, answer.text
            request_id = answer.headers["x-request-id"]
            with factory() as db:  # the event is durable before the answer arrives
                reads = db.execute(
                    select(AuditEvent).where(AuditEvent.action == "report.read")
                ).scalars()
                assert [(e.object_id, e.request_id) for e in reads] == [
                    (str(report_id), request_id)
                ]
                assert audit.verify(db, checkpoint_key=None).ok

            answered_read = list(seen_while_reading)
            seen_while_reading.clear()
            # A change (its report is looked up through get_report too) holds the lock
            # from its first statement, as every writing request did before.
            acknowledged = client.post(f"/api/v1/reports/{report_id}/acknowledge", headers=headers)
            assert acknowledged.status_code == 200, acknowledged.text
    finally:
        engine.dispose()
    if engine.dialect.name == "sqlite":
        assert answered_read == [False, False]
        assert seen_while_reading == [True, True]
    else:
        assert answered_read == [None, None]


def test_a_public_tip_reads_without_the_write_lock_and_commits_whole(
    real_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tip line's reads (idempotency, routing, earlier reports) take no write lock;
    from its first write on it holds it, and the report and its audit events commit
    together before the receipt."""
    engine = make_engine(real_settings)
    factory = make_sessionmaker(engine)
    with transaction(factory) as db:
        make_agency(db, is_operator=True)  # where an unrouted tip goes
    locked: dict[str, bool | None] = {}
    real_route_for = routing.route_for
    real_record = audit.record

    def route_for(*args: Any, **kwargs: Any) -> Any:
        locked["routing"] = locked_out(engine)
        return real_route_for(*args, **kwargs)

    def record(*args: Any, **kwargs: Any) -> Any:
        locked.setdefault("audit", locked_out(engine))
        return real_record(*args, **kwargs)

    monkeypatch.setattr(routing, "route_for", route_for)
    monkeypatch.setattr(audit, "record", record)
    tip = {"narrative": "He said he would bring a rifle to the game on Friday."}
    try:
        with TestClient(create_app(real_settings)) as client:
            answer = client.post("/api/v1/tips", json=tip, headers={"Idempotency-Key": "k-1"})
            assert answer.status_code == 201, answer.text
            again = client.post("/api/v1/tips", json=tip, headers={"Idempotency-Key": "k-1"})
            assert again.status_code == 200, again.text
    finally:
        engine.dispose()
    receipt = answer.json()["receipt_number"]
    assert again.json()["receipt_number"] == receipt
    with factory() as db:
        stored = db.execute(select(Report.receipt_number)).scalars().all()
        assert stored == [receipt]
        actions = db.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars().all()
        assert actions.count("report.create") == 1 and actions.count("tip.receive") == 1
        assert audit.verify(db, checkpoint_key=None).ok
    if engine.dialect.name == "sqlite":
        assert locked == {"routing": False, "audit": True}

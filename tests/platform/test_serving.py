"""`vigil serve` with several server processes: one port, the scheduled jobs once, the
in-memory rate limits divided among the processes, every process stopped with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import (
    TEST_SECRET,
    create_postgres_database,
    drop_postgres_database,
    make_settings,
)
from tests.servers import free_port, scheduler_threads
from vigil.platform import accounts, migrate
from vigil.platform.actor import command_line
from vigil.platform.database import make_engine, make_sessionmaker, transaction
from vigil.platform.roles import AgencyKind
from vigil.platform.settings import Settings, per_process
from vigil.reports.models import Report

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 180  # a loaded machine imports slowly, and each worker imports it all
TIPS_PER_HOUR = 4


@pytest.fixture()
def own_settings(backend: str, tmp_path: Path) -> Iterator[Settings]:
    """A database of its own, migrated, with the operator agency tips are routed to."""
    url = create_postgres_database() if backend == "postgresql" else None
    settings = make_settings(tmp_path / "data", url, attachments_dir=tmp_path / "files")
    engine = make_engine(settings)
    try:
        migrate.upgrade(engine)
        with transaction(make_sessionmaker(engine)) as db:
            accounts.create_agency(
                db,
                actor=command_line("test"),
                name="Serving County Fusion Center",
                kind=AgencyKind.FUSION_CENTER,
                is_operator=True,
            )
        yield settings
    finally:
        engine.dispose()
        if url is not None:
            drop_postgres_database(url)


def serve(settings: Settings, port: int, log: Path, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "VIGIL_DATA_DIR": str(settings.data_dir),
        "VIGIL_ATTACHMENTS_DIR": str(settings.resolved_attachments_dir),
        "VIGIL_SECRET_KEY": TEST_SECRET,
        "VIGIL_LOG_LEVEL": "WARNING",
        "VIGIL_TIPLINE_SUBMISSIONS_PER_HOUR": str(TIPS_PER_HOUR),
    }
    for name in ("VIGIL_DEMO_MODE", "VIGIL_WORKERS", "VIGIL_DATABASE_URL"):
        env.pop(name, None)
    if settings.database_url:
        env["VIGIL_DATABASE_URL"] = settings.database_url
    command = [sys.executable, "-m", "vigil", "serve", "--port", str(port)]
    with log.open("ab") as out:
        return subprocess.Popen(
            [*command, "--workers", str(workers)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )


def wait_for_health(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"vigil serve did not answer in {START_SECONDS} s")


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(child) for child in (task / "children").read_text().split())
    return found


def worker_processes(pid: int) -> set[int]:
    """The server processes uvicorn's supervisor started (multiprocessing's spawn)."""
    return {
        child
        for child in children(pid)
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
    }


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_several_processes_serve_one_port_divide_the_tip_line_limit_and_stop_together(
    own_settings: Settings, tmp_path: Path
) -> None:
    port, log = free_port(), tmp_path / "serve.log"
    base_url = f"http://127.0.0.1:{port}"
    process = serve(own_settings, port, log, workers=2)
    try:
        wait_for_health(process, base_url, log)
        assert len(worker_processes(process.pid)) == 2
        receipts, refused = [], 0
        for number in range(3 * TIPS_PER_HOUR):
            # A connection each, so that the tips reach whichever process accepts first.
            answer = httpx.post(
                f"{base_url}/api/v1/tips",
                json={"narrative": f"He said he would bring a gun to school, tip {number}."},
                headers={"Idempotency-Key": f"serving-{number}"},
                timeout=30,
            )
            if answer.status_code == 429:
                refused += 1
            else:
                assert answer.status_code == 201, answer.text
                receipts.append(answer.json()["receipt_number"])
        # Each process allows its share; together never more than the setting allows.
        assert 1 <= len(receipts) <= TIPS_PER_HOUR
        assert refused == 3 * TIPS_PER_HOUR - len(receipts)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        finally:
            deadline = time.monotonic() + 30
            while group_alive(process.pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            stray = group_alive(process.pid)
            if stray:
                os.killpg(process.pid, signal.SIGKILL)
    assert not stray, "a server process outlived vigil serve"
    assert process.returncode == 0, log.read_text(errors="replace")[-3000:]
    engine = make_engine(own_settings)
    try:
        with Session(engine) as db:
            stored = set(db.execute(select(Report.receipt_number)).scalars())
    finally:
        engine.dispose()
    assert stored == set(receipts)


def test_the_scheduled_jobs_run_once_in_the_supervisor_and_not_in_the_workers(
    own_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from vigil import cli
    from vigil.web import serving

    seen: dict[str, Any] = {}

    def supervise(application: Any, **options: Any) -> None:
        seen["application"], seen["options"] = application, options
        seen["threads"] = len(scheduler_threads())

    monkeypatch.setattr(uvicorn, "run", supervise)
    cli.run_server(own_settings, "127.0.0.1", 8766, workers=3)
    assert seen["threads"] == 1
    assert not scheduler_threads()
    assert seen["application"] == "vigil.web.serving:worker_application"
    assert seen["options"]["factory"] is True
    assert seen["options"]["workers"] == 3

    # What each worker builds from the environment: the application, without a scheduler.
    monkeypatch.setenv("VIGIL_DATA_DIR", str(own_settings.data_dir))
    monkeypatch.setenv("VIGIL_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("VIGIL_WORKERS", "3")
    monkeypatch.delenv("VIGIL_DEMO_MODE", raising=False)
    if own_settings.database_url:
        monkeypatch.setenv("VIGIL_DATABASE_URL", own_settings.database_url)
    else:
        monkeypatch.delenv("VIGIL_DATABASE_URL", raising=False)
    application = serving.worker_application()
    assert application.state.settings.workers == 3
    assert not scheduler_threads()


@pytest.mark.parametrize(("workers", "share"), [(1, 10), (2, 5), (3, 3), (20, 1)])
def test_each_process_gets_its_share_of_an_in_memory_limit(workers: int, share: int) -> None:
    settings = make_settings(Path("unused"), workers=workers)
    assert per_process(settings, 10) == share


def test_one_process_of_two_accepts_half_the_tip_line_limit(own_settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from vigil.web.app import create_app

    settings = own_settings.model_copy(
        update={"workers": 2, "tipline_submissions_per_hour": TIPS_PER_HOUR}
    )
    statuses = []
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        for number in range(TIPS_PER_HOUR):
            answer = client.post(
                "/api/v1/tips",
                json={"narrative": f"He said he would bring a gun to school, tip {number}."},
            )
            statuses.append(answer.status_code)
    assert statuses == [201] * (TIPS_PER_HOUR // 2) + [429] * (TIPS_PER_HOUR // 2)

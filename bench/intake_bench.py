"""Tip intake throughput: tips/s through the API beside raw durable inserts of the same rows.

API: ``vigil serve`` in a subprocess on 127.0.0.1 (production settings, not demo mode)
over a throwaway database holding one agency and one analyst with an API token.
``--workers`` server processes (default one: the clients' keep-alive connections are
all accepted by whichever process takes them first, as uvicorn's processes share one
listening socket, so more processes add nothing here; the surge's many users spread);
``--clients`` threads, each with its own keep-alive ``httpx.Client``, POST tips to
/api/v1/reports with ``Authorization: Bearer`` and a fresh ``Idempotency-Key``; every
answer must be a receipt, which the server sends only after the report, its mentions,
its triage, its search entry and its audit event are committed. A 5xx is retried with
the same key and body, counted, and its time kept in the tip's latency.

Raw baseline, same run: the same rows (a ``reports`` row with every column the service
fills, and its ``mentions`` rows) inserted from one thread and from as many threads into
the same, freshly migrated schema on a second throwaway database (the faster is the
baseline), one durable transaction per tip: plain
``sqlite3`` (WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE``) or ``psycopg``
(``synchronous_commit=on``). No audit event, no search entry, no triage, no HTTP: it is
what the disk and the database alone allow.

The server's floor, same run: the same clients ask ``GET /health`` (the middleware, a
database session and ``SELECT 1``, nothing filed) as many times as there are tips. It is
what the HTTP stack alone allows, and shows how much of the gap to the raw rate any
filing over HTTP must keep.

They are timed in alternating blocks (raw, API, raw, API, ...) so that the shared
machine's noise falls on both alike; the API rate of each block shows how it changes
as the reports table grows.

Run: ``.venv/bin/python -m bench.intake_bench --tips 3000 --backend both``
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
import psycopg
from psycopg.types.json import Json
from sqlalchemy import make_url

from bench.databases import (
    backends,
    libpq_url,
    migrated_engine,
    server_description,
    throwaway_settings,
)
from bench.login_bench import free_port, print_table
from bench.timing import latency_summary, load_average, say
from bench.tips import LIST_FIELDS, MENTION_FIELDS, REPORTS_PATH, Tip, TipFactory
from vigil.platform import accounts, sessions
from vigil.platform.actor import command_line
from vigil.platform.database import make_sessionmaker, transaction
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.settings import Settings
from vigil.reports import numbers

ROOT = Path(__file__).resolve().parents[1]
SERVER_START_SECONDS = 90.0
# --- the account and the server ------------------------------------------------------


@dataclass(frozen=True)
class Analyst:
    user_id: int
    agency_id: int
    token: str

    @property
    def scope(self) -> str:
        """The idempotency scope ``service.create_report`` files this analyst's keys in."""
        return f"user:{self.user_id}"


def create_analyst(settings: Settings) -> Analyst:
    """Migrate; create the operator agency and an analyst with an API token (committed)."""
    engine = migrated_engine(settings)
    try:
        operator = command_line("bench")
        with transaction(make_sessionmaker(engine)) as db:
            agency = accounts.create_agency(
                db,
                actor=operator,
                name="Bench County Fusion Center",
                kind=AgencyKind.FUSION_CENTER,
                is_operator=True,
            )
            user = accounts.create_user(
                db,
                actor=operator,
                settings=settings,
                agency_id=agency.id,
                username="intake.bench",
                display_name="Intake Bench",
                email=None,
                roles={Role.ANALYST},
                password=None,
            )
            token, _ = sessions.create_api_token(db, user=user, name="bench", days=1)
            analyst = Analyst(user_id=user.id, agency_id=agency.id, token=token)
    finally:
        engine.dispose()
    return analyst


# `vigil serve` with its modules imported ahead of the go-ahead (a line on stdin), so a
# harness can have it serving seconds after its predecessor was killed, even on a loaded
# machine where importing alone takes ten. Settings, migrations, the app and the
# scheduler are still set up after the go-ahead, as at any start.
STANDBY = """\
import os
import sys
import uvicorn
import vigil.reports.jobs
import vigil.web.app
from vigil import cli
open(os.environ["BENCH_STANDBY_READY"], "w").close()
if sys.stdin.readline():  # end of file: the harness went away
    cli.main()
"""


class VigilServer:
    """``vigil serve`` in a subprocess on one loopback port: started, killed, restarted.

    With ``standbys``, that many next server processes are kept started (modules
    imported, waiting); ``start`` tells the oldest to go and starts a replacement.
    """

    def __init__(
        self, settings: Settings, log_path: Path, *, standbys: int = 0, workers: int = 1
    ) -> None:
        self.settings = settings
        self.workers = workers
        self.log_path = log_path
        self.standbys = standbys
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.waiting: deque[tuple[subprocess.Popen[bytes], Path]] = deque()
        self.spawned = 0

    def environment(self) -> dict[str, str]:
        env = {
            **os.environ,
            "VIGIL_DATA_DIR": str(self.settings.data_dir),
            "VIGIL_SECRET_KEY": self.settings.secret_key.get_secret_value(),
            "VIGIL_LOG_LEVEL": "WARNING",
            "VIGIL_WORKERS": str(self.workers),
            # The public tip line's per-address limit would refuse a benchmark's tips.
            "VIGIL_TIPLINE_SUBMISSIONS_PER_HOUR": "1000000000",
        }
        env.pop("VIGIL_DEMO_MODE", None)
        if self.settings.database_url:
            env["VIGIL_DATABASE_URL"] = self.settings.database_url
        return env

    def standby_ready(self, timeout: float) -> bool:
        """Wait until the next standby has imported its modules (at most ``timeout`` s)."""
        deadline = time.monotonic() + timeout
        while self.waiting and not self.waiting[0][1].exists():
            if time.monotonic() > deadline or self.waiting[0][0].poll() is not None:
                return False
            time.sleep(0.05)
        return True

    def _spawn(self, standby: bool) -> tuple[subprocess.Popen[bytes], Path]:
        command = [sys.executable, "-c", STANDBY] if standby else [sys.executable, "-m", "vigil"]
        command += ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.spawned += 1
        marker = self.log_path.with_name(f"standby-{self.spawned}.ready")
        with open(self.log_path, "ab") as log:
            process = subprocess.Popen(
                command,
                env={**self.environment(), "BENCH_STANDBY_READY": str(marker)},
                cwd=ROOT,
                stdin=subprocess.PIPE if standby else None,
                stdout=log,
                stderr=log,
                # Its own process group: a kill reaches every worker process it started.
                start_new_session=True,
            )
        return process, marker

    def start(self) -> float:
        """Start the server and wait for /health; returns the seconds it took."""
        began = time.monotonic()
        process = self.waiting.popleft()[0] if self.waiting else self._spawn(standby=False)[0]
        if process.stdin is not None:
            process.stdin.write(b"go\n")
            process.stdin.close()
        self.process = process
        deadline = began + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"vigil serve exited with {process.returncode}:\n{tail}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=2).status_code == 200:
                    while len(self.waiting) < self.standbys:
                        self.waiting.append(self._spawn(standby=True))
                    return time.monotonic() - began
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"vigil serve did not answer /health in {SERVER_START_SECONDS:.0f}s")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no rollback, no flush; as a power cut is to it."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and every standby."""
        while self.waiting:
            standby = self.waiting.popleft()[0]
            standby.kill()
            standby.wait()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def authorization(analyst: Analyst, tip: Tip) -> dict[str, str]:
    headers = {"Idempotency-Key": tip.key}
    if tip.path == REPORTS_PATH:
        headers["Authorization"] = f"Bearer {analyst.token}"
    return headers


# --- raw durable inserts -------------------------------------------------------------


def report_row(tip: Tip, analyst: Analyst) -> dict[str, Any]:
    """Every column ``service.file_report`` fills, with the values a tip gets."""
    now = datetime.now(UTC)
    body = tip.body
    occurred = body.get("occurred_at")
    return {
        "receipt_number": numbers.new_receipt_number(),
        "kind": tip.kind,
        "file_class": "tip_lead",
        "source": "api",
        "narrative": tip.narrative,
        "occurred_at": datetime.fromisoformat(occurred) if occurred else None,
        "reported_at": now,
        "location_text": tip.location_text,
        "latitude": None,
        "longitude": None,
        "behaviors": body.get("behaviors", []),
        "weapons": body.get("weapons", []),
        "target_types": body.get("target_types", []),
        "target_name": body.get("target_name"),
        "marking": body.get("marking", "AMBER"),
        "owner_agency_id": analyst.agency_id,
        "routed_agency_id": analyst.agency_id,
        "created_by_user_id": analyst.user_id,
        "protected_activity_only": False,
        "urgency_score": 3,
        "urgency_level": "moderate",
        "urgency_rules": [{"rule": "threat", "points": 3, "evidence": ["pay"]}],
        "ack_due_at": now + timedelta(days=2),
        "review_due_at": None,
        "purge_due_at": now + timedelta(days=180),
        "created_at": now,
        "updated_at": now,
    }


REPORT_COLUMNS = tuple(report_row(TipFactory(0).make(), Analyst(1, 1, "")))
JSON_COLUMNS = frozenset({"behaviors", "weapons", "target_types", "urgency_rules"})
MENTION_INSERT_COLUMNS = ("report_id", *MENTION_FIELDS, "emails", "addresses")
MENTION_JSON = LIST_FIELDS | {"emails", "addresses"}


def mention_row(report_id: int, mention: dict[str, Any]) -> dict[str, Any]:
    return {"report_id": report_id, **mention, "emails": [], "addresses": []}


def _insert(table: str, columns: Sequence[str], mark: Callable[[str], str]) -> str:
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # names from the constants above
        f"VALUES ({', '.join(mark(c) for c in columns)})"
    )


class Inserter(Protocol):
    def __call__(self, tip: Tip) -> None: ...

    def close(self) -> None: ...


class SqliteInserter:
    """One ``sqlite3`` connection, set up as Vigil sets up its own; a transaction per tip."""

    def __init__(self, path: str, analyst: Analyst, busy_timeout_ms: int) -> None:
        self.analyst = analyst
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            self.connection.execute(f"PRAGMA {pragma}")
        self.connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        self.report_sql = _insert("reports", REPORT_COLUMNS, lambda c: f":{c}")
        self.mention_sql = _insert("mentions", MENTION_INSERT_COLUMNS, lambda c: f":{c}")

    @staticmethod
    def _value(column: str, value: Any, json_columns: frozenset[str]) -> Any:
        if column in json_columns:
            return json.dumps(value)
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        return value

    def __call__(self, tip: Tip) -> None:
        row = {c: self._value(c, v, JSON_COLUMNS) for c, v in report_row(tip, self.analyst).items()}
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            cursor.execute(self.report_sql, row)
            report_id = cursor.lastrowid
            assert report_id is not None
            for mention in tip.mentions:
                values = mention_row(report_id, mention)
                cursor.execute(
                    self.mention_sql,
                    {c: self._value(c, values[c], MENTION_JSON) for c in MENTION_INSERT_COLUMNS},
                )
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.connection.close()


class PostgresInserter:
    """One ``psycopg`` connection in autocommit mode; a transaction (one commit) per tip."""

    def __init__(self, url: str, analyst: Analyst) -> None:
        self.analyst = analyst
        self.connection = psycopg.connect(libpq_url(url), autocommit=True)
        self.report_sql = _insert("reports", REPORT_COLUMNS, lambda c: f"%({c})s") + " RETURNING id"
        self.mention_sql = _insert("mentions", MENTION_INSERT_COLUMNS, lambda c: f"%({c})s")

    def __call__(self, tip: Tip) -> None:
        row = report_row(tip, self.analyst)
        row = {c: Json(v) if c in JSON_COLUMNS else v for c, v in row.items()}
        with self.connection.transaction(), self.connection.cursor() as cursor:
            cursor.execute(self.report_sql, row)
            found = cursor.fetchone()
            assert found is not None
            for mention in tip.mentions:
                values = mention_row(found[0], mention)
                cursor.execute(
                    self.mention_sql,
                    {
                        c: Json(values[c]) if c in MENTION_JSON else values[c]
                        for c in MENTION_INSERT_COLUMNS
                    },
                )

    def close(self) -> None:
        self.connection.close()


def raw_inserter(settings: Settings, analyst: Analyst) -> Inserter:
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        path = make_url(url).database
        assert path is not None
        return SqliteInserter(path, analyst, settings.sqlite_busy_timeout_ms)
    return PostgresInserter(url, analyst)


class ApiSubmitter:
    """One keep-alive HTTP client filing tips, as a careful client does: a 5xx is retried
    with the same Idempotency-Key and body (counted, and inside the tip's latency); a
    receipt must come within ``MAX_ATTEMPTS`` attempts, as a 201 or as the 200 of a retry."""

    MAX_ATTEMPTS = 5

    def __init__(self, base_url: str, analyst: Analyst) -> None:
        self.analyst = analyst
        self.client = httpx.Client(base_url=base_url, timeout=120)
        self.server_errors = 0

    def __call__(self, tip: Tip) -> None:
        headers = authorization(self.analyst, tip)
        for _ in range(self.MAX_ATTEMPTS):
            answer = self.client.post(tip.path, json=tip.body, headers=headers)
            if answer.status_code < 500:
                break
            self.server_errors += 1
        if answer.status_code not in (200, 201):
            raise RuntimeError(f"{tip.path} answered {answer.status_code}: {answer.text[:500]}")

    def close(self) -> None:
        self.client.close()


class HealthProber:
    """The server's floor: a keep-alive client asking ``GET /health`` (the middleware,
    a database session and ``SELECT 1``, nothing filed) once per tip it is handed. What
    the HTTP stack alone allows, beside which the filing rate can be read."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=120)

    def __call__(self, tip: Tip) -> None:
        answer = self.client.get("/health")
        if answer.status_code != 200:
            raise RuntimeError(f"/health answered {answer.status_code}: {answer.text[:500]}")

    def close(self) -> None:
        self.client.close()


# --- timing --------------------------------------------------------------------------


def run_block(tips: Sequence[Tip], workers: Sequence[Inserter]) -> tuple[float, list[float]]:
    """All ``tips`` through the workers, one thread each, pulling from one queue.
    Returns the wall time and each tip's latency."""
    position = iter(range(len(tips)))
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[BaseException] = []
    start = threading.Barrier(len(workers) + 1)

    def work(worker: Inserter) -> None:
        start.wait()
        mine: list[float] = []
        try:
            while True:
                with lock:
                    index = next(position, None)
                if index is None or failures:
                    break
                began = time.perf_counter()
                worker(tips[index])
                mine.append(time.perf_counter() - began)
        except BaseException as error:
            failures.append(error)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if failures:
        raise failures[0]
    return seconds, latencies


def series(seconds: float, latencies: list[float]) -> dict[str, Any]:
    return {
        "tips": len(latencies),
        "seconds": round(seconds, 2),
        "tips_per_second": round(len(latencies) / seconds, 1),
        **latency_summary(latencies),
    }


def run_backend(
    backend: str, *, tips: int, clients: int, rounds: int, seed: int, workers: int = 1
) -> dict[str, Any]:
    with throwaway_settings(backend) as api_settings, throwaway_settings(backend) as raw_settings:
        analyst = create_analyst(api_settings)
        raw_analyst = create_analyst(raw_settings)
        engine = migrated_engine(api_settings)
        server_text = server_description(engine)
        engine.dispose()
        say(f"[intake/{backend}] {server_text}")
        factory = TipFactory(seed)
        warm_up = [factory.make() for _ in range(5 * clients)]
        timed = [factory.make() for _ in range(tips)]
        figures: dict[str, Any] = {
            "backend": backend,
            "server": server_text,
            "clients": clients,
            "server_processes": workers,
            "load_average_at_start": load_average(),
        }
        server = VigilServer(
            api_settings, api_settings.data_dir / "vigil-serve.log", workers=workers
        )
        figures["server_start_seconds"] = round(server.start(), 2)
        api = [ApiSubmitter(server.base_url, analyst) for _ in range(clients)]
        floor = [HealthProber(server.base_url) for _ in range(clients)]
        raw = [raw_inserter(raw_settings, raw_analyst) for _ in range(clients)]
        # Raw inserts from one thread too: SQLite takes one writer at a time, and its
        # busy handler sleeps, so one thread can beat several. The faster is the baseline.
        contenders: dict[str, Sequence[Inserter]] = {
            "raw_1": raw[:1],
            "raw_n": raw,
            "api": api,
            "floor": floor,
        }
        totals: dict[str, tuple[float, list[float]]] = {name: (0.0, []) for name in contenders}
        block_rates: dict[str, list[float]] = {name: [] for name in contenders}
        try:
            for inserters in contenders.values():
                run_block(warm_up, inserters)
            size = -(-len(timed) // rounds)
            for number, begin in enumerate(range(0, len(timed), size), start=1):
                block = timed[begin : begin + size]
                for name, inserters in contenders.items():
                    seconds, latencies = run_block(block, inserters)
                    spent, taken = totals[name]
                    totals[name] = (spent + seconds, taken + latencies)
                    block_rates[name].append(round(len(block) / seconds, 1))
                say(
                    f"  round {number}/{rounds}: raw {block_rates['raw_1'][-1]:,.0f} tips/s "
                    f"(1 thread), {block_rates['raw_n'][-1]:,.0f} tips/s ({clients} threads); "
                    f"API {block_rates['api'][-1]:,.0f} tips/s; "
                    f"GET /health {block_rates['floor'][-1]:,.0f} requests/s"
                )
        except Exception:
            # The server logs why it failed (at WARNING and above); its log goes with the
            # throwaway directory, so show its end here.
            say(server.log_path.read_text(errors="replace")[-5000:])
            raise
        finally:
            # Each once: the one-thread raw block reuses the first raw inserter.
            everyone = {id(w): w for inserters in contenders.values() for w in inserters}
            for worker in everyone.values():
                worker.close()
            server.stop()
        for name in contenders:
            figures[name] = {**series(*totals[name]), "per_round": block_rates[name]}
        figures["api"]["server_errors_retried"] = sum(worker.server_errors for worker in api)
        best_raw = max(figures["raw_1"]["tips_per_second"], figures["raw_n"]["tips_per_second"])
        figures["ratio_api_to_raw"] = round(figures["api"]["tips_per_second"] / best_raw, 3)
        figures["ratio_floor_to_raw"] = round(figures["floor"]["tips_per_second"] / best_raw, 3)
        figures["load_average_at_end"] = load_average()
        return figures


def summary_rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    backend = figures["backend"]
    if "error" in figures:
        return [(f"tip intake {backend}", f"FAILED: {figures['error']}")]

    def line(summary: dict[str, Any], unit: str = "tips/s") -> str:
        return (
            f"{summary['tips_per_second']:8,.1f} {unit}  p50 {summary['p50_ms']:7.2f} ms  "
            f"p99 {summary['p99_ms']:7.2f} ms  n={summary['tips']}"
        )

    clients = figures["clients"]
    ratio = figures["ratio_api_to_raw"]
    verdict = "meets" if ratio >= 1 / 3 else "misses"
    api_rounds = figures["api"]["per_round"]
    return [
        (f"raw insert, 1 tx/tip, 1 thread, {backend}", line(figures["raw_1"])),
        (f"raw insert, 1 tx/tip, {clients} threads, {backend}", line(figures["raw_n"])),
        (
            f"POST /api/v1/reports, {clients} clients, "
            f"{figures['server_processes']} server processes, {backend}",
            line(figures["api"]) + f"  5xx retried: {figures['api']['server_errors_retried']}",
        ),
        (
            f"API / raw, {backend}",
            f"{ratio:.2f}x the faster raw ({verdict} the 0.33x goal); API tips/s by round: "
            + " ".join(f"{rate:,.0f}" for rate in api_rounds),
        ),
        (
            f"GET /health, {clients} clients, {backend}",
            line(figures["floor"], unit="req/s ")
            + f"  ({figures['ratio_floor_to_raw']:.2f}x the faster raw: the HTTP floor)",
        ),
    ]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tips", type=int, default=3000, help="timed tips per backend")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--rounds", type=int, default=6, help="alternating raw/API blocks")
    parser.add_argument("--seed", type=int, default=20260501)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (default 1: see the module's note)",
    )
    return parser.parse_args(argv)


def run_one(args: argparse.Namespace, backend: str) -> dict[str, Any]:
    return run_backend(
        backend,
        tips=args.tips,
        clients=args.clients,
        rounds=args.rounds,
        seed=args.seed,
        workers=args.workers,
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    results = [run_one(args, backend) for backend in backends(args.backend)]
    print_table([row for figures in results for row in summary_rows(figures)])
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()

"""Audit trail benchmark: append rate through ``audit.record`` and ``audit.verify`` time.

For each backend, one throwaway database is migrated and then:

1. appends go through the real ``audit.record``, one event per transaction (the
   realistic case: one audited action per request) and ``--batch-size`` events per
   transaction;
2. the chain is topped up to ``--events`` events fast (hashes computed with the real
   ``audit.compute_hash``, rows bulk-inserted with executemany on SQLite and COPY on
   PostgreSQL, then ``audit_chain_head`` set and one real signed checkpoint written);
3. the real ``audit.verify`` walks the whole chain and is timed, next to a same-run
   baseline of ``compute_hash`` alone, so the database's share of the time shows;
4. the real ``vigil audit verify`` command is timed, wall clock, in a subprocess;
5. one-per-transaction appends are measured again on the full chain;
6. optionally, ``audit.verify`` runs again while another thread appends one event
   every ``--probe-interval`` seconds, to show whether verification blocks writers.

Run: ``.venv/bin/python -m bench.audit_bench --events 1000000 --backend both``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import (
    backends,
    libpq_url,
    migrated_engine,
    server_description,
    throwaway_settings,
)
from bench.timing import Progress, latency_summary, load_average, say
from vigil.platform import audit
from vigil.platform.actor import Actor, command_line
from vigil.platform.database import make_sessionmaker, transaction
from vigil.platform.models import AuditChainHead, AuditEvent
from vigil.platform.settings import Settings

DEFAULT_EVENTS = 1_000_000
INSERT_CHUNK = 50_000
HASH_BASELINE_EVENTS = 100_000
COLUMNS = (*audit.HASHED_FIELDS, "prev_hash", "hash")

# A plausible mix of what the trail holds: mostly reads of personal data and sign-ins.
EVENT_SHAPES: tuple[tuple[str, str | None, int], ...] = (
    ("report.read", "report", 40),
    ("auth.login", "user", 15),
    ("user.read", "user", 10),
    ("report.create", "report", 10),
    ("report.update", "report", 8),
    ("case.read", "case", 8),
    ("dissemination.create", "dissemination", 4),
    ("search.run", None, 4),
    ("audit.read", "audit_event", 1),
)


class EventMaker:
    """Synthetic but realistic audit fields, deterministic for a given seed."""

    def __init__(self, seed: int = 1, start: datetime | None = None) -> None:
        self.rng = random.Random(seed)
        self.start = start or datetime.now(UTC)
        self.shapes = [(action, kind) for action, kind, _ in EVENT_SHAPES]
        self.weights = [weight for _, _, weight in EVENT_SHAPES]

    def fields(self, seq: int) -> dict[str, Any]:
        rng = self.rng
        action, object_type = rng.choices(self.shapes, self.weights)[0]
        user_id = rng.randint(1, 500)
        details: dict[str, Any]
        if action == "auth.login":
            details = {"known_user": True}
        elif action in ("search.run", "audit.read"):
            details = {"returned": rng.randint(0, 50), "offset": 0}
        elif action == "dissemination.create":
            details = {"recipients": [f"agency-{rng.randint(1, 40)}"], "marking": "TLP:AMBER"}
        else:
            details = {}
        return {
            "seq": seq,
            "occurred_at": audit.format_time(self.start + timedelta(milliseconds=250 * seq)),
            "actor_type": "user",
            "actor_id": user_id,
            "actor_name": f"user{user_id}",
            "agency_id": user_id % 40 + 1,
            "action": action,
            "object_type": object_type,
            "object_id": None if object_type is None else str(rng.randint(1, 200_000)),
            "outcome": "success" if rng.random() < 0.97 else "failure",
            "request_id": f"{rng.getrandbits(128):032x}",
            "source_address": ".".join(["10", *(str(rng.randint(1, 254)) for _ in range(3))]),
            "details": details,
        }


def bench_actor() -> Actor:
    return Actor(
        kind="user",
        user_id=7,
        username="analyst7",
        agency_id=3,
        request_id=secrets.token_hex(16),
        source_address="10.1.2.3",
    )


def measure_append(
    factory: sessionmaker[Session], *, events: int, per_transaction: int, label: str
) -> dict[str, Any]:
    """Append ``events`` events through ``audit.record``, committing every ``per_transaction``."""
    progress = Progress(label)
    latencies: list[float] = []
    done = 0
    started = time.perf_counter()
    while done < events:
        count = min(per_transaction, events - done)
        actor = bench_actor()
        began = time.perf_counter()
        with transaction(factory) as session:
            for index in range(count):
                audit.record(
                    session,
                    actor=actor,
                    action="report.read",
                    object_type="report",
                    object_id=done + index,
                    details={"known_user": True},
                )
        latencies.append(time.perf_counter() - began)
        done += count
        progress(done, events)
    elapsed = time.perf_counter() - started
    progress(done, events, force=True)
    return {
        "events": events,
        "per_transaction": per_transaction,
        "seconds": round(elapsed, 3),
        "events_per_s": round(events / elapsed, 1),
        "transaction_latency": latency_summary(latencies),
    }


def chain_head(engine: Engine) -> tuple[int, str]:
    with engine.connect() as connection:
        seq, digest = connection.execute(
            select(AuditChainHead.seq, AuditChainHead.hash).where(
                AuditChainHead.id == audit.HEAD_ROW_ID
            )
        ).one()
        connection.rollback()
    return int(seq), str(digest)


def _insert_sqlite(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        connection.execute(insert(AuditEvent), rows)


def _insert_postgresql(engine: Engine, rows: list[dict[str, Any]]) -> None:
    raw = engine.raw_connection()
    try:
        driver: psycopg.Connection[Any] = raw.driver_connection  # type: ignore[assignment]
        statement = f"COPY audit_events ({', '.join(COLUMNS)}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [json.dumps(row[name]) if name == "details" else row[name] for name in COLUMNS]
                )
        driver.commit()
    finally:
        raw.close()


def build_chain(engine: Engine, *, events: int) -> dict[str, Any]:
    """Append ``events`` synthetic events after the current head, as fast as possible."""
    insert_rows: Callable[[Engine, list[dict[str, Any]]], None] = (
        _insert_sqlite if engine.dialect.name == "sqlite" else _insert_postgresql
    )
    seq, prev_hash = chain_head(engine)
    first_seq = seq + 1
    maker = EventMaker(seed=seq)
    progress = Progress("build chain")
    hashing = inserting = 0.0
    started = time.perf_counter()
    done = 0
    while done < events:
        rows: list[dict[str, Any]] = []
        began = time.perf_counter()
        for _ in range(min(INSERT_CHUNK, events - done)):
            seq += 1
            fields = maker.fields(seq)
            digest = audit.compute_hash(prev_hash, fields)
            rows.append({**fields, "prev_hash": prev_hash, "hash": digest})
            prev_hash = digest
        hashing += time.perf_counter() - began
        began = time.perf_counter()
        insert_rows(engine, rows)
        inserting += time.perf_counter() - began
        done += len(rows)
        progress(done, events)
    with engine.begin() as connection:
        connection.execute(
            update(AuditChainHead)
            .where(AuditChainHead.id == audit.HEAD_ROW_ID)
            .values(seq=seq, hash=prev_hash)
        )
    progress(done, events, force=True)
    return {
        "events": events,
        "first_seq": first_seq,
        "seconds": round(time.perf_counter() - started, 1),
        "generate_and_hash_seconds": round(hashing, 1),
        "insert_seconds": round(inserting, 1),
    }


def settle(engine: Engine, database_url: str) -> None:
    """Bring the table to the steady state of a long-lived database before reading it."""
    if engine.dialect.name == "postgresql":
        # After a bulk COPY the first reader would set every hint bit and the planner
        # would have no statistics; autovacuum does this on a real server.
        with psycopg.connect(libpq_url(database_url), autocommit=True) as connection:
            connection.execute("VACUUM (ANALYZE) audit_events")
    else:
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()


def hash_baseline(events: int) -> dict[str, Any]:
    """``compute_hash`` alone over prepared fields: the floor under verification."""
    maker = EventMaker(seed=99)
    prepared = [maker.fields(seq) for seq in range(1, events + 1)]
    prev_hash = audit.GENESIS_HASH
    began = time.perf_counter()
    for fields in prepared:
        prev_hash = audit.compute_hash(prev_hash, fields)
    elapsed = time.perf_counter() - began
    return {"events": events, "seconds": round(elapsed, 3), "events_per_s": round(events / elapsed)}


def timed_verify(
    factory: sessionmaker[Session], *, key: bytes, label: str
) -> tuple[audit.Verification, float]:
    progress = Progress(label, interval=10.0)
    session = factory()
    try:
        began = time.perf_counter()
        result = audit.verify(
            session,
            checkpoint_key=key,
            progress=lambda done, total: progress(done, total),
        )
        elapsed = time.perf_counter() - began
        session.rollback()
    finally:
        session.close()
    if not result.ok:
        raise RuntimeError(f"the benchmark chain failed verification: {result}")
    return result, elapsed


def cli_verify(settings: Settings) -> dict[str, Any]:
    """Wall time of the real command, interpreter start-up and imports included."""
    env = {
        **os.environ,
        "VIGIL_DATA_DIR": str(settings.data_dir),
        "VIGIL_SECRET_KEY": settings.secret_key.get_secret_value(),
        "VIGIL_DEMO_MODE": "false",
    }
    env.pop("VIGIL_DATABASE_URL", None)
    if settings.database_url:
        env["VIGIL_DATABASE_URL"] = settings.database_url
    began = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "-m", "vigil", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - began
    output = (finished.stdout + finished.stderr).strip()
    if finished.returncode != 0 or "intact" not in output:
        return {"skipped": f"exit {finished.returncode}: {output[-300:]}"}
    return {"seconds": round(elapsed, 2), "output": output.splitlines()[-1]}


def probe_writes_during_verify(
    factory: sessionmaker[Session], *, key: bytes, interval: float
) -> dict[str, Any]:
    """Run ``audit.verify`` while another thread appends one event per ``interval`` seconds."""
    stop = threading.Event()
    latencies: list[float] = []
    failures: list[str] = []

    def write_periodically() -> None:
        while not stop.wait(interval):
            began = time.perf_counter()
            try:
                with transaction(factory) as session:
                    audit.record(
                        session,
                        actor=bench_actor(),
                        action="auth.login",
                        object_type="user",
                        object_id=7,
                        details={"known_user": True},
                    )
            except Exception as error:
                failures.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
            latencies.append(time.perf_counter() - began)

    writer = threading.Thread(target=write_periodically, name="probe-writer", daemon=True)
    writer.start()
    try:
        result, elapsed = _verify_allowing_growth(factory, key=key)
    finally:
        stop.set()
        writer.join()
    return {
        "verify_seconds": round(elapsed, 2),
        "verify_ok": result.ok,
        "verify_reason": result.reason,
        "writes_attempted": len(latencies),
        "writes_failed": len(failures),
        "failure_example": failures[0] if failures else None,
        "write_latency": latency_summary(latencies) if latencies else None,
    }


def _verify_allowing_growth(
    factory: sessionmaker[Session], *, key: bytes
) -> tuple[audit.Verification, float]:
    # Concurrent appends can land after verify read the rows but before it read the
    # head, which verify rightly reports as a mismatch; the probe is about the writers.
    progress = Progress("verify with a concurrent writer", interval=10.0)
    session = factory()
    try:
        began = time.perf_counter()
        result = audit.verify(
            session, checkpoint_key=key, progress=lambda done, total: progress(done, total)
        )
        elapsed = time.perf_counter() - began
        session.rollback()
    finally:
        session.close()
    return result, elapsed


def run_backend(
    backend: str,
    *,
    events: int,
    single_events: int,
    batched_events: int,
    batch_size: int,
    probe: bool,
    probe_interval: float,
    cli: bool,
) -> dict[str, Any]:
    """Every audit figure for one backend, on one throwaway database."""
    with throwaway_settings(backend) as settings:
        engine = migrated_engine(settings)
        try:
            factory = make_sessionmaker(engine)
            figures: dict[str, Any] = {
                "backend": backend,
                "server": server_description(engine),
                "load_average_at_start": load_average(),
            }
            say(f"[audit/{backend}] {figures['server']}")
            say(f"[audit/{backend}] append, 1 event per transaction ({single_events:,} events)")
            figures["append_1_per_tx"] = measure_append(
                factory, events=single_events, per_transaction=1, label="append 1/tx"
            )
            say(
                f"[audit/{backend}] append, {batch_size:,} events per transaction "
                f"({batched_events:,} events)"
            )
            figures[f"append_{batch_size}_per_tx"] = measure_append(
                factory,
                events=batched_events,
                per_transaction=batch_size,
                label=f"append {batch_size}/tx",
            )
            present, _ = chain_head(engine)
            bulk = max(0, events - present - 1)  # the checkpoint adds the last event
            say(
                f"[audit/{backend}] building the chain to {events:,} events "
                f"({bulk:,} bulk-inserted)"
            )
            figures["build"] = build_chain(engine, events=bulk)
            # The key lives where `vigil audit verify` looks for it, as after `vigil init`.
            audit.create_checkpoint_key(settings.resolved_checkpoint_key_file)
            key = audit.load_checkpoint_key(settings.resolved_checkpoint_key_file)
            with transaction(factory) as session:
                audit.write_checkpoint(session, key=key, actor=command_line("bench"))
            say(f"[audit/{backend}] settling the table (VACUUM ANALYZE / WAL checkpoint)")
            settle(engine, settings.resolved_database_url)
            baseline_events = min(HASH_BASELINE_EVENTS, max(events, 1000))
            say(f"[audit/{backend}] compute_hash baseline over {baseline_events:,} events")
            figures["hash_baseline"] = hash_baseline(baseline_events)
            say(f"[audit/{backend}] timing audit.verify")
            figures["load_average_before_verify"] = load_average()
            result, elapsed = timed_verify(factory, key=key, label="verify")
            figures["verify"] = {
                "events": result.events_checked,
                "checkpoints": result.checkpoints_checked,
                "seconds": round(elapsed, 2),
                "events_per_s": round(result.events_checked / elapsed),
                "share_spent_hashing": round(
                    result.events_checked / figures["hash_baseline"]["events_per_s"] / elapsed, 2
                ),
            }
            say(f"[audit/{backend}] verify: {result.events_checked:,} events in {elapsed:.1f}s")
            if cli:
                say(f"[audit/{backend}] timing `vigil audit verify` (a subprocess)")
                figures["cli_verify"] = cli_verify(settings)
            full_single = max(100, single_events // 4)
            say(
                f"[audit/{backend}] append, 1 event per transaction, on the full chain "
                f"({full_single:,} events)"
            )
            figures["append_1_per_tx_full_chain"] = measure_append(
                factory, events=full_single, per_transaction=1, label="append 1/tx (full)"
            )
            if probe:
                say(f"[audit/{backend}] audit.verify with a writer every {probe_interval}s")
                figures["writes_during_verify"] = probe_writes_during_verify(
                    factory, key=key, interval=probe_interval
                )
            figures["load_average_at_end"] = load_average()
            return figures
        finally:
            engine.dispose()


def summary_rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    """(figure, value) lines for the printed table."""
    if "error" in figures:
        return [(f"audit {figures['backend']}", f"FAILED: {figures['error']}")]
    backend = figures["backend"]
    rows: list[tuple[str, str]] = []
    for name, value in figures.items():
        if name.startswith("append_") and isinstance(value, dict):
            latency = value["transaction_latency"]
            rows.append(
                (
                    f"audit append {backend}, {value['per_transaction']}/tx"
                    + (" (full chain)" if name.endswith("full_chain") else ""),
                    f"{value['events_per_s']:,.0f} events/s  "
                    f"(tx p50 {latency['p50_ms']:.2f} ms, p99 {latency['p99_ms']:.2f} ms)",
                )
            )
    verify = figures["verify"]
    rows.append(
        (
            f"audit verify {backend}, {verify['events']:,} events",
            f"{verify['seconds']:.1f} s = {verify['events_per_s']:,} events/s "
            f"(compute_hash alone {figures['hash_baseline']['events_per_s']:,}/s; "
            f"{verify['share_spent_hashing']:.0%} of verify is hashing)",
        )
    )
    command = figures.get("cli_verify")
    if command:
        rows.append(
            (
                f"`vigil audit verify` {backend}, wall",
                f"skipped: {command['skipped']}"
                if "skipped" in command
                else f"{command['seconds']:.1f} s ({command['output']})",
            )
        )
    probe = figures.get("writes_during_verify")
    if probe and not probe["writes_attempted"]:
        rows.append((f"writes during verify {backend}", "none tried: verify was too quick"))
    elif probe:
        latency = probe["write_latency"] or {}
        rows.append(
            (
                f"writes during verify {backend}",
                f"{probe['writes_failed']}/{probe['writes_attempted']} failed, "
                f"max {latency.get('max_ms', 0):,.0f} ms"
                + (f" ({probe['failure_example']})" if probe["failure_example"] else ""),
            )
        )
        if not probe["verify_ok"]:
            rows.append((f"verify beside a writer {backend}", f"FAILED: {probe['verify_reason']}"))
    return rows


def print_table(rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events",
        type=int,
        default=DEFAULT_EVENTS,
        help="events in the chain that audit.verify walks (default 1,000,000)",
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--single-events",
        type=int,
        default=2_000,
        help="events appended one per transaction (default 2,000)",
    )
    parser.add_argument(
        "--batched-events",
        type=int,
        default=20_000,
        help="events appended in batches (default 20,000)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1_000,
        help="events per transaction in the batched run (default 1,000)",
    )
    parser.add_argument(
        "--no-probe", action="store_true", help="skip the second verify with a concurrent writer"
    )
    parser.add_argument(
        "--probe-interval",
        type=float,
        default=1.0,
        help="seconds between the concurrent writer's appends (default 1)",
    )
    parser.add_argument(
        "--no-cli", action="store_true", help="skip timing the `vigil audit verify` command"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args(argv)


def run_one(args: argparse.Namespace, backend: str) -> dict[str, Any]:
    return run_backend(
        backend,
        events=args.events,
        single_events=args.single_events,
        batched_events=args.batched_events,
        batch_size=args.batch_size,
        probe=not args.no_probe,
        probe_interval=args.probe_interval,
        cli=not args.no_cli,
    )


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    return [run_one(args, backend) for backend in backends(args.backend)]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    results = run(args)
    print_table([row for figures in results for row in summary_rows(figures)])
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()

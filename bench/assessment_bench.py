"""Threat-assessment dashboard and case list latency over a large caseload.

For each backend, one throwaway database is migrated, then:

1. agencies (one big county agency, a long tail of smaller ones and a state fusion
   center that cases are often shared with), their case-working users (supervisors,
   threat-assessment staff, analysts), ``--cases`` cases (default 100,000) opened
   over six years with their teams (a lead of the owning agency, members of it and of
   other agencies, some removed), shares (a few revoked), risk levels and review
   dates, and ``--interventions`` management-plan items (default 1,000,000) with
   due dates and statuses that follow their case's life, are generated and
   bulk-loaded (COPY on PostgreSQL, executemany in large transactions on SQLite),
   then ``VACUUM (ANALYZE)`` / ``ANALYZE`` (the data: ``bench/assessment_caseload.py``);
2. for several actors — the supervisor of the biggest agency (every case it owns),
   a team member on about 50 cases, an analyst of the fusion center (the cases shared
   with it and its own teams) — the real ``dashboard`` and ``list_cases`` calls
   (first page; active cases; high risk; past review; a later page) are timed,
   after a warm-up, ``--calls`` times each, every call in a transaction that is rolled
   back (both write an audit event);
3. every result is reduced to a digest, so a change to the queries can be checked to
   return exactly the same cases and counts.

``--explain`` prints the plans (``EXPLAIN ANALYZE`` on PostgreSQL, ``EXPLAIN QUERY
PLAN`` on SQLite) of the statements one call of each kind runs, to stderr.

Run: ``.venv/bin/python -m bench.assessment_bench --cases 100000 --interventions 1000000
--backend both --json FILE``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.assessment_caseload import TABLES, TODAY, Batch, World, caseload, seed_world
from bench.databases import (
    backends,
    libpq_url,
    migrated_engine,
    server_description,
    throwaway_settings,
)
from bench.timing import Progress, latency_summary, load_average, percentile, say
from vigil.assessment.cases import CaseFilter, list_cases
from vigil.assessment.dashboard import dashboard
from vigil.assessment.models import Case, CaseMember
from vigil.platform import actor as actors
from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.database import make_sessionmaker
from vigil.platform.models import User

DEFAULT_CASES = 100_000
DEFAULT_INTERVENTIONS = 1_000_000
DEFAULT_CALLS = 200
WARM_UP = 10
GOAL_MS = 150.0
TEAM_MEMBER_CASES = 50


# --- loading -----------------------------------------------------------------------------------


def _load_postgresql(engine: Engine, batch: Batch) -> None:
    raw = engine.raw_connection()
    try:
        driver: psycopg.Connection[Any] = raw.driver_connection  # type: ignore[assignment]
        with driver.cursor() as cursor:
            for table, columns in TABLES:
                rows = batch.rows[table]
                if not rows:
                    continue
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        driver.commit()
    finally:
        raw.close()


def _sqlite_value(value: Any) -> Any:
    # The formats SQLAlchemy's SQLite types store (UTC timestamps with no zone).
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _load_sqlite(engine: Engine, batch: Batch) -> None:
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        driver.execute("BEGIN IMMEDIATE")
        for table, columns in TABLES:
            rows = batch.rows[table]
            if not rows:
                continue
            marks = ", ".join("?" * len(columns))
            driver.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                [tuple(_sqlite_value(v) for v in row) for row in rows],
            )
        driver.execute("COMMIT")
    finally:
        raw.close()


def load(
    engine: Engine, database_url: str, world: World, cases: int, interventions: int, seed: int
) -> dict[str, Any]:
    postgres = engine.dialect.name == "postgresql"
    insert_batch: Callable[[Engine, Batch], None] = _load_postgresql if postgres else _load_sqlite
    progress = Progress("load cases and interventions")
    began = time.perf_counter()
    done = 0
    sizes: Counter[str] = Counter()
    for batch in caseload(world, cases, interventions, seed):
        insert_batch(engine, batch)
        for table, rows in batch.rows.items():
            sizes[table] += len(rows)
        done += len(batch)
        progress(done, cases + interventions)
    progress(done, cases + interventions, force=True)
    loaded = time.perf_counter() - began
    say("  settling the tables")
    started = time.perf_counter()
    tables = [table for table, _ in TABLES]
    if postgres:
        with psycopg.connect(libpq_url(database_url), autocommit=True) as connection:
            for table in tables:  # the ids were given; later inserts continue after them
                connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            connection.execute(f"VACUUM (ANALYZE) {', '.join(tables)}, users, user_roles")
    else:
        raw = engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            driver.execute("ANALYZE")
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    return {
        "rows": dict(sizes),
        "load_seconds": round(loaded, 1),
        "settle_seconds": round(time.perf_counter() - started, 1),
    }


# --- the readers -------------------------------------------------------------------------------


def bench_actors(factory: sessionmaker[Session], world: World) -> dict[str, Actor]:
    """The supervisor of the biggest agency, a team member on about 50 cases (closest to
    it among threat-assessment staff who supervise nothing) and a fusion-center analyst."""
    with factory() as db:
        counts = dict(
            db.execute(
                select(CaseMember.user_id, func.count())
                .where(CaseMember.removed_at.is_(None))
                .group_by(CaseMember.user_id)
            ).all()
        )
        assessors = [
            uid
            for people in world.staff.values()
            for uid in people.assessors
            if uid not in people.supervisors
        ]
        member = min(
            (uid for uid in assessors if uid in counts),
            key=lambda uid: (abs(counts[uid] - TEAM_MEMBER_CASES), uid),
        )
        analysts = world.staff[world.fusion_center].analysts
        chosen = {
            "supervisor, biggest agency": world.staff[world.agency_ids[0]].supervisors[0],
            f"team member (~{TEAM_MEMBER_CASES} cases)": member,
            "fusion-center analyst (shares)": max(analysts, key=lambda uid: counts.get(uid, 0)),
        }
        found = {}
        for name, user_id in chosen.items():
            user = db.get(User, user_id)
            assert user is not None
            found[name] = actors.for_user(user, request_id="bench", source_address="127.0.0.1")
        db.rollback()
    return found


def visible_cases(factory: sessionmaker[Session], actor: Actor) -> dict[str, int]:
    with factory() as db:
        visible = policy.scope(actor, "read", "case")
        total = db.execute(select(func.count()).select_from(Case).where(visible)).scalar_one()
        active = db.execute(
            select(func.count()).select_from(Case).where(visible, Case.status != "closed")
        ).scalar_one()
        db.rollback()
    return {"visible_cases": int(total), "visible_active_cases": int(active)}


def operations() -> dict[str, Callable[[Session, Actor], Any]]:
    def listing(filters: CaseFilter, page: int = 1) -> Callable[[Session, Actor], Any]:
        def call(db: Session, actor: Actor) -> Any:
            rows, total = list_cases(db, actor=actor, filters=filters, page=page, today=TODAY)
            return total, [row.id for row in rows]

        return call

    return {
        "dashboard": lambda db, actor: dashboard(db, actor=actor, today=TODAY),
        "list, first page": listing(CaseFilter()),
        "list, active": listing(CaseFilter(status="active")),
        "list, active, high risk": listing(CaseFilter(status="active", level="high")),
        "list, past review": listing(CaseFilter(overdue_review=True)),
        "list, active, page 5": listing(CaseFilter(status="active"), page=5),
    }


def digest(result: Any) -> str:
    return hashlib.sha256(repr(result).encode()).hexdigest()[:16]


@contextmanager
def rolled_back(factory: sessionmaker[Session]) -> Iterator[Session]:
    db = factory()
    try:
        yield db
    finally:
        db.rollback()
        db.close()


def measure(factory: sessionmaker[Session], actor: Actor, calls: int) -> dict[str, dict[str, Any]]:
    figures: dict[str, dict[str, Any]] = {}
    for name, operation in operations().items():
        for _ in range(WARM_UP):
            with rolled_back(factory) as db:
                result = operation(db, actor)
        seconds = []
        for _ in range(calls):
            with rolled_back(factory) as db:
                started = time.perf_counter()
                result = operation(db, actor)
                seconds.append(time.perf_counter() - started)
        figures[name] = {
            **latency_summary(seconds),
            "p95_ms": round(percentile(seconds, 0.95) * 1000, 2),
            "result": digest(result),
            "total": result[0] if isinstance(result, tuple) else result.active_cases,
        }
        say(
            f"    {name}: p50 {figures[name]['p50_ms']:.1f} ms, "
            f"p95 {figures[name]['p95_ms']:.1f} ms"
        )
    return figures


def explain(engine: Engine, factory: sessionmaker[Session], actor: Actor) -> None:
    """Print the plan of every SELECT one call of each operation runs."""
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "audit_chain_head" not in statement:
            statements.append((statement, parameters))

    postgres = engine.dialect.name == "postgresql"
    for name, operation in operations().items():
        statements.clear()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            with rolled_back(factory) as db:
                operation(db, actor)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        say(f"--- {name} ---")
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
            for statement, parameters in statements:
                say(statement)
                cursor.execute(prefix + statement, parameters)
                for row in cursor.fetchall():
                    say("    " + (row[0] if postgres else f"{row[1]:>3} {row[3]}"))
            raw.rollback()
        finally:
            raw.close()


def run_backend(
    backend: str, *, cases: int, interventions: int, calls: int, seed: int, show_plans: bool
) -> dict[str, Any]:
    with throwaway_settings(backend) as settings:
        engine = migrated_engine(settings)
        try:
            factory = make_sessionmaker(engine)
            figures: dict[str, Any] = {
                "backend": backend,
                "server": server_description(engine),
                "load_average_at_start": load_average(),
                "today": TODAY.isoformat(),
            }
            say(f"[assessment/{backend}] {figures['server']}")
            rng = random.Random(seed)
            world = seed_world(factory, rng)
            say(
                f"[assessment/{backend}] generating and loading {cases:,} cases, "
                f"{interventions:,} interventions"
            )
            figures["load"] = load(
                engine, settings.resolved_database_url, world, cases, interventions, seed + 1
            )
            readers = bench_actors(factory, world)
            figures["load_average_before_timing"] = load_average()
            figures["actors"] = {}
            for name, actor in readers.items():
                seen = visible_cases(factory, actor)
                say(
                    f"[assessment/{backend}] {name}: {seen['visible_cases']:,} cases visible "
                    f"({seen['visible_active_cases']:,} active); {calls} calls each"
                )
                if show_plans:
                    explain(engine, factory, actor)
                figures["actors"][name] = {**seen, "calls": measure(factory, actor, calls)}
            figures["load_average_at_end"] = load_average()
            return figures
        finally:
            engine.dispose()


# --- report ------------------------------------------------------------------------------------


def summary_rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    backend = figures["backend"]
    rows = []
    for actor, values in figures["actors"].items():
        for name, timing in values["calls"].items():
            verdict = "meets" if timing["p95_ms"] <= GOAL_MS else "MISSES"
            rows.append(
                (
                    f"{backend} | {actor} ({values['visible_cases']:,} cases) | {name}",
                    f"p50 {timing['p50_ms']:.1f} ms, p95 {timing['p95_ms']:.1f} ms, "
                    f"p99 {timing['p99_ms']:.1f} ms ({verdict} {GOAL_MS:.0f} ms)",
                )
            )
    rows.append(
        (
            f"{backend} | load average",
            f"{figures['load_average_at_start']} at start, "
            f"{figures['load_average_before_timing']} before timing, "
            f"{figures['load_average_at_end']} at end",
        )
    )
    return rows


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES)
    parser.add_argument("--interventions", type=int, default=DEFAULT_INTERVENTIONS)
    parser.add_argument("--calls", type=int, default=DEFAULT_CALLS, help="timed calls each")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--explain", action="store_true", help="print the plans to stderr")
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    results = []
    for backend in backends(args.backend):
        figures = run_backend(
            backend,
            cases=args.cases,
            interventions=args.interventions,
            calls=args.calls,
            seed=args.seed,
            show_plans=args.explain,
        )
        results.append(figures)
        for name, value in summary_rows(figures):
            print(f"{name}: {value}", flush=True)
        if args.json:  # after each backend, so a long run keeps what it measured
            with open(args.json, "w", encoding="utf-8") as handle:
                json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()

"""Search latency over many narratives: ``search_reports`` with the policy inside the query.

For each backend, one throwaway database is migrated, then:

1. ``--rows`` synthetic reports (default 1,000,000) are generated from a realistic
   vocabulary (tip-line and SAR narratives: people, schools, places, platforms,
   weapons, quotes, identifiers) with markings, file classes, routing, shares and
   TLP:RED recipients in plausible shares, and bulk-loaded with their search
   documents (COPY on PostgreSQL, executemany in large transactions on SQLite);
2. the index is brought to a steady state: on PostgreSQL the GIN index (dropped for
   the load) is rebuilt with its migration's definition and the tables are
   VACUUM ANALYZEd; on SQLite FTS5 merges its segments (``optimize``);
3. ``--queries`` typical queries (names, identifiers, places, topic pairs, quoted
   phrases and some broad single words: ``search_corpus.QUERY_MIX``) are run as an
   analyst of a mid-sized agency, after one untimed warm-up pass, each timed three ways one
   after the other: the real ``search_reports`` call in its own committed
   transaction (policy, the window of newest matches, the page, audit event,
   commit) and, as same-run baselines, ``search.find`` alone (the statements) with
   the policy's condition and without it;
4. untimed, every query's matches are counted exactly (the search counts at most
   ``search.RESULT_WINDOW``), with and without the policy.

Run: ``.venv/bin/python -m bench.search_bench --rows 1000000 --backend both``

With ``--keep NAME`` the loaded database is kept (PostgreSQL database ``NAME``; SQLite
file ``NAME/vigil.sqlite3`` in ``VIGIL_BENCH_TMPDIR`` or the temp directory) and a
later run with the same name, rows and seed reuses it after migrating it to head: the
load is skipped and the queries are the same. Drop it by hand when done.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, func, make_url, select, true
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import (
    POSTGRES_ADMIN_URL,
    backends,
    libpq_url,
    migrated_engine,
    server_description,
    throwaway_settings,
)
from bench.search_corpus import Corpus, typical_queries
from bench.timing import Progress, latency_summary, load_average, percentile, say
from vigil.platform import actor as actors
from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.database import make_sessionmaker, transaction
from vigil.platform.models import Agency, User, UserRole
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.settings import Settings
from vigil.reports import search
from vigil.reports.models import Report

DEFAULT_ROWS = 1_000_000
DEFAULT_QUERIES = 300
CHUNK = 50_000
AGENCIES = 30
ACTOR_AGENCY = 6  # the 6th largest agency: mid-sized
GOAL_MS = 100.0
SEARCH_INDEX = "ix_report_search_blocks"  # GIN: the words and the block of ids (0008)

# --- loading ------------------------------------------------------------------------------

MARKINGS = (
    ("AMBER", 0.55),
    ("GREEN", 0.20),
    ("AMBER+STRICT", 0.12),
    ("CLEAR", 0.05),
    ("RED", 0.08),
)
FILE_CLASSES = (("tip_lead", 0.75), ("sar", 0.20), ("intelligence", 0.05))
LEVELS = (("low", 0.60), ("moderate", 0.25), ("high", 0.12), ("imminent", 0.03))
KINDS = (("tip", 0.6), ("sar", 0.25), ("agency_report", 0.15))
REPORT_COLUMNS = (
    "id",
    "receipt_number",
    "kind",
    "file_class",
    "source",
    "narrative",
    "reported_at",
    "behaviors",
    "weapons",
    "target_types",
    "urgency_rules",
    "marking",
    "owner_agency_id",
    "routed_agency_id",
    "protected_activity_only",
    "urgency_score",
    "urgency_level",
    "created_at",
    "updated_at",
)


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([v for v, _ in table], [w for _, w in table])[0]


@dataclass
class World:
    agency_ids: list[int]  # largest first
    users_by_agency: dict[int, list[int]]
    actor: Actor


def seed_world(factory: sessionmaker[Session]) -> World:
    with transaction(factory) as db:
        agencies = [
            Agency(name=f"Bench agency {n}", kind=AgencyKind.LAW_ENFORCEMENT.value)
            for n in range(1, AGENCIES + 1)
        ]
        db.add_all(agencies)
        db.flush()
        users: dict[int, list[int]] = {}
        for agency in agencies:
            made = [
                User(agency_id=agency.id, username=f"bench{agency.id}.{n}", display_name="Bench")
                for n in range(4)
            ]
            db.add_all(made)
            db.flush()
            db.add_all(UserRole(user_id=user.id, role=Role.ANALYST.value) for user in made)
            users[agency.id] = [user.id for user in made]
        db.flush()
        ids = [agency.id for agency in agencies]
        actor_user = db.get(User, users[ids[ACTOR_AGENCY - 1]][0])
        assert actor_user is not None
        actor = actors.for_user(actor_user, request_id="bench", source_address="127.0.0.1")
    return World(ids, users, actor)


def kept_world(factory: sessionmaker[Session]) -> World:
    """The world ``seed_world`` made in a kept database: agencies largest first (in the
    order they were made), their users, the same actor."""
    with transaction(factory) as db:
        agencies = db.scalars(
            select(Agency).where(Agency.name.like("Bench agency %")).order_by(Agency.id)
        ).all()
        users: dict[int, list[int]] = {
            agency.id: list(
                db.scalars(select(User.id).where(User.agency_id == agency.id).order_by(User.id))
            )
            for agency in agencies
        }
        ids = [agency.id for agency in agencies]
        actor_user = db.get(User, users[ids[ACTOR_AGENCY - 1]][0])
        assert actor_user is not None
        actor = actors.for_user(actor_user, request_id="bench", source_address="127.0.0.1")
    return World(ids, users, actor)


def replay_sample(corpus: Corpus, rows: int) -> None:
    """Regenerate the corpus's sample of subjects (the queries' source) without loading:
    the generator is deterministic, so the same reports give the same sample."""
    for _ in range(rows):
        if len(corpus.sample) >= 20_000:
            break
        corpus.report()


@dataclass
class Batch:
    reports: list[tuple[Any, ...]] = field(default_factory=list)
    documents: list[tuple[int, str]] = field(default_factory=list)
    shares: list[tuple[int, int, datetime]] = field(default_factory=list)
    recipients: list[tuple[int, int]] = field(default_factory=list)


def batches(world: World, corpus: Corpus, rows: int) -> Iterator[Batch]:
    rng = random.Random(corpus.seed + 1)
    now = datetime.now(UTC)
    agency_weights = [1 / (rank + 2) for rank in range(len(world.agency_ids))]
    batch = Batch()
    for report_id in range(1, rows + 1):
        narrative, document = corpus.report()
        owner = rng.choices(world.agency_ids, agency_weights)[0]
        routed = owner if rng.random() < 0.9 else rng.choice(world.agency_ids)
        marking = _pick(rng, MARKINGS)
        reported = now - timedelta(seconds=rng.randint(0, 5 * 365 * 86400))
        batch.reports.append(
            (
                report_id,
                f"BENCH-{report_id:010d}",
                _pick(rng, KINDS),
                _pick(rng, FILE_CLASSES),
                "web",
                narrative,
                reported,
                "[]",
                "[]",
                "[]",
                "[]",
                marking,
                owner,
                routed,
                False,
                rng.randint(0, 80),
                _pick(rng, LEVELS),
                reported,
                reported,
            )
        )
        batch.documents.append((report_id, document))
        if marking == "RED":
            named = rng.sample(world.users_by_agency[owner], 2)
            if rng.random() < 0.02:  # now and then, a RED report names the bench actor
                named.append(world.actor.user_id or 0)
            batch.recipients += [(report_id, user_id) for user_id in set(named)]
        elif rng.random() < 0.08:
            others = rng.sample(world.agency_ids, rng.randint(1, 2))
            batch.shares += [(report_id, a, reported) for a in others if a != owner]
        if len(batch.reports) == CHUNK:
            yield batch
            batch = Batch()
    if batch.reports:
        yield batch


def _load_postgresql(engine: Engine, batch: Batch) -> None:
    raw = engine.raw_connection()
    try:
        driver: psycopg.Connection[Any] = raw.driver_connection  # type: ignore[assignment]
        with driver.cursor() as cursor:
            for table, columns, rows in (
                ("reports", REPORT_COLUMNS, batch.reports),
                ("report_search", ("report_id", "document"), batch.documents),
                ("report_shares", ("report_id", "agency_id", "shared_at"), batch.shares),
                ("report_recipients", ("report_id", "user_id"), batch.recipients),
            ):
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        driver.commit()
    finally:
        raw.close()


def _sqlite_time(moment: datetime) -> str:
    # The format SQLAlchemy's SQLite DateTime type stores (UTC, no zone).
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _load_sqlite(engine: Engine, batch: Batch) -> None:
    marks = ", ".join("?" * len(REPORT_COLUMNS))
    time_columns = {REPORT_COLUMNS.index(c) for c in ("reported_at", "created_at", "updated_at")}
    rows = [
        tuple(_sqlite_time(v) if i in time_columns else v for i, v in enumerate(row))
        for row in batch.reports
    ]
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        driver.execute("BEGIN IMMEDIATE")
        driver.executemany(
            f"INSERT INTO reports ({', '.join(REPORT_COLUMNS)}) VALUES ({marks})", rows
        )
        driver.executemany(
            "INSERT INTO report_search (rowid, document) VALUES (?, ?)", batch.documents
        )
        driver.executemany(
            "INSERT INTO report_shares (report_id, agency_id, shared_at) VALUES (?, ?, ?)",
            [(report, agency, _sqlite_time(at)) for report, agency, at in batch.shares],
        )
        driver.executemany(
            "INSERT INTO report_recipients (report_id, user_id) VALUES (?, ?)", batch.recipients
        )
        driver.execute("COMMIT")
    finally:
        raw.close()


def load(
    engine: Engine, database_url: str, world: World, corpus: Corpus, rows: int
) -> dict[str, Any]:
    postgres = engine.dialect.name == "postgresql"
    index_sql = None
    if postgres:
        with psycopg.connect(libpq_url(database_url), autocommit=True) as connection:
            # The migration's own definition, rebuilt after the load as a restore would.
            index_sql = connection.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %s", (SEARCH_INDEX,)
            ).fetchone()[0]  # type: ignore[index]
            connection.execute(f"DROP INDEX {SEARCH_INDEX}")
    insert: Callable[[Engine, Batch], None] = _load_postgresql if postgres else _load_sqlite
    progress = Progress("load reports")
    began = time.perf_counter()
    generating = 0.0
    done = 0
    source = batches(world, corpus, rows)
    while True:
        started = time.perf_counter()
        batch = next(source, None)
        generating += time.perf_counter() - started
        if batch is None:
            break
        insert(engine, batch)
        done += len(batch.reports)
        progress(done, rows)
    progress(done, rows, force=True)
    loaded = time.perf_counter() - began
    say("  building the index and settling the tables")
    started = time.perf_counter()
    if postgres:
        with psycopg.connect(libpq_url(database_url), autocommit=True) as connection:
            connection.execute("SET maintenance_work_mem = '1GB'")
            connection.execute(index_sql)  # type: ignore[arg-type]
            connection.execute(
                "VACUUM (ANALYZE) reports, report_search, report_shares, report_recipients"
            )
    else:
        raw = engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            driver.execute("INSERT INTO report_search (report_search) VALUES ('optimize')")
            driver.execute("ANALYZE")
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    return {
        "rows": rows,
        "load_seconds": round(loaded, 1),
        "generate_seconds": round(generating, 1),
        "index_and_settle_seconds": round(time.perf_counter() - started, 1),
    }


# --- timing ---------------------------------------------------------------------------------


def measure(
    factory: sessionmaker[Session], actor: Actor, queries: list[tuple[str, str]], dialect: str
) -> dict[str, Any]:
    def service(query: str) -> int:
        with transaction(factory) as db:
            return search.search_reports(db, actor=actor, query=query).total

    def statement(query: str, scoped: bool) -> int:
        parsed = search.parse_query(query)
        with factory() as db:
            if dialect == "postgresql":  # as search_reports does
                search.configure_transaction(db)
            condition = policy.scope(actor, "search", "report") if scoped else true()
            found = search.find(db, parsed, condition, limit=20, offset=0)
            db.rollback()
        return found.total

    def matches(query: str, scoped: bool) -> int:
        """Untimed: every matching report, as the search no longer counts them all."""
        parsed = search.parse_query(query)
        source, key, matched = search.index_match(dialect, parsed)
        condition = policy.scope(actor, "search", "report") if scoped else true()
        with factory() as db:
            count = db.execute(
                select(func.count())
                .select_from(source.join(Report, Report.id == key))
                .where(matched, condition)
            ).scalar_one()
            db.rollback()
        return int(count)

    say(f"  warm-up: {len(queries)} queries, untimed")
    for _, query in queries:
        statement(query, scoped=False)
    timings: dict[str, list[float]] = {"service": [], "policy": [], "no_policy": []}
    by_category: dict[str, list[float]] = {}
    totals: list[tuple[str, str, int, int]] = []
    capped: list[bool] = []
    progress = Progress("timed queries")
    for done, (category, query) in enumerate(queries, 1):
        runs: dict[str, tuple[float, int]] = {}
        for name in ("service", "policy", "no_policy"):
            started = time.perf_counter()
            if name == "service":
                found = service(query)
            else:
                found = statement(query, scoped=name == "policy")
            runs[name] = (time.perf_counter() - started, found)
            timings[name].append(runs[name][0])
        by_category.setdefault(category, []).append(runs["service"][0])
        capped.append(runs["service"][1] >= search.RESULT_WINDOW)
        progress(done, len(queries))
    progress = Progress("exact match counts (untimed)")
    for done, (category, query) in enumerate(queries, 1):
        totals.append((category, query, matches(query, True), matches(query, False)))
        progress(done, len(queries))
    return {
        "service": latency_summary(timings["service"]),
        "service_p95_ms": round(percentile(timings["service"], 0.95) * 1000, 2),
        "policy_p95_ms": round(percentile(timings["policy"], 0.95) * 1000, 2),
        "no_policy_p95_ms": round(percentile(timings["no_policy"], 0.95) * 1000, 2),
        "policy": latency_summary(timings["policy"]),
        "no_policy": latency_summary(timings["no_policy"]),
        "capped_share": round(sum(capped) / len(capped), 3),
        "by_category": {
            name: {
                "n": len(values),
                "capped": sum(
                    1 for c, hit in zip(queries, capped, strict=True) if c[0] == name and hit
                ),
                "p50_ms": round(percentile(values, 0.5) * 1000, 2),
                "p95_ms": round(percentile(values, 0.95) * 1000, 2),
                "median_matches_visible": sorted(t[2] for t in totals if t[0] == name)[
                    len(values) // 2
                ],
                "median_matches_all": sorted(t[3] for t in totals if t[0] == name)[
                    len(values) // 2
                ],
            }
            for name, values in by_category.items()
        },
        "slowest": sorted(
            (
                {"category": c, "ms": round(s * 1000, 1), "visible": v, "all": a}
                for (c, _q, v, a), s in zip(totals, timings["service"], strict=True)
            ),
            key=lambda item: -float(item["ms"]),  # type: ignore[arg-type]
        )[:5],
    }


def visible_share(factory: sessionmaker[Session], actor: Actor) -> float:
    with factory() as db:
        visible = db.execute(
            select(func.count()).select_from(Report).where(policy.scope(actor, "search", "report"))
        ).scalar_one()
        everything = db.execute(select(func.count()).select_from(Report)).scalar_one()
        db.rollback()
    return round(visible / max(everything, 1), 3)


@contextmanager
def kept_settings(backend: str, name: str) -> Iterator[Settings]:
    """Settings for a database kept between runs under ``name``, made if missing."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
        raise SystemExit("--keep: lower-case letters, digits and underscores")
    base = Path(os.environ.get("VIGIL_BENCH_TMPDIR") or tempfile.gettempdir())
    secret = secrets.token_urlsafe(48)
    if backend == "sqlite":
        data_dir = base / name
        data_dir.mkdir(exist_ok=True)
        yield Settings(data_dir=data_dir, secret_key=secret)
        return
    with (
        tempfile.TemporaryDirectory(prefix="vigil-bench-", dir=base) as data_dir_name,
        psycopg.connect(libpq_url(POSTGRES_ADMIN_URL), autocommit=True) as connection,
    ):
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')  # name checked above
        url = make_url(POSTGRES_ADMIN_URL).set(database=name)
        yield Settings(
            data_dir=Path(data_dir_name),
            secret_key=secret,
            database_url=url.render_as_string(hide_password=False),
        )


def run_backend(
    backend: str, *, rows: int, queries: int, seed: int, keep: str | None = None
) -> dict[str, Any]:
    with kept_settings(backend, keep) if keep else throwaway_settings(backend) as settings:
        engine = migrated_engine(settings)
        try:
            factory = make_sessionmaker(engine)
            figures: dict[str, Any] = {
                "backend": backend,
                "server": server_description(engine),
                "load_average_at_start": load_average(),
            }
            say(f"[search/{backend}] {figures['server']}")
            corpus = Corpus(seed)
            with factory() as db:
                present = db.execute(select(func.count()).select_from(Report)).scalar_one()
            if present == 0:
                world = seed_world(factory)
                say(f"[search/{backend}] generating and loading {rows:,} reports")
                figures["load"] = load(engine, settings.resolved_database_url, world, corpus, rows)
            elif keep and present == rows:
                say(f"[search/{backend}] reusing the {rows:,} reports kept in {keep!r}")
                world = kept_world(factory)
                replay_sample(corpus, rows)
                figures["load"] = {"rows": rows, "reused": keep}
            else:
                raise SystemExit(f"{keep!r} holds {present:,} reports, not {rows:,}: drop it")
            figures["visible_share"] = visible_share(factory, world.actor)
            say(
                f"[search/{backend}] the bench analyst may read "
                f"{figures['visible_share']:.1%} of the reports"
            )
            mix = typical_queries(corpus, queries, seed + 2)
            figures["queries"] = len(mix)
            say(f"[search/{backend}] timing {len(mix)} queries")
            figures["load_average_before_timing"] = load_average()
            figures.update(measure(factory, world.actor, mix, engine.dialect.name))
            figures["load_average_at_end"] = load_average()
            return figures
        finally:
            engine.dispose()


# --- report -----------------------------------------------------------------------------------


def summary_rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    if "error" in figures:
        return [(f"search {figures['backend']}", f"FAILED: {figures['error']}")]
    backend = figures["backend"]
    service = figures["service"]
    rows = [
        (
            f"search {backend}, {figures['load']['rows']:,} reports, {figures['queries']} queries",
            f"p50 {service['p50_ms']:.1f} ms, p95 {figures['service_p95_ms']:.1f} ms, "
            f"p99 {service['p99_ms']:.1f} ms "
            f"({'meets' if figures['service_p95_ms'] <= GOAL_MS else 'misses'} the "
            f"{GOAL_MS:.0f} ms p95 goal; reader sees {figures['visible_share']:.0%}; "
            f"{figures['capped_share']:.0%} of the queries capped)",
        ),
        (
            f"search {backend}, statements alone",
            f"p95 {figures['policy_p95_ms']:.1f} ms with the policy, "
            f"{figures['no_policy_p95_ms']:.1f} ms without (same run)",
        ),
    ]
    for name, values in figures["by_category"].items():
        rows.append(
            (
                f"search {backend}, {name}",
                f"p50 {values['p50_ms']:.1f} ms, p95 {values['p95_ms']:.1f} ms "
                f"(n={values['n']}, {values['capped']} capped, median "
                f"{values['median_matches_visible']:,} visible of "
                f"{values['median_matches_all']:,} matches)",
            )
        )
    return rows


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=DEFAULT_ROWS, help="reports to generate (default 1,000,000)"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--queries", type=int, default=DEFAULT_QUERIES, help="timed queries (default 300)"
    )
    parser.add_argument("--seed", type=int, default=7, help="corpus and query seed")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--keep",
        metavar="NAME",
        help="keep the loaded database under NAME and reuse it on later runs (same rows, seed)",
    )
    return parser.parse_args(argv)


def run_one(args: argparse.Namespace, backend: str) -> dict[str, Any]:
    return run_backend(
        backend, rows=args.rows, queries=args.queries, seed=args.seed, keep=args.keep
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    results = []
    for backend in backends(args.backend):
        figures = run_one(args, backend)
        results.append(figures)
        for name, value in summary_rows(figures):
            print(f"{name}: {value}", flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()

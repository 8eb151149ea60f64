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
   then ``VACUUM (ANALYZE)`` / ``ANALYZE``;
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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import Engine, event, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

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
from vigil.assessment.models import Case
from vigil.assessment.vocabulary import INTERVENTION_KINDS
from vigil.platform import actor as actors
from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.database import make_sessionmaker, transaction
from vigil.platform.models import Agency, User, UserRole
from vigil.platform.roles import AgencyKind, Role

DEFAULT_CASES = 100_000
DEFAULT_INTERVENTIONS = 1_000_000
DEFAULT_CALLS = 200
WARM_UP = 10
CHUNK = 50_000
AGENCIES = 40
CASE_WORKERS = 4_000  # spread over the agencies by size
YEARS = 6
GOAL_MS = 150.0
TEAM_MEMBER_CASES = 50
TODAY = date(2026, 11, 26)

ACTIVE_MIX = (("open", 0.10), ("assessing", 0.25), ("managing", 0.35), ("monitoring", 0.30))
LEVEL_MIX = (("low", 0.40), ("moderate", 0.35), ("high", 0.20), ("imminent", 0.05))
KINDS = tuple(INTERVENTION_KINDS)
KIND_WEIGHTS = (0.20, 0.03, 0.12, 0.06, 0.14, 0.12, 0.08, 0.05, 0.20)

CASE_COLUMNS = (
    "id",
    "number",
    "title",
    "owner_agency_id",
    "regime",
    "status",
    "opened_at",
    "opened_by_user_id",
    "status_changed_at",
    "closed_at",
    "updated_at",
    "risk_level",
    "risk_decided_at",
    "review_interval_days",
    "next_review_on",
    "closing_summary",
    "origin_reported_at",
    "first_assessed_at",
)
MEMBER_COLUMNS = (
    "id",
    "case_id",
    "user_id",
    "agency_id",
    "team_role",
    "added_at",
    "added_by_user_id",
    "removed_at",
    "removed_by_user_id",
)
SHARE_COLUMNS = (
    "id",
    "case_id",
    "agency_id",
    "reason",
    "shared_by_user_id",
    "shared_at",
    "revoked_at",
    "revoked_by_user_id",
)
INTERVENTION_COLUMNS = (
    "id",
    "case_id",
    "kind",
    "description",
    "owner_user_id",
    "due_on",
    "status",
    "created_at",
    "updated_at",
    "completed_at",
    "outcome",
    "erpo_status",
)
TABLES = (
    ("cases", CASE_COLUMNS),
    ("case_members", MEMBER_COLUMNS),
    ("case_shares", SHARE_COLUMNS),
    ("interventions", INTERVENTION_COLUMNS),
)


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([v for v, _ in table], [w for _, w in table])[0]


# --- the world: agencies and their people ----------------------------------------------------


@dataclass
class Staff:
    supervisors: list[int] = field(default_factory=list)
    assessors: list[int] = field(default_factory=list)  # threat-assessment staff
    analysts: list[int] = field(default_factory=list)

    @property
    def workers(self) -> list[int]:
        return self.assessors + self.analysts


@dataclass
class World:
    agency_ids: list[int]  # the biggest first; the fusion center last
    weights: list[float]  # each agency's share of the cases it owns
    staff: dict[int, Staff]
    fusion_center: int


def seed_world(factory: sessionmaker[Session], rng: random.Random) -> World:
    with transaction(factory) as db:
        agencies = [
            Agency(name="Bench County Sheriff", kind=AgencyKind.LAW_ENFORCEMENT.value),
            *(
                Agency(
                    name=f"Bench agency {n}",
                    kind=(
                        AgencyKind.SCHOOL_OR_CAMPUS if n % 3 == 0 else AgencyKind.LAW_ENFORCEMENT
                    ).value,
                )
                for n in range(2, AGENCIES)
            ),
            Agency(name="Bench State Fusion Center", kind=AgencyKind.FUSION_CENTER.value),
        ]
        db.add_all(agencies)
        db.flush()
        ids = [agency.id for agency in agencies]
        weights = [1 / (rank + 1) ** 0.9 for rank in range(len(ids) - 1)] + [0.02]
        total = sum(weights)
        weights = [w / total for w in weights]
        staff: dict[int, Staff] = {}
        user_rows: list[dict[str, Any]] = []
        roles: list[tuple[int, Role]] = []
        next_id = 1
        for agency_id, weight in zip(ids, weights, strict=True):
            people = Staff()
            headcount = max(6, round(CASE_WORKERS * weight))
            if agency_id == ids[-1]:
                headcount = 60  # the fusion center: analysts on many agencies' teams
            for n in range(headcount):
                if n < max(1, headcount // 15):
                    role, group = Role.SUPERVISOR, people.supervisors
                elif agency_id == ids[-1] or rng.random() < 0.3:
                    role, group = Role.ANALYST, people.analysts
                else:
                    role, group = Role.THREAT_ASSESSMENT, people.assessors
                user_rows.append(
                    {
                        "id": next_id,
                        "agency_id": agency_id,
                        "username": f"bench{agency_id}.{n}",
                        "display_name": f"Bench user {agency_id}.{n}",
                    }
                )
                roles.append((next_id, role))
                group.append(next_id)
                next_id += 1
            if not people.assessors:
                people.assessors.append(people.supervisors[0])
            staff[agency_id] = people
        db.execute(insert(User), user_rows)
        db.execute(insert(UserRole), [{"user_id": uid, "role": role.value} for uid, role in roles])
    return World(ids, weights, staff, ids[-1])


# --- the caseload ------------------------------------------------------------------------------


@dataclass
class Batch:
    rows: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {table: [] for table, _ in TABLES}
    )

    def __len__(self) -> int:
        return len(self.rows["cases"]) + len(self.rows["interventions"])


@dataclass(frozen=True)
class CaseShape:
    id: int
    opened: datetime
    closed: datetime | None
    team: tuple[int, ...]


def _at(day: date, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        seconds=rng.randint(8 * 3600, 18 * 3600)
    )


def caseload(world: World, cases: int, interventions: int, seed: int) -> Iterator[Batch]:
    """Cases in the order they were opened, each with its team, shares and plan."""
    rng = random.Random(seed)
    span_days = YEARS * 365
    opened_days = sorted(rng.randint(0, span_days) for _ in range(cases))
    # Active cases carry more of the plan than closed ones.
    shapes: list[CaseShape] = []
    batch = Batch()
    member_id = share_id = 0
    for case_id, offset in enumerate(opened_days, 1):
        opened = _at(TODAY - timedelta(days=span_days - offset), rng)
        age_days = (TODAY - opened.date()).days
        owner = rng.choices(world.agency_ids, world.weights)[0]
        people = world.staff[owner]
        closed_share = 0.85 if age_days > 365 else 0.15 + 0.5 * age_days / 365
        closed = rng.random() < closed_share
        status = "closed" if closed else _pick(rng, ACTIVE_MIX)
        lead = rng.choice(people.assessors)
        level = None
        if status != "open" or rng.random() < 0.3:
            level = _pick(rng, LEVEL_MIX)
        closed_at = None
        next_review = None
        if closed:
            closed_at = opened + timedelta(days=rng.randint(20, min(720, max(21, age_days))))
            closed_at = min(closed_at, _at(TODAY, rng) - timedelta(days=1))
        elif rng.random() < 0.15:
            next_review = TODAY - timedelta(days=rng.randint(1, 90))
        else:
            next_review = TODAY + timedelta(days=rng.randint(0, 60))
        assessed = None
        if status != "open" and rng.random() < 0.92:
            assessed = opened + timedelta(days=rng.uniform(0.5, 30))
        regime = "school_record" if rng.random() < 0.25 else "threat_assessment"
        last_change = closed_at or opened + timedelta(days=rng.randint(0, max(1, age_days)))
        batch.rows["cases"].append(
            (
                case_id,
                f"TA-{opened.year}-{case_id:06d}",
                f"Bench case {case_id}",
                owner,
                regime,
                status,
                opened,
                lead,
                last_change,
                closed_at,
                last_change,
                level,
                (opened + timedelta(days=rng.randint(1, 40))) if level else None,
                30,
                next_review,
                "Closed after the plan was carried out." if closed else None,
                opened - timedelta(days=rng.uniform(0, 14)),
                assessed,
            )
        )
        team = [lead]
        member_id += 1
        batch.rows["case_members"].append(
            (member_id, case_id, lead, owner, "lead", opened, lead, None, None)
        )
        for _ in range(rng.choices((0, 1, 2, 3), (0.15, 0.40, 0.30, 0.15))[0]):
            if rng.random() < 0.75:
                agency = owner
            elif rng.random() < 0.3:
                agency = world.fusion_center
            else:
                agency = rng.choices(world.agency_ids, world.weights)[0]
            pool = world.staff[agency].workers or world.staff[agency].supervisors
            user = rng.choice(pool)
            if user in team:
                continue
            removed = opened + timedelta(days=rng.randint(5, 200)) if rng.random() < 0.1 else None
            if removed is not None and removed.date() >= TODAY:
                removed = None
            member_id += 1
            batch.rows["case_members"].append(
                (
                    member_id,
                    case_id,
                    user,
                    agency,
                    "member",
                    opened + timedelta(hours=rng.randint(1, 72)),
                    lead,
                    removed,
                    lead if removed else None,
                )
            )
            if removed is None:
                team.append(user)
        share_roll = rng.random()
        share_to = []
        if share_roll < 0.05:
            share_to.append(world.fusion_center)
        if share_roll > 0.97:
            share_to.append(rng.choices(world.agency_ids, world.weights)[0])
        for agency in share_to:
            if agency == owner:
                continue
            share_id += 1
            shared_at = opened + timedelta(days=rng.randint(0, 30))
            revoked = rng.random() < 0.15
            batch.rows["case_shares"].append(
                (
                    share_id,
                    case_id,
                    agency,
                    "Shared so their team can act on the plan.",
                    lead,
                    shared_at,
                    shared_at + timedelta(days=rng.randint(1, 120)) if revoked else None,
                    lead if revoked else None,
                )
            )
        shapes.append(CaseShape(case_id, opened, closed_at, tuple(team)))
        if len(batch.rows["cases"]) == CHUNK:
            yield batch
            batch = Batch()
    yield batch
    batch = Batch()
    weights = [0.8 if shape.closed else 1.6 for shape in shapes]
    counts = Counter(rng.choices(range(len(shapes)), weights, k=interventions))
    intervention_id = 0
    for index, shape in enumerate(shapes):
        for _ in range(counts.get(index, 0)):
            intervention_id += 1
            batch.rows["interventions"].append(_intervention(rng, intervention_id, shape))
            if len(batch.rows["interventions"]) == CHUNK:
                yield batch
                batch = Batch()
    yield batch


def _intervention(rng: random.Random, intervention_id: int, shape: CaseShape) -> tuple[Any, ...]:
    kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
    created = shape.opened + timedelta(days=rng.randint(0, 60))
    due = created.date() + timedelta(days=rng.randint(7, 120))
    if shape.closed is not None:
        status = "done" if rng.random() < 0.8 else "cancelled"
    elif due < TODAY:
        status = _pick(
            rng, (("done", 0.72), ("cancelled", 0.10), ("in_progress", 0.08), ("planned", 0.10))
        )
    else:
        status = _pick(rng, (("planned", 0.6), ("in_progress", 0.4)))
    finished = status in ("done", "cancelled")
    completed = created + timedelta(days=rng.randint(1, 90)) if finished else None
    return (
        intervention_id,
        shape.id,
        kind,
        "Planned step of the case's management plan.",
        rng.choice(shape.team),
        due,
        status,
        created,
        completed or created,
        completed,
        "Carried out as planned." if status == "done" else None,
        ("filed" if not finished else "granted") if kind == "erpo_petition" else None,
    )


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
    from vigil.assessment.models import CaseMember

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

"""Victim-services caseload page latency and the cost of the consent check per read.

For each backend, one throwaway database is migrated, then:

1. a large victim-services provider (``--advocates`` advocates and a supervisor), four
   smaller providers, a police department and a fusion center; ``--cases`` survivor
   cases (default 50,000: 80% at the large provider, spread over its advocates, 70%
   open, opened over five years), two referrals per case, and a consent naming the
   police on one case in three (a tenth of them revoked, a tenth expired) are
   bulk-inserted, then ``ANALYZE``;
2. the caseload page (``GET /recovery/cases``, the real app in process: session
   cookie, policy scope, count, first page, audit event, template) is timed ``--calls``
   times for the supervisor (every case of the provider) and for one advocate (their
   own), after a warm-up; and page 50 for the supervisor;
3. in the same run, a read by the police of a case under consent
   (``consents.disclose_case``: the consent check, then the case's referrals and dates,
   a disclosure row and an audit event) against the very same read without the check
   (a copy of it that skips looking up the consents and asking the policy), and the
   check on its own (``consented_purposes`` + ``policy.decide``). Every read is in a
   transaction that is rolled back.

Run: ``.venv/bin/python -m bench.recovery_bench --cases 50000 --backend both``
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import backends, migrated_engine, server_description, throwaway_settings
from bench.timing import latency_summary, load_average, percentile, say
from vigil.platform import actor as actors
from vigil.platform import policy, sessions
from vigil.platform.database import make_sessionmaker
from vigil.platform.models import Agency, User, UserRole
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.types import utcnow
from vigil.recovery import cases as case_service
from vigil.recovery import consents
from vigil.recovery.models import Consent, Disclosure, ImportantDate, Referral, SurvivorCase
from vigil.recovery.vocabulary import REFERRAL_STATUSES, SERVICE_KINDS
from vigil.web.app import create_app
from vigil.web.deps import SESSION_COOKIE

DEFAULT_CASES = 50_000
DEFAULT_ADVOCATES = 200
DEFAULT_CALLS = 200
WARM_UP = 10
CHUNK = 5_000
PURPOSE = "law_enforcement_investigation"


@dataclass
class Seeded:
    supervisor: int
    advocate: int
    police_analyst: int
    consented_case: int


def seed(factory: sessionmaker[Session], cases: int, advocates: int, rng: random.Random) -> Seeded:
    now = utcnow()
    today = now.date()
    with factory() as db:
        big = Agency(name="Big County Victim Services", kind=AgencyKind.VICTIM_SERVICES.value)
        small = [
            Agency(name=f"Provider {i}", kind=AgencyKind.VICTIM_SERVICES.value) for i in range(4)
        ]
        police = Agency(name="City Police", kind=AgencyKind.LAW_ENFORCEMENT.value)
        fusion = Agency(name="State Fusion Center", kind=AgencyKind.FUSION_CENTER.value)
        db.add_all([big, *small, police, fusion])
        db.flush()

        def user(agency: Agency, name: str, roles: tuple[Role, ...] = ()) -> User:
            made = User(agency_id=agency.id, username=name, display_name=name, created_at=now)
            made.role_grants = [UserRole(role=r.value) for r in roles]
            db.add(made)
            return made

        supervisor = user(big, "supervisor", (Role.SUPERVISOR,))
        staff = [user(big, f"advocate{i}") for i in range(advocates)]
        others = [user(agency, f"advocate-{agency.id}") for agency in small]
        analyst = user(police, "police-analyst", (Role.ANALYST,))
        db.flush()
        rows: list[dict[str, Any]] = []
        referrals: list[dict[str, Any]] = []
        consent_rows: list[dict[str, Any]] = []
        kinds = list(SERVICE_KINDS)
        statuses = list(REFERRAL_STATUSES)
        for case_id in range(1, cases + 1):
            at_big = rng.random() < 0.8
            advocate = rng.choice(staff) if at_big else rng.choice(others)
            opened = now - timedelta(days=rng.uniform(0, 5 * 365))
            status = "open" if rng.random() < 0.7 else "closed"
            rows.append(
                {
                    "id": case_id,
                    "number": f"VS-{opened.year}-{case_id:06d}",
                    "provider_agency_id": advocate.agency_id,
                    "kind": "family" if rng.random() < 0.3 else "survivor",
                    "display_name": f"Client {case_id}",
                    "status": status,
                    "advocate_user_id": advocate.id,
                    "opened_at": opened,
                    "opened_by_user_id": advocate.id,
                    "updated_at": opened,
                    "closed_at": opened + timedelta(days=200) if status == "closed" else None,
                }
            )
            for _ in range(2):
                referrals.append(
                    {
                        "case_id": case_id,
                        "service_kind": rng.choice(kinds),
                        "provider_name": "A provider",
                        "status": rng.choice(statuses),
                        "referred_on": opened.date(),
                        "created_at": opened,
                        "updated_at": opened,
                    }
                )
            if case_id % 3 == 0:
                fate = rng.random()
                consent_rows.append(
                    {
                        "case_id": case_id,
                        "recipient_agency_id": police.id,
                        "purpose": PURPOSE,
                        "written_on_file": True,
                        "document_reference": f"Form {case_id}",
                        "signed_on": today - timedelta(days=30),
                        "expires_on": today - timedelta(days=1)
                        if fate < 0.1
                        else today + timedelta(days=300),
                        "recorded_at": now,
                        "revoked_at": now if 0.1 <= fate < 0.2 else None,
                    }
                )
        for table, batch in (
            (SurvivorCase, rows),
            (Referral, referrals),
            (Consent, consent_rows),
        ):
            for start in range(0, len(batch), CHUNK):
                db.execute(insert(table), batch[start : start + CHUNK])
        consented = next(
            c["case_id"]
            for c in consent_rows
            if c["revoked_at"] is None
            and c["expires_on"] > today
            and rows[c["case_id"] - 1]["provider_agency_id"] == big.id
        )
        db.commit()
        return Seeded(supervisor.id, staff[0].id, analyst.id, consented)


def analyze(factory: sessionmaker[Session]) -> None:
    with factory() as db:
        db.execute(text("ANALYZE"))
        db.commit()


@contextmanager
def rolled_back(factory: sessionmaker[Session]) -> Iterator[Session]:
    db = factory()
    try:
        yield db
    finally:
        db.rollback()
        db.close()


def actor_of(factory: sessionmaker[Session], user_id: int) -> actors.Actor:
    with factory() as db:
        return actors.for_user(db.get_one(User, user_id), via="bench")


def read_without_check(db: Session, actor: actors.Actor, case_id: int) -> Any:
    """``disclose_case`` minus the consent look-up and the policy question: the same
    reads and writes, to price the check."""
    case = case_service.load_case(db, case_id)
    assert case is not None
    consent_id = db.execute(
        select(Consent.id).where(Consent.case_id == case_id).limit(1)
    ).scalar_one()
    db.add(
        Disclosure(
            case_id=case.id,
            consent_id=consent_id,
            recipient_agency_id=actor.agency_id or 0,
            recipient_user_id=actor.user_id,
            purpose=PURPOSE,
            at=utcnow(),
        )
    )
    case_service.audit_case(db, actor=actor, action="disclose", case=case)
    referrals = db.execute(
        select(Referral.service_kind, Referral.provider_name, Referral.status, Referral.referred_on)
        .where(Referral.case_id == case.id)
        .order_by(Referral.referred_on, Referral.id)
    ).all()
    moments = db.execute(
        select(ImportantDate.kind, ImportantDate.label, ImportantDate.on_date)
        .where(ImportantDate.case_id == case.id)
        .order_by(ImportantDate.on_date)
    ).all()
    return case.number, referrals, moments


def check_only(db: Session, actor: actors.Actor, case_id: int) -> bool:
    case = case_service.load_case(db, case_id)
    assert case is not None
    purposes = consents.consented_purposes(db, case_id=case_id, agency_id=actor.agency_id)
    facts = replace(
        case_service.case_facts(db, case, consented_purposes=frozenset(purposes)), purpose=PURPOSE
    )
    return policy.decide(actor, "disclose", "survivor_case", facts)


def timed(
    factory: sessionmaker[Session], calls: int, operation: Callable[[Session], Any]
) -> list[float]:
    for _ in range(WARM_UP):
        with rolled_back(factory) as db:
            operation(db)
    seconds = []
    for _ in range(calls):
        with rolled_back(factory) as db:
            started = time.perf_counter()
            operation(db)
            seconds.append(time.perf_counter() - started)
    return seconds


def mean(seconds: list[float]) -> float:
    return sum(seconds) / len(seconds)


def figures(seconds: list[float]) -> dict[str, Any]:
    return {**latency_summary(seconds), "p95_ms": round(percentile(seconds, 0.95) * 1000, 2)}


def page_timings(
    settings: Any, factory: sessionmaker[Session], user_id: int, path: str, calls: int
) -> list[float]:
    with factory() as db:
        raw, _ = sessions.start_session(db, user=db.get_one(User, user_id), mfa_verified=True)
        db.commit()
    app = create_app(settings, session_factory=factory)
    seconds = []
    with TestClient(app) as client:
        client.cookies.set(SESSION_COOKIE, raw)
        for index in range(WARM_UP + calls):
            started = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code}")
            if index >= WARM_UP:
                seconds.append(elapsed)
    return seconds


def run_backend(
    backend: str, cases: int, advocates: int, calls: int, seed_value: int
) -> dict[str, Any]:
    with throwaway_settings(backend) as settings:
        engine = migrated_engine(settings)
        factory = make_sessionmaker(engine)
        say(f"[{backend}] seeding {cases:,} cases")
        started = time.perf_counter()
        seeded = seed(factory, cases, advocates, random.Random(seed_value))
        analyze(factory)
        result: dict[str, Any] = {
            "server": server_description(engine),
            "cases": cases,
            "seed_seconds": round(time.perf_counter() - started, 1),
            "load_before": load_average(),
        }
        with factory() as db:
            supervisor = actor_of(factory, seeded.supervisor)
            visible = case_service.caseload(db, actor=supervisor, status=None).total
            db.rollback()
        result["supervisor_visible_cases"] = visible
        for label, user_id, path in (
            ("caseload page, supervisor (open)", seeded.supervisor, "/recovery/cases"),
            ("caseload page, supervisor, page 50", seeded.supervisor, "/recovery/cases?page=50"),
            ("caseload page, advocate (open)", seeded.advocate, "/recovery/cases"),
        ):
            result[label] = figures(page_timings(settings, factory, user_id, path, calls))
            say(f"  {label}: p50 {result[label]['p50_ms']} ms, p95 {result[label]['p95_ms']} ms")
        police = actor_of(factory, seeded.police_analyst)
        case_id = seeded.consented_case
        reads = calls * 5
        with_check = timed(
            factory,
            reads,
            lambda db: consents.disclose_case(db, actor=police, case_id=case_id, purpose=PURPOSE),
        )
        without = timed(factory, reads, lambda db: read_without_check(db, police, case_id))
        check = timed(factory, reads, lambda db: check_only(db, police, case_id))
        result["read with consent check"] = figures(with_check)
        result["same read without the check"] = figures(without)
        result["consent check alone"] = figures(check)
        result["check cost per read, mean ms"] = round((mean(with_check) - mean(without)) * 1000, 3)
        result["check alone, mean ms"] = round(mean(check) * 1000, 3)
        result["load_after"] = load_average()
        for key in (
            "read with consent check",
            "same read without the check",
            "consent check alone",
        ):
            say(f"  {key}: p50 {result[key]['p50_ms']} ms, p95 {result[key]['p95_ms']} ms")
        say(f"  check cost per read (mean difference): {result['check cost per read, mean ms']} ms")
        engine.dispose()
        return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES)
    parser.add_argument("--advocates", type=int, default=DEFAULT_ADVOCATES)
    parser.add_argument("--calls", type=int, default=DEFAULT_CALLS)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    results = {
        backend: run_backend(backend, args.cases, args.advocates, args.calls, args.seed)
        for backend in backends(args.backend)
    }
    text_out = json.dumps(results, indent=2, default=str)
    print(text_out)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            handle.write(text_out)


if __name__ == "__main__":
    main()

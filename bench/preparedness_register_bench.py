"""The regional risk register and the mitigation plan over a region's sites, on SQLite
and PostgreSQL.

For each backend, one throwaway database is migrated, then one emergency-management
agency with an analyst gets ``--sites`` protected sites (default 2,000; a tenth of them
TLP:GREEN sites of a neighbouring agency, the rest its own TLP:AMBER ones) with
``--measures`` candidate measures each (default 5, a fifth in an exclusive group).
Timed, after a warm-up, each call in a transaction that is rolled back:

* ``risk_register`` page 1 (the policy scope, the count and total risk, the 100 highest
  risks ranked in SQL) and a later page, ``--calls`` times each;
* ``plan_mitigation`` without its curve: every visible site and measure loaded through
  the policy scope, the exact plan for a quarter of the measures' total cost (HiGHS),
  ``--plans`` times;
* the same with the risk-versus-budget curve (six more solves), once.

Assessments are not in this benchmark: vulnerability assessments are not built yet.

Run: ``.venv/bin/python -m bench.preparedness_register_bench --backend both``
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bench.databases import backends, migrated_engine, server_description, throwaway_settings
from bench.timing import latency_summary, load_average, say
from vigil.platform import actor as actors
from vigil.platform.actor import Actor
from vigil.platform.database import make_sessionmaker, transaction
from vigil.platform.models import Agency, User, UserRole
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.types import utcnow
from vigil.preparedness import measures, sites
from vigil.preparedness.models import MitigationMeasure, ProtectedSite
from vigil.preparedness.vocabulary import SITE_KINDS


def seed(factory: sessionmaker[Session], count: int, per_site: int, seed: int) -> Actor:
    rng = random.Random(seed)
    kinds = list(SITE_KINDS)
    now = utcnow()
    with transaction(factory) as db:
        own = Agency(name="Bench county EM", kind=AgencyKind.EMERGENCY_MANAGEMENT.value)
        neighbour = Agency(name="Bench city police", kind=AgencyKind.LAW_ENFORCEMENT.value)
        db.add_all([own, neighbour])
        db.flush()
        user = User(agency_id=own.id, username="bench.planner", display_name="Bench")
        db.add(user)
        db.flush()
        db.add(UserRole(user_id=user.id, role=Role.ANALYST.value))
        made = []
        for n in range(count):
            theirs = n % 10 == 0
            made.append(
                ProtectedSite(
                    owner_agency_id=neighbour.id if theirs else own.id,
                    name=f"Site {n:05d}",
                    kind=rng.choice(kinds),
                    marking="GREEN" if theirs else "AMBER",
                    address=f"{n} Bench Road",
                    capacity=rng.randint(50, 5000),
                    threat=round(rng.betavariate(2, 8), 4),
                    vulnerability=round(rng.uniform(0.2, 1.0), 3),
                    created_at=now,
                    updated_at=now,
                )
            )
        db.add_all(made)
        db.flush()
        db.add_all(
            MitigationMeasure(
                site_id=site.id,
                name=f"Measure {k}",
                cost=round(rng.lognormvariate(9, 1), 2),
                vulnerability_factor=round(rng.uniform(0.4, 0.95), 3),
                exclusive_group="entry" if k < 2 and rng.random() < 0.2 else None,
                created_at=now,
            )
            for site in made
            for k in range(per_site)
        )
        db.flush()
        return actors.for_user(user, request_id="bench", source_address="127.0.0.1")


def timed(
    factory: sessionmaker[Session], call: Callable[[Session], Any], times: int
) -> list[float]:
    samples = []
    for _ in range(times + 1):
        with factory() as db:
            started = time.perf_counter()
            call(db)
            samples.append(time.perf_counter() - started)
            db.rollback()
    return samples[1:]  # the first warms caches


def run(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with throwaway_settings(backend) as settings:
        engine = migrated_engine(settings)
        factory = make_sessionmaker(engine)
        actor = seed(factory, args.sites, args.measures, args.seed)
        with factory() as db:
            view = measures.plan_mitigation(db, actor=actor, budget=0.0, curve=False)
            total = view.total_cost
            db.rollback()
        budget = round(total / 4, 2)
        load = load_average()
        first = timed(factory, lambda db: sites.risk_register(db, actor=actor, page=1), args.calls)
        later = timed(factory, lambda db: sites.risk_register(db, actor=actor, page=7), args.calls)
        plans = timed(
            factory,
            lambda db: measures.plan_mitigation(db, actor=actor, budget=budget, curve=False),
            args.plans,
        )
        with factory() as db:
            started = time.perf_counter()
            curve = measures.plan_mitigation(db, actor=actor, budget=budget)
            curve_seconds = time.perf_counter() - started
            db.rollback()
        result = {
            "backend": backend,
            "server": server_description(engine),
            "sites": args.sites,
            "measures": args.sites * args.measures,
            "load_start": load,
            "register_page_1": latency_summary(first),
            "register_page_7": latency_summary(later),
            "plan_without_curve": latency_summary(plans),
            "plan_with_curve_s": round(curve_seconds, 2),
            "plan_optimal": curve.plan.optimal,
            "risk_before": curve.plan.risk_before,
            "risk_after": curve.plan.risk_after,
            "load_end": load_average(),
        }
        engine.dispose()
    say(f"{backend}: {json.dumps(result)}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--measures", type=int, default=5)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--plans", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = [run(backend, args) for backend in backends(args.backend)]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

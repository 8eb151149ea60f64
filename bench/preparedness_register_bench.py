"""The regional risk register and the mitigation plan over a region's sites, on SQLite
and PostgreSQL.

For each backend, one throwaway database is migrated, then one emergency-management
agency with an analyst gets ``--sites`` protected sites (default 2,000; a tenth of them
TLP:GREEN sites of a neighbouring agency, the rest its own TLP:AMBER ones) with
``--measures`` candidate measures each (default 5, a fifth in an exclusive group),
``--assessments`` vulnerability assessments spread over them (default 20,000: three in
five signed off with frozen scores, the rest in progress or submitted; a tenth of the
neighbour's marked TLP:GREEN, the others hidden from the analyst), and threats linked
to a tenth of the sites: an open or disposed report each (a third of them the
neighbour's TLP:AMBER reports the analyst may not see), and active cases (the analyst
on the team of half of them). Answers are not seeded: the register reads the frozen
scores, never the answers. Timed, after a warm-up, each call in a transaction that is
rolled back:

* ``risk_register`` page 1 (the policy scope; for every visible site its latest
  signed-off assessment the analyst may read and its open reports and cases counted
  through the policy module; risks computed and ranked; the page's 100 sites loaded)
  and a later page, ``--calls`` times each;
* ``read_site``: one site's page with its risk explained, ``--calls`` times;
* ``plan_mitigation`` without its curve: every visible site and measure loaded through
  the policy scope, the exact plan for a quarter of the measures' total cost (HiGHS),
  ``--plans`` times;
* the same with the risk-versus-budget curve (six more solves), once.

Run: ``.venv/bin/python -m bench.preparedness_register_bench --backend both``
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bench.databases import backends, migrated_engine, server_description, throwaway_settings
from bench.timing import latency_summary, load_average, percentile, say
from vigil.assessment.models import Case, CaseMember
from vigil.platform import actor as actors
from vigil.platform.actor import Actor
from vigil.platform.database import make_sessionmaker, transaction
from vigil.platform.models import Agency, User, UserRole
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.types import utcnow
from vigil.preparedness import measures, sites
from vigil.preparedness.assessment_models import SiteAssessment, SiteInstrument, SiteThreat
from vigil.preparedness.instruments import sync_instruments
from vigil.preparedness.models import MitigationMeasure, ProtectedSite
from vigil.preparedness.vocabulary import SITE_KINDS
from vigil.reports.models import Report


def seed(
    factory: sessionmaker[Session], count: int, per_site: int, seed: int, assessments: int
) -> Actor:
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
        seed_assessments(db, rng, made, assessments)
        seed_threats(db, rng, made, own, neighbour, user)
        return actors.for_user(user, request_id="bench", source_address="127.0.0.1")


def seed_assessments(
    db: Session, rng: random.Random, made: list[ProtectedSite], count: int
) -> None:
    sync_instruments(db)
    instrument = db.query(SiteInstrument).filter(SiteInstrument.key == "k12_school").one()
    now = utcnow()
    rows = []
    for n in range(count):
        site = made[n % len(made)]
        stage = rng.choices(("signed_off", "in_progress", "submitted"), (6, 3, 1))[0]
        days = rng.randint(1, 3000)
        score = rng.random()
        signed = stage == "signed_off"
        rows.append(
            SiteAssessment(
                site_id=site.id,
                instrument_id=instrument.id,
                owner_agency_id=site.owner_agency_id,
                marking="GREEN" if site.marking == "GREEN" and rng.random() < 0.1 else "AMBER",
                language=rng.choice(("en", "es")),
                status=stage,
                started_at=now - timedelta(days=days + 7),
                submitted_at=now - timedelta(days=days + 1) if stage != "in_progress" else None,
                signed_off_at=now - timedelta(days=days) if signed else None,
                score=score if signed else None,
                vulnerability=0.1 + 0.9 * (1 - score) if signed else None,
                section_scores={"access_control": score} if signed else None,
                updated_at=now,
            )
        )
    for start in range(0, len(rows), 5000):
        db.add_all(rows[start : start + 5000])
        db.flush()


def seed_threats(
    db: Session,
    rng: random.Random,
    made: list[ProtectedSite],
    own: Agency,
    neighbour: Agency,
    user: User,
) -> None:
    now = utcnow()
    targets = rng.sample(made, len(made) // 10)
    for n, site in enumerate(targets):
        theirs = n % 3 == 0
        report = Report(
            receipt_number=f"BENCH-{n:06d}",
            kind="tip",
            source="web",
            narrative="A threat against the site.",
            marking="AMBER",
            owner_agency_id=neighbour.id if theirs else own.id,
            routed_agency_id=neighbour.id if theirs else own.id,
            disposed_at=now if n % 4 == 1 else None,
        )
        db.add(report)
        db.flush()
        db.add(SiteThreat(site_id=site.id, report_id=report.id, linked_at=now))
        if n % 5 == 0:
            case = Case(
                number=f"BENCH-C-{n:06d}",
                title="Bench case",
                owner_agency_id=own.id,
                regime="threat_assessment",
                status="assessing",
            )
            db.add(case)
            db.flush()
            if n % 10 == 0:
                db.add(
                    CaseMember(case_id=case.id, user_id=user.id, agency_id=own.id, team_role="lead")
                )
            db.add(SiteThreat(site_id=site.id, case_id=case.id, linked_at=now))
    db.flush()


def with_p95(seconds: list[float]) -> dict[str, float | int]:
    """The usual summary and the 95th percentile the issue asks for."""
    return {**latency_summary(seconds), "p95_ms": round(percentile(seconds, 0.95) * 1000, 3)}


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
        actor = seed(factory, args.sites, args.measures, args.seed, args.assessments)
        with factory() as db:
            view = measures.plan_mitigation(db, actor=actor, budget=0.0, curve=False)
            total = view.total_cost
            db.rollback()
        budget = round(total / 4, 2)
        load = load_average()
        first = timed(factory, lambda db: sites.risk_register(db, actor=actor, page=1), args.calls)
        later = timed(factory, lambda db: sites.risk_register(db, actor=actor, page=7), args.calls)
        with factory() as db:
            top = sites.risk_register(db, actor=actor, page=1).rows[0]
            top_site, explained = top.site.id, top.risk
            db.rollback()
        one = timed(
            factory, lambda db: sites.read_site(db, actor=actor, site_id=top_site), args.calls
        )
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
            "assessments": args.assessments,
            "top_site_risk": {
                "threat": explained.threat.value,
                "open_reports": explained.open_reports,
                "open_cases": explained.open_cases,
                "vulnerability_source": explained.vulnerability.source,
            },
            "load_start": load,
            "register_page_1": with_p95(first),
            "register_page_7": with_p95(later),
            "site_page": with_p95(one),
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
    parser.add_argument("--assessments", type=int, default=20_000)
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

"""STIX export and import rates, and TAXII objects-page latency.

For each backend, one throwaway database is migrated, then:

1. two agencies (home and a partner) with an analyst each, and ``--reports`` reports
   of the home agency (TLP:GREEN, two mentions each with contacts, coordinates,
   behaviors; stored directly in batches, as an import would);
2. export: the real ``stix_export.export_reports`` in chunks of ``--chunk`` reports
   (policy, mapping, stix2 objects validated as they are built, one dissemination
   record and one audit event per report) — objects/s and reports/s;
3. import: the partner's analyst imports the exported bundles (all, or the first
   ``--import-limit`` reports' worth) with the real
   ``stix_import.import_bundle`` (per-object checks with stix2, a full filing per
   report: triage, search index, audit) — objects/s and reports/s;
4. TAXII: every home report is shared with a sharing group the partner belongs to
   (the share rows are bulk-inserted), and ``--pages`` GET .../objects/?limit=100 pages
   (walking ``next`` from the start, and at random ``added_after`` points) are timed
   through the whole ASGI app in process (token auth, policy, audit): p50/p95/p99.

Run: ``.venv/bin/python -m bench.sharing_bench --reports 100000 --backend both``
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bench.databases import backends, migrated_engine, server_description, throwaway_settings
from bench.timing import Progress, latency_summary, load_average, say
from vigil.platform import actor as actors
from vigil.platform import sessions
from vigil.platform.database import make_sessionmaker
from vigil.platform.models import Agency, User, UserRole
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.types import utcnow
from vigil.reports import numbers
from vigil.reports.models import Mention, Report
from vigil.sharing import groups, stix_export, stix_import
from vigil.sharing.models import GroupShare
from vigil.web.app import create_app

START = datetime(2026, 1, 1, tzinfo=UTC)
NARRATIVE = (
    "A student posted a photo of a rifle with the caption 'Friday at the game' and told "
    "two classmates to stay home. Report {n}."
)


def _agency(db: Session, name: str) -> Agency:
    agency = Agency(name=name, kind=AgencyKind.LAW_ENFORCEMENT.value, created_at=utcnow())
    db.add(agency)
    db.flush()
    return agency


def _user(db: Session, agency: Agency, name: str, roles: set[Role]) -> User:
    user = User(agency=agency, username=name, display_name=name, created_at=utcnow())
    user.role_grants = [UserRole(role=role.value) for role in roles]
    db.add(user)
    db.flush()
    return user


def _reports(db: Session, agency: Agency, count: int, batch: int = 1000) -> list[int]:
    progress = Progress("reports stored")
    ids: list[int] = []
    for start in range(0, count, batch):
        rows = []
        for n in range(start, min(count, start + batch)):
            at = START + timedelta(minutes=n)
            report = Report(
                receipt_number=numbers.new_receipt_number(),
                kind="tip",
                file_class="tip_lead",
                source="web",
                narrative=NARRATIVE.format(n=n),
                occurred_at=at,
                reported_at=at,
                latitude=40.0 + (n % 1000) / 1000,
                longitude=-75.0 - (n % 997) / 1000,
                location_text=f"Gate {n % 12}, Central High",
                behaviors=["expressed_or_implied_threat"],
                weapons=["rifle"],
                target_types=["school"],
                marking="GREEN",
                owner_agency_id=agency.id,
                routed_agency_id=agency.id,
                urgency_score=40,
                urgency_level="high",
                urgency_rules=[{"rule": "weapon", "label": "Weapon named", "points": 20}],
                created_at=at,
                updated_at=at,
            )
            report.mentions = [
                Mention(
                    role="subject",
                    given_name=f"Jordan{n % 500}",
                    family_name=f"Reyes{n % 313}",
                    emails=[f"student{n}@example.org"],
                    handles=[f"@student{n}"],
                    phones=[f"+1 555 {n % 10000:04d}"],
                ),
                Mention(role="reporting_party", given_name="Ana", family_name=f"Lopez{n % 97}"),
            ]
            rows.append(report)
        db.add_all(rows)
        db.flush()
        ids.extend(r.id for r in rows)
        db.commit()
        progress(len(ids), count)
    progress(len(ids), count, force=True)
    return ids


def run(
    backend: str,
    reports: int,
    chunk: int,
    pages: int,
    import_limit: int | None,
    stages: frozenset[str] = frozenset({"export", "import", "taxii"}),
) -> dict[str, Any]:
    with throwaway_settings(backend) as settings:
        engine = migrated_engine(settings)
        factory = make_sessionmaker(engine)
        result: dict[str, Any] = {"backend": backend, "server": server_description(engine)}
        with factory() as db:
            home, partner = _agency(db, "Home PD"), _agency(db, "Partner Fusion Center")
            analyst = _user(db, home, "home-analyst", {Role.ANALYST, Role.AGENCY_ADMIN})
            partner_analyst = _user(db, partner, "partner-analyst", {Role.ANALYST})
            token, _ = sessions.create_api_token(db, user=partner_analyst, name="bench", days=5)
            db.commit()
            home_actor = actors.for_user(analyst, request_id="bench")
            partner_actor = actors.for_user(partner_analyst, request_id="bench")
            ids = _reports(db, home, reports)

        if "export" in stages:
            _export_and_import(
                result,
                backend,
                factory,
                settings,
                ids,
                chunk,
                import_limit,
                stages,
                home_actor,
                partner_actor,
            )
        if "taxii" in stages:
            _taxii(result, backend, factory, settings, ids, pages, home_actor, partner.id, token)
        engine.dispose()
        return result


def _export_and_import(
    result: dict[str, Any],
    backend: str,
    factory: Any,
    settings: Any,
    ids: list[int],
    chunk: int,
    import_limit: int | None,
    stages: frozenset[str],
    home_actor: Any,
    partner_actor: Any,
) -> None:
    reports = len(ids)
    say(f"[{backend}] export of {reports:,} reports in chunks of {chunk:,}")
    bundles: list[str] = []
    objects = 0
    started = time.perf_counter()
    progress = Progress("exported")
    for start in range(0, len(ids), chunk):
        with factory() as db:
            exported = stix_export.export_reports(
                db,
                actor=home_actor,
                report_ids=ids[start : start + chunk],
                recipient="Partner Fusion Center",
                reason="Benchmark of the STIX export",
            )
            db.commit()
        bundles.append(exported.bundle)
        objects += len(json.loads(exported.bundle)["objects"])
        progress(start + chunk, len(ids))
    seconds = time.perf_counter() - started
    result["export"] = {
        "reports": reports,
        "objects": objects,
        "seconds": round(seconds, 1),
        "objects_per_s": round(objects / seconds),
        "reports_per_s": round(reports / seconds),
        "load": load_average(),
    }
    say(f"  {result['export']}")
    if "import" not in stages:
        return

    to_import = bundles[: -(-import_limit // chunk)] if import_limit else bundles
    objects = sum(len(json.loads(bundle)["objects"]) for bundle in to_import)
    say(f"[{backend}] import of {len(to_import)} bundles by the partner")
    started = time.perf_counter()
    imported = 0
    progress = Progress("imported bundles")
    for number, bundle in enumerate(to_import, 1):
        with factory() as db:
            outcome = stix_import.import_bundle(
                db, actor=partner_actor, settings=settings, text=bundle
            )
            db.commit()
        imported += outcome.count("imported")
        assert outcome.count("rejected") == 0, outcome.results[:3]
        progress(number, len(to_import))
    seconds = time.perf_counter() - started
    result["import"] = {
        "reports": imported,
        "objects": objects,
        "seconds": round(seconds, 1),
        "objects_per_s": round(objects / seconds),
        "reports_per_s": round(imported / seconds),
        "load": load_average(),
    }
    say(f"  {result['import']}")


def _taxii(
    result: dict[str, Any],
    backend: str,
    factory: Any,
    settings: Any,
    ids: list[int],
    pages: int,
    home_actor: Any,
    partner_id: int,
    token: str,
) -> None:
    reports = len(ids)
    say(f"[{backend}] TAXII objects pages over {reports:,} shared reports")
    with factory() as db:
        group = groups.create_group(
            db, actor=home_actor, name="Bench partners", agency_ids=[partner_id]
        )
        group_id, collection = group.id, group.collection_id
        db.commit()
    with factory() as db:
        for start in range(0, len(ids), 5000):
            db.execute(
                insert(GroupShare),
                [
                    {
                        "group_id": group_id,
                        "report_id": report_id,
                        "reason": "bench",
                        "shared_at": START + timedelta(seconds=i + start),
                    }
                    for i, report_id in enumerate(ids[start : start + 5000])
                ],
            )
        db.commit()
        assert db.execute(select(GroupShare.id).limit(1)).first()
    app = create_app(settings, session_factory=factory)
    client = TestClient(app, base_url="http://127.0.0.1")
    url = f"/api/taxii2/vigil/collections/{collection}/objects/"
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/taxii+json;version=2.1",
    }
    samples: list[float] = []
    cursor: str | None = None
    rng = random.Random(7)
    for number in range(pages + 5):
        params: dict[str, str] = {"limit": "100"}
        if number % 2 == 0 and cursor:
            params["next"] = cursor
        elif number % 2 == 1:
            moment = START + timedelta(seconds=rng.randrange(reports))
            params["added_after"] = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        began = time.perf_counter()
        response = client.get(url, params=params, headers=headers)
        elapsed = time.perf_counter() - began
        assert response.status_code == 200, response.text[:300]
        body = response.json()
        if number % 2 == 0:
            cursor = body.get("next")
        if number >= 5:  # warm-up
            samples.append(elapsed)
    summary = latency_summary(samples)
    samples.sort()
    summary["p95_ms"] = round(samples[max(0, int(0.95 * len(samples)) - 1)] * 1000, 3)
    result["taxii_objects_page"] = {**summary, "limit": 100, "load": load_average()}
    say(f"  {result['taxii_objects_page']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument(
        "--import-limit", type=int, default=None, help="import only the first N exported reports"
    )
    parser.add_argument("--backend", default="both", choices=["sqlite", "postgresql", "both"])
    parser.add_argument("--json", dest="json_path", default=None)
    parser.add_argument(
        "--stages", default="export,import,taxii", help="any of export, import, taxii"
    )
    args = parser.parse_args()
    results = [
        run(
            b,
            args.reports,
            args.chunk,
            args.pages,
            args.import_limit,
            frozenset(args.stages.split(",")),
        )
        for b in backends(args.backend)
    ]
    text = json.dumps({"run": str(uuid.uuid4()), "results": results}, indent=2)
    print(text)
    if args.json_path:
        with open(args.json_path, "w", encoding="utf-8") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()

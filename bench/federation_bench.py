"""Federation delay: from a report shared on one instance to its arrival on another.

Two Vigil instances with their own throwaway databases (same backend): instance A
serves its TAXII 2.1 server with uvicorn on loopback; instance B subscribes one of its
agencies to A's sharing-group collection and pulls with taxii2-client through the
outbound guard, as in production. A's collection already holds ``--background``
shared reports (B has pulled them once), so a pull reads only what is new.

1. on demand: ``--shares`` times, A's supervisor shares a new report (committed at
   t0) and B pulls at once (``federation.pull``, what "Pull now" does); the delay is
   t0 to B's commit of the arrived report;
2. scheduled: B runs its ``federation_job`` every ``--interval`` seconds under
   APScheduler (as ``vigil serve`` does every ``VIGIL_SCHEDULED_JOBS_INTERVAL_MINUTES``);
   ``--scheduled`` times A shares a report and the bench polls B's database every
   20 ms until it is there. This delay is the wait for the next run plus the pull.
   Each share follows the previous arrival, so it comes just after a run and waits
   almost the whole interval (the worst case); a share at a random moment waits half
   the interval on average (2.5 minutes at the default 5).

Prints JSON with p50/p95/max in milliseconds and the load average.

Run: ``.venv/bin/python -m bench.federation_bench --backend both``
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
    BackgroundScheduler,
)
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import backends, migrated_engine, server_description, throwaway_settings
from bench.sharing_bench import _agency, _reports, _user
from bench.timing import load_average, percentile, say
from vigil.platform import actor as actors
from vigil.platform import sessions
from vigil.platform.database import make_sessionmaker
from vigil.platform.models import User
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.reports.jobs import federation_job
from vigil.reports.models import Report
from vigil.sharing import federation, groups
from vigil.sharing.models import ImportedReport
from vigil.sharing.stix_mapping import local_report_id
from vigil.web.app import create_app

REASON = "Benchmark of federation delay"


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """Instance A's app under uvicorn on a free loopback port."""
    app = create_app(settings)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):  # noqa: S310  # nosec B310
                break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def _summary(seconds: list[float]) -> dict[str, float | int]:
    return {
        "n": len(seconds),
        "p50_ms": round(percentile(seconds, 0.50) * 1000, 1),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
    }


def _share_one(factory: sessionmaker[Session], ids: dict[str, Any]) -> str:
    """A new report of A's home agency, shared with the group; its STIX id."""
    with factory() as db:
        supervisor = db.get_one(User, ids["supervisor"])
        (report_id,) = _reports(db, supervisor.agency, 1)
        groups.share_report(
            db,
            actor=actors.for_user(supervisor, request_id="bench"),
            group_id=ids["group"],
            report_id=report_id,
            reason=REASON,
        )
        receipt = db.get_one(Report, report_id).receipt_number
        db.commit()
    return local_report_id(receipt)


def _arrived(factory: sessionmaker[Session], stix_id: str) -> bool:
    with factory() as db:
        return (
            db.execute(select(ImportedReport.id).where(ImportedReport.stix_id == stix_id)).first()
            is not None
        )


def run(backend: str, background: int, shares: int, scheduled: int, interval: float) -> Any:
    with throwaway_settings(backend) as a_settings, throwaway_settings(backend) as b_base:
        b_settings = b_base.model_copy(update={"outbound_allowed_hosts": ["127.0.0.1"]})
        a_engine, b_engine = migrated_engine(a_settings), migrated_engine(b_settings)
        a, b = make_sessionmaker(a_engine), make_sessionmaker(b_engine)
        result: dict[str, Any] = {"backend": backend, "server": server_description(a_engine)}
        ids: dict[str, Any] = {}
        with a() as db:
            home, county = _agency(db, "Home PD"), _agency(db, "County Fusion Center")
            supervisor = _user(db, home, "home-supervisor", {Role.SUPERVISOR})
            feed = _user(db, county, "county-feed", {Role.ANALYST})
            ids["token"], _ = sessions.create_api_token(db, user=feed, name="bench", days=5)
            actor = actors.for_user(supervisor, request_id="bench")
            group = groups.create_group(db, actor=actor, name="County", agency_ids=[county.id])
            ids.update(supervisor=supervisor.id, group=group.id, collection=group.collection_id)
            db.commit()
            say(f"[{backend}] {background:,} reports shared before the figures")
            for report_id in _reports(db, home, background):
                groups.share_report(
                    db, actor=actor, group_id=group.id, report_id=report_id, reason=REASON
                )
            db.commit()
        with serving(a_settings) as url:
            with b() as db:
                county_b = _agency(db, "County Fusion Center")
                analyst = _user(db, county_b, "county-analyst", {Role.ANALYST})
                b_actor = actors.for_user(analyst, request_id="bench")
                subscription = federation.subscribe(
                    db,
                    actor=b_actor,
                    settings=b_settings,
                    name="Home PD",
                    collection_url=f"{url}/api/taxii2/vigil/collections/{ids['collection']}/",
                    token=ids["token"],
                )
                db.commit()
                started = time.perf_counter()
                first = federation.pull(
                    db, actor=b_actor, settings=b_settings, subscription_id=subscription.id
                )
                db.commit()
                result["catch_up"] = {
                    "reports": first.imported,
                    "seconds": round(time.perf_counter() - started, 1),
                }
                say(f"[{backend}] caught up {first.imported:,} reports")
            delays = []
            for _ in range(shares):
                stix_id = _share_one(a, ids)
                t0 = time.perf_counter()
                with b() as db:
                    pulled = federation.pull(
                        db, actor=b_actor, settings=b_settings, subscription_id=subscription.id
                    )
                    db.commit()
                delays.append(time.perf_counter() - t0)
                if pulled.imported != 1 or not _arrived(b, stix_id):
                    raise RuntimeError(f"the shared report did not arrive: {pulled}")
            result["on_demand"] = _summary(delays)
            say(f"[{backend}] on demand: {result['on_demand']}")
            scheduler = BackgroundScheduler(
                timezone="UTC",
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            )
            scheduler.add_job(federation_job, "interval", seconds=interval, args=(b_settings, b))
            scheduler.start()
            try:
                waits = []
                for _ in range(scheduled):
                    stix_id = _share_one(a, ids)
                    t0 = time.perf_counter()
                    while not _arrived(b, stix_id):
                        if time.perf_counter() - t0 > interval * 5 + 30:
                            raise RuntimeError("the scheduled pull did not bring the report")
                        time.sleep(0.02)
                    waits.append(time.perf_counter() - t0)
            finally:
                scheduler.shutdown()
            result["scheduled"] = {"interval_seconds": interval, **_summary(waits)}
            say(f"[{backend}] scheduled: {result['scheduled']}")
        a_engine.dispose()
        b_engine.dispose()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql", "both"])
    parser.add_argument("--background", type=int, default=1000)
    parser.add_argument("--shares", type=int, default=50)
    parser.add_argument("--scheduled", type=int, default=20)
    parser.add_argument("--interval", type=float, default=5.0)
    options = parser.parse_args()
    results = [
        run(backend, options.background, options.shares, options.scheduled, options.interval)
        for backend in backends(options.backend)
    ]
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout  # nosec B603 B607
    print(
        json.dumps(
            {
                "results": results,
                "load_average": load_average(),
                "uptime": uptime.strip(),
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

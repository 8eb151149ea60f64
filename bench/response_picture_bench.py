"""Operating-picture update latency: 50 viewers on one incident, each polling the live
fragment as the page's script does, against `vigil serve` in its own process on
loopback. The bench changes the picture (a hospital list of one patient is uploaded
through the service and committed) and times, for every viewer, how long until a poll
brings the new fragment. Also the latency of each poll request (204 or 200).

.venv/bin/python -m bench.response_picture_bench --viewers 50 --changes 10 --backend both

Expected: the poll interval (2 s, the page's) bounds most of it; a change is seen on
the next poll, so the wait is about uniform over the interval plus one request.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bench.databases import backends, migrated_engine, server_description, throwaway_settings
from bench.intake_bench import VigilServer as IntakeServer
from bench.timing import latency_summary, load_average, percentile, say
from vigil.platform import accounts, sessions
from vigil.platform.actor import command_line
from vigil.platform.database import make_sessionmaker, transaction
from vigil.platform.models import User
from vigil.platform.roles import AgencyKind, Role
from vigil.response.reunification import create_incident, upload_list
from vigil.response.reunification_sites import add_location, open_site
from vigil.web.deps import SESSION_COOKIE

HEADER = "id,list,full_name,dob,age,sex,description\n"
GIVEN = ("Ana", "Ben", "Carla", "Diego", "Emma", "Farah", "Gabriel", "Hana", "Isaac", "Julia")
FAMILY = ("Alvarez", "Baker", "Chen", "Diaz", "Evans", "Garcia", "Hughes", "Kim", "Lopez")
PASSWORD = "bench passphrase for the picture viewers"  # noqa: S105 - throwaway accounts
# A loaded shared machine can take minutes to import and start `vigil serve`.
START_SECONDS = 600
# Tries of a change whose writer finds the database locked (each waits the busy timeout).
WRITER_ATTEMPTS = 6


class VigilServer(IntakeServer):
    """`vigil serve` in a subprocess, given as long as it needs to start."""

    def start_slowly(self, seconds: float) -> float:
        began = time.monotonic()
        process = self._spawn(standby=False)[0]
        self.process = process
        while time.monotonic() < began + seconds:
            if process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"vigil serve exited with {process.returncode}:\n{tail}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=2).status_code == 200:
                    return time.monotonic() - began
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"vigil serve did not answer /health in {seconds:.0f}s")


@dataclass
class Viewer:
    cookie: str
    version: str = ""
    seen: dict[int, float] = field(default_factory=dict)
    requests: list[float] = field(default_factory=list)
    errors: int = 0


def _seed(engine: Engine, settings: object, viewers: int, roster: int) -> tuple[int, list[str]]:
    shell = command_line("bench")
    with transaction(make_sessionmaker(engine)) as db:
        agency = accounts.create_agency(
            db, actor=shell, name="Bench County EM", kind=AgencyKind.EMERGENCY_MANAGEMENT
        )
        incident = create_incident(
            db,
            actor=shell,
            name="Bench High shooting",
            kind="school_shooting",
            place="Bench High",
            started_at=datetime.now(UTC),
            lead_agency_id=agency.id,
            agencies={},
        )
        rows = "".join(
            f"r{n},roster,{GIVEN[n % 10]} {FAMILY[n % 9]}{n},2010-01-0{1 + n % 9},,,\n"
            for n in range(roster)
        )
        upload_list(
            db,
            actor=shell,
            incident_id=incident.id,
            data=(HEADER + rows).encode(),
            source_name="roster.csv",
            today=date.today(),
        )
        for kind, name, point in (
            ("incident", "Bench High", (43.03, -108.40)),
            ("hospital", "Bench General", (43.03, -108.37)),
        ):
            add_location(
                db, actor=shell, incident_id=incident.id, kind=kind, name=name, position=point
            )
        open_site(
            db,
            actor=shell,
            incident_id=incident.id,
            name="Bench gym",
            address="1 Bench St",
            position=(43.02, -108.39),
        )
        users = [
            accounts.create_user(
                db,
                actor=shell,
                settings=settings,  # type: ignore[arg-type]
                agency_id=agency.id,
                username=f"viewer{n}",
                display_name=f"Viewer {n}",
                email=None,
                roles=frozenset({Role.REUNIFICATION}),
                password=PASSWORD,
            )
            for n in range(min(viewers, 10))
        ]
        cookies = [_session(db, users[n % len(users)]) for n in range(viewers)]
        return incident.id, cookies


def _session(db: Session, user: User) -> str:
    raw, _ = sessions.start_session(db, user=user, mfa_verified=True)
    return raw


def _change(engine: Engine, incident_id: int, number: int, waits: list[float]) -> float | None:
    """Upload a one-patient hospital list; the time of its commit, or None when the
    writer never got the lock. On SQLite the writer may not get it within the busy
    timeout while viewers poll: it tries again (WRITER_ATTEMPTS times), and the time
    until it got through is kept in ``waits``."""
    began = time.monotonic()
    for _attempt in range(WRITER_ATTEMPTS):
        try:
            committed = _upload_patient(engine, incident_id, number)
        except OperationalError as problem:
            if "locked" not in str(problem):
                raise
            say(f"change {number}: the database is locked; trying again")
            continue
        waits.append(committed - began)
        return committed
    return None


def _upload_patient(engine: Engine, incident_id: int, number: int) -> float:
    with transaction(make_sessionmaker(engine)) as db:
        upload_list(
            db,
            actor=command_line("bench"),
            incident_id=incident_id,
            data=(HEADER + f"h{number},hospital,Unknown Male {number},,about 16,M,\n").encode(),
            source_name=f"hospital-{number}.csv",
            today=date.today(),
        )
    return time.monotonic()


def _poll(
    viewer: Viewer,
    url: str,
    interval: float,
    stop: threading.Event,
    changes: list[tuple[int, float]],
) -> None:
    stop.wait(random.uniform(0, interval))
    with httpx.Client(cookies={SESSION_COOKIE: viewer.cookie}, timeout=30) as client:
        while not stop.is_set():
            began = time.monotonic()
            try:
                answer = client.get(url, params={"v": viewer.version})
            except httpx.HTTPError:
                viewer.errors += 1
                stop.wait(interval)
                continue
            done = time.monotonic()
            viewer.requests.append(done - began)
            if answer.status_code == 200:
                viewer.version = answer.headers["X-Picture-Version"]
                for number, _at in list(changes):
                    if f"hospital-{number}.csv" in answer.text:
                        viewer.seen.setdefault(number, done)
            elif answer.status_code != 204:
                viewer.errors += 1
            stop.wait(max(0.0, interval - (done - began)))


def run(
    backend: str, viewers: int, changes: int, interval: float, roster: int
) -> dict[str, object]:
    with throwaway_settings(backend) as settings:
        engine = migrated_engine(settings)
        try:
            server_info = server_description(engine)
            incident_id, cookies = _seed(engine, settings, viewers, roster)
            log = Path(settings.data_dir) / "serve.log"
            server = VigilServer(settings, log)
            server.start_slowly(START_SECONDS)
            try:
                url = f"{server.base_url}/incidents/{incident_id}/picture/live"
                page = httpx.get(
                    url.removesuffix("/live"), cookies={SESSION_COOKIE: cookies[0]}, timeout=30
                )
                if page.status_code != 200:
                    raise RuntimeError(f"the picture answered {page.status_code}")
                watchers = [Viewer(cookie) for cookie in cookies]
                stop = threading.Event()
                made: list[tuple[int, float]] = []
                writer_waits: list[float] = []
                starved = 0
                threads = [
                    threading.Thread(target=_poll, args=(w, url, interval, stop, made), daemon=True)
                    for w in watchers
                ]
                for thread in threads:
                    thread.start()
                try:
                    time.sleep(interval * 2)
                    load_before = load_average()
                    for number in range(changes):
                        committed = _change(engine, incident_id, number, writer_waits)
                        if committed is None:
                            starved += 1
                        else:
                            made.append((number, committed))
                        say(f"{backend}: change {number + 1}/{changes}")
                        time.sleep(interval * 2.5)
                finally:
                    stop.set()
                    for thread in threads:
                        thread.join()
            finally:
                server.stop()
        finally:
            engine.dispose()
    at = dict(made)
    waits = [w.seen[n] - at[n] for w in watchers for n in at if n in w.seen]
    missed = sum(1 for w in watchers for n in at if n not in w.seen)
    polls = [s for w in watchers for s in w.requests]
    return {
        "backend": backend,
        "server": server_info,
        "viewers": viewers,
        "changes": changes,
        "poll_interval_s": interval,
        "roster": roster,
        "update_latency": (
            latency_summary(waits) | {"p95_ms": round(percentile(waits, 0.95) * 1000, 1)}
            if waits
            else None
        ),
        "missed": missed,
        "poll_request": latency_summary(polls)
        | {"p95_ms": round(percentile(polls, 0.95) * 1000, 1)},
        "poll_errors": sum(w.errors for w in watchers),
        "writer_wait": latency_summary(writer_waits) if writer_waits else None,
        "writer_starved": starved,
        "polls": len(polls),
        "load_1min_before": load_before,
        "load_1min_after": load_average(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--interval", type=float, default=2.0, help="poll seconds (the page's)")
    parser.add_argument("--roster", type=int, default=1000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    options = parser.parse_args()
    for backend in backends(options.backend):
        figures = run(backend, options.viewers, options.changes, options.interval, options.roster)
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

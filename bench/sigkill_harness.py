"""Never lose a tip: file tips while the server is SIGKILLed at random, then prove every
receipt a client was given is in the database, intact, exactly once.

Set-up: a throwaway database (a temp SQLite file or a ``vigil_bench_*`` PostgreSQL
database), migrated, holding the operator agency and an analyst with an API token,
created through the service functions and committed. ``vigil serve`` runs in a
subprocess on one loopback port, with production settings (not demo mode).

Run: ``--clients`` threads file tips, each with its own keep-alive ``httpx.Client``: to
POST /api/v1/reports with the analyst's token, and a ``--tipline-share`` of them to the
public POST /api/v1/tips. Every tip has its own Idempotency-Key. On a connection error,
a timeout or a 5xx a client sends the *same* key and body again, until it has a receipt.
An ``--impatient`` share of attempts stops waiting after 5-150 ms, so that retries also
race their first attempt on a live server (the concurrent same-key path).
A killer thread sends SIGKILL to the server every ``--kill-min``..``--kill-max`` seconds
of uptime, and starts it again at once (``--standbys`` processes wait with Vigil already
imported, so a restart costs what ``vigil serve`` does after its imports). After
``--seconds`` (or ``--tips``) clients finish the tip in hand, the server is SIGKILLed
one last time, and the database is read directly (not through Vigil's API) and checked:

* every receipt a client holds names a report that exists (same id, same receipt
  number), whose narrative, kind, place and mentions are what the client sent, with its
  idempotency key, its "filed" event, its search entry and its audit event;
* no tip is stored twice: each narrative carries a unique call-log reference, so every
  report is matched to the one tip it came from, whatever the idempotency table says;
* a report no client holds a receipt for is counted separately ("stored,
  unacknowledged"); retries make it rare, since a retry returns the stored receipt;
* the audit chain verifies (``vigil.platform.audit.verify``).

Exit status 1 on any lost, damaged, duplicated or unexplained report, a tip that never
got a receipt, a broken chain, or a server that would not start again after a kill.

Run: ``.venv/bin/python -m bench.sigkill_harness --backend both --seconds 300 --clients 4``
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bench.databases import backends, server_description, throwaway_settings
from bench.intake_bench import (
    SERVER_START_SECONDS,
    Analyst,
    VigilServer,
    authorization,
    create_analyst,
)
from bench.timing import load_average, say
from bench.tips import MENTION_FIELDS, REPORTS_PATH, Tip, TipFactory
from vigil.platform import audit
from vigil.platform.database import check_durability, make_engine
from vigil.platform.models import AuditEvent
from vigil.platform.settings import Settings
from vigil.reports.models import IdempotencyKey, Mention, Report, ReportEvent
from vigil.reports.tipline import API_SCOPE as TIPLINE_SCOPE

GIVE_UP_SECONDS = 180.0  # a tip with no receipt after this long is a failure of its own
RETRY_PAUSE = (0.05, 0.25)
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=2.0)
IMPATIENT_READ = (0.005, 0.15)  # seconds an impatient attempt waits for its answer
CREATE_ACTIONS = ("report.create", "tip.receive")
# Failures that mean the server went away mid-request (a kill), not a client timeout.
CONNECTION_BROKEN = ("RemoteProtocolError", "ReadError", "WriteError", "ConnectError")


@dataclass
class Submission:
    """One tip as its client saw it: every attempt, and the receipt if one came."""

    tip: Tip
    attempts: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    receipt: dict[str, Any] | None = None
    status: int | None = None
    refused: str | None = None  # a 4xx: the harness or the server is wrong


@dataclass
class Run:
    """What the clients and the killer did, shared between their threads."""

    deadline: float
    max_tips: int | None
    submissions: list[Submission] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    kills: int = 0
    kills_with_requests_in_flight: int = 0
    in_flight: int = 0
    restart_seconds: list[float] = field(default_factory=list)
    killer_error: str | None = None

    def next_tip(self, factory: TipFactory) -> Submission | None:
        with self.lock:
            if self.stop.is_set() or time.monotonic() >= self.deadline:
                return None
            if self.max_tips is not None and len(self.submissions) >= self.max_tips:
                return None
            submission = Submission(factory.make())
            self.submissions.append(submission)
            return submission

    def sending(self, delta: int) -> None:
        with self.lock:
            self.in_flight += delta


def file_until_receipt(
    http: httpx.Client, run: Run, analyst: Analyst, submission: Submission, impatient: float
) -> None:
    """Send the tip, and the same key and body again after any failure, until a receipt.

    A share ``impatient`` of attempts gives up waiting for the answer after a few
    milliseconds, as a phone on a bad network does: its retry then races the first
    request, still running on a live server, with the same key.
    """
    tip = submission.tip
    give_up = time.monotonic() + GIVE_UP_SECONDS
    while time.monotonic() < give_up:
        submission.attempts += 1
        timeout = (
            httpx.Timeout(30.0, connect=2.0, read=random.uniform(*IMPATIENT_READ))
            if random.random() < impatient
            else DEFAULT_TIMEOUT
        )
        run.sending(1)
        try:
            answer = http.post(
                tip.path, json=tip.body, headers=authorization(analyst, tip), timeout=timeout
            )
        except httpx.TransportError as error:
            submission.failures[type(error).__name__] += 1
            answer = None
        finally:
            run.sending(-1)
        if answer is None:
            time.sleep(random.uniform(*RETRY_PAUSE))
            continue
        if answer.status_code in (200, 201):
            submission.receipt = answer.json()
            submission.status = answer.status_code
            return
        if answer.status_code >= 500:
            submission.failures[f"HTTP {answer.status_code}"] += 1
            time.sleep(random.uniform(*RETRY_PAUSE))
            continue
        submission.refused = f"{answer.status_code}: {answer.text[:300]}"
        return


def client(run: Run, base_url: str, analyst: Analyst, seed: int, args: argparse.Namespace) -> None:
    factory = TipFactory(seed, args.tipline_share)
    with httpx.Client(base_url=base_url, timeout=DEFAULT_TIMEOUT) as http:
        while (submission := run.next_tip(factory)) is not None:
            file_until_receipt(http, run, analyst, submission, args.impatient)


def killer(run: Run, server: VigilServer, kill_range: tuple[float, float], seed: int) -> None:
    """SIGKILL the server after a random uptime, restart it at once; until the deadline."""
    chance = random.Random(seed)
    try:
        while time.monotonic() < run.deadline:
            # Uptime counts from when the next server is ready to take over, so that kills
            # are not spaced out by the seconds a cold start spends importing modules.
            if not server.standby_ready(SERVER_START_SECONDS):
                raise RuntimeError("the standby server died or did not get ready")
            if run.stop.wait(chance.uniform(*kill_range)) or time.monotonic() >= run.deadline:
                break
            with run.lock:
                busy = run.in_flight > 0
            server.kill()
            run.kills += 1
            run.kills_with_requests_in_flight += busy
            run.restart_seconds.append(server.start())
    except Exception as error:  # a server that cannot restart is itself a finding
        run.killer_error = f"{type(error).__name__}: {error}"
        run.stop.set()


# --- checking the database -----------------------------------------------------------


@dataclass
class Findings:
    submitted: int = 0
    receipts_issued: int = 0
    receipts_by_route: Counter[str] = field(default_factory=Counter)
    first_answer: int = 0  # 201 on the first attempt
    answered_after_retry: int = 0  # a receipt after at least one failed attempt
    # 200, the stored original: the first attempt committed but its answer was lost,
    # to a kill (the connection broke) or to an impatient client (it stopped waiting).
    duplicate_after_kill: int = 0
    duplicate_after_timeout: int = 0
    receipts_found: int = 0
    intact: int = 0
    lost: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # missing key, event, index, audit
    stored_unacknowledged: int = 0
    no_receipt: int = 0
    refused: list[str] = field(default_factory=list)
    reports_in_database: int = 0
    audit: str = ""
    audit_ok: bool = False
    server_failure: str | None = None  # the server could not be started again

    @property
    def ok(self) -> bool:
        return self.audit_ok and not (
            self.server_failure
            or self.lost
            or self.damaged
            or self.duplicated
            or self.unexplained
            or self.incomplete
            or self.refused
            or self.no_receipt
        )


def mention_values(row: Mention) -> dict[str, Any]:
    return {name: getattr(row, name) for name in MENTION_FIELDS}


@dataclass
class Stored:
    """What the database holds, read on a fresh connection after the last kill."""

    reports: list[Report]
    mentions: dict[int, list[dict[str, Any]]]
    keys: dict[str, list[tuple[str, int]]]  # key -> [(scope, report id)]
    audited: Counter[tuple[int, str]]  # (report id, action)
    filed: Counter[int]
    indexed: Counter[int]
    verification: audit.Verification

    @property
    def by_number(self) -> dict[str, list[Report]]:
        found: dict[str, list[Report]] = defaultdict(list)
        for report in self.reports:
            found[report.receipt_number].append(report)
        return found

    @property
    def by_narrative(self) -> dict[str, list[Report]]:
        found: dict[str, list[Report]] = defaultdict(list)
        for report in self.reports:
            found[report.narrative].append(report)
        return found


def search_entries(db: Session) -> Counter[int]:
    column = "report_id" if db.get_bind().dialect.name == "postgresql" else "rowid"
    rows = db.execute(text(f"SELECT {column} FROM report_search"))  # column chosen above
    return Counter(int(row[0]) for row in rows)


def read_database(settings: Settings) -> Stored:
    engine = make_engine(settings)
    try:
        check_durability(engine)
        with Session(engine) as db:
            mentions: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for mention in db.execute(select(Mention).order_by(Mention.id)).scalars():
                mentions[mention.report_id].append(mention_values(mention))
            keys: dict[str, list[tuple[str, int]]] = defaultdict(list)
            for row in db.execute(
                select(IdempotencyKey.scope, IdempotencyKey.key, IdempotencyKey.report_id)
            ):
                keys[row.key].append((row.scope, row.report_id))
            audited = Counter(
                (int(row.object_id), row.action)
                for row in db.execute(
                    select(AuditEvent.object_id, AuditEvent.action).where(
                        AuditEvent.object_type == "report", AuditEvent.action.in_(CREATE_ACTIONS)
                    )
                )
            )
            filed = Counter(
                db.execute(select(ReportEvent.report_id).where(ReportEvent.kind == "filed"))
                .scalars()
                .all()
            )
            return Stored(
                reports=list(db.execute(select(Report)).scalars()),
                mentions=mentions,
                keys=keys,
                audited=audited,
                filed=filed,
                indexed=search_entries(db),
                verification=audit.verify(db, checkpoint_key=None),
            )
    finally:
        engine.dispose()


def check_database(settings: Settings, analyst: Analyst, run: Run) -> Findings:
    """Read everything back on a fresh connection and compare with what clients hold."""
    stored = read_database(settings)
    found = Findings(submitted=len(run.submissions), reports_in_database=len(stored.reports))
    verification = stored.verification
    found.audit_ok = verification.ok
    found.audit = (
        f"verifies, {verification.events_checked:,} events"
        if verification.ok
        else f"BROKEN at event {verification.first_broken_seq}: {verification.reason}"
    )
    by_narrative, by_number = stored.by_narrative, stored.by_number
    sent = {s.tip.narrative for s in run.submissions}
    for narrative, reports in by_narrative.items():
        if narrative not in sent:
            found.unexplained += [f"report {r.id} matches no tip a client sent" for r in reports]
    for number, reports in by_number.items():
        if len(reports) > 1:
            found.duplicated.append(f"receipt number {number} on {len(reports)} reports")
    for key, entries in stored.keys.items():
        if len(entries) > 1:
            found.duplicated.append(f"idempotency key {key} on {entries}")
    for submission in run.submissions:
        check_submission(found, submission, stored, by_narrative, by_number, analyst)
    return found


def check_submission(
    found: Findings,
    submission: Submission,
    stored: Stored,
    by_narrative: dict[str, list[Report]],
    by_number: dict[str, list[Report]],
    analyst: Analyst,
) -> None:
    tip = submission.tip
    alike = by_narrative.get(tip.narrative, [])
    if len(alike) > 1:
        found.duplicated.append(
            f"tip {tip.key} stored {len(alike)} times: reports {[r.id for r in alike]}"
        )
    if submission.refused:
        found.refused.append(f"tip {tip.key}: {submission.refused}")
        return
    receipt = submission.receipt
    if receipt is None:
        found.no_receipt += 1
        found.stored_unacknowledged += bool(alike)
        return
    found.receipts_issued += 1
    found.receipts_by_route[tip.path] += 1
    failed_first = submission.attempts > 1
    found.first_answer += not failed_first
    found.answered_after_retry += failed_first
    if receipt.get("duplicate"):
        broken = any(name in submission.failures for name in CONNECTION_BROKEN)
        found.duplicate_after_kill += broken
        found.duplicate_after_timeout += not broken
    # Found by the receipt alone, so that a damaged narrative shows as damage, not loss.
    numbered = by_number.get(receipt["receipt_number"], [])
    report = numbered[0] if numbered else None
    if report is None or report.id != receipt.get("id", report.id):
        named = f"{receipt['id']}/" if "id" in receipt else ""
        found.lost.append(
            f"tip {tip.key}: receipt {named}{receipt['receipt_number']} "
            f"not in the database (tips like it: {[(r.id, r.receipt_number) for r in alike]})"
        )
        return
    found.receipts_found += 1
    problems = []
    if report.narrative != tip.narrative:
        problems.append("narrative differs")
    if report.kind != tip.kind or report.location_text != tip.location_text:
        problems.append(f"kind/place {report.kind!r}/{report.location_text!r}")
    if tuple(stored.mentions.get(report.id, [])) != tip.mentions:
        problems.append(f"mentions {stored.mentions.get(report.id)} != {list(tip.mentions)}")
    if problems:
        found.damaged.append(f"report {report.id}: " + "; ".join(problems))
    else:
        found.intact += 1
    public = tip.path != REPORTS_PATH
    scope = TIPLINE_SCOPE if public else analyst.scope
    # A public tip is audited twice: report.create by the filing, tip.receive by the tip line.
    actions = ("report.create", "tip.receive") if public else ("report.create",)
    missing = []
    if stored.keys.get(tip.key) != [(scope, report.id)]:
        missing.append(f"idempotency key {stored.keys.get(tip.key)}")
    for action in actions:
        if (count := stored.audited[(report.id, action)]) != 1:
            missing.append(f"{count} {action} audit events (want 1)")
    if stored.filed[report.id] != 1:
        missing.append(f"{stored.filed[report.id]} 'filed' events (want 1)")
    if stored.indexed[report.id] != 1:
        missing.append(f"{stored.indexed[report.id]} search entries (want 1)")
    if missing:
        found.incomplete.append(f"report {report.id}: " + ", ".join(missing))


# --- running -------------------------------------------------------------------------


def exercise(server: VigilServer, analyst: Analyst, args: argparse.Namespace) -> Run:
    """Clients file tips while the killer kills; returns once every client is done."""
    run = Run(deadline=time.monotonic() + args.seconds, max_tips=args.tips)
    threads = [
        threading.Thread(
            target=client, args=(run, server.base_url, analyst, args.seed + n, args), daemon=True
        )
        for n in range(args.clients)
    ]
    threads.append(
        threading.Thread(
            target=killer,
            args=(run, server, (args.kill_min, args.kill_max), args.seed),
            daemon=True,
        )
    )
    began = time.monotonic()
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        time.sleep(5)
        with run.lock:
            done = sum(s.receipt is not None for s in run.submissions)
        say(
            f"  {time.monotonic() - began:5.0f}s: {done:,} receipts, {run.kills} kills, "
            f"{run.in_flight} requests in flight"
        )
    return run


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with throwaway_settings(backend) as settings:
        analyst = create_analyst(settings)
        engine = make_engine(settings)
        server_text = server_description(engine)
        engine.dispose()
        say(f"[sigkill/{backend}] {server_text}")
        log = settings.data_dir / "vigil-serve.log"
        server = VigilServer(settings, log, standbys=args.standbys)
        began = time.monotonic()
        try:
            first_start = server.start()
            run = exercise(server, analyst, args)
            server.kill()  # the end is a crash too: nothing may depend on a clean shutdown
        finally:
            server.stop()
        elapsed = time.monotonic() - began
        say(f"[sigkill/{backend}] checking the database")
        found = check_database(settings, analyst, run)
        found.server_failure = run.killer_error
        failures: Counter[str] = Counter()
        for submission in run.submissions:
            failures.update(submission.failures)
        restarts = sorted(run.restart_seconds) or [first_start]
        return {
            "backend": backend,
            "server": server_text,
            "seconds": round(elapsed, 1),
            "clients": args.clients,
            "kills": run.kills,
            "kills_with_requests_in_flight": run.kills_with_requests_in_flight,
            "restart_seconds_median": round(restarts[len(restarts) // 2], 2),
            "killer_error": run.killer_error,
            "retries": sum(s.attempts for s in run.submissions) - len(run.submissions),
            "failed_attempts": dict(failures.most_common()),
            "findings": found,
            "load_average_at_end": load_average(),
        }


def summary_rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    found: Findings = figures["findings"]
    backend = figures["backend"]
    failed = ", ".join(f"{name} {count}" for name, count in figures["failed_attempts"].items())

    def listed(items: list[str]) -> str:
        return f"{len(items)}" + (f"  e.g. {items[0]}" if items else "")

    return [
        (f"[{backend}] run", f"{figures['seconds']:.0f} s, {figures['clients']} clients"),
        (
            "kills (SIGKILL)",
            f"{figures['kills']} ({figures['kills_with_requests_in_flight']} with requests "
            f"in flight; restart to /health {figures['restart_seconds_median']:.1f} s median)"
            + (f"; KILLER FAILED: {figures['killer_error']}" if figures["killer_error"] else ""),
        ),
        ("tips submitted", f"{found.submitted:,}"),
        (
            "receipts issued",
            f"{found.receipts_issued:,} ({found.first_answer:,} on the first attempt, "
            f"{found.answered_after_retry:,} after retries; "
            + ", ".join(f"{n:,} from {path}" for path, n in found.receipts_by_route.items())
            + ")",
        ),
        (
            "answered 200, the stored original",
            f"{found.duplicate_after_kill:,} after a kill broke the first answer, "
            f"{found.duplicate_after_timeout:,} after an impatient client stopped waiting",
        ),
        ("receipts found", f"{found.receipts_found:,}"),
        ("intact", f"{found.intact:,}"),
        ("lost", listed(found.lost)),
        ("damaged", listed(found.damaged)),
        ("duplicates", listed(found.duplicated)),
        ("incomplete (key/event/index/audit)", listed(found.incomplete)),
        ("reports matching no tip", listed(found.unexplained)),
        ("stored but unacknowledged", f"{found.stored_unacknowledged:,}"),
        ("tips without a receipt", f"{found.no_receipt:,}"),
        ("refused (4xx)", listed(found.refused)),
        ("reports in the database", f"{found.reports_in_database:,}"),
        ("retries", f"{figures['retries']:,} ({failed or 'none'})"),
        ("audit chain", found.audit),
        ("verdict", "OK: every receipt stored once, intact" if found.ok else "FAILED"),
    ]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to file tips")
    parser.add_argument("--tips", type=int, help="stop after this many tips (default: no cap)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--kill-min", type=float, default=0.5, help="shortest uptime, seconds")
    parser.add_argument("--kill-max", type=float, default=3.0, help="longest uptime, seconds")
    parser.add_argument(
        "--tipline-share",
        type=float,
        default=0.25,
        help="share of tips sent to the public POST /api/v1/tips (0 for the API only)",
    )
    parser.add_argument(
        "--impatient",
        type=float,
        default=0.1,
        help="share of attempts that stop waiting for the answer after 5-150 ms and retry",
    )
    parser.add_argument(
        "--standbys",
        type=int,
        default=2,
        help="server processes kept started, modules imported, to take over after a kill "
        "(0: every restart is a cold `vigil serve`)",
    )
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    say(f"seed {args.seed}")
    results = []
    for backend in backends(args.backend):
        figures = run_backend(backend, args)
        results.append(figures)
        rows = summary_rows(figures)
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
        print(flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump([{**r, "findings": vars(r["findings"])} for r in results], handle, indent=2)
    sys.exit(0 if all(r["findings"].ok for r in results) else 1)


if __name__ == "__main__":
    main()

"""Post-incident surge (issue 7, item 8): many tips and analyst reads at once, on loopback.

For each backend: a throwaway database, migrated, with an analyst and an API token;
``vigil serve`` in a subprocess with production settings (bench.intake_bench.VigilServer);
then Locust (bench/surge_locustfile.py, headless, ``--users`` users of whom four in five
file tips on the public tip line and one in five reads the queue, searches and opens
reports) for ``--seconds``. Afterwards the server is stopped and the database read
directly: every receipt a tipster was given must name exactly one stored report with the
narrative it sent (each narrative carries a unique call-log reference), and no narrative
may be stored twice.

Goals (the issue's): no acknowledged tip lost or duplicated; tip p99 < 1 s on this
machine; error ratio < 0.1 % (failed requests of every kind over all requests).
Exit status 1 when a goal is missed.

Run: ``.venv/bin/python -m bench.surge_bench --backend both --seconds 60 --users 40``
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess  # nosec B404 - runs Locust from this checkout, no shell
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.databases import backends, throwaway_settings
from bench.intake_bench import VigilServer, create_analyst
from bench.timing import load_average, say
from vigil.platform.database import make_engine
from vigil.platform.settings import Settings
from vigil.reports.models import Report

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "surge_locustfile.py"
TIP_NAME = "POST /api/v1/tips"
GOAL_P99_MS = 1000.0
GOAL_ERROR_RATIO = 0.001


def run_locust(base_url: str, token: str, work: Path, args: argparse.Namespace) -> Path:
    """Run Locust headless against ``base_url``; the receipts file it wrote."""
    receipts = work / "receipts.jsonl"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        "VIGIL_SURGE_RECEIPTS": str(receipts),
        "VIGIL_SURGE_TOKEN": token,
        "VIGIL_SURGE_SEED": str(args.seed),
    }
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
        "--run-time", f"{args.seconds}s", "--stop-timeout", "30", "--host", base_url,
        "--csv", str(work / "surge"), "--only-summary", "--loglevel", "WARNING",
        "--exit-code-on-error", "0",
    ]  # fmt: skip
    finished = subprocess.run(  # nosec B603 - fixed argument list, no shell
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=args.seconds + 180
    )
    if finished.returncode != 0:
        raise RuntimeError(f"locust exited with {finished.returncode}:\n{finished.stderr[-3000:]}")
    return receipts


def read_stats(work: Path) -> dict[str, dict[str, str]]:
    with (work / "surge_stats.csv").open(newline="", encoding="utf-8") as handle:
        return {row["Name"]: row for row in csv.DictReader(handle)}


def read_failures(work: Path) -> list[str]:
    path = work / "surge_failures.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            f"{row['Method']} {row['Name']}: {row['Error']} x{row['Occurrences']}"
            for row in csv.DictReader(handle)
        ]


def check_tips(settings: Settings, receipts: Path) -> dict[str, int]:
    """Every acknowledged tip stored once, as sent; nothing stored twice."""
    given = [json.loads(line) for line in receipts.read_text(encoding="utf-8").splitlines()]
    acknowledged = [entry for entry in given if entry["receipt_number"]]
    engine = make_engine(settings)
    try:
        with Session(engine) as db:
            stored = list(db.execute(select(Report.receipt_number, Report.narrative)))
    finally:
        engine.dispose()
    by_receipt = {receipt: narrative for receipt, narrative in stored}
    narratives = Counter(narrative for _, narrative in stored)
    lost = sum(
        1 for entry in acknowledged if by_receipt.get(entry["receipt_number"]) != entry["narrative"]
    )
    sent = {entry["narrative"] for entry in given}
    return {
        "tips_acknowledged": len(acknowledged),
        "tips_never_acknowledged": len(given) - len(acknowledged),
        "reports_stored": len(stored),
        "lost_or_damaged": lost,
        "stored_twice": sum(1 for count in narratives.values() if count > 1),
        "stored_unacknowledged": sum(1 for narrative in narratives if narrative in sent)
        - len({entry["narrative"] for entry in acknowledged}),
    }


def recommended_workers() -> int:
    """VIGIL_WORKERS as the README recommends for production: one per core."""
    return os.cpu_count() or 1


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with throwaway_settings(backend) as settings, tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        analyst = create_analyst(settings)
        workers = args.workers or recommended_workers()
        server = VigilServer(settings, work / "server.log", workers=workers)
        load_before = load_average()
        server.start()
        try:
            say(f"[{backend}] surge: {args.users} users for {args.seconds} s on {server.base_url}")
            receipts = run_locust(server.base_url, analyst.token, work, args)
        finally:
            server.stop()
        stats = read_stats(work)
        tips, total = stats[TIP_NAME], stats["Aggregated"]
        requests, failures = int(total["Request Count"]), int(total["Failure Count"])
        figures: dict[str, Any] = {
            "backend": backend,
            "users": args.users,
            "server_processes": workers,
            "seconds": args.seconds,
            "load_before": load_before,
            "load_after": load_average(),
            "tips_per_second": float(tips["Requests/s"]),
            "tip_p50_ms": float(tips["50%"]),
            "tip_p99_ms": float(tips["99%"]),
            "reads_p99_ms": {
                name: float(row["99%"]) for name, row in stats.items() if name.startswith("GET ")
            },
            "requests": requests,
            "failures": failures,
            "error_ratio": failures / requests if requests else 1.0,
            "failure_kinds": read_failures(work),
            **check_tips(settings, receipts),
        }
        figures["goals_met"] = (
            figures["lost_or_damaged"] == 0
            and figures["stored_twice"] == 0
            and figures["tip_p99_ms"] < GOAL_P99_MS
            and figures["error_ratio"] < GOAL_ERROR_RATIO
        )
        return figures


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--spawn-rate", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes (default: one per core, as the README recommends)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    results = [run_backend(backend, args) for backend in backends(args.backend)]
    print(json.dumps(results, indent=2))
    if not all(result["goals_met"] for result in results):
        sys.exit(1)


if __name__ == "__main__":
    main()

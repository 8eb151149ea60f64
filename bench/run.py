"""Run every benchmark, print one table and write ``bench/results/latest.json``.

Run: ``.venv/bin/python -m bench.run`` (1,000,000-event chain, 200 sign-ins, 3,000 tips,
both backends; tens of minutes) or ``.venv/bin/python -m bench.run --quick`` (a few minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    audit_bench,
    import_bench,
    intake_bench,
    linkage_scale_bench,
    login_bench,
    search_bench,
)
from bench.databases import backends
from bench.timing import load_average, say

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
QUICK = {
    "events": 20_000,
    "single_events": 200,
    "batched_events": 2_000,
    "logins": 30,
    "tips": 300,
}


def git_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_start": load_average(),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: a 20,000-event chain and 30 sign-ins"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--events", type=int, help="override the chain size for verify")
    parser.add_argument("--logins", type=int, help="override the number of timed sign-ins")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sizes = (
        dict(QUICK)
        if args.quick
        else {
            "events": audit_bench.DEFAULT_EVENTS,
            "single_events": 2_000,
            "batched_events": 20_000,
            "logins": 200,
            "tips": 3_000,
        }
    )
    sizes["search_rows"] = 20_000 if args.quick else search_bench.DEFAULT_ROWS
    sizes["import_rows"] = 20_000 if args.quick else import_bench.DEFAULT_ROWS
    sizes["linkage_mentions"] = 20_000 if args.quick else linkage_scale_bench.DEFAULT_MENTIONS
    if args.events is not None:
        sizes["events"] = args.events
    if args.logins is not None:
        sizes["logins"] = args.logins
    audit_args = audit_bench.parse_args(
        [
            "--backend",
            args.backend,
            "--events",
            str(sizes["events"]),
            "--single-events",
            str(sizes["single_events"]),
            "--batched-events",
            str(sizes["batched_events"]),
        ]
    )
    login_args = login_bench.parse_args(
        ["--backend", args.backend, "--logins", str(sizes["logins"])]
    )
    search_args = search_bench.parse_args(
        ["--backend", args.backend, "--rows", str(sizes["search_rows"])]
    )
    import_args = import_bench.parse_args(
        ["--backend", args.backend, "--rows", str(sizes["import_rows"])]
    )
    linkage_args = linkage_scale_bench.parse_args(
        ["--mentions", str(sizes["linkage_mentions"]), "--new", "100" if args.quick else "300"]
    )
    intake_args = intake_bench.parse_args(["--backend", args.backend, "--tips", str(sizes["tips"])])
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.run", *(sys.argv[1:] if argv is None else argv)]),
        "commit": git_commit(),
        "machine": machine(),
        "sizes": sizes,
    }
    began = time.perf_counter()
    sections: list[tuple[str, Any, argparse.Namespace]] = [
        ("audit", audit_bench, audit_args),
        ("login", login_bench, login_args),
        ("search", search_bench, search_args),
        ("import", import_bench, import_args),
        ("intake", intake_bench, intake_args),
        ("linkage", linkage_scale_bench, linkage_args),
    ]
    rows: list[tuple[str, str]] = []
    for section, module, section_args in sections:
        say(f"== {section} ==")
        report[section] = []
        for backend in backends(args.backend):
            try:
                figures = module.run_one(section_args, backend)
            except Exception as error:
                # One broken step (the code under test changes under our feet) must not
                # throw away the figures already taken.
                traceback.print_exc()
                figures = {"backend": backend, "error": f"{type(error).__name__}: {error}"}
            report[section].append(figures)
            save(report, args.output)
            section_rows = module.summary_rows(figures)
            audit_bench.print_table(section_rows)
            sys.stdout.flush()
            rows += section_rows
    report["seconds"] = round(time.perf_counter() - began, 1)
    report["machine"]["load_average_at_end"] = load_average()
    save(report, args.output)
    print()
    audit_bench.print_table(rows)
    print(
        f"\n(load average {report['machine']['load_average_at_start']} at start, "
        f"{report['machine']['load_average_at_end']} at end on {os.cpu_count()} CPUs; "
        f"{report['seconds']:.0f} s in all)"
    )
    print(f"figures written to {args.output}")


def save(report: dict[str, Any], path: Path) -> None:
    """Written after every step, so a late failure keeps the earlier figures."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

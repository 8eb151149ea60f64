"""Bulk import benchmark: `vigil import reports` against a raw load of the same rows.

For each backend:

1. ``--rows`` realistic reports (default 1,000,000) are written to a CSV file once,
   deterministically (narratives of 150-700 characters, a fifth of them with threat
   language; one or two people per report; ISE-SAR behaviors, weapons, targets);
2. **baseline**: the same file is read with ``csv`` and its rows loaded into the same
   tables (reports, mentions, report_search, report_events) with the same column
   values except what Vigil computes — no validation, no triage (score 0), a counter
   for a receipt number — by ``COPY`` on PostgreSQL or ``executemany`` on SQLite, in
   one transaction, into a fresh database;
3. **import**: the real ``importer.import_reports`` (what ``vigil import reports``
   runs) loads the file into another fresh database, in one transaction;
4. **profile** (``--profile-rows``, default 20,000): the first rows again through
   ``import_reports`` in one process, once as is and once with triage replaced by a
   constant, and ``score_urgency`` alone, to show where the time goes.

The ratio is baseline seconds / import seconds: the share of a raw load's speed the
import reaches (goal: at least 0.5).

Run: ``.venv/bin/python -m bench.import_bench --rows 1000000 --backend postgresql``
"""

from __future__ import annotations

import argparse
import atexit
import csv
import gc
import io
import json
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from bench.databases import backends, migrated_engine, server_description, throwaway_settings
from bench.timing import Progress, load_average, say
from vigil.platform.actor import command_line
from vigil.platform.database import make_sessionmaker, transaction
from vigil.platform.models import Agency
from vigil.platform.types import utcnow
from vigil.reports import import_rows, import_storage, importer
from vigil.reports.import_rows import FEWER_COLLECTIONS
from vigil.reports.models import Report
from vigil.reports.triage import score_urgency

DEFAULT_ROWS = 1_000_000
COLUMNS = (
    "kind", "narrative", "occurred_at", "reported_at", "location_text", "latitude", "longitude",
    "behaviors", "weapons", "target_types", "target_name", "marking",
    "protected_activity_only", "subject_given_name", "subject_family_name", "subject_dob",
    "subject_phones", "subject_handles", "subject_school_or_employer", "witness_given_name",
    "witness_family_name", "witness_phones",
)  # fmt: skip


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GIVEN = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy "
    "Anthony Betty Mark Sandra Donald Ashley Steven Kimberly Andrew Emily Joshua Donna "
    "Kenneth Michelle Kevin Carol Brian Amanda Timothy Melissa Ronald Deborah Jason "
    "Stephanie Jeffrey Rebecca Ryan Sharon Jacob Laura Gary Cynthia Nicholas Amy Eric "
    "Kathleen Jonathan Angela Larry Shirley Justin Brenda Scott Emma Brandon Anna"
)
FAMILY = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell "
    "Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes "
    "Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey"
)
SCHOOLS = ("Lincoln High", "Washington Middle School", "Roosevelt Elementary", "Central High")
PLACES = (
    "the mall on Route 9", "the community center", "the county courthouse", "a warehouse on "
    "Dock Street", "the stadium parking lot", "a church on Elm Street", "the transit center",
)  # fmt: skip
OPENERS = (
    "Caller reported that",
    "A teacher at {school} said that",
    "Store manager called to say that",
    "Anonymous tip received by phone:",
    "Patrol officer observed that",
    "A parent emailed the school resource officer because",
    "Coworker reported to HR that",
)
CONCERNS = (
    "{name} told classmates he will shoot up {school} on Friday.",
    "{name} posted a photo of an AR-15 with the caption 'tomorrow you will all pay'.",
    "{name} has been stockpiling ammunition and practicing at the shooting range.",
    "{name} said he was going to kill everyone at {place} after being fired.",
    "{name} bought body armor and wrote a goodbye letter to his sister.",
    "{name} researched the Columbine shooting and drew floor plans of {school}.",
    "{name} warned a friend not to come to school tomorrow.",
)
NEUTRAL = (
    "A vehicle was parked near the loading dock for about three hours.",
    "The man photographed the entrances and the security cameras before leaving.",
    "No weapons were seen and nobody was hurt.",
    "The caller did not know the person's name but described a red jacket.",
    "Staff said the person asked when the doors are unlocked in the morning.",
    "The plates were partially recorded and the car left heading north.",
    "The reporting party asked to stay anonymous and gave a call-back number.",
    "It happened near {place} around lunchtime.",
    "Several students saw the posts and told a counselor.",
    "Security footage may be available from the store.",
)
BEHAVIORS = (
    "expressed_or_implied_threat", "observation_surveillance", "photography",
    "weapons_collection_discovery", "testing_or_probing_security", "eliciting_information",
)  # fmt: skip
WEAPONS = ("rifle", "handgun", "AR-15", "knife", "pipe bomb", "shotgun")
TARGETS = ("school", "house_of_worship", "workplace", "public_event", "government")


def make_row(rng: random.Random, now: datetime) -> list[str]:
    name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
    school, place = rng.choice(SCHOOLS), rng.choice(PLACES)
    sentences = [rng.choice(OPENERS).format(school=school)]
    concern = rng.random() < 0.2
    if concern:
        sentences.append(rng.choice(CONCERNS).format(name=name, school=school, place=place))
    sentences += [
        s.format(place=place) for s in rng.sample(NEUTRAL, rng.randint(1, 5 if concern else 6))
    ]
    occurred = now - timedelta(days=rng.uniform(0, 300))
    reported = min(occurred + timedelta(hours=rng.uniform(0, 48)), now - timedelta(hours=1))
    given, family = name.split()
    witness = rng.random() < 0.3
    return [
        rng.choice(("tip", "tip", "sar", "agency_report")),
        " ".join(sentences),
        occurred.isoformat(timespec="seconds"),
        reported.isoformat(timespec="seconds") if rng.random() < 0.5 else "",
        place if rng.random() < 0.6 else "",
        *((f"{rng.uniform(39, 41):.5f}", f"{rng.uniform(-75, -73):.5f}") if rng.random() < 0.4
          else ("", "")),
        ";".join(rng.sample(BEHAVIORS, rng.randint(0, 2))),
        ";".join(rng.sample(WEAPONS, rng.randint(0, 2))) if concern else "",
        ";".join(rng.sample(TARGETS, rng.randint(0, 1))),
        school if concern and rng.random() < 0.5 else "",
        rng.choice(("AMBER", "AMBER", "AMBER", "GREEN", "CLEAR")),
        "false",
        given,
        family,
        f"{rng.randint(1960, 2010)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if rng.random() < 0.4 else "",
        f"555-{rng.randint(0, 9_999_999):07d}" if rng.random() < 0.5 else "",
        f"@{given.lower()}{rng.randint(1, 99_999)}" if rng.random() < 0.3 else "",
        school if rng.random() < 0.3 else "",
        rng.choice(GIVEN) if witness else "",
        rng.choice(FAMILY) if witness else "",
        f"555-{rng.randint(0, 9_999_999):07d}" if witness and rng.random() < 0.5 else "",
    ]  # fmt: skip


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    progress = Progress("generate CSV")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for done in range(1, rows + 1):
            writer.writerow(make_row(rng, now))
            if done % 10_000 == 0:
                progress(done, rows)
    progress(rows, rows, force=True)


# --- baseline: a raw load of the same rows ---------------------------------------------------


def _split(value: str) -> str:
    return json.dumps([part for part in value.split(";") if part], separators=(",", ":"))


def _moment(value: str) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def raw_rows(
    path: Path, agency_id: int
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]], str, tuple[Any, ...]]]:
    """(report, mentions, document, event) per CSV row: the same values, uncomputed."""
    now = utcnow()
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for number, row in enumerate(reader, start=1):
            v = dict(zip(COLUMNS, row, strict=True))
            report = (
                number, f"VIG-{number:012d}", v["kind"], "tip_lead", "import", v["narrative"],
                _moment(v["occurred_at"]), _moment(v["reported_at"]) or now,
                v["location_text"] or None, float(v["latitude"]) if v["latitude"] else None,
                float(v["longitude"]) if v["longitude"] else None, _split(v["behaviors"]),
                _split(v["weapons"]), _split(v["target_types"]), v["target_name"] or None,
                v["marking"], agency_id, agency_id, None, False, 0, "low", "[]",
                now, None, now + timedelta(days=365), now, now,
            )  # fmt: skip
            mentions = [
                (
                    number, "subject", v["subject_given_name"], None, v["subject_family_name"],
                    "[]", datetime.fromisoformat(v["subject_dob"]).date() if v["subject_dob"]
                    else None, None, None, None, _split(v["subject_phones"]), "[]",
                    _split(v["subject_handles"]), "[]", v["subject_school_or_employer"] or None,
                    None,
                )
            ]  # fmt: skip
            if v["witness_given_name"]:
                mentions.append(
                    (
                        number,
                        "witness",
                        v["witness_given_name"],
                        None,
                        v["witness_family_name"],
                        "[]",
                        None,
                        None,
                        None,
                        None,
                        _split(v["witness_phones"]),
                        "[]",
                        "[]",
                        "[]",
                        None,
                        None,
                    )
                )
            document = "\n".join(
                part for part in (v["narrative"], v["location_text"], v["target_name"],
                                  v["subject_given_name"], v["subject_family_name"]) if part
            )  # fmt: skip
            event = (number, "filed", None, agency_id, now, "Filed by import", '{"level":"low"}')
            yield report, mentions, document, event


def _sqlite_values(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(
        v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime)
        else v.isoformat() if hasattr(v, "isoformat") else int(v) if isinstance(v, bool) else v
        for v in values
    )  # fmt: skip


def raw_load(connection: Connection, path: Path, agency_id: int, rows: int) -> None:
    progress = Progress("baseline load")
    batch: list[Any] = []
    done = 0
    postgres = connection.dialect.name == "postgresql"
    driver: Any = connection.connection.driver_connection

    def flush() -> None:
        if not batch:
            return
        if postgres:
            with driver.cursor() as cursor:
                for table, columns, values in _tables(batch, postgres):
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for value in values:
                            copy.write_row(value)
        else:
            for table, columns, values in _tables(batch, postgres):
                marks = ", ".join("?" for _ in columns)
                connection.exec_driver_sql(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                    [_sqlite_values(value) for value in values],
                )
        batch.clear()

    for prepared in raw_rows(path, agency_id):
        batch.append(prepared)
        done += 1
        if len(batch) >= importer.BATCH_ROWS:
            flush()
            progress(done, rows)
    flush()
    if postgres:
        connection.exec_driver_sql(f"SELECT setval('reports_id_seq', {done})")
    progress(done, rows, force=True)


def _tables(
    batch: list[Any], postgres: bool
) -> list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]]:
    search_key = "report_id" if postgres else "rowid"
    return [
        ("reports", import_storage.REPORT_COLUMNS, [b[0] for b in batch]),
        ("mentions", import_storage.MENTION_COLUMNS, [m for b in batch for m in b[1]]),
        ("report_search", (search_key, "document"), [(b[0][0], b[2]) for b in batch]),
        ("report_events", import_storage.EVENT_COLUMNS, [b[3] for b in batch]),
    ]


# --- runs -------------------------------------------------------------------------------------


@contextmanager
def fresh_database(backend: str) -> Iterator[tuple[Any, Any, int]]:
    """(settings, session factory, agency id) of a new, migrated database."""
    with throwaway_settings(backend) as settings:
        engine = migrated_engine(settings)
        try:
            factory = make_sessionmaker(engine)
            with transaction(factory) as db:
                agency = Agency(name="Bench Police", kind="law_enforcement", created_at=utcnow())
                db.add(agency)
                db.flush()
                agency_id = agency.id
            yield settings, factory, agency_id
        finally:
            engine.dispose()


def count_reports(factory: Any) -> int:
    with factory() as db:
        return int(db.execute(select(func.count()).select_from(Report)).scalar_one())


def time_import(
    settings: Any, factory: Any, agency_id: int, path: Path, rows: int, workers: int
) -> tuple[float, importer.ImportResult]:
    progress = Progress("import")
    # As `vigil import reports` does for its process.
    collection = gc.get_threshold()
    gc.set_threshold(*FEWER_COLLECTIONS)
    began = time.perf_counter()
    with transaction(factory) as db, path.open("rb") as stream:
        result = importer.import_reports(
            db,
            actor=command_line("bench"),
            settings=settings,
            stream=stream,
            filename=path.name,
            agency_id=agency_id,
            workers=workers,
            progress=lambda _bytes, done: progress(done, rows),
        )
    seconds = time.perf_counter() - began
    gc.set_threshold(*collection)
    progress(result.rows, rows, force=True)
    return seconds, result


def profile(settings: Any, factory: Any, path: Path, rows: int) -> dict[str, Any]:
    """Where one process spends its time on the first ``rows`` rows (ms per row), for
    an agency of its own (so no earlier reports to load)."""
    with transaction(factory) as db:
        agency = Agency(name="Profile Police", kind="law_enforcement", created_at=utcnow())
        db.add(agency)
        db.flush()
        agency_id = agency.id
    sample = Path(tempfile.mkstemp(suffix=".csv", dir=path.parent)[1])
    try:
        with path.open(encoding="utf-8") as source, sample.open("w", encoding="utf-8") as out:
            for number, line in enumerate(source):
                if number > rows:
                    break
                out.write(line)
        narratives = [row[1] for row in list(csv.reader(sample.open(encoding="utf-8")))[1:]]
        timings: dict[str, float] = {}
        real_triage = import_rows.triage_narrative
        for label, stub in (("import", False), ("import without triage", True)):
            if stub:
                import_rows.triage_narrative = lambda *_: import_rows.NarrativeTriage(0, "", "")
            try:
                began = time.perf_counter()
                with transaction(factory) as db, sample.open("rb") as stream:
                    importer.import_reports(
                        db, actor=command_line("bench"), settings=settings, stream=stream,
                        filename="sample.csv", agency_id=agency_id, workers=0,
                    )  # fmt: skip
                timings[label] = time.perf_counter() - began
            finally:
                import_rows.triage_narrative = real_triage
        began = time.perf_counter()
        for narrative in narratives:
            score_urgency(narrative)
        timings["score_urgency alone"] = time.perf_counter() - began
        count = len(narratives)
        return {
            "rows": count,
            **{
                f"{label} ms/row": round(value / count * 1000, 3)
                for label, value in timings.items()
            },
        }
    finally:
        sample.unlink(missing_ok=True)


def run_backend(
    backend: str, *, rows: int, workers: int, profile_rows: int, path: Path
) -> dict[str, Any]:
    figures: dict[str, Any] = {"backend": backend, "rows": rows, "workers": workers,
                               "load_average_at_start": load_average()}  # fmt: skip
    say(f"-- {backend}: baseline (raw load of the same rows) --")
    with fresh_database(backend) as (settings, factory, agency_id):
        figures["server"] = server_description(factory.kw["bind"])
        began = time.perf_counter()
        with factory() as db:
            connection = db.connection()
            raw_load(connection, path, agency_id, rows)
            db.commit()
        figures["baseline_seconds"] = round(time.perf_counter() - began, 2)
        assert count_reports(factory) == rows
    say(f"-- {backend}: import (importer.import_reports, {workers} workers) --")
    with fresh_database(backend) as (settings, factory, agency_id):
        seconds, result = time_import(settings, factory, agency_id, path, rows, workers)
        figures["import_seconds"] = round(seconds, 2)
        figures["imported"] = result.imported
        figures["rejected"] = result.rejected
        assert result.complete and count_reports(factory) == rows, result.fatal
        if profile_rows:
            say(f"-- {backend}: profile of {profile_rows:,} rows in one process --")
            figures["profile"] = profile(settings, factory, path, profile_rows)
    figures["ratio"] = round(figures["baseline_seconds"] / figures["import_seconds"], 3)
    figures["import_rows_per_second"] = round(rows / figures["import_seconds"])
    figures["load_average_at_end"] = load_average()
    return figures


def summary_rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    if "error" in figures:
        return [(f"import {figures['backend']}", f"FAILED: {figures['error']}")]
    backend, rows = figures["backend"], figures["rows"]
    lines = [
        (
            f"import {backend}, {rows:,} rows, baseline raw load",
            f"{figures['baseline_seconds']:.1f} s",
        ),
        (
            f"import {backend}, {rows:,} rows, vigil import ({figures['workers']} workers)",
            f"{figures['import_seconds']:.1f} s ({figures['import_rows_per_second']:,}/s)",
        ),
        (f"import {backend}, ratio (baseline / import; goal >= 0.5)", f"{figures['ratio']:.3f}"),
    ]
    for name, value in figures.get("profile", {}).items():
        if name != "rows":
            lines.append((f"import {backend}, profile {name}", f"{value}"))
    return lines


@contextmanager
def csv_file(args: argparse.Namespace) -> Iterator[Path]:
    if args.csv and args.csv.exists():
        yield args.csv
        return
    base = os.environ.get("VIGIL_BENCH_TMPDIR")
    with tempfile.TemporaryDirectory(prefix="vigil-import-bench-", dir=base) as directory:
        path = args.csv or Path(directory) / f"reports-{args.rows}.csv"
        say(f"-- writing {args.rows:,} rows to {path} --")
        write_csv(path, args.rows)
        say(f"   {path.stat().st_size / 1_000_000:,.0f} MB")
        yield path


def run_one(args: argparse.Namespace, backend: str) -> dict[str, Any]:
    """One backend, as ``bench.run`` calls it: the file is written once, kept until exit."""
    if args.csv is None:
        base = os.environ.get("VIGIL_BENCH_TMPDIR")
        directory = Path(tempfile.mkdtemp(prefix="vigil-import-bench-", dir=base))
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        args.csv = directory / f"reports-{args.rows}.csv"
    with csv_file(args) as path:
        return run_backend(
            backend, rows=args.rows, workers=args.workers, profile_rows=args.profile_rows,
            path=path,
        )  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="reports in the file")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="triage processes (default: CPUs)"
    )
    parser.add_argument("--profile-rows", type=int, default=20_000, help="0: no profile")
    parser.add_argument(
        "--csv", type=Path, help="use (or keep) the generated file here instead of a temp file"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    results = []
    with csv_file(args) as path:
        args.csv = path
        for backend in backends(args.backend):
            results.append(
                run_backend(backend, rows=args.rows, workers=args.workers,
                            profile_rows=args.profile_rows, path=path)
            )  # fmt: skip
            if args.json:
                Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    rows = [row for figures in results for row in summary_rows(figures)]
    width = max(len(name) for name, _ in rows)
    out = io.StringIO()
    for name, value in rows:
        out.write(f"{name:<{width}}  {value}\n")
    print(out.getvalue(), end="")


if __name__ == "__main__":
    main()

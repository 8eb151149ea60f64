"""The `vigil analytics` commands: harmonise the public incident data sets in a
directory into one incident per real-world shooting."""

from __future__ import annotations

import csv
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, TextIO

import typer

analytics_app = typer.Typer(
    help="Public incident data: harmonise the sources into one incident catalogue.",
    no_args_is_help=True,
)
SHOWN_PROBLEMS = 20
LEVEL_COLUMNS = ("gva_id", "date", "place", "killed", "injured", "shooter", "title", "school")


@analytics_app.callback()
def analytics() -> None:
    """Public incident data: harmonise the sources into one incident catalogue."""


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


def write_atomically(path: Path, write: Callable[[TextIO], None]) -> None:
    """Write to a temporary file beside ``path`` and rename it into place, so a
    failure never leaves a half-written file."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            write(out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _csv_writer(rows: Iterable[Iterable[object]]) -> Callable[[TextIO], None]:
    def write(out: TextIO) -> None:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows(rows)

    return write


@analytics_app.command("harmonize")
def harmonize_command(
    directory: Annotated[
        Path,
        typer.Argument(
            help="A directory laid out like the shared incidents folder: one folder per data "
            "set (fbi_active_shooter_2000_2018, gva_incidents_2013_2018, "
            "gva_mass_shootings_dxzys, k12_ssdb_chds, motherjones_codeholics, stanford_msa, "
            "wapo_school_shootings), files as published; any of them may be missing.",
        ),
    ],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="CSV to write: dataset,row_key,incident_id."),
    ],
    evidence: Annotated[
        Path | None,
        typer.Option(
            "--evidence",
            help="Also write every scored pair across data sets: the match probability, "
            "each comparison's level and weight, and 'linked' or 'review'.",
        ),
    ] = None,
    problems: Annotated[
        Path | None,
        typer.Option("--problems", help="Also write every per-row problem found as CSV."),
    ] = None,
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold",
            min=0.2,
            max=1.0,
            help="Match probability at or above which two rows are linked; pairs between "
            "0.2 and this go to the review queue.",
        ),
    ] = 0.8,
) -> None:
    """Link the rows of every data set into incidents and write one line per source row."""
    from vigil.analytics.harmonize import harmonize
    from vigil.analytics.sources import DATASETS, SourceFileError, load_directory

    for path in (output, evidence, problems):
        if path is not None and not path.parent.is_dir():
            raise _fail(f"{path.parent} is not a directory", 2)
    try:
        catalog = load_directory(directory)
    except SourceFileError as problem:
        raise _fail(str(problem)) from None
    if not catalog.sources:
        raise _fail(f"no data set folder in {directory} (expected one of {', '.join(DATASETS)})", 2)
    result = harmonize(catalog.rows, threshold=threshold)
    lines = [("dataset", "row_key", "incident_id")]
    lines += [(row.dataset, row.row_key, incident) for row, incident in result.rows()]
    write_atomically(output, _csv_writer(lines))
    if evidence is not None:
        write_atomically(evidence, _csv_writer(_evidence_lines(result)))
    found = catalog.problems
    if problems is not None:
        write_atomically(
            problems,
            _csv_writer(
                [("dataset", "file", "row_index", "row_key", "column", "problem")]
                + [(p.dataset, p.file, p.row_index, p.row_key, p.column, p.message) for p in found]
            ),
        )
    for item in found[:SHOWN_PROBLEMS]:
        where = "file" if item.row_index is None else f"row {item.row_index}"
        typer.echo(f"{item.dataset}/{item.file} {where}: {item.message}", err=True)
    if len(found) > SHOWN_PROBLEMS:
        typer.echo(
            f"... and {len(found) - SHOWN_PROBLEMS} more problems (see --problems)", err=True
        )
    for name in catalog.skipped:
        typer.echo(f"skipped {directory / name}: not a known data set", err=True)
    incidents = len(set(result.incident_of.values()))
    typer.echo(
        f"{len(lines) - 1} rows from {len(catalog.sources)} data sets -> {incidents} incidents; "
        f"{sum(p.decision == 'linked' for p in result.pairs)} links, "
        f"{len(result.review_queue)} pairs to review, {len(found)} problems"
    )


def _evidence_lines(result: object) -> Iterable[tuple[object, ...]]:
    from vigil.analytics.harmonize import Harmonized

    if not isinstance(result, Harmonized):
        raise TypeError(f"expected a harmonisation result, got {type(result).__name__}")
    yield (
        "dataset_a",
        "row_key_a",
        "dataset_b",
        "row_key_b",
        "probability",
        "decision",
        *LEVEL_COLUMNS,
    )
    for pair in result.pairs:
        levels = {level.comparison: f"{level.level} ({level.weight:+.2f})" for level in pair.levels}
        yield (
            pair.a.dataset,
            pair.a.rows[0].row_key,
            pair.b.dataset,
            pair.b.rows[0].row_key,
            f"{pair.probability:.4f}",
            pair.decision,
            *(levels.get(name, "") for name in LEVEL_COLUMNS),
        )


@analytics_app.command("load")
def load_command(
    directory: Annotated[
        Path,
        typer.Argument(
            help="A directory laid out like the shared incidents folder (any subset of the "
            "data set folders).",
        ),
    ],
) -> None:
    """Replace the public incident catalogue in the database with the data sets in DIR
    (the same files give the same catalogue: loading twice changes nothing)."""
    from vigil.analytics.catalog import load_catalog
    from vigil.analytics.sources import DATASETS, SourceFileError
    from vigil.cli import load_settings, open_database, operator_actor
    from vigil.platform.database import transaction

    if not directory.is_dir():
        raise _fail(f"{directory} is not a directory", 2)
    if not any((directory / name).is_dir() for name in DATASETS):
        raise _fail(f"no data set folder in {directory} (expected one of {', '.join(DATASETS)})", 2)
    settings = load_settings()
    _, factory = open_database(settings)
    try:
        with transaction(factory) as db:
            summary = load_catalog(db, actor=operator_actor(), directory=directory)
    except SourceFileError as problem:
        raise _fail(str(problem)) from None
    typer.echo(
        f"{summary.rows} rows from {len(summary.datasets)} data sets -> {summary.incidents} "
        f"incidents ({summary.links} links, {summary.review} pairs to review, "
        f"{summary.problems} problems)"
    )


@analytics_app.command("export")
def export_command(
    output: Annotated[
        Path,
        typer.Argument(help="File to write: OUT.csv or OUT.parquet (the suffix picks the format)."),
    ],
) -> None:
    """Write the harmonised incident catalogue from the database as CSV or Parquet."""
    from vigil.analytics.export import FORMATS, export_catalog
    from vigil.cli import load_settings, open_database, operator_actor
    from vigil.platform.database import transaction

    fmt = output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise _fail(f"{output.name}: the file must end in .csv or .parquet", 2)
    if not output.parent.is_dir():
        raise _fail(f"{output.parent} is not a directory", 2)
    settings = load_settings()
    _, factory = open_database(settings)
    with transaction(factory) as db:
        data = export_catalog(db, actor=operator_actor(), fmt=fmt)

    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, output)
    typer.echo(f"{output}: {len(data)} bytes")


@analytics_app.command("sql")
def sql_command(
    query: Annotated[
        str, typer.Argument(help="One SELECT over the tables incidents and source_rows.")
    ],
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=100_000, help="Most rows to print.")
    ] = 1000,
    seconds: Annotated[
        float, typer.Option("--seconds", min=0.1, max=300, help="Stop the query after this long.")
    ] = 10.0,
) -> None:
    """Run a read-only SQL query over the public catalogue (DuckDB, locked down) and print
    CSV."""
    from vigil.analytics.sql import QueryRefused, query_catalog
    from vigil.cli import load_settings, open_database, operator_actor
    from vigil.platform.database import transaction

    settings = load_settings()
    _, factory = open_database(settings)
    try:
        with transaction(factory) as db:
            result = query_catalog(
                db, actor=operator_actor(), query=query, row_limit=limit, seconds=seconds
            )
    except QueryRefused as problem:
        raise _fail(str(problem)) from None
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows(result.rows)
    if result.truncated:
        typer.echo(f"(stopped at {limit} rows)", err=True)

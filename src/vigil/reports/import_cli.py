"""The `vigil import` commands: bulk import of reports from CSV or JSON files, with a
progress bar and a validation report.

Exit codes: 0 every row imported; 1 a row was rejected or the file refused (nothing
stored, or with --partial only the valid rows); 2 a usage error (no such file or
agency, bad option).
"""

from __future__ import annotations

import gc
import json
import os
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from vigil.reports.import_rows import FEWER_COLLECTIONS
from vigil.reports.importer import ImportResult, Rejection

import_app = typer.Typer(
    help="Bulk import: reports from CSV or JSON files.",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True)
SHOWN_REJECTIONS = 20


class FileFormat(StrEnum):
    AUTO = "auto"
    CSV = "csv"
    JSON = "json"


@import_app.callback()
def import_() -> None:
    """Bulk import: reports from CSV or JSON files."""


def _rejection_json(rejection: Rejection) -> str:
    return json.dumps(
        {"row": rejection.row, "where": rejection.where, "reasons": list(rejection.reasons)},
        ensure_ascii=False,
    )


def _spool(spool: IO[str], rejection: Rejection) -> None:
    spool.write(_rejection_json(rejection) + "\n")


def _write_report(path: Path, result: ImportResult, spool: IO[str]) -> None:
    summary = {
        "import_id": result.import_id,
        "file": result.filename,
        "sha256": result.sha256,
        "format": result.file_format,
        "bytes": result.size_bytes,
        "rows": result.rows,
        "valid": result.valid,
        "imported": result.imported,
        "rejected": result.rejected,
        "partial": result.partial,
        "stopped_early": result.fatal,
    }
    spool.seek(0)
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps(summary, ensure_ascii=False, indent=2)[:-2])
        out.write(',\n  "rejections": [')
        for index, line in enumerate(spool):
            out.write(("," if index else "") + "\n    " + line.rstrip("\n"))
        out.write("\n  ]\n}\n")


def _say(result: ImportResult, agency_name: str) -> None:
    name = result.filename
    if result.imported:
        console.print(
            f"Imported {result.imported:,} of {result.rows:,} rows of {name} into "
            f"{agency_name} (import {result.import_id}).",
            markup=False,
            highlight=False,
        )
    else:
        console.print(
            f"Nothing was imported from {name}: {result.rejected:,} of {result.rows:,} rows "
            "rejected." + (" Every row must be valid unless --partial." if result.rejected else ""),
            markup=False,
            highlight=False,
        )
    if result.fatal:
        errors.print("Error: " + result.fatal, markup=False, highlight=False, style="bold red")
    for rejection in result.rejections[:SHOWN_REJECTIONS]:
        errors.print(
            f"  {rejection.where}: " + "; ".join(rejection.reasons), markup=False, highlight=False
        )
    if result.rejected > SHOWN_REJECTIONS:
        errors.print(
            f"  … and {result.rejected - SHOWN_REJECTIONS:,} more rejected rows "
            "(--report-file lists every one).",
            markup=False,
            highlight=False,
        )


@import_app.command("reports")
def reports(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="The CSV or JSON file to import."
        ),
    ],
    agency: Annotated[
        str, typer.Option(help="Name or id of the agency that will own the reports.")
    ],
    file_format: Annotated[
        FileFormat,
        typer.Option("--format", help="csv, json, or auto (by the first character)."),
    ] = FileFormat.AUTO,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial", help="Store the valid rows even if some are rejected (default: none)."
        ),
    ] = False,
    report_file: Annotated[
        Path | None,
        typer.Option(help="Write the validation report (every rejected row) here, as JSON."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0, help="Processes checking and triaging rows (default: one per CPU; 0, 1: none)."
        ),
    ] = None,
) -> None:
    """Import reports from a CSV or JSON file (the README lists the columns).

    All-or-nothing unless --partial; the command line's imports cannot be TLP:RED.
    """
    # The shell helpers live in vigil.cli, which imports this module.
    from vigil.cli import find_agency, load_settings, open_database, operator_actor
    from vigil.platform.database import transaction
    from vigil.platform.errors import InvalidInput
    from vigil.reports.importer import import_reports

    if report_file is not None and not report_file.parent.is_dir():
        errors.print(
            f"Error: no directory {report_file.parent} for the report file.",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(2)
    # This process only imports: the collector may run less often (see FEWER_COLLECTIONS).
    gc.set_threshold(*FEWER_COLLECTIONS)
    settings = load_settings()
    _, factory = open_database(settings)
    with factory() as db:
        try:
            target = find_agency(db, agency)
        except typer.Exit:
            raise typer.Exit(2) from None
        agency_id, agency_name = target.id, target.name
    size = file.stat().st_size
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8") as spool,
        file.open("rb") as stream,
        Progress(
            TextColumn("Importing reports"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=errors,
        ) as progress,
    ):
        task = progress.add_task("import", total=size or None, rows=0)

        def advance(done: int, rows: int) -> None:
            progress.update(task, completed=done, rows=rows)

        try:
            with transaction(factory) as db:
                result = import_reports(
                    db,
                    actor=operator_actor(),
                    settings=settings,
                    stream=stream,
                    filename=file.name,
                    file_format=file_format.value,
                    partial=partial,
                    agency_id=agency_id,
                    workers=(os.cpu_count() or 1) if workers is None else workers,
                    progress=advance,
                    on_rejection=lambda rejection: _spool(spool, rejection),
                )
        except InvalidInput as problem:
            errors.print("Error: " + str(problem), markup=False, highlight=False)
            raise typer.Exit(2) from None
        progress.stop()
        if report_file is not None:
            _write_report(report_file, result, spool)
    _say(result, agency_name)
    if report_file is not None:
        console.print(f"Validation report written to {report_file}.", markup=False)
    if not result.complete:
        raise typer.Exit(1)

"""`vigil pfif`: People Finder Interchange Format documents from the shell.

`validate` exit codes: 0 valid (warnings allowed), 1 rules broken (each named on
standard output), 2 unreadable (not XML, hostile, no such file), one line on stderr.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

pfif_app = typer.Typer(
    help="People Finder Interchange Format (PFIF 1.1-1.4): validate, import, export.",
    no_args_is_help=True,
)
errors = Console(stderr=True)


@pfif_app.callback()
def pfif() -> None:
    """People Finder Interchange Format (PFIF 1.1-1.4): validate, import, export."""


def _refuse(message: str, code: int = 2) -> typer.Exit:
    errors.print(f"Error: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _moment(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _refuse(f"--now {value!r} is not an ISO 8601 date or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@pfif_app.command("validate")
def validate_command(
    file: Annotated[Path, typer.Argument(metavar="FILE.xml", help="A PFIF document.")],
    now: Annotated[
        str | None,
        typer.Option("--now", help="Judge expiry at this ISO 8601 moment instead of now."),
    ] = None,
) -> None:
    """Check a PFIF 1.4 document (or 1.1-1.3, by its namespace) against every rule of its
    version and name each violation with its line, record and field."""
    from vigil.response.pfif_validation import UnreadableDocument, validate

    moment = _moment(now)
    if not file.is_file():
        raise _refuse(f"no such file: {file}")
    try:
        report = validate(file.read_bytes(), now=moment)
    except UnreadableDocument as problem:
        raise _refuse(f"{file}: {problem}") from None
    for violation in report.violations:
        typer.echo(str(violation))
    found = len(report.errors)
    warnings = len(report.violations) - found
    version = f"PFIF {report.version}" if report.version else "not PFIF"
    typer.echo(
        f"{file}: {version}, {report.persons} persons, {report.notes} notes: "
        f"{found} errors, {warnings} warnings; {'valid' if report.valid else 'INVALID'}"
    )
    if not report.valid:
        raise typer.Exit(1)

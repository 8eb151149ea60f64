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


@pfif_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(metavar="FILE.xml", help="A PFIF 1.1-1.4 document.")],
    incident: Annotated[
        int | None, typer.Option("--incident", help="The incident the records belong to.")
    ] = None,
    believed_dead_from: Annotated[
        list[str] | None,
        typer.Option(
            "--believed-dead-from",
            help="A domain (as in record ids) allowed to send believed_dead notes, such as "
            "the medical examiner's repository (repeat for several; default: none).",
        ),
    ] = None,
) -> None:
    """Import the persons and notes of a PFIF document into the configured database: every
    record that breaks no rule is stored, each refused one is named on standard error."""
    from vigil.cli import load_settings, open_database, operator_actor
    from vigil.platform.database import transaction
    from vigil.platform.errors import NotFound
    from vigil.response.pfif_exchange import import_document
    from vigil.response.pfif_validation import UnreadableDocument

    if not file.is_file():
        raise _refuse(f"no such file: {file}")
    data = file.read_bytes()
    _, factory = open_database(load_settings())
    try:
        with transaction(factory) as db:
            result = import_document(
                db,
                actor=operator_actor(),
                data=data,
                incident_id=incident,
                believed_dead_from=believed_dead_from or (),
            )
    except UnreadableDocument as problem:
        raise _refuse(f"{file}: {problem}; nothing was imported") from None
    except NotFound:
        raise _refuse(f"no incident {incident}; nothing was imported") from None
    for refused in result.problems:
        errors.print(f"Refused: {refused}", markup=False, highlight=False, soft_wrap=True)
    typer.echo(
        f"{file}: PFIF {result.version}: {result.persons_added} persons added, "
        f"{result.persons_updated} updated, {result.persons_unchanged} unchanged; "
        f"{result.notes_added} notes added, {result.notes_unchanged} unchanged; "
        f"{result.expired} expired; {len(result.problems)} records refused."
    )
    if result.problems:
        raise typer.Exit(1)


@pfif_app.command("export")
def export_command(
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="FILE.xml", help="Where to write PFIF 1.4.")
    ],
    incident: Annotated[
        int | None, typer.Option("--incident", help="Only this incident's records.")
    ] = None,
) -> None:
    """Export reunification persons and their notes as a PFIF 1.4 document (records past
    their expiry_date as placeholders)."""
    import os
    import tempfile

    from vigil.cli import load_settings, open_database, operator_actor
    from vigil.platform.database import transaction
    from vigil.platform.errors import NotFound
    from vigil.response.pfif_exchange import export_document

    directory = output.parent if str(output.parent) else Path(".")
    if not directory.is_dir():
        raise _refuse(f"no directory {output.parent} for the output")
    _, factory = open_database(load_settings())
    try:
        with transaction(factory) as db:
            data, persons, notes = export_document(db, actor=operator_actor(), incident_id=incident)
    except NotFound:
        raise _refuse(f"no incident {incident}") from None
    handle, temporary = tempfile.mkstemp(prefix=".pfif-", suffix=".xml", dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    typer.echo(f"{persons} persons and {notes} notes written to {output} (PFIF 1.4).")

"""`vigil incident`: open an incident with the agencies in unified command."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

incident_app = typer.Typer(
    help="Incidents: open one with the agencies in unified command.", no_args_is_help=True
)
console = Console()
errors = Console(stderr=True)


@incident_app.callback()
def incident() -> None:
    """Incidents: open one with the agencies in unified command."""


def _refuse(message: str) -> typer.Exit:
    errors.print(f"Error: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


@incident_app.command("open")
def open_command(
    name: Annotated[str, typer.Argument(help="The incident's name.")],
    kind: Annotated[str, typer.Option(help="What happened, e.g. school_shooting.")],
    place: Annotated[str, typer.Option(help="Where.")],
    lead_agency: Annotated[str, typer.Option(help="The agency in command (name or id).")],
    agency: Annotated[
        list[str] | None,
        typer.Option(
            help="AGENCY=ROLE of another agency involved (role: command, reunification, "
            "hospital, school, medical_examiner, law_enforcement, support); repeat.",
        ),
    ] = None,
    started: Annotated[
        str | None, typer.Option(help="When it started (ISO 8601; default now).")
    ] = None,
) -> None:
    """Open an incident; prints its id for `vigil reunify upload --incident ID`."""
    from vigil.cli import find_agency, load_settings, open_database, operator_actor
    from vigil.platform.database import transaction
    from vigil.platform.errors import InvalidInput
    from vigil.response.reunification import create_incident

    try:
        moment = datetime.fromisoformat(started) if started else datetime.now(UTC)
    except ValueError:
        raise _refuse(f"--started {started!r} is not an ISO 8601 date or time") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    pairs = []
    for item in agency or []:
        who, sep, role = item.rpartition("=")
        if not sep or not who.strip() or not role.strip():
            raise _refuse(f"--agency {item!r} is not AGENCY=ROLE")
        pairs.append((who.strip(), role.strip()))
    _, factory = open_database(load_settings())
    try:
        with transaction(factory) as db:
            lead = find_agency(db, lead_agency)
            roles = {find_agency(db, who).id: role for who, role in pairs}
            opened = create_incident(
                db,
                actor=operator_actor(),
                name=name,
                kind=kind,
                place=place,
                started_at=moment,
                lead_agency_id=lead.id,
                agencies=roles,
            )
            console.print(f"Incident {opened.id}: {opened.name}", highlight=False)
    except InvalidInput as problem:
        raise _refuse(str(problem)) from None


@incident_app.command("close")
def close_command(
    incident_id: Annotated[int, typer.Argument(metavar="ID", help="The incident's id.")],
) -> None:
    """Close an incident; its reunification data is deleted by `vigil reunify purge` once
    the retention period has passed."""
    from vigil.cli import load_settings, open_database, operator_actor
    from vigil.platform.database import transaction
    from vigil.platform.errors import Conflict, NotFound
    from vigil.platform.types import utcnow
    from vigil.response.retention import close_incident

    _, factory = open_database(load_settings())
    try:
        with transaction(factory) as db:
            close_incident(db, actor=operator_actor(), incident_id=incident_id, now=utcnow())
    except NotFound:
        raise _refuse(f"no incident {incident_id}") from None
    except Conflict as clash:
        raise _refuse(str(clash)) from None
    console.print(f"Incident {incident_id} closed.", highlight=False)

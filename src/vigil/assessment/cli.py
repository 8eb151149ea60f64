"""The `vigil assessment` commands: send threat-assessment reminders from the shell
(the server also does it on a schedule)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

assessment_app = typer.Typer(
    help="Threat-assessment cases: reminders about overdue interventions and due reviews.",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True)


@assessment_app.callback()
def assessment() -> None:
    """Threat-assessment cases: reminders about overdue interventions and due reviews."""


def parse_moment(value: str) -> datetime:
    """An ISO 8601 date or date and time; without a zone it is UTC."""
    moment = datetime.fromisoformat(value.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@assessment_app.command("reminders")
def reminders_command(
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            help="Send what is due at this ISO 8601 moment (UTC unless it says otherwise) "
            "instead of now.",
        ),
    ] = None,
) -> None:
    """E-mail and notify the owners of overdue interventions and the leads of due reviews."""
    # The shell helpers live in vigil.cli, which imports this module.
    from vigil.assessment.reminders import send_due_reminders
    from vigil.cli import load_settings, open_database, operator_actor
    from vigil.platform.database import transaction
    from vigil.platform.mail import mailer_from_settings
    from vigil.platform.types import utcnow

    try:
        moment = parse_moment(now) if now else utcnow()
    except ValueError:
        errors.print(f"[bold red]Error:[/] --now {now!r} is not an ISO 8601 date or time")
        raise typer.Exit(2) from None
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    _, factory = open_database(settings)
    with transaction(factory) as db:
        sent = send_due_reminders(
            db,
            actor=operator_actor(),
            mailer=mailer_from_settings(settings),
            now=moment,
            base_url=settings.resolved_public_url,
        )
    console.print(f"{sent} reminder{'s' if sent != 1 else ''} sent.")

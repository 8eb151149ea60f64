"""The `vigil retention` commands: queue reports due for review and purge those past
their retention limit, from the shell (the server also does it on a schedule)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

retention_app = typer.Typer(
    help="Report retention: the review queue and purges past each class's limit.",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True)


@retention_app.callback()
def retention() -> None:
    """Report retention: the review queue and purges past each class's limit."""


@retention_app.command("run")
def run() -> None:
    """Put reports due for review into the review queue and purge those past retention."""
    # The shell helpers live in vigil.cli, which imports this module.
    from vigil.cli import load_settings, open_database, operator_actor
    from vigil.platform.database import transaction
    from vigil.reports import retention

    settings = load_settings()
    _, factory = open_database(settings)
    with Progress(
        TextColumn("Purging reports past retention"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as progress:
        task = progress.add_task("purge", total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        with transaction(factory) as db:
            result = retention.run_retention(
                db, actor=operator_actor(), settings=settings, progress=report
            )
    # Files go only once the purge is committed; each is checked again first.
    removed = retention.remove_files(factory, settings, result.files_to_delete)
    console.print(
        f"Retention run: {result.queued_for_review} queued for review, "
        f"{result.purged} purged, {removed} attachment files deleted, "
        f"{result.held_for_open_case} kept for an open case."
    )

"""The database commands of `vigil link`: `run` (re)clusters every mention with a
progress display; `status` shows the latest runs; `match` places mentions still
pending (what the server's after-commit matcher and scheduled sweep do)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import select

console = Console()
errors = Console(stderr=True)


def run(
    backend: Annotated[
        str | None,
        typer.Option(help="duckdb or spark (default: VIGIL_LINKAGE_BACKEND)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """(Re)cluster every mention into persons: train, score, cluster, save."""
    from vigil.cli import load_settings, open_database, operator_actor
    from vigil.linkage import runs

    settings = load_settings()
    chosen = backend or settings.linkage_backend
    if chosen not in ("duckdb", "spark"):
        errors.print(f"Unknown backend {chosen!r}: use duckdb or spark.")
        raise typer.Exit(2)
    _, factory = open_database(settings)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as progress:
        task = progress.add_task("starting", total=None)

        def say(phase: str, fraction: float | None) -> None:
            progress.update(task, description=f"Linkage: {phase}")

        try:
            summary = runs.run_linkage(
                factory, actor=operator_actor(), backend=chosen, progress=say
            )
        except runs.LinkageFailed as failed:
            errors.print(f"Linkage run failed; the previous clusters are unchanged. {failed}")
            raise typer.Exit(1) from None
    if as_json:
        console.print_json(json.dumps(summary.__dict__))
        return
    console.print(
        f"Run {summary.run_key}: {summary.mention_count} mentions in "
        f"{summary.person_count} persons, {summary.pair_count} pairs scored, "
        f"{summary.review_count} possible matches to review ({summary.seconds:.1f} s)."
    )


def status(
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many runs to show.")] = 10,
) -> None:
    """Show the latest linkage runs: status, counts, thresholds, any error."""
    from vigil.cli import load_settings, open_database
    from vigil.linkage.models import LinkRun

    settings = load_settings()
    _, factory = open_database(settings)
    # Plain lines, not a table: a narrow terminal must never cut a run id short.
    with factory() as db:
        history = db.execute(select(LinkRun).order_by(LinkRun.id.desc()).limit(limit)).scalars()
        shown = 0
        for row in history:
            shown += 1
            console.print(
                f"{row.run_key}  {row.started_at:%Y-%m-%d %H:%M} UTC  {row.status}  "
                f"{row.backend}  {row.mention_count} mentions, {row.person_count} persons, "
                f"{row.review_count} to review" + (f"  error: {row.error}" if row.error else ""),
                highlight=False,
                soft_wrap=True,
            )
    if not shown:
        console.print("No linkage run yet: `vigil link run` makes the first.")


def match() -> None:
    """Place mentions not yet matched against the latest run's persons."""
    from vigil.cli import load_settings, open_database
    from vigil.linkage import matching

    settings = load_settings()
    _, factory = open_database(settings)
    total = 0
    while placed := matching.sweep(factory):
        total += placed
    console.print(f"{total} mentions placed.")


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("status")(status)
    app.command("match")(match)

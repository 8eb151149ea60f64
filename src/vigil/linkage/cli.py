"""The `vigil link` command group; each command lives in its own module and is added here."""

from __future__ import annotations

import typer

from vigil.linkage import run_cli
from vigil.linkage.csv_cli import link_csv

link_app = typer.Typer(
    help="Person linkage: which mentions are the same person.", no_args_is_help=True
)


@link_app.callback()
def link() -> None:
    """Person linkage: which mentions are the same person."""


link_app.command("csv")(link_csv)
run_cli.register(link_app)

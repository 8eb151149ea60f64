"""`vigil reunify`: family reunification from the shell (matching inquiries to lists).

Exit codes: 0 done; 2 bad input (no such file, wrong header, not UTF-8, repeated
id, impossible age or date, unknown list, bad option), with one line on stderr and
no output file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

reunify_app = typer.Typer(
    help="Family reunification: match families' inquiries against accountability lists.",
    no_args_is_help=True,
)
errors = Console(stderr=True)


@reunify_app.callback()
def reunify() -> None:
    """Family reunification: match families' inquiries against accountability lists."""


def _refuse(message: str) -> typer.Exit:
    errors.print(f"Error: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


@reunify_app.command("match")
def match_command(
    list_file: Annotated[
        Path,
        typer.Argument(
            metavar="LIST.csv",
            help="People on accountability lists: id,list,full_name,dob,age,sex,description "
            "(list is roster, hospital, medical_examiner or attendees).",
        ),
    ],
    inquiries_file: Annotated[
        Path,
        typer.Argument(
            metavar="INQUIRIES.csv",
            help="Families' inquiries: id,full_name,dob,age,sex,description,relationship.",
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="MATCHES.csv",
            help="Where to write inquiry_id,person_id,rank,score,likely.",
        ),
    ],
    top: Annotated[int, typer.Option("--top", help="Candidates per inquiry (1-50).")] = 3,
    on: Annotated[
        str | None,
        typer.Option(
            "--on",
            help="Date ages are counted at (YYYY-MM-DD; default today): the incident's date.",
        ),
    ] = None,
) -> None:
    """Rank candidates from the lists for each inquiry, best first; `likely` = yes marks
    the probable match for staff to confirm (never a notification by itself)."""
    from vigil.response.inquiry_matching import match_inquiries
    from vigil.response.match_files import BadFile, read_inquiries, read_list, write_matches

    try:
        if not 1 <= top <= 50:
            raise BadFile(f"--top must be between 1 and 50, not {top}")
        try:
            today = date.fromisoformat(on) if on else date.today()
        except ValueError:
            raise BadFile(f"--on {on!r} is not a date (YYYY-MM-DD)") from None
        if not (output.parent if str(output.parent) else Path(".")).is_dir():
            raise BadFile(f"no directory {output.parent} for the output")
        if output.is_dir():
            raise BadFile(f"{output} is a directory")
        people = read_list(list_file, today=today)
        inquiries = read_inquiries(inquiries_file, today=today)
    except BadFile as problem:
        raise _refuse(str(problem)) from None
    candidates = match_inquiries(people, inquiries, top=top)
    write_matches(output, candidates)
    likely = sum(1 for c in candidates if c.likely)
    errors.print(
        f"{len(inquiries):,} inquiries against {len(people):,} listed people: "
        f"{likely:,} likely matches to confirm; written to {output}.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )

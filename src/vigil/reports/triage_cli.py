"""The `vigil triage` commands: explain the urgency triage of narratives, one JSON line each."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from vigil.reports.triage import Triage, score_urgency

triage_app = typer.Typer(
    help="Explain the urgency triage of report narratives (score, level, rules and words).",
    no_args_is_help=True,
)

_LIST_FIELDS = ("behaviors", "target_types", "weapons")


@triage_app.callback()
def triage() -> None:
    """Explain the urgency triage of report narratives (score, level, rules and words)."""


def _print(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload))


def _score_line(line: str, default_earlier_reports: int) -> Triage:
    """Score one JSON line; ValueError says what is wrong with it."""
    try:
        given = json.loads(line)
    except json.JSONDecodeError as problem:
        raise ValueError(f"not JSON: {problem.msg} at column {problem.colno}") from None
    if not isinstance(given, dict):
        raise ValueError('expected a JSON object like {"narrative": "..."}')
    narrative = given.get("narrative")
    if not isinstance(narrative, str):
        raise ValueError('"narrative" is missing or not a string')
    earlier = given.get("earlier_reports", default_earlier_reports)
    if isinstance(earlier, bool) or not isinstance(earlier, int) or earlier < 0:
        raise ValueError('"earlier_reports" must be a whole number, 0 or more')
    lists: dict[str, list[str]] = {}
    for name in _LIST_FIELDS:
        values = given.get(name, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError(f'"{name}" must be a list of strings')
        lists[name] = values
    return score_urgency(
        narrative,
        earlier_reports=earlier,
        behaviors=lists["behaviors"],
        target_types=lists["target_types"],
        weapons=lists["weapons"],
    )


@triage_app.command("explain")
def explain(
    ctx: typer.Context,
    narrative: Annotated[
        str | None,
        typer.Argument(metavar="NARRATIVE", help="The narrative to score (omit with --jsonl)."),
    ] = None,
    jsonl: Annotated[
        bool,
        typer.Option(
            "--jsonl",
            help='Score each standard-input line {"narrative": "..."} (optional keys: '
            "earlier_reports, behaviors, target_types, weapons).",
        ),
    ] = False,
    earlier_reports: Annotated[
        int,
        typer.Option(min=0, help="Earlier reports in the same agency (default for --jsonl)."),
    ] = 0,
) -> None:
    """Print the urgency score, level and fired rules (with their words) as one JSON line.

    With --jsonl, a line that is not JSON or lacks a string "narrative" prints
    {"line": N, "error": "..."} instead, and the exit code is 1.
    """
    if (narrative is None) == (not jsonl):
        ctx.fail("give either a NARRATIVE argument or --jsonl (not both).")
    if narrative is not None:
        _print(score_urgency(narrative, earlier_reports=earlier_reports).as_dict())
        return
    failed = False
    for number, line in enumerate(typer.get_text_stream("stdin"), start=1):
        if not line.strip():
            continue
        try:
            triaged = _score_line(line, earlier_reports)
        except ValueError as problem:
            failed = True
            _print({"line": number, "error": str(problem)})
            continue
        _print(triaged.as_dict())
    if failed:
        raise typer.Exit(1)

"""The `vigil plan` commands: the best mitigation plan for a budget, and patrol coverage.

Both read one JSON file and write one; no database. Exit codes: 0 done (a mitigation
plan stopped by the time limit is still written, labelled ``"optimal": false`` with its
proven gap); 2 bad input (one line on standard error, no output file).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from vigil.preparedness.plan_input import PlanInputError, one_line, read_json_file

# The solvers (numpy, SciPy) are imported by the commands that use them, so that every
# other `vigil` command starts without them.
DEFAULT_TIME_LIMIT_SECONDS = "60"
MAX_SCHEDULES = 100_000

plan_app = typer.Typer(
    help="Planning: the best mitigation plan for a budget, protective-patrol coverage.",
    no_args_is_help=True,
)


@plan_app.callback()
def plan() -> None:
    """Planning: the best mitigation plan for a budget, protective-patrol coverage."""


def _refuse(message: str) -> typer.Exit:
    print(f"Error: {one_line(message)}", file=sys.stderr, flush=True)
    return typer.Exit(2)


def _check_output(output: Path) -> None:
    if output.is_dir():
        raise PlanInputError(f"the output {output} is a directory")
    if not output.parent.is_dir():
        raise PlanInputError(f"no directory {output.parent} for the output")


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise PlanInputError(f"--time-limit must be a number of seconds, not {text!r}") from None
    if not math.isfinite(value) or value <= 0 or value > 86_400:
        raise PlanInputError("--time-limit must be more than 0 and at most 86400 seconds")
    return value


def _whole(text: str, option: str, minimum: int, maximum: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise PlanInputError(f"{option} must be a whole number, not {text!r}") from None
    if not minimum <= value <= maximum:
        raise PlanInputError(f"{option} must be between {minimum} and {maximum:,}, not {value}")
    return value


def write_json(output: Path, document: dict[str, Any]) -> None:
    """Write the whole document or nothing: a temporary file renamed into place."""
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, allow_nan=False, separators=(",", ":"))
            stream.write("\n")
        os.replace(temporary, output)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def quiet_native_output() -> Iterator[None]:
    """Silence what the solver library prints from C++ straight to file descriptor 1."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            try:
                yield
            finally:
                os.dup2(saved, 1)
    finally:
        os.close(saved)


@plan_app.command("mitigation")
def plan_mitigation(
    input_file: Annotated[Path, typer.Argument(help="JSON: budget, sites and measures.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the plan (JSON).")],
    time_limit: Annotated[
        str,
        typer.Option(
            "--time-limit",
            metavar="SECONDS",
            help="Stop the solver after this long and write the best plan found, with its "
            "proven gap.",
        ),
    ] = DEFAULT_TIME_LIMIT_SECONDS,
) -> None:
    """Choose the measures that leave the least total risk within the budget (exact MILP).

    A site's residual risk is threat x consequence x vulnerability x the product of its
    chosen measures' vulnerability factors. Writes selected, cost, risk_before,
    risk_after, optimal and gap.
    """
    from vigil.preparedness import mitigation

    try:
        seconds = _positive_seconds(time_limit)
        _check_output(output)
        problem = mitigation.parse_problem(read_json_file(input_file))
        with quiet_native_output():
            plan = mitigation.solve(problem, time_limit_seconds=seconds)
    except PlanInputError as problem_text:
        raise _refuse(str(problem_text)) from None
    write_json(output, plan.as_json(problem))
    label = "optimal" if plan.optimal else f"time limit reached, gap {plan.gap:.3%}"
    print(
        f"{len(plan.selected)} measures, cost {plan.cost:,.2f} of {problem.budget:,.2f}; "
        f"risk {plan.risk_before:,.4g} -> {plan.risk_after:,.4g} ({label}); "
        f"written to {output}."
    )


@plan_app.command("patrols")
def plan_patrols(
    input_file: Annotated[Path, typer.Argument(help="JSON: resources and targets.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write coverage and schedules (JSON).")
    ],
    schedules: Annotated[
        str,
        typer.Option(
            "--schedules", metavar="N", help="How many daily assignments to sample (1-100000)."
        ),
    ] = "1000",
    seed: Annotated[
        str | None,
        typer.Option(
            "--seed",
            metavar="S",
            help="Seed for sampling, to reproduce schedules (default: a random seed, "
            "written to the output).",
        ),
    ] = None,
) -> None:
    """Optimal randomized patrol coverage (strong Stackelberg equilibrium) and schedules.

    Writes each place's coverage, the attacker's best response and both utilities, and
    N schedules of at most `resources` places whose frequencies match the coverage.
    """
    from vigil.preparedness import patrols

    try:
        count = _whole(schedules, "--schedules", 1, MAX_SCHEDULES)
        chosen_seed = (
            secrets.randbelow(2**63) if seed is None else _whole(seed, "--seed", 0, 2**63 - 1)
        )
        _check_output(output)
        game = patrols.parse_game(read_json_file(input_file))
    except PlanInputError as problem_text:
        raise _refuse(str(problem_text)) from None
    equilibrium = patrols.solve(game)
    sampled = patrols.sample_schedules(equilibrium.coverage, game.resources, count, chosen_seed)
    write_json(output, patrols.as_json(game, equilibrium, sampled, chosen_seed))
    print(
        f"{len(game.keys)} places, {game.resources} units: attacker's best response "
        f"{game.keys[equilibrium.attacked]!r} (utility {equilibrium.attacker_utility:.6g}), "
        f"defender's utility {equilibrium.defender_utility:.6g}; {count} schedules "
        f"(seed {chosen_seed}) written to {output}."
    )

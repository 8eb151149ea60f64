"""Protective-patrol planning for the pages: the exact coverage of ``patrols`` explained
place by place, a planner's overrides with what they do to the attacker's expected
utility (recorded in the audit trail, with a warning above 5%), and the sampled daily
assignments as CSV and iCalendar."""

from __future__ import annotations

import csv
import io
import math
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.preparedness import patrols
from vigil.preparedness.plan_input import PlanInputError, parse_json

MAX_PAGE_SCHEDULES = 10_000
MAX_INPUT_CHARACTERS = 2_000_000
WARN_ABOVE = 0.05


@dataclass(frozen=True)
class PlaceRow:
    index: int
    key: str
    coverage: float
    optimal_coverage: float
    attacker_utility: float
    defender_utility: float
    in_attack_set: bool
    overridden: bool


@dataclass(frozen=True)
class PatrolView:
    game: patrols.SecurityGame
    rows: list[PlaceRow]
    attacked: str
    attacker_utility: float
    defender_utility: float
    optimal_attacker_utility: float
    optimal_defender_utility: float
    change: float  # relative change of the attacker's expected utility by the overrides
    warning: bool
    schedules: list[NDArray[np.int64]]
    seed: int
    coverage_used: float


def _best_response(
    game: patrols.SecurityGame, coverage: NDArray[np.float64]
) -> tuple[int, float, float, NDArray[np.float64], NDArray[np.float64]]:
    attacker = coverage * game.attacker_covered + (1 - coverage) * game.attacker_uncovered
    defender = coverage * game.defender_covered + (1 - coverage) * game.defender_uncovered
    best = float(attacker.max())
    tie = patrols.TIE_TOLERANCE * max(1.0, float(np.abs(attacker).max()))
    ties = np.flatnonzero(attacker >= best - tie)
    attacked = int(ties[np.argmax(defender[ties])])
    return attacked, float(attacker[attacked]), float(defender[attacked]), attacker, defender


def plan_patrols(
    db: Session,
    *,
    actor: Actor,
    text: str,
    schedules: int = 100,
    seed: int | None = None,
    overrides: dict[int, float] | None = None,
) -> PatrolView:
    """Solve the game in ``text`` (the JSON of `vigil plan patrols`), apply a planner's
    overrides (place index -> coverage) and sample the schedules."""
    policy.authorize(actor, "list", "protected_site")
    if len(text) > MAX_INPUT_CHARACTERS:
        raise InvalidInput({"game": "The places are too many for a page; use vigil plan patrols."})
    try:
        game = patrols.parse_game(parse_json(text))
    except PlanInputError as problem:
        raise InvalidInput({"game": str(problem)}) from None
    if not 1 <= schedules <= MAX_PAGE_SCHEDULES:
        raise InvalidInput({"schedules": f"Choose from 1 to {MAX_PAGE_SCHEDULES:,} days."})
    equilibrium = patrols.solve(game)
    coverage = equilibrium.coverage.copy()
    changes = overrides or {}
    for index, value in changes.items():
        if not 0 <= index < len(game.keys):
            raise InvalidInput({"override": "An override names no place of this plan."})
        if not math.isfinite(value) or not 0 <= value <= 1:
            raise InvalidInput({f"override-{index}": "Enter a coverage from 0 to 1."})
        coverage[index] = value
    if float(coverage.sum()) > game.resources + 1e-9:
        raise InvalidInput(
            {
                "override": f"That coverage needs {coverage.sum():.2f} units; there are "
                f"{game.resources}."
            }
        )
    attacked, attacker_utility, defender_utility, attacker, defender = _best_response(
        game, coverage
    )
    base = equilibrium.attacker_utility
    change = (attacker_utility - base) / abs(base) if base else (attacker_utility - base)
    warning = change > WARN_ABOVE
    if changes:
        # The override is the planner's decision on record: what it costs in attacker
        # utility, not which places (the input is not stored).
        audit.record(
            db,
            actor=actor,
            action="patrol_plan.override",
            object_type="patrol_plan",
            details={
                "overrides": len(changes),
                "attacker_utility_change": round(change, 6),
                "warning": warning,
            },
        )
    chosen_seed = secrets.randbelow(2**63) if seed is None else seed
    sampled = patrols.sample_schedules(coverage, game.resources, schedules, chosen_seed)
    attack_set = set(np.flatnonzero(attacker >= attacker_utility - 1e-9).tolist())
    rows = [
        PlaceRow(
            index=i,
            key=game.keys[i],
            coverage=float(coverage[i]),
            optimal_coverage=float(equilibrium.coverage[i]),
            attacker_utility=float(attacker[i]),
            defender_utility=float(defender[i]),
            in_attack_set=i in attack_set,
            overridden=i in changes,
        )
        for i in range(len(game.keys))
    ]
    return PatrolView(
        game=game,
        rows=rows,
        attacked=game.keys[attacked],
        attacker_utility=attacker_utility,
        defender_utility=defender_utility,
        optimal_attacker_utility=equilibrium.attacker_utility,
        optimal_defender_utility=equilibrium.defender_utility,
        change=change,
        warning=warning,
        schedules=sampled,
        seed=chosen_seed,
        coverage_used=float(coverage.sum()),
    )


def schedules_csv(view: PatrolView, start: date) -> str:
    """One row per place covered per day: day number, date, place id."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["day", "date", "place"])
    for day, schedule in enumerate(view.schedules):
        on = (start + timedelta(days=day)).isoformat()
        for index in schedule.tolist():
            writer.writerow([day + 1, on, _spreadsheet_safe(view.game.keys[index])])
    return out.getvalue()


def _spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _ics_text(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return " ".join(escaped.split())


def schedules_ics(view: PatrolView, start: date, *, stamp: str) -> str:
    """An iCalendar file: one all-day event per place covered per day."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Vigil//Patrol plan//EN",
        "CALSCALE:GREGORIAN",
    ]
    for day, schedule in enumerate(view.schedules):
        on = start + timedelta(days=day)
        for index in schedule.tolist():
            place = view.game.keys[index]
            lines += [
                "BEGIN:VEVENT",
                f"UID:patrol-{view.seed}-{day + 1}-{index}@vigil",
                f"DTSTAMP:{stamp}",
                f"DTSTART;VALUE=DATE:{on:%Y%m%d}",
                f"DTEND;VALUE=DATE:{on + timedelta(days=1):%Y%m%d}",
                f"SUMMARY:{_ics_text('Patrol: ' + place)}",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _fold(line: str) -> str:
    """RFC 5545 folding: lines of at most 75 octets, continued with a space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        piece = char.encode("utf-8")
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)

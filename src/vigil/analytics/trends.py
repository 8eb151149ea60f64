"""Counts, killed and injured by year, month or state under one definition of a mass or
school shooting, with rates per million residents from the Census state populations,
and the same years under every definition side by side."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.analytics.models import CatalogIncident
from vigil.analytics.places import STATES
from vigil.analytics.sources import DATASETS
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput


@dataclass(frozen=True)
class Definition:
    key: str
    label: str
    column: str
    meaning: str
    # The data sets whose rows can meet it, and the years they cover together.
    sources: tuple[str, ...]


DEFINITIONS: dict[str, Definition] = {
    d.key: d
    for d in (
        Definition(
            "shot4",
            "4+ shot (excluding the shooter)",
            "shot4",
            "Four or more people shot, killed or injured, not counting the shooter, at one "
            "time and place (Gun Violence Archive's mass shooting).",
            ("gva_mass_shootings_dxzys", "gva_incidents_2013_2018", "stanford_msa"),
        ),
        Definition(
            "killed4",
            "4+ killed",
            "killed4",
            "Four or more people killed, not counting the shooter (the FBI's older 'mass "
            "murder' threshold and the Congressional Research Service's 'mass killing').",
            ("gva_mass_shootings_dxzys", "motherjones_codeholics", "stanford_msa"),
        ),
        Definition(
            "active_shooter",
            "Active shooter",
            "active_shooter",
            "An individual actively engaged in killing or attempting to kill people in a "
            "populated area (FBI; listed 2000-2018).",
            ("fbi_active_shooter_2000_2018",),
        ),
        Definition(
            "public_mass",
            "Public mass shooting",
            "public_mass",
            "An indiscriminate rampage in a public place with 4+ killed (3+ from 2013), not "
            "armed robbery, gang or domestic violence (Mother Jones).",
            ("motherjones_codeholics",),
        ),
        Definition(
            "school",
            "School shooting",
            "school_shooting",
            "Gunfire at a school (K-12 in the Post's and the CHDS databases; any source that "
            "places it at a school or college).",
            ("wapo_school_shootings", "k12_ssdb_chds"),
        ),
    )
}
GROUPS = ("year", "month", "state")
SCHOOL_LEVELS = ("primary", "secondary", "college")
EARLIEST_YEAR = 1966
# The factor filters: a query value -> the harmonised factor value it selects
# (vigil.analytics.factors; incidents whose sources do not say are left out).
WEAPONS: dict[str, str] = {
    "handgun": "handgun",
    "rifle": "rifle",
    "shotgun": "shotgun",
    "several": "several kinds",
}
SHOOTER_AGES: dict[str, str] = {
    "under_18": "under 18",
    "18_24": "18-24",
    "25_44": "25-44",
    "45_over": "45 and over",
}


@dataclass(frozen=True)
class TrendFilters:
    definition: str = "shot4"
    group: str = "year"
    year_from: int | None = None
    year_to: int | None = None
    state: str | None = None
    school_level: str | None = None
    weapon: str | None = None
    shooter_age: str | None = None


@dataclass(frozen=True)
class TrendRow:
    label: str
    incidents: int
    killed: int
    injured: int
    population: int | None

    @property
    def rate_per_million(self) -> float | None:
        if not self.population:
            return None
        return round(self.incidents / self.population * 1_000_000, 3)


def _year(params: Mapping[str, str], name: str, errors: dict[str, str]) -> int | None:
    text = (params.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or not EARLIEST_YEAR <= int(text) <= 2100:
        errors[name] = f"Enter a year from {EARLIEST_YEAR} to 2100."
        return None
    return int(text)


def parse_filters(params: Mapping[str, str]) -> TrendFilters:
    """Validate a page's or an export's query against the allow-lists."""
    errors: dict[str, str] = {}
    definition = params.get("definition") or "shot4"
    if definition not in DEFINITIONS:
        errors["definition"] = "Choose one of the listed definitions."
    group = params.get("group") or "year"
    if group not in GROUPS:
        errors["group"] = "Group by year, month or state."
    state = (params.get("state") or "").strip().upper() or None
    if state is not None and state not in STATES:
        errors["state"] = "Choose a state from the list."
    level = params.get("school_level") or None
    if level is not None and level not in SCHOOL_LEVELS:
        errors["school_level"] = "Choose a school level from the list."
    weapon = params.get("weapon") or None
    if weapon is not None and weapon not in WEAPONS:
        errors["weapon"] = "Choose a kind of firearm from the list."
    shooter_age = params.get("shooter_age") or None
    if shooter_age is not None and shooter_age not in SHOOTER_AGES:
        errors["shooter_age"] = "Choose an age range of the shooter from the list."
    year_from = _year(params, "year_from", errors)
    year_to = _year(params, "year_to", errors)
    if year_from and year_to and year_from > year_to:
        errors["year_to"] = "The last year must not be before the first."
    if errors:
        raise InvalidInput(errors)
    return TrendFilters(definition, group, year_from, year_to, state, level, weapon, shooter_age)


@cache
def populations() -> dict[tuple[int, str], int]:
    """(year, USPS code) -> resident population, from the shipped Census file."""
    text = resources.files("vigil.analytics").joinpath("data/state_population.csv")
    lines = text.read_text(encoding="utf-8").splitlines()
    return {
        (int(row["year"]), row["state_abbr"]): int(row["population"])
        for row in csv.DictReader(lines)
    }


def _population(year: int | None, state: str | None) -> int | None:
    if year is None:
        return None
    table = populations()
    if state:
        return table.get((year, state))
    total = sum(value for (y, _), value in table.items() if y == year)
    return total or None


def _conditions(filters: TrendFilters) -> list[Any]:
    column = getattr(CatalogIncident, DEFINITIONS[filters.definition].column)
    found: list[Any] = [column.is_(True), CatalogIncident.year.is_not(None)]
    if filters.year_from:
        found.append(CatalogIncident.year >= filters.year_from)
    if filters.year_to:
        found.append(CatalogIncident.year <= filters.year_to)
    if filters.state:
        found.append(CatalogIncident.state == filters.state)
    if filters.school_level:
        found.append(CatalogIncident.school_level == filters.school_level)
    if filters.weapon:
        found.append(CatalogIncident.factors["weapon_kind"].as_string() == WEAPONS[filters.weapon])
    if filters.shooter_age:
        found.append(
            CatalogIncident.factors["shooter_age"].as_string() == SHOOTER_AGES[filters.shooter_age]
        )
    return found


def trend(session: Session, *, actor: Actor, filters: TrendFilters) -> list[TrendRow]:
    """Incidents, killed and injured per group under the chosen definition."""
    policy.authorize(actor, "read", "analytics_catalog")
    groupings: dict[str, list[Any]] = {
        "year": [CatalogIncident.year],
        "month": [CatalogIncident.year, CatalogIncident.month],
        "state": [CatalogIncident.state],
    }
    keys = groupings[filters.group]
    query = (
        select(
            *keys,
            func.count(),
            func.coalesce(func.sum(CatalogIncident.killed), 0),
            func.coalesce(func.sum(CatalogIncident.injured), 0),
        )
        .where(*_conditions(filters))
        .group_by(*keys)
        .order_by(*keys)
    )
    rows = []
    for *key, count, killed, injured in session.execute(query):
        if filters.group == "year":
            label, population = str(key[0]), _population(key[0], filters.state)
        elif filters.group == "month":
            label, population = f"{key[0]}-{key[1]:02d}", None
        else:
            label = key[0] or "unknown"
            population = _state_years(key[0], filters) if key[0] else None
        rows.append(TrendRow(label, int(count), int(killed), int(injured), population))
    return rows


def _state_years(state: str, filters: TrendFilters) -> int | None:
    """Person-years of a state over the filtered years (so a rate is per million a year)."""
    table = populations()
    years = [y for (y, s) in table if s == state]
    if not years:
        return None
    first = max(filters.year_from or min(years), min(years))
    last = min(filters.year_to or max(years), max(years))
    return sum(table.get((y, state), 0) for y in range(first, last + 1)) or None


def comparison(
    session: Session, *, actor: Actor, filters: TrendFilters
) -> tuple[list[int], dict[str, dict[int, int]]]:
    """Incidents per year under every definition (the other filters applied)."""
    policy.authorize(actor, "read", "analytics_catalog")
    counts: dict[str, dict[int, int]] = {}
    years: set[int] = set()
    for key in DEFINITIONS:
        chosen = replace(filters, definition=key, group="year")
        query = (
            select(CatalogIncident.year, func.count())
            .where(*_conditions(chosen))
            .group_by(CatalogIncident.year)
        )
        counts[key] = {
            int(year): int(count) for year, count in session.execute(query) if year is not None
        }
        years.update(counts[key])
    return sorted(years), counts


def source_notes() -> list[dict[str, str]]:
    """Each data set's own definition and attribution, for the page and the CSV."""
    return [
        {"name": d.name, "title": d.title, "definition": d.definition, "attribution": d.attribution}
        for d in DATASETS.values()
    ]


def record_export(session: Session, *, actor: Actor, filters: TrendFilters, rows: int) -> None:
    """Exports of public data are audited like any other (who, which filter, how many)."""
    policy.authorize(actor, "export", "analytics_catalog")
    audit.record(
        session,
        actor=actor,
        action="analytics.trend_exported",
        object_type="analytics_catalog",
        details={
            "definition": filters.definition,
            "group": filters.group,
            "weapon": filters.weapon,
            "shooter_age": filters.shooter_age,
            "rows": rows,
        },
    )


@dataclass(frozen=True)
class IncidentSummary:
    id: str
    occurred_on: str
    place: str
    killed: int | None
    injured: int | None
    sources: list[str]
    disagreements: list[str]
    provenance: dict[str, Any]


def largest_incidents(
    session: Session, *, actor: Actor, filters: TrendFilters, limit: int = 15
) -> list[IncidentSummary]:
    """The incidents with the most victims under the filters, with who said what."""
    policy.authorize(actor, "read", "analytics_catalog")
    query = (
        select(CatalogIncident)
        .where(*_conditions(filters))
        .order_by(
            (
                func.coalesce(CatalogIncident.killed, 0) + func.coalesce(CatalogIncident.injured, 0)
            ).desc(),
            CatalogIncident.id,
        )
        .limit(limit)
    )
    return [
        IncidentSummary(
            id=row.id,
            occurred_on=row.occurred_on.isoformat() if row.occurred_on else "",
            place=", ".join(
                p for p in ((row.city or row.county or "").title(), row.state or "") if p
            ),
            killed=row.killed,
            injured=row.injured,
            sources=list(row.sources),
            disagreements=list(row.disagreements),
            provenance=dict(row.provenance),
        )
        for row in session.scalars(query)
    ]


@dataclass(frozen=True)
class FactorTable:
    factor: str
    label: str
    periods: list[str]
    # value -> counts per period, then the total; the last row is "not said".
    rows: list[tuple[str, list[int], int]]
    incidents: int

    def share(self, count: int) -> str:
        return f"{count / self.incidents:.0%}" if self.incidents else "–"


def _period(year: int) -> str:
    start = year - year % 10
    return f"{start}s"


def factor_tables(session: Session, *, actor: Actor, filters: TrendFilters) -> list[FactorTable]:
    """Each factor's distribution under the filters, by decade and in all, with the
    number of incidents whose sources do not say."""
    from vigil.analytics.factors import FACTORS

    policy.authorize(actor, "read", "analytics_catalog")
    found = session.execute(
        select(CatalogIncident.year, CatalogIncident.factors).where(*_conditions(filters))
    ).all()
    periods = sorted({_period(year) for year, _ in found if year is not None})
    tables = []
    for name, label in FACTORS.items():
        counts: dict[str, dict[str, int]] = {}
        unsaid: dict[str, int] = {}
        for year, factors in found:
            period = _period(year)
            value = (factors or {}).get(name)
            if value is None:
                unsaid[period] = unsaid.get(period, 0) + 1
            else:
                bucket = counts.setdefault(value, {})
                bucket[period] = bucket.get(period, 0) + 1
        rows = [
            (value, [by.get(p, 0) for p in periods], sum(by.values()))
            for value, by in sorted(
                counts.items(), key=lambda item: (-sum(item[1].values()), item[0])
            )
        ]
        rows.append(("not said", [unsaid.get(p, 0) for p in periods], sum(unsaid.values())))
        tables.append(FactorTable(name, label, periods, rows, len(found)))
    return tables

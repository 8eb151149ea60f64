"""The harmonised catalogue: one record per incident with the value chosen for each
field, which source said what, where they disagree, and the definitions it meets;
and `load_catalog`, which replaces the stored catalogue with a fresh harmonisation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from vigil.analytics.factors import incident_factors
from vigil.analytics.harmonize import Harmonized, harmonize
from vigil.analytics.models import CatalogIncident, CatalogLink, SourceRow
from vigil.analytics.review import link_decisions
from vigil.analytics.sources import RowProblem, load_directory
from vigil.analytics.sources.rows import SourceRow as LoadedRow
from vigil.platform import audit, policy
from vigil.platform.actor import Actor

# Whose value stands when sources disagree: the curated, investigated sources first,
# GVA (near-complete but scraped) next, the school databases' victim lists last.
PRIORITY = (
    "fbi_active_shooter_2000_2018",
    "motherjones_codeholics",
    "wapo_school_shootings",
    "stanford_msa",
    "gva_mass_shootings_dxzys",
    "gva_incidents_2013_2018",
    "k12_ssdb_chds",
)
FIELDS = ("date", "state", "city", "county", "killed", "injured", "shooter")
_BATCH = 5000


def _value(row: LoadedRow, field: str) -> Any:
    if field == "date":
        return row.date.isoformat() if row.date else None
    if field == "shooter":
        return "; ".join(row.shooter_names) or None
    return getattr(row, field)


def _unit_value(rows: Sequence[LoadedRow], field: str) -> Any:
    """A unit's value: the FBI's killed and wounded are split over its shooter rows."""
    values = [_value(row, field) for row in rows]
    known = [value for value in values if value is not None]
    if not known:
        return None
    if field in {"killed", "injured"} and rows[0].dataset == "fbi_active_shooter_2000_2018":
        return sum(known)
    if field in {"killed", "injured"}:
        return max(known)
    return known[0]


@dataclass
class IncidentRecord:
    id: str
    values: dict[str, Any]
    provenance: dict[str, list[dict[str, Any]]]
    disagreements: list[str]
    sources: list[str]
    school: bool
    school_level: str | None
    active_shooter: bool
    needs_review: bool
    factors: dict[str, str | None]


def build_incidents(result: Harmonized) -> list[IncidentRecord]:
    """One record per incident id, fields chosen by PRIORITY, every source's say kept."""
    members: dict[str, list[Any]] = defaultdict(list)
    for unit in result.units:
        members[result.incident_of[(unit.dataset, unit.key)]].append(unit)
    in_review = {
        result.incident_of[(u.dataset, u.key)] for p in result.review_queue for u in (p.a, p.b)
    }
    rank = {name: index for index, name in enumerate(PRIORITY)}
    records = []
    for incident, units in members.items():
        units.sort(key=lambda u: (rank.get(u.dataset, len(rank)), u.order))
        provenance: dict[str, list[dict[str, Any]]] = {}
        values: dict[str, Any] = {}
        disagreements = []
        for field in FIELDS:
            said = [
                {"dataset": u.dataset, "row_key": u.rows[0].row_key, "value": v}
                for u in units
                if (v := _unit_value(u.rows, field)) is not None
            ]
            provenance[field] = said
            values[field] = said[0]["value"] if said else None
            if len({str(item["value"]).lower() for item in said}) > 1 and field != "shooter":
                disagreements.append(field)
        rows = [row for u in units for row in u.rows]
        levels = [row.school_level for row in rows if row.school_level]
        records.append(
            IncidentRecord(
                id=incident,
                values=values,
                provenance=provenance,
                disagreements=disagreements,
                sources=sorted({u.dataset for u in units}),
                school=any(row.school for row in rows),
                school_level=levels[0] if levels else None,
                active_shooter=any(
                    row.dataset == "fbi_active_shooter_2000_2018"
                    or row.extra.get("active_shooter_fbi") == "Yes"
                    for row in rows
                ),
                needs_review=incident in in_review,
                factors=incident_factors(rows),
            )
        )
    records.sort(key=lambda r: r.id)
    return records


def incident_row(record: IncidentRecord) -> dict[str, Any]:
    """The analytics_incidents row for a record, with its definitions decided."""
    from datetime import date

    values = record.values
    occurred = date.fromisoformat(values["date"]) if values["date"] else None
    killed, injured = values["killed"], values["injured"]
    shot = (killed or 0) + (injured or 0)
    return {
        "id": record.id,
        "occurred_on": occurred,
        "year": occurred.year if occurred else None,
        "month": occurred.month if occurred else None,
        "state": values["state"],
        "city": values["city"],
        "county": values["county"],
        "killed": killed,
        "injured": injured,
        "school": record.school,
        "school_level": record.school_level,
        "shot4": shot >= 4,
        "killed4": (killed or 0) >= 4,
        "active_shooter": record.active_shooter,
        "public_mass": "motherjones_codeholics" in record.sources,
        "school_shooting": record.school,
        "sources": record.sources,
        "provenance": record.provenance,
        "disagreements": record.disagreements,
        "needs_review": record.needs_review,
        "factors": record.factors,
    }


@dataclass(frozen=True)
class LoadSummary:
    datasets: tuple[str, ...]
    rows: int
    incidents: int
    links: int
    review: int
    problems: int


def _batches(items: Iterable[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append(item)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _problems_by_row(problems: Sequence[RowProblem]) -> dict[tuple[str, str, int], list[str]]:
    found: dict[tuple[str, str, int], list[str]] = defaultdict(list)
    for problem in problems:
        if problem.row_index is not None:
            found[(problem.dataset, problem.file, problem.row_index)].append(problem.message)
    return found


def load_catalog(
    session: Session, *, actor: Actor, directory: Path, only: set[str] | None = None
) -> LoadSummary:
    """Replace the public catalogue with the data sets in ``directory`` (idempotent: the
    same files give the same tables). Raises SourceFileError on an unreadable folder."""
    policy.authorize(actor, "load", "analytics_catalog")
    catalog = load_directory(directory, only=only)
    result = harmonize(catalog.rows, decisions=link_decisions(session, actor=actor))
    records = build_incidents(result)
    problems = _problems_by_row(catalog.problems)
    session.execute(delete(CatalogLink))
    session.execute(delete(SourceRow))
    session.execute(delete(CatalogIncident))
    for batch in _batches(incident_row(record) for record in records):
        session.execute(insert(CatalogIncident), batch)
    source_rows = (
        {
            "dataset": row.dataset,
            "file": row.file,
            "row_index": row.row_index,
            "row_key": row.row_key,
            "incident_id": incident,
            "published": row.raw,
            "problems": problems.get((row.dataset, row.file, row.row_index), []),
        }
        for row, incident in result.rows()
    )
    for batch in _batches(source_rows):
        session.execute(insert(SourceRow), batch)
    links = (
        {
            "dataset_a": pair.a.dataset,
            "row_key_a": pair.a.rows[0].row_key,
            "dataset_b": pair.b.dataset,
            "row_key_b": pair.b.rows[0].row_key,
            "probability": round(pair.probability, 6),
            "decision": pair.decision,
            "levels": {
                level.comparison: [level.level, round(level.weight, 3)] for level in pair.levels
            },
        }
        for pair in result.pairs
    )
    for batch in _batches(links):
        session.execute(insert(CatalogLink), batch)
    summary = LoadSummary(
        datasets=tuple(source.dataset for source in catalog.sources),
        rows=sum(len(source.rows) for source in catalog.sources),
        incidents=len(records),
        links=sum(pair.decision == "linked" for pair in result.pairs),
        review=len(result.review_queue),
        problems=len(catalog.problems),
    )
    audit.record(
        session,
        actor=actor,
        action="analytics.catalog_loaded",
        object_type="analytics_catalog",
        details={
            "datasets": list(summary.datasets),
            "rows": summary.rows,
            "incidents": summary.incidents,
        },
    )
    return summary


def catalog_is_empty(session: Session) -> bool:
    return session.execute(select(CatalogIncident.id).limit(1)).first() is None

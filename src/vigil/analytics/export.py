"""The harmonised catalogue for analysts: one row per incident with the chosen values,
the definitions it meets, its sources and, as JSON, which source said what; written as
CSV or Parquet."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.analytics.models import CatalogIncident
from vigil.platform import audit, policy
from vigil.platform.actor import Actor

FORMATS = ("csv", "parquet")
COLUMNS = (
    "incident_id",
    "occurred_on",
    "state",
    "city",
    "county",
    "killed",
    "injured",
    "school",
    "school_level",
    "shot4",
    "killed4",
    "active_shooter",
    "public_mass",
    "school_shooting",
    "sources",
    "disagreements",
    "needs_review",
    "factors_json",
    "provenance_json",
)


def _record(row: CatalogIncident) -> dict[str, Any]:
    return {
        "incident_id": row.id,
        "occurred_on": row.occurred_on.isoformat() if row.occurred_on else None,
        "state": row.state,
        "city": row.city,
        "county": row.county,
        "killed": row.killed,
        "injured": row.injured,
        "school": row.school,
        "school_level": row.school_level,
        "shot4": row.shot4,
        "killed4": row.killed4,
        "active_shooter": row.active_shooter,
        "public_mass": row.public_mass,
        "school_shooting": row.school_shooting,
        "sources": ";".join(row.sources),
        "disagreements": ";".join(row.disagreements),
        "needs_review": row.needs_review,
        "factors_json": json.dumps(row.factors or {}, sort_keys=True, separators=(",", ":")),
        "provenance_json": json.dumps(row.provenance, sort_keys=True, separators=(",", ":")),
    }


def export_catalog(session: Session, *, actor: Actor, fmt: str) -> bytes:
    """Every harmonised incident, oldest first, as ``fmt`` ('csv' or 'parquet')."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    policy.authorize(actor, "export", "analytics_catalog")
    rows = [
        _record(row)
        for row in session.scalars(
            select(CatalogIncident).order_by(CatalogIncident.occurred_on, CatalogIncident.id)
        )
    ]
    audit.record(
        session,
        actor=actor,
        action="analytics.catalog_exported",
        object_type="analytics_catalog",
        details={"format": fmt, "incidents": len(rows)},
    )
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue().encode("utf-8")
    table = pa.Table.from_pylist(rows, schema=_schema())
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _schema() -> pa.Schema:
    text, number, flag = pa.string(), pa.int32(), pa.bool_()
    types = {
        "killed": number,
        "injured": number,
        "school": flag,
        "shot4": flag,
        "killed4": flag,
        "active_shooter": flag,
        "public_mass": flag,
        "school_shooting": flag,
        "needs_review": flag,
    }
    return pa.schema([(name, types.get(name, text)) for name in COLUMNS])

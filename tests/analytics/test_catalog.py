"""The stored catalogue (SQLite and PostgreSQL): loading is idempotent, rows stay as
published, incidents keep who said what, trends and rates follow the definition."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from vigil.analytics import trends
from vigil.analytics.catalog import load_catalog
from vigil.analytics.models import CatalogIncident, CatalogLink, SourceRow
from vigil.platform.actor import anonymous, command_line
from vigil.platform.errors import InvalidInput
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied

SCHOOLS = (
    "wapo_school_shootings",
    "stanford_msa",
    "motherjones_codeholics",
    "fbi_active_shooter_2000_2018",
)


@pytest.fixture
def schools_dir(copy_datasets: Callable[..., Path]) -> Path:
    return copy_datasets(*SCHOOLS)


def _snapshot(db: Session) -> tuple[object, ...]:
    incidents = db.execute(
        select(CatalogIncident.id, CatalogIncident.killed, CatalogIncident.sources).order_by(
            CatalogIncident.id
        )
    ).all()
    rows = db.execute(
        select(SourceRow.dataset, SourceRow.row_key, SourceRow.incident_id).order_by(
            SourceRow.dataset, SourceRow.row_index
        )
    ).all()
    return tuple(map(tuple, incidents)), tuple(map(tuple, rows))


def test_load_twice_gives_the_same_catalogue(db: Session, schools_dir: Path) -> None:
    operator = command_line("operator")
    first = load_catalog(db, actor=operator, directory=schools_dir)
    before = _snapshot(db)
    second = load_catalog(db, actor=operator, directory=schools_dir)
    assert first == second
    assert _snapshot(db) == before
    assert db.scalar(select(func.count()).select_from(SourceRow)) == 428 + 335 + 151 + 281
    assert first.incidents == db.scalar(select(func.count()).select_from(CatalogIncident))
    assert db.scalar(select(func.count()).select_from(CatalogLink)) == first.links + first.review
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "analytics.catalog_loaded")
    ).all()
    assert len(events) == 2 and events[0].details["rows"] == first.rows


def test_rows_as_published_and_provenance_field_by_field(db: Session, schools_dir: Path) -> None:
    load_catalog(db, actor=command_line("operator"), directory=schools_dir)
    columbine = db.scalar(
        select(SourceRow).where(
            SourceRow.dataset == "wapo_school_shootings", SourceRow.row_key == "1"
        )
    )
    assert columbine is not None
    assert columbine.published["school_name"] == "Columbine High School"
    assert columbine.published["date"] == "4/20/1999"
    incident = db.get(CatalogIncident, columbine.incident_id)
    assert incident is not None
    assert incident.sources == ["motherjones_codeholics", "stanford_msa", "wapo_school_shootings"]
    assert incident.school_shooting and incident.killed4 and incident.shot4
    assert incident.public_mass and not incident.active_shooter  # FBI's list starts in 2000
    injured = {item["dataset"]: item["value"] for item in incident.provenance["injured"]}
    assert injured == {
        "wapo_school_shootings": 21,
        "stanford_msa": 24,
        "motherjones_codeholics": 24,
    }
    assert "injured" in incident.disagreements and "killed" not in incident.disagreements
    # Mother Jones' count is chosen over Stanford's and the Post's (PRIORITY).
    assert incident.injured == 24


def test_trends_rates_and_comparison(db: Session, schools_dir: Path) -> None:
    load_catalog(db, actor=command_line("operator"), directory=schools_dir)
    agency = make_agency(db)
    reader = actor_for(make_user(db, agency=agency))  # no role at all: a signed-in user
    filters = trends.parse_filters(
        {"definition": "active_shooter", "year_from": "2017", "year_to": "2018"}
    )
    rows = trends.trend(db, actor=reader, filters=filters)
    assert [(r.label, r.incidents, r.killed, r.injured) for r in rows] == [
        ("2017", 30, 138, 591),
        ("2018", 27, 85, 128),
    ]
    population_2017 = sum(v for (year, _), v in trends.populations().items() if year == 2017)
    assert rows[0].population == population_2017
    assert rows[0].rate_per_million == round(30 / population_2017 * 1e6, 3)
    by_state = trends.trend(
        db, actor=reader, filters=trends.parse_filters({"definition": "school", "group": "state"})
    )
    assert any(r.label == "CO" and r.incidents >= 1 for r in by_state)
    years, counts = trends.comparison(db, actor=reader, filters=filters)
    assert years == [2017, 2018] and counts["active_shooter"] == {2017: 30, 2018: 27}
    assert counts["public_mass"][2017] == 11  # Mother Jones' 2017 rows


def test_filters_are_allow_listed() -> None:
    with pytest.raises(InvalidInput) as refused:
        trends.parse_filters(
            {"definition": "drop table", "group": "city", "state": "ZZ", "year_from": "19x"}
        )
    assert set(refused.value.errors) == {"definition", "group", "state", "year_from"}
    with pytest.raises(InvalidInput):
        trends.parse_filters({"year_from": "2010", "year_to": "2000"})


def test_only_the_operator_loads_and_only_users_read(db: Session, schools_dir: Path) -> None:
    agency = make_agency(db)
    analyst = actor_for(make_user(db, agency=agency))
    with pytest.raises(PermissionDenied):
        load_catalog(db, actor=analyst, directory=schools_dir)
    with pytest.raises(PermissionDenied):
        trends.trend(db, actor=anonymous(), filters=trends.TrendFilters())


def test_export_as_csv_and_parquet(db: Session, schools_dir: Path) -> None:
    import csv
    import io

    import pyarrow.parquet as pq

    from vigil.analytics.export import export_catalog

    summary = load_catalog(db, actor=command_line("operator"), directory=schools_dir)
    reader = actor_for(make_user(db, agency=make_agency(db)))
    rows = list(csv.DictReader(io.StringIO(export_catalog(db, actor=reader, fmt="csv").decode())))
    assert len(rows) == summary.incidents
    columbine = next(r for r in rows if r["occurred_on"] == "1999-04-20" and r["state"] == "CO")
    assert columbine["sources"] == "motherjones_codeholics;stanford_msa;wapo_school_shootings"
    assert '"wapo_school_shootings"' in columbine["provenance_json"]
    table = pq.read_table(io.BytesIO(export_catalog(db, actor=reader, fmt="parquet")))
    assert table.num_rows == summary.incidents and table.schema.field("killed").type == "int32"
    assert (
        db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "analytics.catalog_exported")
        )
        == 2
    )
    with pytest.raises(PermissionDenied):
        export_catalog(db, actor=anonymous(), fmt="csv")


def test_underlying_factors_with_what_is_not_said(db: Session, schools_dir: Path) -> None:
    load_catalog(db, actor=command_line("operator"), directory=schools_dir)
    columbine = db.scalar(
        select(CatalogIncident).where(
            CatalogIncident.state == "CO", CatalogIncident.year == 1999, CatalogIncident.killed4
        )
    )
    assert columbine is not None
    # Mother Jones says prior signs were seen; the shooters were 18 and 17; several guns.
    assert columbine.factors["mental_health"] == "yes"
    assert columbine.factors["shooter_age"] == "under 18"
    assert columbine.factors["weapon_kind"] == "several kinds"
    reader = actor_for(make_user(db, agency=make_agency(db)))
    tables = {
        t.factor: t
        for t in trends.factor_tables(
            db, actor=reader, filters=trends.parse_filters({"definition": "public_mass"})
        )
    }
    mental = tables["mental_health"]
    public_mass = db.scalar(
        select(func.count()).select_from(CatalogIncident).where(CatalogIncident.public_mass)
    )
    assert mental.incidents == public_mass
    assert sum(total for _, _, total in mental.rows) == mental.incidents
    assert mental.rows[-1][0] == "not said" and mental.rows[-1][2] > 0
    assert {value for value, _, _ in mental.rows} <= {"yes", "no", "not said"}
    assert mental.periods[0] == "1980s"

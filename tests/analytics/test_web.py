"""The trends page, its CSV and SVG downloads over a loaded catalogue, as a signed-in
user with no role: definitions switch the figures, filters are allow-listed, exports
are audited, attribution is shown."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import tests.web.catalog  # noqa: F401  (imported first: the catalogue modules import each other)
from tests.web.conftest import Site, fast_password_hashing, open_site
from vigil.analytics.catalog import load_catalog
from vigil.platform.actor import command_line
from vigil.platform.models import AuditEvent
from vigil.platform.roles import Role
from vigil.platform.settings import Settings


@pytest.fixture()
def site(
    settings: Settings,
    session_factory: sessionmaker[Session],
    connection: Any,
    copy_datasets: Callable[..., Path],
) -> Iterator[Site]:
    root = copy_datasets(
        "fbi_active_shooter_2000_2018", "motherjones_codeholics", "wapo_school_shootings"
    )
    with fast_password_hashing(), open_site(settings, session_factory, connection) as found:
        with found.db() as db:
            load_catalog(db, actor=command_line("operator"), directory=root)
            db.commit()
        yield found


def test_the_trends_page_follows_the_definition(site: Site) -> None:
    browser = site.browsers[Role.AUDITOR]  # any signed-in user reads public data
    page = browser.client.get("/analytics?definition=active_shooter&year_from=2016&year_to=2018")
    assert page.status_code == 200
    text = page.text
    assert "Active shooter" in text and 'role="img"' in text
    assert '<th scope="row">2017</th><td>30</td><td>138</td><td>591</td>' in text
    assert (
        "Riedman, David and Desmond O&#39;Neill (2020)" in text
        or "Riedman, David and Desmond O'Neill" in text
    )
    assert "U.S. Census Bureau, Population Estimates Program" in text
    assert "Navistar" in text  # where the FBI's figures and its CSV disagree
    assert "state-map-title" in text and "<title>Texas: " in text
    assert "Prior signs of a mental-health crisis" in text and "not said" in text
    killed = browser.client.get("/analytics?definition=killed4&year_from=2017&year_to=2017").text
    assert '<th scope="row">2017</th><td>30</td>' not in killed


def test_bad_filters_get_an_error_summary(site: Site) -> None:
    browser = site.browsers[Role.ANALYST]
    page = browser.client.get("/analytics?definition=everything&state=XX&year_from=abc")
    assert page.status_code == 400
    assert 'id="error-summary"' in page.text and "Choose a state from the list." in page.text
    assert browser.client.get("/analytics/trends.csv?group=city").status_code == 422


def test_csv_and_svg_downloads_are_audited(site: Site) -> None:
    browser = site.browsers[Role.SUPERVISOR]
    response = browser.client.get("/analytics/trends.csv?definition=school&group=state")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["state", "incidents", "killed", "injured", "population", "rate_per_million"]
    colorado = next(row for row in rows if row and row[0] == "CO")
    assert int(colorado[1]) >= 5 and float(colorado[5]) > 0
    assert any(row[:1] == ["# source"] and "Washington Post" in row[1] for row in rows if row)
    svg = browser.client.get("/analytics/trends.svg?definition=public_mass")
    assert svg.status_code == 200 and svg.text.startswith("<svg") and "<title" in svg.text
    map_svg = browser.client.get("/analytics/map.svg?definition=school")
    assert map_svg.status_code == 200 and "<title>Colorado: " in map_svg.text
    with site.db() as db:
        exports = db.scalars(
            select(AuditEvent).where(AuditEvent.action == "analytics.trend_exported")
        ).all()
    assert [e.details["definition"] for e in exports] == ["school", "public_mass", "school"]


def test_the_catalogue_downloads(site: Site) -> None:
    browser = site.browsers[Role.TIPLINE_OPERATOR]
    response = browser.client.get("/analytics/catalog.csv")
    assert response.status_code == 200
    header = response.text.splitlines()[0]
    assert header.startswith("incident_id,occurred_on,state,city,county,killed,injured")
    parquet = browser.client.get("/analytics/catalog.parquet")
    assert parquet.status_code == 200 and parquet.content[:4] == b"PAR1"


def test_the_sql_page(site: Site) -> None:
    browser = site.browsers[Role.ANALYST]
    page = browser.client.get(
        "/analytics/sql", params={"q": "select count(*) as n from incidents where active_shooter"}
    )
    assert page.status_code == 200 and '<th scope="col">n</th>' in page.text
    refused = browser.client.get(
        "/analytics/sql", params={"q": "select * from read_csv('/etc/passwd')"}
    )
    assert refused.status_code == 400 and 'id="error-summary"' in refused.text
    assert "file system operations are disabled" in refused.text


def test_the_review_queue_page(site: Site) -> None:
    browser = site.browsers[Role.AUDITOR]
    page = browser.client.get("/analytics/review")
    assert page.status_code == 200 and "Linkage review queue" in page.text
    assert "date: " in page.text and "days apart" in page.text
    assert browser.client.get("/analytics/review?page=999").status_code == 200

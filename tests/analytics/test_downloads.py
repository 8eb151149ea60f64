"""PNG downloads beside CSV and SVG, and the weapon and shooter-age filters: allow-listed,
with clear errors, applied alike to the page, the CSV, the charts and the map."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import tests.web.catalog  # noqa: F401  (imported first: the catalogue modules import each other)
from tests.web.conftest import Site, fast_password_hashing, open_site
from vigil.analytics import trends
from vigil.analytics.catalog import load_catalog
from vigil.analytics.maps import state_rings
from vigil.analytics.models import CatalogIncident
from vigil.platform.actor import command_line
from vigil.platform.errors import InvalidInput
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
    root = copy_datasets("motherjones_codeholics", "wapo_school_shootings")
    with fast_password_hashing(), open_site(settings, session_factory, connection) as found:
        with found.db() as db:
            load_catalog(db, actor=command_line("operator"), directory=root)
            db.commit()
        yield found


def _csv_total(text: str) -> int:
    rows = [row for row in csv.reader(io.StringIO(text)) if row and not row[0].startswith("#")]
    return sum(int(row[1]) for row in rows[1:])


def _expected(site: Site, definition: str, factor: str, value: str | None) -> int:
    column = getattr(CatalogIncident, trends.DEFINITIONS[definition].column)
    with site.db() as db:
        found = db.execute(
            select(CatalogIncident.factors).where(
                column.is_(True), CatalogIncident.year.is_not(None)
            )
        ).all()
    return sum(1 for (factors,) in found if value is None or (factors or {}).get(factor) == value)


def test_the_weapon_and_age_filters_narrow_every_figure(site: Site) -> None:
    browser = site.browsers[Role.ANALYST]
    every = _csv_total(browser.client.get("/analytics/trends.csv?definition=killed4").text)
    assert every == _expected(site, "killed4", "weapon_kind", None)
    rifles = browser.client.get("/analytics/trends.csv?definition=killed4&weapon=rifle")
    assert rifles.status_code == 200
    assert _csv_total(rifles.text) == _expected(site, "killed4", "weapon_kind", "rifle")
    assert 0 < _csv_total(rifles.text) < every
    young = browser.client.get("/analytics/trends.csv?definition=school&shooter_age=under_18")
    assert _csv_total(young.text) == _expected(site, "school", "shooter_age", "under 18") > 0
    both = _csv_total(
        browser.client.get(
            "/analytics/trends.csv?definition=school&shooter_age=under_18&weapon=handgun"
        ).text
    )
    assert both < _csv_total(young.text)
    page = browser.client.get("/analytics?definition=school&shooter_age=under_18&weapon=handgun")
    assert page.status_code == 200
    assert '<option value="handgun" selected>' in page.text
    assert '<option value="under_18" selected>' in page.text
    assert "shooter_age=under_18" in page.text  # the downloads keep the filters
    with site.db() as db:
        details = db.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "analytics.trend_exported")
        ).all()
    assert {"weapon": "handgun", "shooter_age": "under_18"}.items() <= details[-1].items()


def test_bad_factor_filters_are_refused_clearly() -> None:
    with pytest.raises(InvalidInput) as refused:
        trends.parse_filters({"weapon": "cannon", "shooter_age": "1-99"})
    assert refused.value.errors == {
        "weapon": "Choose a kind of firearm from the list.",
        "shooter_age": "Choose an age range of the shooter from the list.",
    }


def test_bad_factor_filters_on_the_page_and_downloads(site: Site) -> None:
    browser = site.browsers[Role.ANALYST]
    page = browser.client.get("/analytics?weapon=cannon")
    assert page.status_code == 400 and "Choose a kind of firearm from the list." in page.text
    assert 'aria-describedby="weapon-error"' in page.text
    assert browser.client.get("/analytics/trends.png?shooter_age=old").status_code == 422


def test_png_downloads_draw_the_chart_and_the_map(site: Site) -> None:
    browser = site.browsers[Role.AUDITOR]
    page = browser.client.get("/analytics?definition=school")
    assert "/analytics/trends.png?definition=school" in page.text
    assert "/analytics/map.png?definition=school" in page.text
    chart = browser.client.get("/analytics/trends.png?definition=school&group=year")
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert 'filename="vigil-trends-school-by-year.png"' in chart.headers["content-disposition"]
    image = Image.open(io.BytesIO(chart.content))
    assert image.format == "PNG" and image.size == (1440, 576)
    # The bars are drawn in the chart's blue; an empty chart would have none.
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 16) or []}
    assert (0x00, 0x5E, 0xA2) in colours
    empty = browser.client.get("/analytics/trends.png?definition=school&year_from=2100")
    empty_colours = {c for _, c in Image.open(io.BytesIO(empty.content)).getcolors(1 << 16) or []}
    assert (0x00, 0x5E, 0xA2) not in empty_colours
    if not state_rings():
        assert browser.client.get("/analytics/map.png").status_code == 404
        return
    map_png = browser.client.get("/analytics/map.png?definition=school")
    assert map_png.status_code == 200 and map_png.content[:8] == b"\x89PNG\r\n\x1a\n"
    shades = {c for _, c in Image.open(io.BytesIO(map_png.content)).getcolors(1 << 16) or []}
    assert (0x0B, 0x47, 0x78) in shades  # the darkest class: the highest rates

"""The Understand routes of the catalog (tests/web/catalog.py): the public incident
catalogue's trends page and its CSV and SVG downloads, which every signed-in user may
read (the data are public)."""

from __future__ import annotations

from tests.web.catalog import RouteCase

EVERYONE = "ok  ok  ok  ok  ok  ok  ok"

ANALYTICS_PAGES = [
    RouteCase("GET", "/analytics"),
    RouteCase("GET", "/analytics/trends.csv", query="definition=killed4&group=state"),
    RouteCase("GET", "/analytics/trends.svg", query="definition=school"),
    RouteCase("GET", "/analytics/trends.png", query="definition=school&weapon=rifle"),
    RouteCase("GET", "/analytics/map.svg", query="definition=shot4&year_from=2014"),
    RouteCase("GET", "/analytics/map.png", query="definition=killed4&shooter_age=25_44"),
    RouteCase("GET", "/analytics/catalog.csv"),
    RouteCase("GET", "/analytics/catalog.parquet"),
    RouteCase("GET", "/analytics/sql", query="q=select+count(*)+from+incidents"),
    RouteCase("GET", "/analytics/review"),
]

ANALYTICS_MATRIX = {case.label: EVERYONE for case in ANALYTICS_PAGES}

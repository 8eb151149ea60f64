"""The Understand routes of the catalog (tests/web/catalog.py): the public incident
catalogue's trends page and its CSV, SVG and PNG downloads, which every signed-in user
may read (the data are public); the decisions on its review queue (analysts and system
administrators); Vigil's own outcome figures (supervisors)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tests.web.catalog import RouteCase
from vigil.analytics.models import CatalogLink
from vigil.platform.models import Agency

EVERYONE = "ok  ok  ok  ok  ok  ok  ok"
SUPERVISORS = "403 ok  403 403 403 403 403"
DECIDERS = "ok  403 403 403 403 ok  403"


def seed_analytics(db: Session, world: Any, agencies: tuple[Agency, ...]) -> None:
    """One pair of public source rows waiting in the review queue ("link")."""
    link = CatalogLink(
        dataset_a="stanford_msa",
        row_key_a="1",
        dataset_b="motherjones_codeholics",
        row_key_b="0",
        probability=0.5,
        decision="review",
        levels={},
    )
    db.add(link)
    db.flush()
    world.analytics["link"] = link.id


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
    RouteCase(
        "POST",
        "/analytics/review/decisions",
        body="form",
        build=lambda t: {"link_id": str(t.world.analytics["link"]), "decision": "rejected"},
    ),
    RouteCase("GET", "/analytics/outcomes"),
    RouteCase("GET", "/analytics/outcomes.csv"),
    RouteCase("GET", "/api/v1/analytics/outcomes"),
    RouteCase("POST", "/analytics/outcomes/sharing", body="form", build=lambda t: {"shared": "on"}),
]

ANALYTICS_MATRIX = {case.label: EVERYONE for case in ANALYTICS_PAGES} | {
    "POST /analytics/review/decisions": DECIDERS,
    "GET /analytics/outcomes": SUPERVISORS,
    "GET /analytics/outcomes.csv": SUPERVISORS,
    "GET /api/v1/analytics/outcomes": SUPERVISORS,
    "POST /analytics/outcomes/sharing": SUPERVISORS,
}

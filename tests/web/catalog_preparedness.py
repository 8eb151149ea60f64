"""The preparedness routes of the catalog (tests/web/catalog.py): the protected-site
registry's pages and JSON API, how to fill their paths and bodies, the world they need
and their rows of the authorization matrix (tests/web/matrix.py).

Each agency of the world owns one site marked TLP:AMBER (the default), so a site of
another agency is hidden (404) from everyone, and one's own is worked by the agency's
analysts, supervisors, threat-assessment staff and administrators.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tests.web.catalog import OTHER, OWN, RouteCase, Target
from vigil.platform.models import Agency
from vigil.platform.types import utcnow
from vigil.preparedness.models import MitigationMeasure, ProtectedSite

SITE = "site"  # a site of the actor's agency (TLP:AMBER), or of another agency


def seed_preparedness(db: Session, world: Any, agencies: tuple[Agency, ...]) -> None:
    """One TLP:AMBER site owned by each agency; ids go in ``world.preparedness``."""
    now = utcnow()
    for agency in agencies:
        site = ProtectedSite(
            owner_agency_id=agency.id,
            name=f"Walk school of {agency.name}",
            kind="k12_school",
            marking="AMBER",
            address="1 Walk Lane",
            capacity=800,
            threat=0.1,
            vulnerability=0.5,
            created_at=now,
            updated_at=now,
        )
        db.add(site)
        db.flush()
        measure = MitigationMeasure(
            site_id=site.id,
            name="Walk door locks",
            cost=5000.0,
            vulnerability_factor=0.7,
            created_at=now,
        )
        db.add(measure)
        db.flush()
        world.preparedness[f"site:{agency.id}"] = site.id
        world.preparedness[f"measure:{agency.id}"] = measure.id


@dataclass(frozen=True)
class SiteRoute(RouteCase):
    """A route whose path names a protected site (and maybe one of its measures)."""

    @property
    def targets(self) -> tuple[str, ...]:
        return (OWN, OTHER) if self.target == SITE else super().targets

    def path(self, target: Target) -> str:
        seeded = target.world.preparedness
        params = {"site_id": str(seeded[f"site:{target.agency_id}"])}
        if "{measure_id}" in self.template:
            params["measure_id"] = str(seeded[f"measure:{target.agency_id}"])
        filled = RouteCase(self.method, self.template, params=params, query=self.query)
        return filled.path(target)


def _form(t: Target) -> dict[str, str]:
    return {
        "name": "Walk Middle School",
        "kind": "k12_school",
        "marking": "AMBER",
        "address": "2 Walk Lane",
        "capacity": "650",
        "threat": "0.2",
        "vulnerability": "0.4",
        "hours": "Weekdays 7-16",
    }


def _json(t: Target) -> dict[str, Any]:
    # No coordinates: the bad-input walk sends -1 for a number of another JSON type, and
    # -1 is a fine latitude (tests/preparedness/test_site_pages.py checks their range).
    return {
        "name": "Walk Temple",
        "kind": "house_of_worship",
        "address": "3 Walk Lane",
        "capacity": 300,
        "threat": 0.3,
        "vulnerability": 0.7,
    }


def _patrols() -> dict[str, str]:
    place = {"defender_covered": 0, "defender_uncovered": -5, "attacker_covered": -1}
    game = {
        "resources": 1,
        "targets": [
            {"id": "Fair", **place, "attacker_uncovered": 5},
            {"id": "Game", **place, "attacker_uncovered": 3},
        ],
    }
    return {"game": json.dumps(game), "schedules": "10", "override-1": "0.2"}


PREPAREDNESS_PAGES: list[RouteCase] = [
    RouteCase("GET", "/preparedness/sites"),
    RouteCase("GET", "/preparedness/sites/new"),
    RouteCase("POST", "/preparedness/sites", body="form", build=_form),
    SiteRoute("GET", "/preparedness/sites/{site_id}", target=SITE),
    SiteRoute("GET", "/preparedness/sites/{site_id}/edit", target=SITE),
    SiteRoute("POST", "/preparedness/sites/{site_id}", target=SITE, body="form", build=_form),
    SiteRoute(
        "POST",
        "/preparedness/sites/{site_id}/measures",
        target=SITE,
        body="form",
        build=lambda t: {"measure_name": "Camera", "cost": "1,500", "vulnerability_factor": "0.8"},
    ),
    SiteRoute("POST", "/preparedness/sites/{site_id}/measures/{measure_id}/delete", target=SITE),
    RouteCase("GET", "/preparedness/mitigation", query="budget=6000"),
    RouteCase("GET", "/preparedness/patrols"),
    RouteCase("POST", "/preparedness/patrols", body="form", build=lambda t: _patrols()),
    RouteCase(
        "POST",
        "/preparedness/patrols/export",
        body="form",
        build=lambda t: {**_patrols(), "seed": "7", "format": "ics"},
    ),
]
PREPAREDNESS_API: list[RouteCase] = [
    RouteCase("GET", "/api/v1/preparedness/sites"),
    RouteCase("POST", "/api/v1/preparedness/sites", body="json", build=_json),
    SiteRoute("GET", "/api/v1/preparedness/sites/{site_id}", target=SITE),
    SiteRoute("PUT", "/api/v1/preparedness/sites/{site_id}", target=SITE, body="json", build=_json),
    SiteRoute("GET", "/api/v1/preparedness/sites/{site_id}/measures", target=SITE),
    SiteRoute(
        "POST",
        "/api/v1/preparedness/sites/{site_id}/measures",
        target=SITE,
        body="json",
        build=lambda t: {"name": "Guard", "cost": 20000, "vulnerability_factor": 0.5},
    ),
    SiteRoute("DELETE", "/api/v1/preparedness/sites/{site_id}/measures/{measure_id}", target=SITE),
    RouteCase("GET", "/api/v1/preparedness/mitigation", query="budget=6000"),
]

# Columns: an su tl ta aa sa au (tests/web/matrix.py).
SITE_STAFF = "ok  ok  403 ok  ok  403 403"
ON_A_SITE = {OWN: "ok  ok  404 ok  ok  404 404", OTHER: "404 " * 7}
PREPAREDNESS_MATRIX: dict[str, str | dict[str, str]] = {
    "GET /preparedness/sites": SITE_STAFF,
    "GET /preparedness/sites/new": SITE_STAFF,
    "POST /preparedness/sites": SITE_STAFF,
    "GET /preparedness/sites/{site_id}": ON_A_SITE,
    "GET /preparedness/sites/{site_id}/edit": ON_A_SITE,
    "POST /preparedness/sites/{site_id}": ON_A_SITE,
    "GET /api/v1/preparedness/sites": SITE_STAFF,
    "POST /api/v1/preparedness/sites": SITE_STAFF,
    "GET /api/v1/preparedness/sites/{site_id}": ON_A_SITE,
    "PUT /api/v1/preparedness/sites/{site_id}": ON_A_SITE,
    "POST /preparedness/sites/{site_id}/measures": ON_A_SITE,
    "POST /preparedness/sites/{site_id}/measures/{measure_id}/delete": ON_A_SITE,
    "GET /preparedness/mitigation": SITE_STAFF,
    "GET /api/v1/preparedness/sites/{site_id}/measures": ON_A_SITE,
    "POST /api/v1/preparedness/sites/{site_id}/measures": ON_A_SITE,
    "DELETE /api/v1/preparedness/sites/{site_id}/measures/{measure_id}": ON_A_SITE,
    "GET /api/v1/preparedness/mitigation": SITE_STAFF,
    "GET /preparedness/patrols": SITE_STAFF,
    "POST /preparedness/patrols": SITE_STAFF,
    "POST /preparedness/patrols/export": SITE_STAFF,
}

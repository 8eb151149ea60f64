"""The bulletin and public-alert routes of the catalog (tests/web/catalog.py): pages,
JSON API and the public feed, how to fill their paths and bodies, the world they need,
and their rows of the authorization matrix (tests/web/matrix.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tests.factories import actor_for, make_user
from tests.web.catalog import OTHER, OWN, RouteCase, Target
from vigil.platform.models import Agency, User
from vigil.platform.roles import Role
from vigil.sharing import bulletins

BULLETIN = "bulletin"  # a draft bulletin of the actor's agency, or of another agency


def bulletin_form(t: Target) -> dict[str, str]:
    return {
        "title": "Threats against stadium events",
        "summary": "Several reports describe threats against Friday games.",
        "body": "Three tips name the same stadium and the same Friday.",
        "marking": "AMBER",
        "agency_ids": str(t.world.other),
    }


def bulletin_json(t: Target) -> dict[str, Any]:
    form = bulletin_form(t)
    return {**form, "agency_ids": [t.world.other]}


def seed_alerts(db: Session, world: Any, agencies: tuple[Agency, ...]) -> None:
    """For each agency a draft TLP:AMBER bulletin addressed to the next agency, written
    by home's analyst in home and by an analyst of their own elsewhere; and one public
    alert of home's supervisor. Ids go in ``world.alerts``."""
    for index, agency in enumerate(agencies):
        if agency.id == world.home:
            author = db.get_one(User, world.member(Role.ANALYST).user_id)
        else:
            author = make_user(db, agency=agency, roles={Role.ANALYST})
        recipient = agencies[(index + 1) % len(agencies)].id
        draft = bulletins.create_draft(
            db,
            actor=actor_for(author),
            draft=bulletins.Draft(
                title=f"Bulletin of {agency.name}",
                summary="Several reports describe threats against Friday games.",
                body="Three tips name the same stadium and the same Friday.",
                marking="AMBER",
                agency_ids=[recipient],
            ),
        )
        world.alerts[f"bulletin:{agency.id}"] = draft.id


@dataclass(frozen=True)
class AlertRoute(RouteCase):
    """A route whose path names a bulletin or a public alert."""

    @property
    def targets(self) -> tuple[str, ...]:
        return (OWN, OTHER) if self.target == BULLETIN else super().targets

    def path(self, target: Target) -> str:
        seeded = target.world.alerts
        values = {
            "bulletin_id": str(seeded.get(f"bulletin:{target.agency_id}", "")),
            "identifier": str(seeded.get("identifier", "")),
        }
        filled = RouteCase(
            self.method,
            self.template,
            params={
                name: value for name, value in values.items() if "{" + name + "}" in self.template
            },
            query=self.query,
        )
        return filled.path(target)


BULLETIN_PAGES = [
    RouteCase("GET", "/bulletins"),
    RouteCase("GET", "/bulletins/new"),
    RouteCase("POST", "/bulletins", body="form", build=bulletin_form),
    AlertRoute("GET", "/bulletins/{bulletin_id}", target=BULLETIN),
    AlertRoute("GET", "/bulletins/{bulletin_id}/edit", target=BULLETIN),
    AlertRoute(
        "POST", "/bulletins/{bulletin_id}", target=BULLETIN, body="form", build=bulletin_form
    ),
    AlertRoute(
        "POST",
        "/bulletins/{bulletin_id}/publish",
        target=BULLETIN,
        body="form",
        build=lambda t: {"reason": "Partners host the games"},
    ),
]

BULLETIN_API = [
    RouteCase("GET", "/api/v1/bulletins"),
    RouteCase("POST", "/api/v1/bulletins", body="json", build=bulletin_json),
    AlertRoute("GET", "/api/v1/bulletins/{bulletin_id}", target=BULLETIN),
    AlertRoute(
        "PUT", "/api/v1/bulletins/{bulletin_id}", target=BULLETIN, body="json", build=bulletin_json
    ),
    AlertRoute(
        "POST",
        "/api/v1/bulletins/{bulletin_id}/publish",
        target=BULLETIN,
        body="json",
        build=lambda t: {"reason": "Partners host the games"},
    ),
]

# Columns: an su tl ta aa sa au. Bulletins: OWN is a draft of the actor's agency (the
# operator agency's for the system administrator), OTHER a draft of another agency.
READERS = "ok  ok  ok  ok  403 403 403"
WRITERS = "ok  ok  403 403 403 403 403"
HIDDEN = "404 " * 7
DRAFT = {OWN: "ok  ok  404 404 404 404 404", OTHER: HIDDEN}

ALERTS_MATRIX: dict[str, str | dict[str, str]] = {
    "GET /bulletins": READERS,
    "GET /bulletins/new": WRITERS,
    "POST /bulletins": WRITERS,
    "GET /bulletins/{bulletin_id}": DRAFT,
    "GET /bulletins/{bulletin_id}/edit": DRAFT,
    "POST /bulletins/{bulletin_id}": DRAFT,
    "POST /bulletins/{bulletin_id}/publish": DRAFT,
    "GET /api/v1/bulletins": READERS,
    "POST /api/v1/bulletins": WRITERS,
    "GET /api/v1/bulletins/{bulletin_id}": DRAFT,
    "PUT /api/v1/bulletins/{bulletin_id}": DRAFT,
    "POST /api/v1/bulletins/{bulletin_id}/publish": DRAFT,
}

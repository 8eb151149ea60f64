"""The bulletin and public-alert routes of the catalog (tests/web/catalog.py): pages,
JSON API and the public feed, how to fill their paths and bodies, the world they need,
and their rows of the authorization matrix (tests/web/matrix.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from tests.factories import actor_for, make_user
from tests.web.catalog import OTHER, OWN, RouteCase, Target
from vigil.platform.models import Agency, User
from vigil.platform.roles import Role
from vigil.platform.types import utcnow
from vigil.sharing import bulletins, cap

BULLETIN = "bulletin"  # a draft bulletin of the actor's agency, or of another agency
PUBLISHED = "published"  # a published TLP:AMBER+STRICT bulletin, of either agency


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


def alert_body(t: Target) -> dict[str, str]:
    expires = (utcnow() + timedelta(hours=4)).replace(microsecond=0).isoformat()
    return {
        "status": "Exercise",
        "msg_type": "Alert",
        "category": "Security",
        "event": "Active shooter drill",
        "urgency": "Immediate",
        "severity": "Extreme",
        "certainty": "Observed",
        "headline": "Drill: shelter in place near Central High School",
        "description": "This is a drill of the public warning for an armed person.",
        "instruction": "Take no action; this is an exercise.",
        "area_desc": "Central High School",
        "circle": "38.905,-77.035 1.6",
        "expires": expires,
    }


def seed_alerts(db: Session, world: Any, agencies: tuple[Agency, ...]) -> None:
    """For each agency a draft TLP:AMBER bulletin addressed to the next agency and a
    published TLP:AMBER+STRICT one (for its STIX export), written by home's analyst in
    home and by an analyst of their own elsewhere; and one public
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
        strict = bulletins.create_draft(
            db,
            actor=actor_for(author),
            draft=bulletins.Draft(
                title=f"Internal bulletin of {agency.name}",
                summary="Several reports describe threats against Friday games.",
                body="Three tips name the same stadium and the same Friday.",
                marking="AMBER+STRICT",
            ),
        )
        bulletins.publish(db, actor=actor_for(author), bulletin_id=strict.id)
        world.alerts[f"published:{agency.id}"] = strict.id
    supervisor = db.get_one(User, world.member(Role.SUPERVISOR).user_id)
    alert = cap.issue(
        db,
        actor=actor_for(supervisor),
        data=cap.AlertInput(**alert_body(None)),  # type: ignore[arg-type]
        base_url="http://testserver",
    )
    world.alerts["identifier"] = alert.identifier


@dataclass(frozen=True)
class AlertRoute(RouteCase):
    """A route whose path names a bulletin or a public alert."""

    @property
    def targets(self) -> tuple[str, ...]:
        return (OWN, OTHER) if self.target in (BULLETIN, PUBLISHED) else super().targets

    def path(self, target: Target) -> str:
        seeded = target.world.alerts
        values = {
            "bulletin_id": str(seeded.get(f"{self.target}:{target.agency_id}", "")),
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
    AlertRoute("GET", "/bulletins/{bulletin_id}/stix", target=PUBLISHED),
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
    AlertRoute("GET", "/api/v1/bulletins/{bulletin_id}/stix", target=PUBLISHED),
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

ALERT_PAGES = [
    RouteCase("GET", "/alerts/feed.atom", public=True),
    AlertRoute("GET", "/alerts/{identifier}.xml", public=True),
    RouteCase("GET", "/alerts"),
    RouteCase("GET", "/alerts/new"),
    RouteCase("POST", "/alerts", body="form", build=alert_body),
]
ALERT_API = [
    RouteCase("GET", "/api/v1/alerts"),
    RouteCase("POST", "/api/v1/alerts", body="json", build=alert_body),
]

# Columns: an su tl ta aa sa au. Bulletins: OWN is a draft of the actor's agency (the
# operator agency's for the system administrator), OTHER a draft of another agency.
READERS = "ok  ok  ok  ok  403 403 403"
WRITERS = "ok  ok  403 403 403 403 403"
HIDDEN = "404 " * 7
ISSUERS = "403 ok  403 403 403 403 403"
DRAFT = {OWN: "ok  ok  404 404 404 404 404", OTHER: HIDDEN}
STRICT = {OWN: "ok  ok  ok  ok  404 404 404", OTHER: HIDDEN}

ALERTS_MATRIX: dict[str, str | dict[str, str]] = {
    "GET /bulletins": READERS,
    "GET /bulletins/new": WRITERS,
    "POST /bulletins": WRITERS,
    "GET /bulletins/{bulletin_id}": DRAFT,
    "GET /bulletins/{bulletin_id}/edit": DRAFT,
    "GET /bulletins/{bulletin_id}/stix": STRICT,
    "POST /bulletins/{bulletin_id}": DRAFT,
    "POST /bulletins/{bulletin_id}/publish": DRAFT,
    "GET /api/v1/bulletins": READERS,
    "POST /api/v1/bulletins": WRITERS,
    "GET /api/v1/bulletins/{bulletin_id}": DRAFT,
    "GET /api/v1/bulletins/{bulletin_id}/stix": STRICT,
    "PUT /api/v1/bulletins/{bulletin_id}": DRAFT,
    "POST /api/v1/bulletins/{bulletin_id}/publish": DRAFT,
    "GET /alerts": WRITERS,
    "GET /alerts/new": ISSUERS,
    "POST /alerts": ISSUERS,
    "GET /api/v1/alerts": WRITERS,
    "POST /api/v1/alerts": ISSUERS,
}

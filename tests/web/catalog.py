"""Every route of the app, with how to fill its path and a well-formed body for it.

The route walk, the authorization matrix, the CSRF tests and the bad-input tests
all take their requests from here; ``test_route_walk`` fails when the app has a
route this catalog does not describe, so a new route cannot go untested.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.web.conftest import Browser, Member, World, bearer

NEW_PASSWORD = "a brand new passphrase for walking 93"

# Target kinds: what the ids in the path (or the agency in the body) point at.
NONE = "-"
SELF = "self"  # the acting user (or, for tokens, the actor's spare token)
OWN = "own"  # a user, token or agency of the actor's own agency
OTHER = "other"  # one of another agency

USER, TOKEN, AGENCY = "user", "token", "agency"
REPORT, NOTIFICATION, RULE = "report", "notification", "rule"
PERSON, CANDIDATE, ACCESS_REQUEST = "person", "candidate", "access_request"
CASE = "case"
TARGETS = {
    NONE: (NONE,),
    USER: (SELF, OWN, OTHER),
    TOKEN: (SELF, OWN, OTHER),
    AGENCY: (OWN, OTHER),
    REPORT: (OWN, OTHER),  # the report of the actor's agency (TLP:AMBER, unshared) or another's
    NOTIFICATION: (SELF, OWN, OTHER),
    RULE: (OWN, OTHER),  # a routing rule of the actor's agency or of another
    PERSON: (OWN, OTHER),  # a person mentioned in a report of the actor's agency or another's
    CANDIDATE: (OWN, OTHER),  # a possible match between two reports of one agency
    ACCESS_REQUEST: (OWN, OTHER),  # a request addressed to the actor's agency or another
    CASE: (OWN, OTHER),  # a case of the actor's agency, or another's shared with it
}
REASON = "Two witnesses describe the same car outside the school gates."


@dataclass(frozen=True)
class Target:
    world: World
    actor: Member
    kind: str

    @property
    def agency_id(self) -> int:
        return self.world.other if self.kind == OTHER else self.actor.agency_id

    @property
    def user(self) -> Member:
        if self.kind == SELF:
            return self.actor
        return self.world.plain[self.agency_id]

    @property
    def token_id(self) -> int:
        return self.actor.spare_token_id if self.kind == SELF else self.user.token_id

    @property
    def report_id(self) -> int:
        return self.world.reports[self.agency_id]


Body = Callable[[Target], dict[str, Any]]


@dataclass(frozen=True)
class RouteCase:
    method: str
    template: str  # the route's path as the app declares it
    target: str = NONE
    body: str | None = None  # "json", "form" or None
    build: Body | None = None
    params: dict[str, str] = field(default_factory=dict)  # fixed path parameters
    public: bool = False
    query: str = ""  # a query string the route needs
    upload: tuple[str, bytes, str] | None = None  # a file sent as "file" (multipart form)

    @property
    def label(self) -> str:
        path = self.template
        for name, value in self.params.items():
            path = path.replace("{" + name + "}", value)
        return f"{self.method} {path}"

    @property
    def api(self) -> bool:
        return self.template.startswith("/api/")

    def path(self, target: Target) -> str:
        world = target.world
        values = {
            "user_id": target.user.user_id,
            "agency_id": target.agency_id,
            "token_id": target.token_id,
            "report_id": target.report_id,
            "attachment_id": world.attachments[target.report_id],
            "notification_id": world.notifications[target.user.user_id],
            "rule_id": world.rules[target.agency_id],
            "person_id": world.persons[target.agency_id],
            "candidate_id": world.candidates[target.agency_id],
            "request_id": world.access_requests[target.agency_id],
            "case_id": world.cases[target.agency_id],
            "member_id": world.case_members[target.agency_id],
            "assessment_id": world.assessments[target.agency_id],
            "intervention_id": world.interventions[target.agency_id],
            "share_id": world.case_shares[target.agency_id],
            "instrument_id": world.instrument,
            "survivor_case_id": world.recovery["cases"][target.agency_id],
            "consent_id": world.recovery["consents"][target.agency_id],
            "referral_id": world.recovery["referrals"][target.agency_id],
            **self.params,
        }
        path = self.template.format(**values)
        return f"{path}?{self.query}" if self.query else path

    def payload(self, target: Target) -> dict[str, Any]:
        return self.build(target) if self.build else {}

    @property
    def targets(self) -> tuple[str, ...]:
        return TARGETS[self.target]


def _own_role(target: Target) -> list[str]:
    return [target.actor.role.value] if target.actor.role else []


USER_ACTIONS = ("disable", "enable", "unlock", "reset-mfa")

PUBLIC = [
    RouteCase("GET", "/health", public=True),
    RouteCase("GET", "/login", public=True),
    RouteCase(
        "POST",
        "/login",
        body="form",
        public=True,
        build=lambda t: {"username": t.actor.username, "password": ""},
    ),
    RouteCase("GET", "/login/mfa", public=True),
    RouteCase("POST", "/login/mfa", body="form", public=True, build=lambda t: {"code": "000000"}),
    RouteCase("GET", "/login/enrol", public=True),
    RouteCase("POST", "/login/enrol", body="form", public=True, build=lambda t: {"code": "000000"}),
    RouteCase("GET", "/login/sso", public=True),
    RouteCase("GET", "/login/sso/callback", public=True),
    RouteCase("POST", "/logout", public=True),
    RouteCase("GET", "/api/v1/openapi.json", public=True),
    RouteCase("HEAD", "/api/v1/openapi.json", public=True),
    RouteCase("GET", "/tip", public=True),
    RouteCase(
        "POST",
        "/tip",
        body="form",
        public=True,
        build=lambda t: {"narrative": "A man showed a rifle in the school car park."},
    ),
    RouteCase("GET", "/tip/follow-up", public=True),
    RouteCase(
        "POST",
        "/tip/follow-up",
        body="form",
        public=True,
        build=lambda t: {"code": "ABCD-EFGH-JKMN-PQRS"},
    ),
    RouteCase(
        "POST",
        "/api/v1/tips",
        body="json",
        public=True,
        build=lambda t: {"narrative": "A man showed a rifle in the school car park."},
    ),
]

# Mounted applications, by mount path, with one request that reaches each.
MOUNTS = {"/static": RouteCase("GET", "/static/vigil.css", public=True)}

PAGES = [
    RouteCase("GET", "/"),
    RouteCase("GET", "/account"),
    RouteCase(
        "POST",
        "/account/password",
        body="form",
        build=lambda t: {
            "current_password": "correct horse battery staple",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    ),
    RouteCase(
        "POST", "/account/tokens", body="form", build=lambda t: {"name": "walk token", "days": "30"}
    ),
    RouteCase("POST", "/account/tokens/{token_id}/revoke", target=TOKEN),
    RouteCase("GET", "/admin/users"),
    RouteCase("GET", "/admin/users/new"),
    RouteCase(
        "POST",
        "/admin/users",
        target=AGENCY,
        body="form",
        build=lambda t: {
            "agency_id": str(t.agency_id),
            "username": "walk.newuser",
            "display_name": "New Person",
            "email": "",
            "password": "",
        },
    ),
    RouteCase("GET", "/admin/users/{user_id}", target=USER),
    RouteCase(
        "POST",
        "/admin/users/{user_id}",
        target=USER,
        body="form",
        build=lambda t: {"display_name": "Renamed Person", "email": "renamed@example.org"},
    ),
    RouteCase(
        "POST",
        "/admin/users/{user_id}/roles",
        target=USER,
        body="form",
        build=lambda t: {"roles": _own_role(t)},
    ),
    RouteCase(
        "POST",
        "/admin/users/{user_id}/password",
        target=USER,
        body="form",
        build=lambda t: {"password": NEW_PASSWORD},
    ),
    *[
        RouteCase("POST", "/admin/users/{user_id}/{action}", target=USER, params={"action": a})
        for a in USER_ACTIONS
    ],
    RouteCase("GET", "/admin/agencies"),
    RouteCase(
        "POST",
        "/admin/agencies",
        body="form",
        build=lambda t: {"name": "Walk Agency", "kind": "other"},
    ),
    RouteCase("GET", "/admin/agencies/{agency_id}", target=AGENCY),
    RouteCase(
        "POST",
        "/admin/agencies/{agency_id}",
        target=AGENCY,
        body="form",
        build=lambda t: {"name": "Renamed Agency", "kind": "other", "active": "on"},
    ),
    RouteCase("GET", "/audit"),
    *[
        RouteCase("GET", path)
        for path in ("/reports", "/reports/new", "/reports/retention", "/reports/import")
    ],
    RouteCase(
        "POST",
        "/reports/import",
        body="form",
        build=lambda t: {"format": "csv"},
        upload=(
            "reports.csv",
            b"narrative,location_text\nA man showed a rifle in the school car park.,Main St\n",
            "text/csv",
        ),
    ),
    RouteCase(
        "POST",
        "/reports",
        body="form",
        build=lambda t: {
            "kind": "tip",
            "narrative": "A student described a classmate's threats.",
            "marking": "AMBER",
        },
    ),
    RouteCase("GET", "/reports/{report_id}", target=REPORT),
    RouteCase("POST", "/reports/{report_id}/acknowledge", target=REPORT),
    RouteCase(
        "POST",
        "/reports/{report_id}/dispose",
        target=REPORT,
        body="form",
        build=lambda t: {"disposition": "information_only", "outcome": REASON},
    ),
    RouteCase(
        "POST",
        "/reports/{report_id}/route",
        target=REPORT,
        body="form",
        build=lambda t: {"agency_id": str(t.world.other), "reason": REASON},
    ),
    RouteCase(
        "POST",
        "/reports/{report_id}/level",
        target=REPORT,
        body="form",
        build=lambda t: {"level": "high", "reason": REASON},
    ),
    RouteCase(
        "POST",
        "/reports/{report_id}/share",
        target=REPORT,
        body="form",
        build=lambda t: {"agency_ids": [str(t.world.other)], "reason": REASON},
    ),
    RouteCase(
        "POST",
        "/reports/{report_id}/promote-sar",
        target=REPORT,
        body="form",
        build=lambda t: {"behavior": "breach_attempted_intrusion", "nexus": REASON},
    ),
    RouteCase(
        "POST",
        "/reports/{report_id}/promote-intelligence",
        target=REPORT,
        body="form",
        build=lambda t: {"predicate": REASON, "justification": REASON},
    ),
    RouteCase(
        "POST",
        "/reports/{report_id}/retention-review",
        target=REPORT,
        body="form",
        build=lambda t: {"decision": "revalidate", "reason": REASON},
    ),
    RouteCase(
        "POST",
        "/reports/{report_id}/messages",
        target=REPORT,
        body="form",
        build=lambda t: {"message": "Which way did the car drive off?"},
    ),
    RouteCase("GET", "/reports/{report_id}/attachments/{attachment_id}", target=REPORT),
    RouteCase("GET", "/notifications"),
    RouteCase("POST", "/notifications/{notification_id}/read", target=NOTIFICATION),
    RouteCase("GET", "/search", query="q=school+car"),
    RouteCase("GET", "/admin/routing"),
    RouteCase(
        "POST",
        "/admin/routing",
        target=AGENCY,
        body="form",
        build=lambda t: {
            "agency_id": str(t.agency_id),
            "match_kind": "school",
            "value": "Lincoln High",
        },
    ),
    RouteCase("POST", "/admin/routing/{rule_id}/delete", target=RULE),
    # linkage
    RouteCase("GET", "/persons/{person_id}", target=PERSON),
    RouteCase(
        "POST",
        "/persons/{person_id}/merge",
        target=PERSON,
        body="form",
        build=lambda t: {
            "other_person_id": str(t.world.second_persons[t.agency_id]),
            "reason": REASON,
        },
    ),
    RouteCase(
        "POST",
        "/persons/{person_id}/split",
        target=PERSON,
        body="form",
        build=lambda t: {"mention_ids": str(t.world.split_mentions[t.agency_id]), "reason": REASON},
    ),
    RouteCase(
        "POST",
        "/reports/{report_id}/access-requests",
        target=REPORT,
        body="form",
        build=lambda t: {"reason": REASON},
    ),
    RouteCase("GET", "/linkage/review"),
    RouteCase("GET", "/linkage/review/{candidate_id}", target=CANDIDATE),
    RouteCase(
        "POST",
        "/linkage/review/{candidate_id}",
        target=CANDIDATE,
        body="form",
        build=lambda t: {"decision": "unsure"},
    ),
    RouteCase("GET", "/linkage/access-requests"),
    RouteCase("GET", "/linkage/access-requests/{request_id}", target=ACCESS_REQUEST),
    RouteCase(
        "POST",
        "/linkage/access-requests/{request_id}",
        target=ACCESS_REQUEST,
        body="form",
        build=lambda t: {"decision": "refuse", "reason": REASON},
    ),
    RouteCase("GET", "/linkage/runs"),
]

API = [
    RouteCase("GET", "/api/v1/persons/{person_id}", target=PERSON),
    RouteCase("GET", "/api/v1/linkage/review"),
    RouteCase(
        "POST",
        "/api/v1/linkage/review/{candidate_id}",
        target=CANDIDATE,
        body="json",
        build=lambda t: {"decision": "unsure"},
    ),
    RouteCase(
        "POST",
        "/api/v1/reports/{report_id}/access-requests",
        target=REPORT,
        body="json",
        build=lambda t: {"reason": REASON},
    ),
    RouteCase("GET", "/api/v1/linkage/access-requests"),
    RouteCase(
        "POST",
        "/api/v1/linkage/access-requests/{request_id}",
        target=ACCESS_REQUEST,
        body="json",
        build=lambda t: {"decision": "refuse", "reason": REASON},
    ),
    RouteCase("GET", "/api/v1/me"),
    RouteCase("GET", "/api/v1/agencies"),
    RouteCase(
        "POST",
        "/api/v1/agencies",
        body="json",
        build=lambda t: {"name": "Walk Agency", "kind": "other"},
    ),
    RouteCase("GET", "/api/v1/agencies/{agency_id}", target=AGENCY),
    RouteCase(
        "PUT",
        "/api/v1/agencies/{agency_id}",
        target=AGENCY,
        body="json",
        build=lambda t: {"name": "Renamed Agency", "kind": "other", "active": True},
    ),
    RouteCase("GET", "/api/v1/users"),
    RouteCase(
        "POST",
        "/api/v1/users",
        target=AGENCY,
        body="json",
        build=lambda t: {
            "agency_id": t.agency_id,
            "username": "walk.newuser",
            "display_name": "New Person",
            "roles": [],
        },
    ),
    RouteCase("GET", "/api/v1/users/{user_id}", target=USER),
    RouteCase(
        "PUT",
        "/api/v1/users/{user_id}",
        target=USER,
        body="json",
        build=lambda t: {"display_name": "Renamed Person", "email": "renamed@example.org"},
    ),
    RouteCase(
        "PUT",
        "/api/v1/users/{user_id}/roles",
        target=USER,
        body="json",
        build=lambda t: {"roles": _own_role(t)},
    ),
    *[RouteCase("POST", f"/api/v1/users/{{user_id}}/{a}", target=USER) for a in USER_ACTIONS],
    RouteCase("GET", "/api/v1/tokens"),
    RouteCase(
        "POST", "/api/v1/tokens", body="json", build=lambda t: {"name": "walk token", "days": 30}
    ),
    RouteCase("DELETE", "/api/v1/tokens/{token_id}", target=TOKEN),
    RouteCase("GET", "/api/v1/audit/events"),
    RouteCase(
        "POST",
        "/api/v1/reports",
        body="json",
        build=lambda t: {
            "kind": "tip",
            "narrative": "A student described a classmate's threats.",
            "marking": "AMBER",
        },
    ),
    RouteCase("GET", "/api/v1/reports"),
    RouteCase("GET", "/api/v1/reports/{report_id}", target=REPORT),
    RouteCase("POST", "/api/v1/reports/{report_id}/acknowledge", target=REPORT),
    RouteCase(
        "POST",
        "/api/v1/reports/{report_id}/disposition",
        target=REPORT,
        body="json",
        build=lambda t: {"disposition": "information_only", "outcome": REASON},
    ),
    RouteCase(
        "POST",
        "/api/v1/reports/{report_id}/route",
        target=REPORT,
        body="json",
        build=lambda t: {"agency_id": t.world.other, "reason": REASON},
    ),
    RouteCase(
        "POST",
        "/api/v1/reports/{report_id}/level",
        target=REPORT,
        body="json",
        build=lambda t: {"level": "high", "reason": REASON},
    ),
    RouteCase(
        "POST",
        "/api/v1/reports/{report_id}/shares",
        target=REPORT,
        body="json",
        build=lambda t: {"agency_ids": [t.world.other], "reason": REASON},
    ),
    RouteCase(
        "POST",
        "/api/v1/reports/{report_id}/promote-sar",
        target=REPORT,
        body="json",
        build=lambda t: {"behavior": "breach_attempted_intrusion", "nexus": REASON},
    ),
    RouteCase(
        "POST",
        "/api/v1/reports/{report_id}/promote-intelligence",
        target=REPORT,
        body="json",
        build=lambda t: {"predicate": REASON, "justification": REASON},
    ),
    RouteCase(
        "POST",
        "/api/v1/reports/{report_id}/retention-review",
        target=REPORT,
        body="json",
        build=lambda t: {"decision": "revalidate", "reason": REASON},
    ),
    RouteCase("GET", "/api/v1/retention/queue"),
    RouteCase("GET", "/api/v1/search", query="q=school+car"),
]

from tests.web.catalog_analytics import ANALYTICS_PAGES  # noqa: E402
from tests.web.catalog_assessment import ASSESSMENT_API, ASSESSMENT_PAGES  # noqa: E402
from tests.web.catalog_recovery import RECOVERY_API, RECOVERY_PAGES  # noqa: E402
from tests.web.catalog_sharing import SHARING_API, SHARING_PAGES  # noqa: E402

ROUTES = [
    *PUBLIC,
    *MOUNTS.values(),
    *PAGES,
    *ASSESSMENT_PAGES,
    *SHARING_PAGES,
    *API,
    *ASSESSMENT_API,
    *SHARING_API,
]
PROTECTED = [*PAGES, *ASSESSMENT_PAGES, *SHARING_PAGES, *API, *ASSESSMENT_API, *SHARING_API]

from tests.web.catalog_preparedness import PREPAREDNESS_API, PREPAREDNESS_PAGES  # noqa: E402
from tests.web.catalog_response import RESPONSE_PAGES  # noqa: E402

ROUTES += [*PREPAREDNESS_PAGES, *PREPAREDNESS_API]
PROTECTED += [*PREPAREDNESS_PAGES, *PREPAREDNESS_API]

from tests.web.catalog_site_assessments import (  # noqa: E402
    SITE_ASSESSMENT_API,
    SITE_ASSESSMENT_PAGES,
)

ROUTES += [*SITE_ASSESSMENT_PAGES, *SITE_ASSESSMENT_API]
PROTECTED += [*SITE_ASSESSMENT_PAGES, *SITE_ASSESSMENT_API]

from tests.web.catalog_improvement import IMPROVEMENT_API, IMPROVEMENT_PAGES  # noqa: E402

ROUTES += [*IMPROVEMENT_PAGES, *IMPROVEMENT_API]
PROTECTED += [*IMPROVEMENT_PAGES, *IMPROVEMENT_API]
ROUTES += RESPONSE_PAGES
PROTECTED += RESPONSE_PAGES

from tests.web.catalog_ics import ICS_API, ICS_PAGES  # noqa: E402

ROUTES += [*ICS_PAGES, *ICS_API]
PROTECTED += [*ICS_PAGES, *ICS_API]

ROUTES += [*RECOVERY_PAGES, *RECOVERY_API]
PROTECTED += [*RECOVERY_PAGES, *RECOVERY_API]

from tests.web.catalog_alerts import (  # noqa: E402
    ALERT_API,
    ALERT_PAGES,
    BULLETIN_API,
    BULLETIN_PAGES,
)

ROUTES += [*BULLETIN_PAGES, *BULLETIN_API, *ALERT_PAGES, *ALERT_API]
PROTECTED += [*BULLETIN_PAGES, *BULLETIN_API]
PROTECTED += [case for case in [*ALERT_PAGES, *ALERT_API] if not case.public]


def call(
    case: RouteCase,
    target: Target,
    *,
    browsers: dict[Any, Browser],
    api: TestClient,
    payload: dict[str, Any] | None = None,
) -> httpx.Response:
    """Send ``case`` as the target's actor: API routes with its bearer token, pages from
    its signed-in browser (with the CSRF token, as our own forms send it)."""
    path = case.path(target)
    body = case.payload(target) if payload is None else payload
    if case.api:
        return api.request(
            case.method,
            path,
            json=body if case.body == "json" else None,
            headers=bearer(target.actor.token),
        )
    browser = browsers[target.actor.role]
    browser.restore()
    if case.method == "POST":
        return browser.post(path, body, files=uploads(case))
    return browser.client.request(case.method, path)


def uploads(case: RouteCase) -> dict[str, tuple[str, bytes, str]] | None:
    """The multipart file part of ``case``'s request, if it sends one."""
    return {"file": case.upload} if case.upload else None


ROUTES += ANALYTICS_PAGES
PROTECTED += ANALYTICS_PAGES

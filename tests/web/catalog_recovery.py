"""The victim-services routes of the catalog (tests/web/catalog.py), with how to fill
their paths and bodies.

Nobody the walk signs in works at a victim-services provider (they are law
enforcement, a fusion center's and a school's staff): the provider's own routes
refuse every one of them, which is the point. Their success paths, bad input and
CSRF are tested as the provider's staff in tests/recovery/test_web.py. The routes
an outside agency uses (cases disclosed to it, a disclosure under consent, the
statistics) are walked here as everyone: the "own" case carries a consent naming the
actor's agency, the "other" case one naming another agency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tests.web.catalog import CASE, RouteCase, Target
from vigil.platform.types import utcnow

TODAY = utcnow().date().isoformat()
LATER = (utcnow().date() + timedelta(days=60)).isoformat()
PURPOSE = "law_enforcement_investigation"

STAFF_PAGES = [
    RouteCase("GET", "/recovery/cases"),
    RouteCase("GET", "/recovery/cases/new"),
    RouteCase(
        "POST",
        "/recovery/cases",
        body="form",
        build=lambda t: {"kind": "survivor", "display_name": "A survivor"},
    ),
    RouteCase("GET", "/recovery/cases/{survivor_case_id}", target=CASE),
    RouteCase(
        "POST",
        "/recovery/cases/{survivor_case_id}/consents",
        target=CASE,
        body="form",
        build=lambda t: {
            "recipient_agency_id": str(t.world.other),
            "purpose": "crime_victim_compensation",
            "document_reference": "Form 12",
            "signed_on": TODAY,
            "expires_on": LATER,
            "written_on_file": "yes",
        },
    ),
    RouteCase(
        "POST", "/recovery/cases/{survivor_case_id}/consents/{consent_id}/revoke", target=CASE
    ),
    RouteCase(
        "POST",
        "/recovery/cases/{survivor_case_id}/referrals",
        target=CASE,
        body="form",
        build=lambda t: {"service_kind": "legal", "provider_name": "Legal Aid Society"},
    ),
    RouteCase(
        "POST",
        "/recovery/cases/{survivor_case_id}/referrals/{referral_id}",
        target=CASE,
        body="form",
        build=lambda t: {"status": "accepted", "note": "First session booked"},
    ),
    RouteCase(
        "POST",
        "/recovery/cases/{survivor_case_id}/dates",
        target=CASE,
        body="form",
        build=lambda t: {
            "kind": "court_date",
            "label": "Trial opens",
            "on_date": LATER,
            "remind_days_before": "7",
        },
    ),
    RouteCase(
        "POST",
        "/recovery/cases/{survivor_case_id}/needs",
        target=CASE,
        body="form",
        build=lambda t: {"safety": "3", "housing": "2", "assessed_on": TODAY},
    ),
    RouteCase(
        "POST",
        "/recovery/cases/{survivor_case_id}/plan",
        target=CASE,
        body="form",
        build=lambda t: {
            "need": "housing",
            "goal": "A lease in a safe building",
            "target_on": LATER,
        },
    ),
    RouteCase(
        "POST",
        "/recovery/cases/{survivor_case_id}/plan/status",
        target=CASE,
        body="form",
        build=lambda t: {"plan_item_id": "1", "status": "in_progress"},
    ),
    RouteCase(
        "POST",
        "/recovery/cases/{survivor_case_id}/assign",
        target=CASE,
        body="form",
        build=lambda t: {"advocate_user_id": str(next(iter(t.world.recovery["staff"].values())))},
    ),
    RouteCase("POST", "/recovery/cases/{survivor_case_id}/close", target=CASE),
    RouteCase("GET", "/recovery/cases/{survivor_case_id}/export.json", target=CASE),
]


@dataclass(frozen=True)
class AssistRoute(RouteCase):
    """A route whose path names the walk provider's assistance center, a family
    registered there, its fund, a claim or a payment (seeded in web_world)."""

    def path(self, target: Target) -> str:
        seeded = target.world.recovery["assist"]
        params = {k: str(v) for k, v in seeded.items() if "{" + k + "}" in self.template}
        return RouteCase(self.method, self.template, params=params, query=self.query).path(target)


CENTER = "/recovery/centers/{center_id}"
FUND = "/recovery/funds/{fund_id}"
ASSIST_PAGES = [
    AssistRoute("GET", "/recovery/centers"),
    AssistRoute(
        "POST",
        "/recovery/centers",
        body="form",
        build=lambda t: {"incident_id": "1", "name": "Walk FAC 2", "place": "Hall"},
    ),
    AssistRoute("GET", CENTER),
    AssistRoute("GET", CENTER + "/summary"),
    AssistRoute(
        "POST",
        CENTER + "/registrations",
        body="form",
        build=lambda t: {"kind": "family", "display_name": "Walk family 2", "people_count": "2"},
    ),
    AssistRoute(
        "POST",
        CENTER + "/services",
        body="form",
        build=lambda t: {"kind": "counselling", "provider_name": "Walk Counselling"},
    ),
    AssistRoute(
        "POST",
        CENTER + "/briefings",
        body="form",
        build=lambda t: {"scheduled_at": f"{TODAY}T10:00", "topic": "Update", "presenter": "IC"},
    ),
    AssistRoute(
        "POST",
        CENTER + "/attendance",
        body="form",
        build=lambda t: {"briefing_id": "1", "registration_id": "1", "attendees": "2"},
    ),
    AssistRoute(
        "POST",
        CENTER + "/visits",
        body="form",
        build=lambda t: {
            "registration_id": str(t.world.recovery["assist"]["registration_id"]),
            "services": "legal",
        },
    ),
    AssistRoute("POST", CENTER + "/registrations/{registration_id}/case"),
    AssistRoute(
        "POST",
        CENTER + "/import",
        body="form",
        upload=("clients.csv", b"kind,display_name\nfamily,Walk family 3\n", "text/csv"),
    ),
    AssistRoute("POST", CENTER + "/close", body="form", build=lambda t: {"closed_on": TODAY}),
    AssistRoute("GET", "/recovery/community"),
    AssistRoute(
        "POST",
        "/recovery/community/providers",
        body="form",
        build=lambda t: {"name": "Walk Clinic", "kind": "mental_health", "capacity": "3"},
    ),
    AssistRoute(
        "POST",
        "/recovery/community/events",
        body="form",
        build=lambda t: {
            "kind": "event",
            "title": "Walk vigil",
            "starts_at": f"{TODAY}T18:00",
            "place": "Square",
        },
    ),
    AssistRoute(
        "POST",
        "/recovery/community/needs",
        body="form",
        build=lambda t: {"kind": "meals", "description": "Dinners", "quantity": "2"},
    ),
    AssistRoute(
        "POST",
        "/recovery/community/offers",
        body="form",
        build=lambda t: {
            "offer_kind": "in_kind",
            "kind": "meals",
            "offered_by": "Walk Diner",
            "quantity": "2",
        },
    ),
    AssistRoute("POST", "/recovery/community/match"),
    AssistRoute("GET", "/recovery/funds"),
    AssistRoute(
        "POST",
        "/recovery/funds",
        body="form",
        build=lambda t: {"incident_id": "1", "name": "Walk Fund 2"},
    ),
    AssistRoute("GET", FUND),
    AssistRoute(
        "POST",
        FUND + "/protocols",
        body="form",
        build=lambda t: {
            "stage": "draft",
            "fund_dollars": "100",
            "tiers": "killed | Killed | killed | 1",
            "comment_until": LATER,
        },
    ),
    AssistRoute(
        "POST",
        FUND + "/comments",
        body="form",
        build=lambda t: {"body": "A comment", "commenter": "A parent"},
    ),
    AssistRoute(
        "POST",
        FUND + "/claims",
        body="form",
        build=lambda t: {
            "claimant_name": "Walk claimant",
            "harm": "present",
            "evidence_record": "r1",
        },
    ),
    AssistRoute(
        "POST",
        FUND + "/claims/{claim_id}/decision",
        body="form",
        build=lambda t: {"decision": "refuse", "reason": "Walk"},
    ),
    AssistRoute("POST", FUND + "/calculate"),
    AssistRoute(
        "POST",
        FUND + "/payments/{payment_id}",
        body="form",
        build=lambda t: {"paid_on": TODAY, "reference": "Walk 1"},
    ),
]
ASSIST_API = [
    AssistRoute(
        "POST",
        "/api/v1/recovery/centers/{center_id}/registrations",
        body="json",
        build=lambda t: {"kind": "family", "display_name": "Walk API family"},
    ),
    AssistRoute(
        "POST",
        "/api/v1/recovery/registrations/{registration_id}/visits",
        body="json",
        build=lambda t: {"services": ["legal"]},
    ),
    AssistRoute("GET", "/api/v1/recovery/centers/{center_id}/summary"),
    AssistRoute(
        "POST",
        "/api/v1/recovery/funds/{fund_id}/claims",
        body="json",
        build=lambda t: {"claimant_name": "Walk API", "harm": "present", "evidence_record": "r1"},
    ),
    AssistRoute(
        "POST",
        "/api/v1/recovery/community/offers",
        body="json",
        build=lambda t: {
            "offer_kind": "volunteer",
            "kind": "meals",
            "offered_by": "Walk volunteer",
            "quantity": 1,
        },
    ),
]
# What a fund publishes names no one: every signed-in user reads it.
PUBLISHED = [
    AssistRoute("GET", FUND + "/report"),
    AssistRoute("GET", FUND + "/protocol.json"),
    AssistRoute("GET", "/api/v1/recovery/funds/{fund_id}/report"),
]
STAFF_PAGES += ASSIST_PAGES

STAFF_API = [
    RouteCase("GET", "/api/v1/recovery/cases"),
    RouteCase("GET", "/api/v1/recovery/cases/{survivor_case_id}", target=CASE),
    RouteCase("GET", "/api/v1/recovery/cases/{survivor_case_id}/export", target=CASE),
    *ASSIST_API,
]
OUTSIDE_PAGES = [
    RouteCase("GET", "/recovery/disclosed"),
    RouteCase(
        "GET",
        "/recovery/cases/{survivor_case_id}/disclosure",
        target=CASE,
        query=f"purpose={PURPOSE}",
    ),
    RouteCase("GET", "/recovery/statistics"),
]
OUTSIDE_API = [
    RouteCase("GET", "/api/v1/recovery/disclosed"),
    RouteCase(
        "GET",
        "/api/v1/recovery/cases/{survivor_case_id}/disclosure",
        target=CASE,
        query=f"purpose={PURPOSE}",
    ),
    RouteCase("GET", "/api/v1/recovery/statistics"),
]

RECOVERY_PAGES = [*STAFF_PAGES, *OUTSIDE_PAGES, *PUBLISHED[:2]]
RECOVERY_API = [*STAFF_API, *OUTSIDE_API, *PUBLISHED[2:]]
# Routes that refuse every role the walk signs in (see the module docstring).
STAFF_ONLY = frozenset(case.label for case in (*STAFF_PAGES, *STAFF_API))

# The matrix rows (tests/web/matrix.py), written from what each role is for: nobody the
# walk signs in is a victim-services provider's staff, so its routes are not there for
# any of them (404: not even their existence); under a consent naming the actor's
# agency every role of that agency reads the disclosed case, never another agency's.
NOWHERE = "404 " * 7
EVERYONE = "ok  " * 7
HIDDEN_CASE = {"own": NOWHERE, "other": NOWHERE}
RECOVERY_MATRIX: dict[str, str | dict[str, str]] = {
    **{
        case.label: HIDDEN_CASE if case.target == CASE else NOWHERE
        for case in (*STAFF_PAGES, *STAFF_API)
    },
    "GET /recovery/disclosed": EVERYONE,
    "GET /api/v1/recovery/disclosed": EVERYONE,
    "GET /recovery/cases/{survivor_case_id}/disclosure": {"own": EVERYONE, "other": NOWHERE},
    "GET /api/v1/recovery/cases/{survivor_case_id}/disclosure": {
        "own": EVERYONE,
        "other": NOWHERE,
    },
    "GET /recovery/statistics": EVERYONE,
    "GET /api/v1/recovery/statistics": EVERYONE,
    **{case.label: EVERYONE for case in PUBLISHED},
}

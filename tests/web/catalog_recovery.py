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

from datetime import timedelta

from tests.web.catalog import CASE, RouteCase
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
STAFF_API = [
    RouteCase("GET", "/api/v1/recovery/cases"),
    RouteCase("GET", "/api/v1/recovery/cases/{survivor_case_id}", target=CASE),
    RouteCase("GET", "/api/v1/recovery/cases/{survivor_case_id}/export", target=CASE),
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

RECOVERY_PAGES = [*STAFF_PAGES, *OUTSIDE_PAGES]
RECOVERY_API = [*STAFF_API, *OUTSIDE_API]
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
}

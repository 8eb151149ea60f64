"""The threat-assessment routes of the catalog (tests/web/catalog.py): pages and API,
with how to fill their paths and bodies."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.web.catalog import CASE, REASON, REPORT, RouteCase, Target
from vigil.platform.roles import Role
from vigil.platform.types import utcnow

RATIONALE = "Two proximal warning behaviors and access to a rifle at home."
SOON = (utcnow().date() + timedelta(days=10)).isoformat()
TODAY = utcnow().date().isoformat()
INSTRUMENT = {
    "key": "walk_screen",
    "version": 1,
    "title": "Walk screening",
    "scales": {"yn": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]},
    "sections": [
        {"key": "s", "title": "S", "items": [{"key": "q", "label": "Question", "scale": "yn"}]}
    ],
}


def _new_member(t: Target) -> dict[str, str]:
    """Someone with a case role who is not yet on the case's team."""
    return {"username": t.world.member(Role.SUPERVISOR).username, "team_role": "member"}


def _case_from_report(t: Target) -> dict[str, str]:
    return {"title": "Threats in the group chat", "report_id": str(t.report_id)}


ANSWERS = {"fixation.answer": "present", "fixation.sources": "Notebook", "fixation.notes": "x"}

ASSESSMENT_PAGES = [
    RouteCase("GET", "/cases"),
    RouteCase("GET", "/assessment/dashboard"),
    RouteCase("GET", "/cases/new"),
    RouteCase("POST", "/cases", target=REPORT, body="form", build=_case_from_report),
    RouteCase("GET", "/cases/{case_id}", target=CASE),
    RouteCase(
        "POST",
        "/cases/{case_id}/status",
        target=CASE,
        body="form",
        build=lambda t: {"status": "assessing", "note": "Interviews begin"},
    ),
    RouteCase(
        "POST",
        "/cases/{case_id}/settings",
        target=CASE,
        body="form",
        build=lambda t: {"review_interval_days": "14", "closure_criteria": REASON},
    ),
    RouteCase("POST", "/cases/{case_id}/members", target=CASE, body="form", build=_new_member),
    RouteCase("POST", "/cases/{case_id}/members/{member_id}/remove", target=CASE),
    RouteCase(
        "POST",
        "/cases/{case_id}/subjects",
        target=CASE,
        body="form",
        build=lambda t: {"display_name": "The older brother"},
    ),
    RouteCase(
        "POST",
        "/cases/{case_id}/risk",
        target=CASE,
        body="form",
        build=lambda t: {"level": "high", "rationale": RATIONALE},
    ),
    RouteCase(
        "POST",
        "/cases/{case_id}/interventions",
        target=CASE,
        body="form",
        build=lambda t: {
            "kind": "safety_plan",
            "description": "Safety plan with the school",
            "owner_user_id": "",
            "due_on": SOON,
        },
    ),
    RouteCase(
        "POST",
        "/cases/{case_id}/interventions/{intervention_id}",
        target=CASE,
        body="form",
        build=lambda t: {"status": "in_progress"},
    ),
    RouteCase(
        "POST",
        "/cases/{case_id}/reviews",
        target=CASE,
        body="form",
        build=lambda t: {"held_on": TODAY, "summary": "Plan on track; keep monitoring."},
    ),
    RouteCase(
        "POST",
        "/cases/{case_id}/shares",
        target=CASE,
        body="form",
        build=lambda t: {"agency_id": str(t.world.operator), "reason": REASON},
    ),
    RouteCase(
        "POST",
        "/cases/{case_id}/shares/{share_id}/revoke",
        target=CASE,
        body="form",
        build=lambda t: {"reason": "No longer needed"},
    ),
    RouteCase(
        "POST",
        "/cases/{case_id}/assessments",
        target=CASE,
        body="form",
        build=lambda t: {"instrument_id": str(t.world.instrument)},
    ),
    RouteCase("GET", "/cases/{case_id}/assessments/{assessment_id}", target=CASE),
    RouteCase(
        "POST",
        "/cases/{case_id}/assessments/{assessment_id}",
        target=CASE,
        body="form",
        build=lambda t: {**ANSWERS, "action": "save"},
    ),
    RouteCase("GET", "/cases/{case_id}/summary", target=CASE),
    RouteCase("GET", "/cases/{case_id}/summary.pdf", target=CASE),
    RouteCase("GET", "/assessment/instruments"),
    RouteCase(
        "POST",
        "/assessment/instruments",
        upload=("walk.json", json.dumps(INSTRUMENT).encode(), "application/json"),
    ),
    RouteCase("GET", "/assessment/instruments/{instrument_id}"),
]

ASSESSMENT_API = [
    RouteCase("GET", "/api/v1/cases"),
    RouteCase(
        "POST",
        "/api/v1/cases",
        target=REPORT,
        body="json",
        build=lambda t: {"title": "Threats in the group chat", "report_id": t.report_id},
    ),
    RouteCase("GET", "/api/v1/cases/{case_id}", target=CASE),
    RouteCase(
        "POST",
        "/api/v1/cases/{case_id}/status",
        target=CASE,
        body="json",
        build=lambda t: {"status": "assessing"},
    ),
    RouteCase(
        "POST", "/api/v1/cases/{case_id}/members", target=CASE, body="json", build=_new_member
    ),
    RouteCase("DELETE", "/api/v1/cases/{case_id}/members/{member_id}", target=CASE),
    RouteCase(
        "POST",
        "/api/v1/cases/{case_id}/assessments",
        target=CASE,
        body="json",
        build=lambda t: {"instrument_id": t.world.instrument},
    ),
    RouteCase(
        "PATCH",
        "/api/v1/cases/{case_id}/assessments/{assessment_id}",
        target=CASE,
        body="json",
        build=lambda t: {"answers": {"fixation": {"answer": "present", "sources": "Notebook"}}},
    ),
    RouteCase(
        "POST",
        "/api/v1/cases/{case_id}/risk",
        target=CASE,
        body="json",
        build=lambda t: {"level": "high", "rationale": RATIONALE},
    ),
    RouteCase(
        "POST",
        "/api/v1/cases/{case_id}/interventions",
        target=CASE,
        body="json",
        build=lambda t: {"kind": "safety_plan", "description": "Safety plan", "due_on": SOON},
    ),
    RouteCase(
        "PATCH",
        "/api/v1/cases/{case_id}/interventions/{intervention_id}",
        target=CASE,
        body="json",
        build=lambda t: {"status": "in_progress"},
    ),
    RouteCase(
        "POST",
        "/api/v1/cases/{case_id}/reviews",
        target=CASE,
        body="json",
        build=lambda t: {"held_on": TODAY, "summary": "Plan on track; keep monitoring."},
    ),
    RouteCase(
        "POST",
        "/api/v1/cases/{case_id}/shares",
        target=CASE,
        body="json",
        build=lambda t: {"agency_id": t.world.operator, "reason": REASON},
    ),
    RouteCase("DELETE", "/api/v1/cases/{case_id}/shares/{share_id}", target=CASE),
    RouteCase("GET", "/api/v1/assessment/dashboard"),
    RouteCase("GET", "/api/v1/instruments"),
    RouteCase("POST", "/api/v1/instruments", body="json", build=lambda t: INSTRUMENT),
]

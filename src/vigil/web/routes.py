"""Shell pages: health check and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import text

from vigil.platform import policy
from vigil.platform.policy.report_rules import READER_ROLES
from vigil.platform.roles import Role
from vigil.web.deps import ActorDep, SessionDep
from vigil.web.templating import render

router = APIRouter()


@router.get("/health", tags=["health"])
def health(db: SessionDep) -> dict[str, str]:
    """Liveness and database reachability, for load balancers and monitoring."""
    db.execute(text("SELECT 1"))
    return {"status": "ok"}


@dataclass(frozen=True)
class Card:
    title: str
    text: str
    href: str
    action: str


def dashboard_cards(roles: frozenset[Role]) -> list[Card]:
    cards = []
    if roles & READER_ROLES:
        cards.append(
            Card(
                "Triage queue",
                "Tips, suspicious-activity reports and agency reports "
                "for your agency, most urgent first.",
                "/reports",
                "Open the queue",
            )
        )
        cards.append(
            Card(
                "File a report",
                "Record a tip, a SAR or an agency report with the people it mentions.",
                "/reports/new",
                "File a report",
            )
        )
    if Role.SUPERVISOR in roles:
        cards.append(
            Card(
                "Retention reviews",
                "Criminal intelligence and other records due for review or purge.",
                "/reports/retention",
                "Review records",
            )
        )
    if Role.AGENCY_ADMIN in roles or Role.SYSTEM_ADMIN in roles:
        cards.append(
            Card(
                "Users and agencies",
                "Create accounts, assign roles, unlock and disable users.",
                "/admin/users",
                "Administer",
            )
        )
    if Role.AUDITOR in roles:
        cards.append(
            Card(
                "Audit trail",
                "Review who did what, when and from where.",
                "/audit",
                "Open the audit trail",
            )
        )
    cards.append(
        Card(
            "Your account",
            "Change your password, manage API tokens and see your sign-in security.",
            "/account",
            "Account settings",
        )
    )
    return cards


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def dashboard(request: Request, actor: ActorDep) -> HTMLResponse:
    policy.authorize(actor, "view", "dashboard")
    user = request.state.user
    return render(
        request,
        "dashboard.html",
        {
            "agency": user.agency,
            "roles": sorted(actor.roles, key=lambda role: role.label),
            "cards": dashboard_cards(actor.roles),
        },
    )

"""Every page reachable by GET, with who looks at it and the status it answers with.

Paths may hold ``{user:NAME}`` and ``{agency:NAME}`` placeholders (seeded ids).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

from tests.e2e.live_server import METRO


@dataclass(frozen=True)
class Visit:
    username: str | None  # None: not signed in
    path: str
    status: int = 200


VISITS = {
    "login": Visit(None, "/login"),
    "dashboard-analyst": Visit("metro-analyst", "/"),
    "dashboard-admin": Visit("metro-admin", "/"),
    "users-agency-admin": Visit("metro-admin", "/admin/users"),
    "users-system-admin": Visit("sysadmin", "/admin/users"),
    "user-new": Visit("metro-admin", "/admin/users/new"),
    "user-detail": Visit("metro-admin", "/admin/users/{user:metro-analyst}"),
    "agencies-agency-admin": Visit("metro-admin", "/admin/agencies"),
    "agencies-system-admin": Visit("sysadmin", "/admin/agencies"),
    "agency-detail": Visit("sysadmin", f"/admin/agencies/{{agency:{METRO}}}"),
    "audit": Visit("auditor", "/audit"),
    "audit-bad-date": Visit("auditor", "/audit?since=last-week", 422),
    "account": Visit("metro-analyst", "/account"),
    "cases": Visit("metro-assessor", "/cases"),
    "cases-filtered": Visit("metro-supervisor", "/cases?status=&level=high&overdue=1"),
    "assessment-dashboard": Visit("metro-assessor", "/assessment/dashboard"),
    "instruments": Visit("metro-assessor", "/assessment/instruments"),
    "instrument": Visit("metro-assessor", "/assessment/instruments/1"),  # built in
    "case-not-found": Visit("metro-assessor", "/cases/999999", 404),
    "forbidden": Visit("metro-analyst", "/audit", 403),
    "not-found": Visit("metro-admin", "/admin/users/999999", 404),
}

PHONE = {"width": 375, "height": 740}  # USWDS collapses the navigation into a menu


def visits_by_user() -> Iterator[tuple[str | None, list[tuple[str, Visit]]]]:
    """The visits grouped by who makes them, so each user needs one browser context."""
    ordered = sorted(VISITS.items(), key=lambda item: item[1].username or "")
    for username, group in groupby(ordered, key=lambda item: item[1].username):
        yield username, list(group)

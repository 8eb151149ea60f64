"""Notifications about reports against the reference model (tests/oracle/model.py): an
acknowledgement deadline missed tells the routed agency's supervisors who may read the
report, and nobody else.

Hypothesis generates agencies, users with any roles, and reports with every marking,
file class, routing, share and named recipient, some past their acknowledgement
deadline; the scheduler's escalation runs, and every user's notifications page must
link exactly the reports the model says that user is told of.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import make_agency, make_user
from tests.oracle.model import ModelReport, ModelUser, notified_of_escalation
from tests.oracle.tally import OracleCases
from tests.oracle.test_report_reads import worlds as report_worlds
from tests.oracle.worlds import explore
from tests.reports.factories import make_report
from tests.web.conftest import rolled_back
from vigil.platform import sessions
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import escalation
from vigil.web.deps import SESSION_COOKIE

EXAMPLES = int(os.environ.get("VIGIL_ORACLE_EXAMPLES", "20"))  # ~200 cases a database
REPORT_LINK = re.compile(r'href="/reports/(\d+)"')


@dataclass(frozen=True)
class NotificationWorld:
    agencies: int
    users: list[ModelUser]
    reports: list[ModelReport]
    overdue: frozenset[int]  # report keys past their acknowledgement deadline


@st.composite
def worlds(draw: st.DrawFn) -> NotificationWorld:
    agencies, users, reports = draw(report_worlds())
    overdue = draw(st.sets(st.sampled_from([r.key for r in reports])))
    return NotificationWorld(agencies, users, reports, frozenset(overdue))


# A TLP:RED report routed to an agency whose supervisor is not named on it.
RED_ROUTED_TO_A_SUPERVISOR_NOT_NAMED = NotificationWorld(
    agencies=2,
    users=[
        ModelUser(key=0, agency=0, roles=frozenset({"analyst"})),
        ModelUser(key=1, agency=1, roles=frozenset({"supervisor"})),
    ],
    reports=[
        ModelReport(
            key=0,
            owner=0,
            routed=1,
            marking="RED",
            file_class="tip_lead",
            shared_with=frozenset(),
            recipients=frozenset({0}),
        )
    ],
    overdue=frozenset({0}),
)


@pytest.fixture()
def app_settings(settings: Settings) -> Settings:
    """The app's settings, under a name that does not hide Hypothesis's ``settings``."""
    return settings


def build(
    db: Session, world: NotificationWorld, settings: Settings
) -> tuple[dict[int, str], dict[int, int]]:
    """Store the world and run the escalation; web sessions by user key, report ids."""
    agencies = [make_agency(db) for _ in range(world.agencies)]
    users = {
        u.key: make_user(db, agency=agencies[u.agency], roles={Role(r) for r in u.roles})
        for u in world.users
    }
    cookies = {
        key: sessions.start_session(db, user=user, mfa_verified=True)[0]
        for key, user in users.items()
    }
    now = utcnow()
    ids = {}
    for r in world.reports:
        report = make_report(
            db,
            agency=agencies[r.owner],
            routed_to=agencies[r.routed],
            marking=r.marking,
            file_class=r.file_class,
            shared_with=[agencies[a] for a in sorted(r.shared_with)],
            recipients=[users[k] for k in sorted(r.recipients)],
        )
        late = r.key in world.overdue
        report.ack_due_at = now + (timedelta(minutes=-5) if late else timedelta(days=1))
        ids[r.key] = report.id
    db.flush()
    escalation.escalate_breaches(db, settings=settings, now=now)
    db.commit()
    return cookies, ids


def test_report_notifications_match_the_model(
    app_client: TestClient,
    session_factory: sessionmaker[Session],
    connection: Any,
    app_settings: Settings,
    oracle_cases: OracleCases,
) -> None:
    @given(world=worlds())
    @example(world=RED_ROUTED_TO_A_SUPERVISOR_NOT_NAMED)
    @explore(EXAMPLES)
    def check(world: NotificationWorld) -> None:
        with rolled_back(connection):
            with session_factory() as db:
                cookies, ids = build(db, world, app_settings)
            for user in world.users:
                want = {
                    ids[r.key]
                    for r in world.reports
                    if notified_of_escalation(user, r, r.key in world.overdue)
                }
                app_client.cookies.set(SESSION_COOKIE, cookies[user.key])
                try:
                    page = app_client.get("/notifications")
                finally:
                    app_client.cookies.clear()
                assert page.status_code == 200, ("notifications", page.status_code, user)
                got = {int(found) for found in REPORT_LINK.findall(page.text)}
                assert got == want, ("notified", user, world.reports, world.overdue)
                oracle_cases.add(len(world.reports))

    check()
    print(f"notification oracle: {oracle_cases.cases} (user, report) cases")
    assert oracle_cases.cases >= EXAMPLES

"""Threat-assessment case summaries (the printable export of a case) against the
reference model (tests/oracle/model.py): a reader of the case sees the linked reports
they may read and only a count of the others; anyone else gets nothing.

Hypothesis generates agencies, users with any roles, reports with every marking, file
class, routing, share and named recipient, and cases (teams, shares) linking some of
those reports; every user's ``/cases/N/summary`` must show exactly the receipt numbers
the model allows and count the rest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import count
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import make_agency, make_user
from tests.oracle.model import ModelCase, ModelReport, ModelUser, case_summary
from tests.oracle.tally import OracleCases
from tests.oracle.test_case_reads import STATUSES
from tests.oracle.test_report_reads import worlds as report_worlds
from tests.oracle.worlds import explore, store_case
from tests.reports.factories import make_report
from tests.web.conftest import rolled_back
from vigil.assessment.models import CaseReport
from vigil.platform import sessions
from vigil.platform.roles import Role
from vigil.platform.types import utcnow
from vigil.web.deps import SESSION_COOKIE

EXAMPLES = int(os.environ.get("VIGIL_ORACLE_EXAMPLES", "15"))  # ~400 cases a database
_numbers = count(1)


@dataclass(frozen=True)
class SummaryWorld:
    agencies: int
    users: list[ModelUser]
    reports: list[ModelReport]
    cases: list[ModelCase]
    linked: dict[int, frozenset[int]]  # report keys by case key


@st.composite
def worlds(draw: st.DrawFn) -> SummaryWorld:
    agencies, users, reports = draw(report_worlds())
    agency = st.integers(min_value=0, max_value=agencies - 1)
    people = st.sampled_from([u.key for u in users])
    cases, linked = [], {}
    for i in range(draw(st.integers(min_value=1, max_value=3))):
        team = draw(st.sets(people, max_size=3))
        shared = draw(st.sets(agency, max_size=agencies))
        cases.append(
            ModelCase(
                key=i,
                owner=draw(agency),
                status=draw(st.sampled_from(STATUSES)),
                team=frozenset(team),
                removed=frozenset(draw(st.sets(people, max_size=2)) - team),
                shared_with=frozenset(shared),
                revoked=frozenset(draw(st.sets(agency, max_size=agencies)) - shared),
            )
        )
        linked[i] = frozenset(draw(st.sets(st.sampled_from([r.key for r in reports]))))
    return SummaryWorld(agencies, users, reports, cases, linked)


def build(
    db: Session, world: SummaryWorld
) -> tuple[dict[int, str], dict[int, str], dict[int, int]]:
    """Store the world; web sessions by user key, receipt numbers by report key, case
    ids by case key."""
    agencies = [make_agency(db) for _ in range(world.agencies)]
    users = {
        u.key: make_user(db, agency=agencies[u.agency], roles={Role(r) for r in u.roles})
        for u in world.users
    }
    cookies = {
        key: sessions.start_session(db, user=user, mfa_verified=True)[0]
        for key, user in users.items()
    }
    report_ids, receipts = {}, {}
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
        report_ids[r.key], receipts[r.key] = report.id, report.receipt_number
    now = utcnow()
    ids = {}
    for c in world.cases:
        case = store_case(
            db,
            c,
            number=f"TA-SUMMARY-{next(_numbers):06d}",
            agencies=agencies,
            users=users,
            now=now,
        )
        db.add_all(
            CaseReport(case_id=case.id, report_id=report_ids[key], added_at=now)
            for key in sorted(world.linked[c.key])
        )
        ids[c.key] = case.id
    db.commit()
    return cookies, receipts, ids


def test_case_summaries_match_the_model(
    app_client: TestClient,
    session_factory: sessionmaker[Session],
    connection: Any,
    oracle_cases: OracleCases,
) -> None:
    @given(world=worlds())
    @explore(EXAMPLES)
    def check(world: SummaryWorld) -> None:
        with rolled_back(connection):
            with session_factory() as db:
                cookies, receipts, ids = build(db, world)
            for user in world.users:
                app_client.cookies.set(SESSION_COOKIE, cookies[user.key])
                try:
                    for c in world.cases:
                        linked = [r for r in world.reports if r.key in world.linked[c.key]]
                        want = case_summary(user, c, linked)
                        page = app_client.get(f"/cases/{ids[c.key]}/summary")
                        # The case, and each linked report shown or only counted.
                        oracle_cases.add(1 + len(linked))
                        if want is None:
                            assert page.status_code in (403, 404), ("hidden", user, c)
                            continue
                        assert page.status_code == 200, ("summary", page.status_code, user, c)
                        shown, counted = want
                        assert {r.key for r in linked if receipts[r.key] in page.text} == set(
                            shown
                        ), ("shown", user, c, linked)
                        if counted:
                            assert f"{counted} further linked report" in page.text, (
                                "counted",
                                counted,
                                user,
                                c,
                                linked,
                            )
                        else:
                            assert "further linked report" not in page.text, ("counted", user)
                finally:
                    app_client.cookies.clear()

    check()
    print(f"case summary oracle: {oracle_cases.cases} (user, case or linked report) cases")
    assert oracle_cases.cases >= EXAMPLES

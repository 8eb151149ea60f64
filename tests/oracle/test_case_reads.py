"""Threat-assessment case read paths against the reference model (tests/oracle/model.py).

Hypothesis generates agencies, users with any roles, and cases with teams (members
present and removed) and shares (live and revoked); for every user the API's case
list and its count, each case by id, and the dashboard's count of active cases must
agree with the model.
"""

from __future__ import annotations

import os
from itertools import count
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import make_agency, make_user
from tests.oracle.model import ACTIVE_CASE_STATUSES, ModelCase, ModelUser, reads_case
from tests.oracle.tally import OracleCases
from tests.oracle.worlds import any_users, explore, store_case
from tests.web.conftest import bearer, rolled_back
from vigil.platform import sessions
from vigil.platform.roles import Role
from vigil.platform.types import utcnow

EXAMPLES = int(os.environ.get("VIGIL_ORACLE_EXAMPLES", "30"))  # ~950 cases a database
STATUSES = ("open", "assessing", "managing", "monitoring", "closed")
_numbers = count(1)
World = tuple[int, list[ModelUser], list[ModelCase]]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    agencies = draw(st.integers(min_value=2, max_value=4))
    agency = st.integers(min_value=0, max_value=agencies - 1)
    users = any_users(draw, agencies, least=2, most=6)
    keys = st.sampled_from([u.key for u in users])
    cases = []
    for i in range(draw(st.integers(min_value=1, max_value=6))):
        team = draw(st.sets(keys, max_size=3))
        shared = draw(st.sets(agency, max_size=agencies))
        cases.append(
            ModelCase(
                key=i,
                owner=draw(agency),
                status=draw(st.sampled_from(STATUSES)),
                team=frozenset(team),
                removed=frozenset(draw(st.sets(keys, max_size=2)) - team),
                shared_with=frozenset(shared),
                revoked=frozenset(draw(st.sets(agency, max_size=agencies)) - shared),
            )
        )
    return agencies, users, cases


def build(db: Session, world: World) -> tuple[dict[int, str], dict[int, int]]:
    """Store the world; API tokens by user key and case ids by case key."""
    count_, users, model_cases = world
    agencies = [make_agency(db) for _ in range(count_)]
    stored = {
        u.key: make_user(db, agency=agencies[u.agency], roles={Role(r) for r in u.roles})
        for u in users
    }
    tokens = {
        key: sessions.create_api_token(db, user=user, name="oracle", days=1)[0]
        for key, user in stored.items()
    }
    now = utcnow()
    ids = {}
    for c in model_cases:
        case = store_case(
            db,
            c,
            number=f"TA-ORACLE-{next(_numbers):06d}",
            agencies=agencies,
            users=stored,
            now=now,
        )
        ids[c.key] = case.id
    db.commit()
    return tokens, ids


def test_every_case_read_path_matches_the_model(
    app_client: TestClient,
    session_factory: sessionmaker[Session],
    connection: Any,
    oracle_cases: OracleCases,
) -> None:
    @given(world=worlds())
    @explore(EXAMPLES)
    def check(world: World) -> None:
        _, users, model_cases = world
        with rolled_back(connection):
            with session_factory() as db:
                tokens, ids = build(db, world)
            for user in users:
                auth = bearer(tokens[user.key])
                want = {ids[c.key] for c in model_cases if reads_case(user, c)}
                active = {
                    ids[c.key]
                    for c in model_cases
                    if reads_case(user, c) and c.status in ACTIVE_CASE_STATUSES
                }
                listed = app_client.get("/api/v1/cases", headers=auth)
                board = app_client.get("/api/v1/assessment/dashboard", headers=auth)
                if listed.status_code == 200:
                    page = listed.json()
                    assert {item["id"] for item in page["cases"]} == want, ("list", user)
                    assert page["total"] == len(want), ("count", user)
                    assert board.status_code == 200, ("dashboard", user)
                    assert board.json()["active_cases"] == len(active), ("dashboard", user)
                else:
                    assert listed.status_code == 403, listed.status_code
                    assert not want, ("refused a case worker", user, model_cases)
                for c in model_cases:
                    one = app_client.get(f"/api/v1/cases/{ids[c.key]}", headers=auth)
                    assert (one.status_code == 200) == reads_case(user, c), (
                        "get",
                        one.status_code,
                        user,
                        c,
                    )
                oracle_cases.add(3 * len(model_cases))

    check()
    print(f"case oracle: {oracle_cases.cases} (user, case, read path) cases")
    assert oracle_cases.cases >= EXAMPLES * 2 * 3

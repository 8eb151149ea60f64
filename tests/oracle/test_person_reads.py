"""Person pages (the linkage read path) against the reference model: which reports a
viewer sees about a person, which only as pointers, and when the person stays hidden,
on the API (``/api/v1/persons/N``) and on the page a signed-in browser gets
(``/persons/N``: report links and the pointers' access-request forms)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import make_agency, make_user
from tests.oracle.model import ModelReport, ModelUser, person_view
from tests.oracle.tally import OracleCases
from tests.oracle.test_report_reads import FILE_CLASSES, MARKINGS
from tests.oracle.worlds import any_users, explore
from tests.reports.factories import make_report
from tests.web.conftest import bearer, rolled_back
from vigil.linkage import membership
from vigil.platform import sessions
from vigil.platform.roles import Role
from vigil.web.deps import SESSION_COOKIE

EXAMPLES = int(os.environ.get("VIGIL_ORACLE_EXAMPLES", "20"))  # ~300 cases a database
REPORT_LINK = re.compile(r'href="/reports/(\d+)"')
ACCESS_REQUEST = re.compile(r'action="/reports/(\d+)/access-requests"')


@dataclass(frozen=True)
class PersonWorld:
    agencies: int
    users: list[ModelUser]
    reports: list[ModelReport]
    protected_only: frozenset[int]  # report keys describing only protected activity
    person_of: dict[int, int]  # report key -> person index


@st.composite
def worlds(draw: st.DrawFn) -> PersonWorld:
    agencies = draw(st.integers(min_value=2, max_value=4))
    agency = st.integers(min_value=0, max_value=agencies - 1)
    users = any_users(draw, agencies, least=1, most=4)
    reports, protected, person_of = [], set(), {}
    persons = draw(st.integers(min_value=1, max_value=3))
    for i in range(draw(st.integers(min_value=1, max_value=7))):
        owner = draw(agency)
        file_class = draw(st.sampled_from(FILE_CLASSES))
        reports.append(
            ModelReport(
                key=i,
                owner=owner,
                routed=draw(st.one_of(st.just(owner), agency)),
                marking=draw(st.sampled_from(MARKINGS)),
                file_class=file_class,
                shared_with=frozenset(draw(st.sets(agency, max_size=agencies))),
                recipients=frozenset(
                    draw(st.sets(st.sampled_from([u.key for u in users]), max_size=2))
                ),
            )
        )
        if file_class != "intelligence" and draw(st.booleans()):
            protected.add(i)  # protected activity can never be intelligence
        person_of[i] = draw(st.integers(min_value=0, max_value=persons - 1))
    return PersonWorld(agencies, users, reports, frozenset(protected), person_of)


def build(
    db: Session, world: PersonWorld
) -> tuple[dict[int, str], dict[int, str], dict[int, int], dict[int, int]]:
    """Store the world; API tokens and web sessions by user key, report ids by report
    key, person ids."""
    agencies = [make_agency(db) for _ in range(world.agencies)]
    stored = {
        u.key: make_user(db, agency=agencies[u.agency], roles={Role(r) for r in u.roles})
        for u in world.users
    }
    tokens = {
        key: sessions.create_api_token(db, user=user, name="oracle", days=1)[0]
        for key, user in stored.items()
    }
    person_ids: dict[int, int] = {}
    report_ids = {}
    for r in world.reports:
        report = make_report(
            db,
            agency=agencies[r.owner],
            routed_to=agencies[r.routed],
            marking=r.marking,
            file_class=r.file_class,
            shared_with=[agencies[a] for a in sorted(r.shared_with)],
            recipients=[stored[k] for k in sorted(r.recipients)],
            protected_activity_only=r.key in world.protected_only,
            mentions=[{"given_name": "Jordan", "family_name": "Reyes"}],
        )
        index = world.person_of[r.key]
        person_ids[index] = membership.place(
            db, report.mentions[0].id, person_ids.get(index), linked_by="run", new=True
        )
        report_ids[r.key] = report.id
    cookies = {
        key: sessions.start_session(db, user=user, mfa_verified=True)[0]
        for key, user in stored.items()
    }
    db.commit()
    return tokens, cookies, report_ids, person_ids


def test_person_pages_match_the_model(
    app_client: TestClient,
    session_factory: sessionmaker[Session],
    connection: Any,
    oracle_cases: OracleCases,
) -> None:
    @given(world=worlds())
    @explore(EXAMPLES)
    def check(world: PersonWorld) -> None:
        with rolled_back(connection):
            with session_factory() as db:
                tokens, cookies, report_ids, person_ids = build(db, world)
            for user in world.users:
                for index, person_id in person_ids.items():
                    about = [r for r in world.reports if world.person_of[r.key] == index]
                    want = person_view(user, about, world.protected_only)
                    api = app_client.get(
                        f"/api/v1/persons/{person_id}", headers=bearer(tokens[user.key])
                    )
                    app_client.cookies.set(SESSION_COOKIE, cookies[user.key])
                    try:
                        page = app_client.get(f"/persons/{person_id}")
                    finally:
                        app_client.cookies.clear()
                    # Each report about the person is read, pointed at or hidden, on
                    # the API and on the page: two cases a report.
                    oracle_cases.add(2 * len(about))
                    if want is None:
                        for path, got in (("api", api), ("page", page)):
                            assert got.status_code in (403, 404), (
                                "hidden",
                                path,
                                got.status_code,
                                user,
                                about,
                            )
                        continue
                    assert api.status_code == 200, ("shown", api.status_code, user, about)
                    assert page.status_code == 200, ("page", page.status_code, user, about)
                    readable = {report_ids[k] for k in want[0]}
                    pointers = {report_ids[k] for k in want[1]}
                    body = api.json()
                    assert {t["report_id"] for t in body["timeline"]} == readable, (
                        "timeline",
                        user,
                        about,
                    )
                    assert {p["report_id"] for p in body["pointers"]} == pointers, (
                        "pointers",
                        user,
                        about,
                        world.protected_only,
                    )
                    linked = {int(found) for found in REPORT_LINK.findall(page.text)}
                    asked = {int(found) for found in ACCESS_REQUEST.findall(page.text)}
                    assert linked == readable, ("page timeline", user, about)
                    assert asked == pointers, ("page pointers", user, about)

    check()
    print(f"person oracle: {oracle_cases.cases} (user, report about a person, path) cases")
    assert oracle_cases.cases >= EXAMPLES

"""The report read paths against the reference model (tests/oracle/model.py).

Hypothesis generates agencies, users with any mix of roles, and reports with every
marking, file class, routing, share and named recipient; for every user the API's
triage list (and its count), each report by id, its attachment's download, and a
full-text search that matches every report must return exactly the reports the model
says that user may read.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import make_agency, make_user
from tests.oracle.model import ModelReport, ModelUser, reads_report
from tests.oracle.tally import OracleCases
from tests.oracle.worlds import any_users, explore
from tests.reports.factories import make_report
from tests.web.conftest import bearer, rolled_back
from vigil.platform import sessions
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import tipline
from vigil.reports.models import ReportAttachment
from vigil.web.deps import SESSION_COOKIE

EXAMPLES = int(os.environ.get("VIGIL_ORACLE_EXAMPLES", "40"))  # ~2,300 cases a database
MARKINGS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
FILE_CLASSES = ("tip_lead", "sar", "intelligence")
WORD = "oraclecanary"  # in every narrative, so one search should find every readable report


@st.composite
def worlds(draw: st.DrawFn) -> tuple[int, list[ModelUser], list[ModelReport]]:
    agencies = draw(st.integers(min_value=2, max_value=4))
    agency = st.integers(min_value=0, max_value=agencies - 1)
    users = any_users(draw, agencies, least=2, most=6)
    reports = []
    for i in range(draw(st.integers(min_value=1, max_value=8))):
        owner = draw(agency)
        reports.append(
            ModelReport(
                key=i,
                owner=owner,
                routed=draw(st.one_of(st.just(owner), agency)),
                marking=draw(st.sampled_from(MARKINGS)),
                file_class=draw(st.sampled_from(FILE_CLASSES)),
                shared_with=frozenset(draw(st.sets(agency, max_size=agencies))),
                recipients=frozenset(
                    draw(st.sets(st.sampled_from([u.key for u in users]), max_size=3))
                ),
            )
        )
    return agencies, users, reports


@pytest.fixture()
def app_settings(settings: Settings) -> Settings:
    """The app's settings, under a name that does not hide Hypothesis's ``settings``."""
    return settings


def build(
    db: Session, world: tuple[int, list[ModelUser], list[ModelReport]], settings: Settings
) -> tuple[dict[int, str], dict[int, int], dict[int, int], str]:
    """Store the world; API tokens by user key, report ids and their attachment's id by
    report key, and a web session of the first user (the pages are checked as that user)."""
    count, users, reports = world
    stored_file = tipline.store_for(settings).save([b"A photo of the car, described.\n"])
    agencies = [make_agency(db) for _ in range(count)]
    stored_users = {
        u.key: make_user(db, agency=agencies[u.agency], roles={Role(r) for r in u.roles})
        for u in users
    }
    tokens = {
        key: sessions.create_api_token(db, user=user, name="oracle", days=1)[0]
        for key, user in stored_users.items()
    }
    ids, attachments = {}, {}
    for r in reports:
        stored = make_report(
            db,
            agency=agencies[r.owner],
            routed_to=agencies[r.routed],
            narrative=f"Report {r.key}: a man seen at the school gate, {WORD}.",
            marking=r.marking,
            file_class=r.file_class,
            shared_with=[agencies[a] for a in sorted(r.shared_with)],
            recipients=[stored_users[k] for k in sorted(r.recipients)],
        )
        ids[r.key] = stored.id
        attachment = ReportAttachment(
            report_id=stored.id,
            sha256=stored_file.sha256,
            filename="car.txt",
            media_type=stored_file.media_type,
            size_bytes=stored_file.size_bytes,
            created_at=utcnow(),
        )
        db.add(attachment)
        db.flush()
        attachments[r.key] = attachment.id
    session_raw, _ = sessions.start_session(db, user=stored_users[0], mfa_verified=True)
    db.commit()
    return tokens, ids, attachments, session_raw


def test_every_report_read_path_matches_the_model(
    app_client: TestClient,
    session_factory: sessionmaker[Session],
    connection: Any,
    app_settings: Settings,
    oracle_cases: OracleCases,
) -> None:
    @given(world=worlds())
    @explore(EXAMPLES)
    def check(world: tuple[int, list[ModelUser], list[ModelReport]]) -> None:
        _, users, reports = world
        with rolled_back(connection):
            with session_factory() as db:
                tokens, ids, attachments, session_raw = build(db, world, app_settings)
            for user in users:
                auth = bearer(tokens[user.key])
                want = {ids[r.key] for r in reports if reads_report(user, r)}
                listed = app_client.get(
                    "/api/v1/reports?include_disposed=true&limit=500", headers=auth
                )
                found = app_client.get(f"/api/v1/search?q={WORD}&limit=100", headers=auth)
                if listed.status_code == 200:
                    page = listed.json()
                    got = {item["id"] for item in page["items"]}
                    assert got == want, ("list", user, reports)
                    assert page["total"] == len(want), ("count", user, reports)
                    assert found.status_code == 200
                    hits = found.json()
                    assert {item["id"] for item in hits["items"]} == want, ("search", user)
                    assert hits["total"] == len(want), ("search count", user)
                else:
                    assert listed.status_code == 403 and found.status_code == 403
                    assert not want, ("refused a reader", user, reports)
                for r in reports:
                    one = app_client.get(f"/api/v1/reports/{ids[r.key]}", headers=auth)
                    assert (one.status_code == 200) == reads_report(user, r), (
                        "get",
                        one.status_code,
                        user,
                        r,
                    )
                    download = app_client.get(
                        f"/reports/{ids[r.key]}/attachments/{attachments[r.key]}", headers=auth
                    )
                    assert (download.status_code == 200) == reads_report(user, r), (
                        "attachment",
                        download.status_code,
                        user,
                        r,
                    )
                oracle_cases.add(4 * len(reports))
            # The report pages, as the first user in a signed-in browser.
            first = users[0]
            app_client.cookies.set(SESSION_COOKIE, session_raw)
            try:
                for r in reports:
                    page = app_client.get(f"/reports/{ids[r.key]}")
                    assert (page.status_code == 200) == reads_report(first, r), (
                        "page",
                        page.status_code,
                        first,
                        r,
                    )
                    oracle_cases.add(1)
            finally:
                app_client.cookies.clear()

    check()
    print(f"report oracle: {oracle_cases.cases} (user, report, read path) cases")
    assert oracle_cases.cases >= EXAMPLES * 2 * 3

"""The audit trail's read paths against the reference model: which events each user
reads in the audit viewer's API, and what `vigil audit export` prints for the operator
at the shell."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tests.factories import make_agency, make_user
from tests.oracle.model import ModelUser, operator_exports_audit_event, reads_audit_event
from tests.oracle.tally import OracleCases
from tests.oracle.worlds import explore
from tests.web.conftest import bearer, rolled_back
from vigil import cli
from vigil.platform import audit, sessions
from vigil.platform.actor import command_line
from vigil.platform.roles import OPERATOR_ONLY_ROLES, Role
from vigil.platform.settings import Settings

EXAMPLES = int(os.environ.get("VIGIL_ORACLE_EXAMPLES", "40"))  # ~500 cases a database
OBJECT_TYPE = "oracle_probe"  # the generated events; reading them adds events of other types
World = tuple[int, list[ModelUser], list[int]]  # agencies (0 is the operator), users, events


@st.composite
def worlds(draw: st.DrawFn) -> World:
    agencies = draw(st.integers(min_value=2, max_value=4))
    agency = st.integers(min_value=0, max_value=agencies - 1)
    users = []
    for i in range(draw(st.integers(min_value=1, max_value=5))):
        home = draw(agency)
        roles = draw(st.sets(st.sampled_from([r.value for r in Role]), max_size=3))
        if home != 0:  # system administrators exist only in the operator agency
            roles -= {r.value for r in OPERATOR_ONLY_ROLES}
        users.append(ModelUser(key=i, agency=home, roles=frozenset(roles)))
    events = draw(st.lists(agency, min_size=1, max_size=8))
    return agencies, users, events


@pytest.fixture()
def app_settings(settings: Settings) -> Settings:
    """The app's settings, under a name that does not hide Hypothesis's ``settings``."""
    return settings


def test_the_audit_viewer_matches_the_model(
    app_client: TestClient,
    session_factory: sessionmaker[Session],
    connection: Any,
    oracle_cases: OracleCases,
    monkeypatch: pytest.MonkeyPatch,
    app_settings: Settings,
) -> None:
    # The command line opens the database its settings name; here it gets the test's
    # sessions instead. The test's connection is already inside a transaction, so the
    # read-only snapshot the export asks for cannot be set on it (it is left as it is).
    monkeypatch.setattr(cli, "load_settings", lambda **_: app_settings)
    monkeypatch.setattr(cli, "open_database", lambda *_, **__: (None, session_factory))
    monkeypatch.setattr(cli, "begin_read_only", lambda _: None)
    runner = CliRunner()

    @given(world=worlds())
    @explore(EXAMPLES)
    def check(world: World) -> None:
        count, users, events = world
        with rolled_back(connection):
            with session_factory() as db:
                agencies = [make_agency(db, is_operator=(i == 0)) for i in range(count)]
                stored = {
                    u.key: make_user(
                        db, agency=agencies[u.agency], roles={Role(r) for r in u.roles}
                    )
                    for u in users
                }
                tokens = {
                    key: sessions.create_api_token(db, user=user, name="oracle", days=1)[0]
                    for key, user in stored.items()
                }
                for index, event_agency in enumerate(events):
                    audit.record(
                        db,
                        actor=command_line("oracle"),
                        action="oracle.probe",
                        object_type=OBJECT_TYPE,
                        object_id=index,
                        agency_id=agencies[event_agency].id,
                    )
                db.commit()
            for user in users:
                want = {
                    str(index)
                    for index, event_agency in enumerate(events)
                    if reads_audit_event(user, user.agency == 0, event_agency)
                }
                got = app_client.get(
                    f"/api/v1/audit/events?object_type={OBJECT_TYPE}&limit=500",
                    headers=bearer(tokens[user.key]),
                )
                oracle_cases.add(len(events))
                if got.status_code != 200:
                    assert got.status_code == 403 and "auditor" not in user.roles, got.status_code
                    continue
                page = got.json()
                assert {e["object_id"] for e in page["items"]} == want, (user, events)
                assert page["total"] == len(want), (user, events)
            # The command line, as the operator at the server's shell.
            result = runner.invoke(cli.app, ["audit", "export", "--action", "oracle.probe"])
            assert result.exit_code == 0, result.output
            printed = [
                json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")
            ]
            want = {
                str(index)
                for index, event_agency in enumerate(events)
                if operator_exports_audit_event(event_agency)
            }
            got = {e["object_id"] for e in printed if e["object_type"] == OBJECT_TYPE}
            assert got == want, ("vigil audit export", events)
            oracle_cases.add(len(events))

    check()
    print(f"audit oracle: {oracle_cases.cases} (user, event) cases")
    assert oracle_cases.cases >= EXAMPLES

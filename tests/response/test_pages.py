"""The reunification page through the real HTTP stack: the queue with likely matches
first, confirming one (a death is queued for an in-person notification), refusals."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import make_agency, make_user
from vigil.platform import sessions
from vigil.platform.actor import command_line
from vigil.platform.models import User
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.settings import Settings
from vigil.response.match_files import INQUIRY_COLUMNS, LIST_COLUMNS
from vigil.response.reunification import (
    add_inquiries,
    create_incident,
    match_incident,
    upload_list,
)
from vigil.web.app import create_app
from vigil.web.csrf import CSRF_COOKIE
from vigil.web.deps import SESSION_COOKIE

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
TODAY = date(2026, 11, 26)
LIST_ROWS = [
    {
        "id": "r1",
        "list": "roster",
        "full_name": "SMITH, WILLIAM J",
        "dob": "2010-03-04",
        "age": "",
        "sex": "M",
        "description": "",
    },
    {
        "id": "h1",
        "list": "hospital",
        "full_name": "Unknown Male",
        "dob": "",
        "age": "about 20",
        "sex": "M",
        "description": "red hoodie, blond hair",
    },
    {
        "id": "me1",
        "list": "medical_examiner",
        "full_name": "ROE, DANA",
        "dob": "1990-05-05",
        "age": "",
        "sex": "F",
        "description": "",
    },
]
INQUIRY_ROWS = [
    {
        "id": "q1",
        "full_name": "Billy Smith",
        "dob": "03/04/2010",
        "age": "",
        "sex": "M",
        "description": "",
        "relationship": "mother",
    },
    {
        "id": "q2",
        "full_name": "Dana Roe",
        "dob": "1990-05-05",
        "age": "",
        "sex": "F",
        "description": "",
        "relationship": "sister",
    },
]


def _csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


class Browser:
    def __init__(self, client: TestClient, session_raw: str) -> None:
        self.client = client
        client.cookies.set(SESSION_COOKIE, session_raw)
        found = CSRF_INPUT.search(client.get("/login").text)
        assert found and client.cookies.get(CSRF_COOKIE)
        self.csrf = found.group(1)

    def get(self, url: str) -> httpx.Response:
        answer: httpx.Response = self.client.get(url)
        return answer

    def post(self, url: str, data: dict[str, Any]) -> httpx.Response:
        answer: httpx.Response = self.client.post(url, data={"csrf_token": self.csrf, **data})
        return answer


class Web:
    def __init__(self, settings: Settings, factory: sessionmaker[Session], db: Session) -> None:
        self.app = create_app(settings, session_factory=factory)
        self.db = db
        self.eoc = make_agency(db, kind=AgencyKind.EMERGENCY_MANAGEMENT)
        self.hospital = make_agency(db, kind=AgencyKind.PUBLIC_OR_MENTAL_HEALTH)
        self.lead = make_user(db, agency=self.eoc, roles={Role.SUPERVISOR})
        self.analyst = make_user(db, agency=self.eoc, roles={Role.ANALYST})
        shell = command_line("test")
        incident = create_incident(
            db,
            actor=shell,
            name="Lincoln High shooting",
            kind="school_shooting",
            place="Lincoln High",
            started_at=datetime(2026, 11, 25, 14, tzinfo=UTC),
            lead_agency_id=self.eoc.id,
            agencies={self.hospital.id: "hospital"},
        )
        self.incident_id = incident.id
        rows, asked = LIST_ROWS, INQUIRY_ROWS
        upload_list(
            db,
            actor=shell,
            incident_id=incident.id,
            data=_csv(LIST_COLUMNS, rows),
            source_name="l.csv",
            today=TODAY,
        )
        add_inquiries(
            db,
            actor=shell,
            incident_id=incident.id,
            data=_csv(INQUIRY_COLUMNS, asked),
            source_name="q.csv",
            today=TODAY,
        )
        match_incident(db, actor=shell, incident_id=incident.id, today=TODAY)
        db.commit()
        self.clients: list[TestClient] = []

    def browser(self, user: User) -> Browser:
        raw, _ = sessions.start_session(self.db, user=user, mfa_verified=True)
        self.db.commit()
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        self.clients.append(client)
        return Browser(client, raw)


@pytest.fixture()
def web(settings: Settings, session_factory: sessionmaker[Session], db: Session) -> Iterator[Web]:
    built = Web(settings, session_factory, db)
    yield built
    for client in built.clients:
        client.close()


def test_confirm_from_the_queue(web: Web) -> None:
    lead = web.browser(web.lead)
    page_path = f"/reunification/incidents/{web.incident_id}"
    page = lead.get(page_path)
    assert page.status_code == 200
    assert "Lincoln High shooting" in page.text
    assert "q1" in page.text and "q2" in page.text
    assert (
        "At a hospital" in page.text and "Deceased (confirmed by the medical examiner)" in page.text
    )
    answer = lead.post(f"{page_path}/confirm", {"inquiry": "q1", "person": "r1"})
    assert answer.status_code == 303 and answer.headers["location"].endswith("done=confirmed")
    again = lead.post(f"{page_path}/confirm", {"inquiry": "q1", "person": "r1"})
    assert again.headers["location"].endswith("done=already")
    death = lead.post(f"{page_path}/confirm", {"inquiry": "q2", "person": "me1"})
    assert death.headers["location"].endswith("done=notify")
    shown = lead.get(death.headers["location"])
    assert "queued for an in-person notification" in shown.text
    assert "1 family is waiting for an in-person notification" in shown.text
    refused = lead.post(f"{page_path}/confirm", {"inquiry": "", "person": "r1"})
    assert refused.status_code == 422 and "Choose the inquiry" in refused.text
    nul = lead.post(f"{page_path}/confirm", {"inquiry": "q1", "person": "r1\x00"})
    assert nul.status_code == 422 and "must not contain NUL" in nul.text
    unknown = lead.post(f"{page_path}/confirm", {"inquiry": "q9", "person": "r1"})
    assert unknown.status_code == 404


def test_analysts_and_other_incidents_are_refused(web: Web) -> None:
    analyst = web.browser(web.analyst)
    assert analyst.get(f"/reunification/incidents/{web.incident_id}").status_code == 403
    lead = web.browser(web.lead)
    assert lead.get(f"/reunification/incidents/{web.incident_id + 999}").status_code == 404

"""The site pages and JSON API through the real HTTP stack: register a school, see its
risk explained, fix a refused form with nothing lost, other agencies kept out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import make_agency, make_user
from vigil.platform import sessions
from vigil.platform.models import User
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.settings import Settings
from vigil.preparedness.models import ProtectedSite
from vigil.web.app import create_app
from vigil.web.csrf import CSRF_COOKIE
from vigil.web.deps import SESSION_COOKIE

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM = {
    "name": "Lincoln High School",
    "kind": "k12_school",
    "marking": "AMBER",
    "address": "1 School Lane",
    "capacity": "1,200",
    "threat": "0.1",
    "threat_reason": "A threat posted online last month.",
    "vulnerability": "0.6",
}


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
        self.district = make_agency(db, kind=AgencyKind.SCHOOL_OR_CAMPUS)
        self.police = make_agency(db)
        self.officer = make_user(db, agency=self.district, roles={Role.THREAT_ASSESSMENT})
        self.outsider = make_user(db, agency=self.police, roles={Role.ANALYST})
        db.commit()
        self.clients: list[TestClient] = []

    def browser(self, user: User) -> Browser:
        raw, _ = sessions.start_session(self.db, user=user, mfa_verified=True)
        self.db.commit()
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        self.clients.append(client)
        return Browser(client, raw)

    def api(self, user: User) -> tuple[TestClient, dict[str, str]]:
        raw, _ = sessions.create_api_token(self.db, user=user, name="test", days=1)
        self.db.commit()
        client = TestClient(self.app, raise_server_exceptions=False)
        self.clients.append(client)
        return client, {"Authorization": f"Bearer {raw}"}


@pytest.fixture()
def web(settings: Settings, session_factory: sessionmaker[Session], db: Session) -> Iterator[Web]:
    built = Web(settings, session_factory, db)
    yield built
    for client in built.clients:
        client.close()


def test_register_a_school_and_see_its_risk_explained(web: Web) -> None:
    officer = web.browser(web.officer)
    assert officer.get("/preparedness/sites/new").status_code == 200
    answer = officer.post("/preparedness/sites", FORM)
    assert answer.status_code == 303
    page = officer.get(answer.headers["location"])
    assert page.status_code == 200
    assert "TLP:AMBER" in page.text and "Lincoln High School" in page.text
    assert "Risk: 72.00" in page.text  # 0.1 x 0.6 x 1,200
    assert "A threat posted online last month." in page.text
    register = officer.get("/preparedness/sites")
    assert "Lincoln High School" in register.text and "72.00" in register.text
    # Another agency's analyst neither finds it nor sees it listed.
    outsider = web.browser(web.outsider)
    site_path = answer.headers["location"].split("?")[0]
    assert outsider.get(site_path).status_code == 404
    assert "Lincoln" not in outsider.get("/preparedness/sites").text


def test_a_refused_form_shows_each_error_and_keeps_what_was_typed(web: Web) -> None:
    officer = web.browser(web.officer)
    bad = {**FORM, "threat": "high", "vulnerability": "0", "capacity": "-3", "latitude": "12"}
    answer = officer.post("/preparedness/sites", bad)
    assert answer.status_code == 422
    assert 'id="error-summary"' in answer.text
    for field in ("threat", "vulnerability", "capacity", "longitude"):
        assert f'href="#{field}"' in answer.text
    assert 'value="Lincoln High School"' in answer.text
    assert "A threat posted online last month." in answer.text
    count = web.db.execute(select(func.count()).select_from(ProtectedSite)).scalar_one()
    assert count == 0


def test_the_api_registers_reads_and_refuses_bad_bodies(web: Web) -> None:
    client, headers = web.api(web.officer)
    body = {
        "name": "Temple Beth",
        "kind": "house_of_worship",
        "address": "5 Main St",
        "capacity": 400,
        "threat": 0.2,
        "vulnerability": 1,
    }
    made = client.post("/api/v1/preparedness/sites", json=body, headers=headers)
    assert made.status_code == 201, made.text
    site = made.json()
    assert site["marking"] == "AMBER" and site["risk"]["value"] == pytest.approx(80)
    assert site["risk"]["consequence"]["source"] == "occupancy at its busiest"
    read = client.get(f"/api/v1/preparedness/sites/{site['id']}", headers=headers)
    assert read.status_code == 200 and read.json()["address"] == "5 Main St"
    listed = client.get("/api/v1/preparedness/sites", headers=headers).json()
    assert listed["total"] == 1 and listed["sites"][0]["rank"] == 1
    for change in (
        {"capacity": "400"},
        {"threat": True},
        {"threat": 2},
        {"vulnerability": 0},
        {"kind": "castle"},
        {"marking": "RED"},
        {"colour": "blue"},
        {"latitude": 91.0, "longitude": 0.0},
        {"latitude": 10.0, "longitude": "east"},
        {"latitude": 10.0, "longitude": 181},
    ):
        refused = client.post(
            "/api/v1/preparedness/sites", json={**body, **change}, headers=headers
        )
        assert refused.status_code == 422, change
    changed = client.put(
        f"/api/v1/preparedness/sites/{site['id']}",
        json={**body, "capacity": 800},
        headers=headers,
    )
    assert changed.status_code == 200 and changed.json()["risk"]["value"] == pytest.approx(160)
    other, other_headers = web.api(web.outsider)
    hidden = other.get(f"/api/v1/preparedness/sites/{site['id']}", headers=other_headers)
    assert hidden.status_code == 404


def test_measures_and_the_mitigation_page(web: Web) -> None:
    officer = web.browser(web.officer)
    site_path = officer.post("/preparedness/sites", FORM).headers["location"].split("?")[0]
    for name, cost, factor, group in (
        ("Door locks", "4,000", "0.7", "entry"),
        ("Vestibule", "9000", "0.5", "entry"),
        ("Cameras", "6000", "0.85", ""),
    ):
        added = officer.post(
            f"{site_path}/measures",
            {
                "measure_name": name,
                "cost": cost,
                "vulnerability_factor": factor,
                "exclusive_group": group,
            },
        )
        assert added.status_code == 303, added.text
    refused = officer.post(
        f"{site_path}/measures",
        {"measure_name": "Fence", "cost": "lots", "vulnerability_factor": "0"},
    )
    assert refused.status_code == 422 and 'href="#cost"' in refused.text
    assert 'value="Fence"' in refused.text
    page = officer.get(site_path)
    assert "Vestibule" in page.text and "Fence" not in page.text
    blank = officer.get("/preparedness/mitigation")
    assert blank.status_code == 200 and "Find the best plan" in blank.text
    # 72 at risk; 15,000 buys the vestibule and the cameras: 72 x 0.5 x 0.85 = 30.60.
    plan = officer.get("/preparedness/mitigation?budget=15000&curve=1")
    assert plan.status_code == 200
    assert "This plan is optimal" in plan.text and "<strong>30.60</strong>" in plan.text
    assert "Risk against budget" in plan.text
    assert "Risk against budget" not in officer.get("/preparedness/mitigation?budget=1").text
    bad = officer.get("/preparedness/mitigation?budget=-5")
    assert bad.status_code == 422 and 'href="#budget"' in bad.text
    client, headers = web.api(web.officer)
    answer = client.get("/api/v1/preparedness/mitigation?budget=15000", headers=headers)
    assert answer.status_code == 200
    body = answer.json()
    assert body["optimal"] and body["risk_after"] == pytest.approx(30.6)
    assert sorted(m["name"] for m in body["selected"]) == ["Cameras", "Vestibule"]
    for query in ("budget=nan", "budget=-1", "budget=x", "", "budget=1&force_in=abc"):
        refused_api = client.get(f"/api/v1/preparedness/mitigation?{query}", headers=headers)
        assert refused_api.status_code == 422, query
    site_id = int(site_path.rsplit("/", 1)[1])
    measures_path = f"/api/v1/preparedness/sites/{site_id}/measures"
    made = client.post(
        measures_path,
        json={"name": "Guard", "cost": 3000, "vulnerability_factor": 0.6},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    for wrong in ({"cost": 1.5}, {"cost": -1}, {"vulnerability_factor": 0}, {"cost": "3000"}):
        sent = {"name": "Guard", "cost": 3000, "vulnerability_factor": 0.6, **wrong}
        assert client.post(measures_path, json=sent, headers=headers).status_code == 422, wrong
    listed = client.get(measures_path, headers=headers).json()
    assert [m["name"] for m in listed] == ["Door locks", "Vestibule", "Cameras", "Guard"]
    gone = client.delete(f"{measures_path}/{made.json()['id']}", headers=headers)
    assert gone.status_code == 204
    assert len(client.get(measures_path, headers=headers).json()) == 3

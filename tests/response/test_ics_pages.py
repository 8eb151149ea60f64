"""The ICS pages and JSON API through the real HTTP stack: the incident record, forms
filled in, submitted and printed (laid out like the federal forms), corrections,
resource requests moved by the right position, refusals with a clear message."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.response.ics_world import build_world
from vigil.platform import sessions
from vigil.platform.models import AuditEvent, User
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.response.ics_models import IcsForm, ResourceRequest
from vigil.web.app import create_app
from vigil.web.csrf import CSRF_COOKIE
from vigil.web.deps import SESSION_COOKIE

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    def __init__(self, client: TestClient, session_raw: str, token: str) -> None:
        self.client = client
        self.token = token
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

    def api(self, method: str, url: str, body: Any = None) -> httpx.Response:
        answer: httpx.Response = httpx.Client(
            transport=self.client._transport, base_url="http://testserver"
        ).request(method, url, json=body, headers={"Authorization": f"Bearer {self.token}"})
        return answer


class Web:
    def __init__(self, settings: Settings, factory: sessionmaker[Session], db: Session) -> None:
        self.app = create_app(settings, session_factory=factory)
        self.db = db
        self.world = build_world(db)
        db.commit()
        self.clients: list[TestClient] = []

    def browser(self, name: str) -> Browser:
        user: User = self.world.users[name]
        raw, _ = sessions.start_session(self.db, user=user, mfa_verified=True)
        token, _ = sessions.create_api_token(self.db, user=user, name="t", days=1)
        self.db.commit()
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        self.clients.append(client)
        return Browser(client, raw, token)

    @property
    def base(self) -> str:
        return f"/incidents/{self.world.incident_id}"


@pytest.fixture()
def web(settings: Settings, session_factory: sessionmaker[Session], db: Session) -> Iterator[Web]:
    built = Web(settings, session_factory, db)
    yield built
    for client in built.clients:
        client.close()


def test_the_incident_record_page(web: Web) -> None:
    commander = web.browser("commander")
    listed = commander.get("/incidents")
    assert listed.status_code == 200 and "Lincoln High shooting" in listed.text
    page = commander.get(web.base)
    assert page.status_code == 200
    for text in ("Unified command", "Incident commander", "Log an event", "Assign a position"):
        assert text in page.text
    logged = commander.post(
        f"{web.base}/events",
        {"occurred_at": "2026-11-25T14:05", "kind": "report", "summary": "Lockdown ordered."},
    )
    assert logged.status_code == 303
    assert "Lockdown ordered." in commander.get(web.base).text
    refused = commander.post(
        f"{web.base}/events", {"occurred_at": "", "kind": "gossip", "summary": ""}
    )
    assert refused.status_code == 422
    assert 'href="#event-occurred_at"' in refused.text and 'id="event-occurred_at"' in refused.text
    bad_period = commander.post(
        f"{web.base}/periods", {"starts_at": "2026-11-25T14:00", "ends_at": "2026-11-25T13:00"}
    )
    assert bad_period.status_code == 422 and "must end after it starts" in bad_period.text
    # A reader without a position sees the record but none of the forms that change it.
    reader = web.browser("police_supervisor").get(web.base)
    assert reader.status_code == 200 and "Log an event" not in reader.text
    for outsider in ("stranger_commander", "eoc_analyst"):
        assert web.browser(outsider).get(web.base).status_code == 404


def test_a_form_is_drafted_submitted_printed_and_corrected(web: Web) -> None:
    planning = web.browser("planning")
    blank = planning.get(f"{web.base}/forms/new?form=211")
    assert blank.status_code == 200 and "3. Check-In Location" in blank.text
    assert 'aria-label="Agency, row 1"' in blank.text
    saved = planning.post(
        f"{web.base}/forms",
        {
            "form": "211",
            "action": "save",
            "location": "Staging, Oak Street",
            "check_ins-1-agency": "County EMS",
            "check_ins-1-personnel": "12",
            "check_ins-2-personnel": "many",
        },
    )
    assert saved.status_code == 422 and "row 2, Total number of personnel" in saved.text
    saved = planning.post(
        f"{web.base}/forms",
        {
            "form": "211",
            "action": "save",
            "location": "Staging, Oak Street",
            "check_ins-1-agency": "County EMS",
            "check_ins-1-personnel": "12",
            "check_ins-1-checked_in_at": "2026-11-25T14:40",
        },
    )
    assert saved.status_code == 303
    form_path = saved.headers["location"]
    draft = planning.get(form_path)
    assert "DRAFT" in draft.text and "Go on with the draft" in draft.text
    assert web.browser("commander").get(form_path).status_code == 404
    submitted = planning.post(
        form_path,
        {
            "action": "submit",
            "location": "Staging, Oak Street",
            "check_ins-1-agency": "County EMS",
            "check_ins-1-personnel": "12",
        },
    )
    assert submitted.status_code == 303
    printed = web.browser("safety").get(form_path)
    assert printed.status_code == 200
    text = printed.text
    assert "INCIDENT CHECK-IN LIST (ICS 211)" in text
    assert '<span class="ics-block__number">5.</span> Check-In Information' in text
    assert "<caption>Check-ins</caption>" in text and "County EMS" in text
    assert "DRAFT" not in text and "File a correction" in text
    changed = planning.post(form_path, {"action": "save", "location": "Elsewhere"})
    assert changed.status_code == 409 and "file a correction" in changed.text
    form_id = int(form_path.rsplit("/", 1)[1])
    correction = planning.get(f"{web.base}/forms/new?corrects={form_id}")
    assert correction.status_code == 200 and "Staging, Oak Street" in correction.text
    fixed = planning.post(
        f"{web.base}/forms",
        {
            "form": "211",
            "action": "submit",
            "corrects_id": str(form_id),
            "location": "Staging, Elm Street",
            "check_ins-1-agency": "County EMS",
        },
    )
    assert fixed.status_code == 303
    assert "Corrected" in planning.get(form_path).text
    assert web.db.get(IcsForm, form_id).fields["location"] == "Staging, Oak Street"


@pytest.mark.parametrize("code", ["201", "202", "209", "213", "214", "sitrep"])
def test_every_form_prints(web: Web, code: str) -> None:
    from vigil.response.ics_form_specs import SPECS

    spec = SPECS[code]
    fields = {}
    for field in spec.fields():
        if field.kind == "table":
            fields[f"{field.name}-1-{field.columns[0].name}"] = (
                "2026-11-25T14:00" if field.columns[0].kind == "datetime" else "Entry"
            )
        elif field.kind == "choice":
            fields[field.name] = field.choices[0][0]
        elif field.kind == "count":
            fields[field.name] = "3"
        elif field.kind == "datetime":
            fields[field.name] = "2026-11-25T18:00"
        else:
            fields[field.name] = f"Text of {field.name}"
    commander = web.browser("commander")
    made = commander.post(f"{web.base}/forms", {"form": code, "action": "submit", **fields})
    assert made.status_code == 303, made.text[:2000]
    page = commander.get(made.headers["location"])
    assert page.status_code == 200
    for block in spec.blocks:
        title = escape(block.title)
        assert f'<span class="ics-block__number">{block.number}.</span> {title}' in page.text
    assert 'class="ics-form"' in page.text and "style=" not in page.text


def test_a_request_moves_through_its_life_cycle_by_position(web: Web) -> None:
    operations = web.browser("operations")
    form = operations.get(f"{web.base}/requests/new")
    assert form.status_code == 200 and "SWAT/Tactical Team" in form.text
    bad = operations.post(f"{web.base}/requests", {"resource_id": "nope", "quantity": "x"})
    assert bad.status_code == 422 and "Choose a resource from the catalogue" not in bad.text
    assert "Give how many are needed" in bad.text
    needed = (utcnow() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    made = operations.post(
        f"{web.base}/requests",
        {
            "resource_id": "mf-victim-advocate-team",
            "quantity": "1",
            "priority": "high",
            "description": "Advocates for the family assistance center.",
            "needed_by": needed,
            "deliver_to": "Community center",
            "estimated_cost": "1,200",
        },
    )
    assert made.status_code == 303
    path = made.headers["location"]
    page = operations.get(path)
    assert "RESOURCE REQUEST MESSAGE (ICS 213RR)" in page.text and "$1,200" in page.text
    # Logistics may not approve what the section chief has not: a clear refusal.
    finance = web.browser("finance")
    refused = finance.post(f"{path}/transition", {"to_state": "ordered"})
    assert refused.status_code == 409 and "cannot become ordered by logistics" in refused.text
    approved = operations.post(f"{path}/transition", {"to_state": "approved"})
    assert approved.status_code == 303
    refused = finance.post(f"{path}/transition", {"to_state": "ordered"})
    assert refused.status_code == 403
    assert "Only the logistics section chief or supply unit leader may" in refused.text
    denials = web.db.execute(
        select(AuditEvent).where(
            AuditEvent.outcome == "denied", AuditEvent.action == "resource_request.transition"
        )
    ).all()
    assert denials
    logistics = web.browser("logistics")
    assert (
        logistics.post(f"{path}/transition", {"to_state": "ordered", "supplier": "OVC"}).status_code
        == 303
    )
    request_id = int(path.rsplit("/", 1)[1])
    answer = finance.api(
        "POST",
        f"/api/v1{web.base}/resource-requests/{request_id}/transitions",
        {"to_state": "shipped"},
    )
    assert answer.status_code == 409 and "funding approved" in answer.json()["detail"]
    answer = logistics.api(
        "POST",
        f"/api/v1{web.base}/resource-requests/{request_id}/transitions",
        {"to_state": "funding_approved"},
    )
    assert answer.status_code == 403 and "finance" in answer.json()["detail"]
    answer = finance.api(
        "POST",
        f"/api/v1{web.base}/resource-requests/{request_id}/transitions",
        {"to_state": "funding_approved"},
    )
    assert answer.status_code == 200, answer.text
    detail = answer.json()
    assert [s["state"] for s in detail["steps"]] == [
        "requested",
        "approved",
        "ordered",
        "funding_approved",
    ]
    assert detail["steps"][1]["position"] == "operations_section_chief"
    assert web.db.get(ResourceRequest, request_id).supplier == "OVC"
    partner = web.browser("partner_supervisor")
    assert partner.get(path).status_code == 200
    late = partner.post(
        f"{path}/offers",
        {"quantity": "1", "available_at": "2026-11-25T16:00", "terms": "Two advocates."},
    )
    assert late.status_code == 409


def test_the_api_files_forms_and_requests(web: Web) -> None:
    planning = web.browser("planning")
    base = f"/api/v1{web.base}"
    made = planning.api(
        "POST",
        f"{base}/forms",
        {"form": "213", "fields": {"to": "IC", "sender": "Planning"}, "submit": True},
    )
    assert made.status_code == 422
    assert {e["field"] for e in made.json()["errors"]} == {"subject", "message"}
    made = planning.api(
        "POST", f"{base}/forms", {"form": "213", "fields": {"to": "IC", "subject": "Buses"}}
    )
    assert made.status_code == 201 and made.json()["status"] == "draft"
    form_id = made.json()["id"]
    done = planning.api(
        "PUT",
        f"{base}/forms/{form_id}",
        {
            "fields": {
                "to": "IC",
                "sender": "Planning",
                "subject": "Buses",
                "message": "Four buses at the north gate.",
            },
            "submit": True,
        },
    )
    assert done.status_code == 200 and done.json()["submitted_at"]
    again = planning.api("PUT", f"{base}/forms/{form_id}", {"fields": {}})
    assert again.status_code == 409
    listed = web.browser("police_supervisor").api("GET", f"{base}/forms")
    assert [f["id"] for f in listed.json()] == [form_id]
    request = planning.api(
        "POST",
        f"{base}/resource-requests",
        {
            "resource_id": "cm-interpreter-asl",
            "quantity": 2,
            "priority": "urgent",
            "description": "ASL interpreters for the family briefing.",
            "needed_by": (utcnow() + timedelta(hours=1)).isoformat(),
            "deliver_to": "Community center",
        },
    )
    assert request.status_code == 201, request.text
    assert request.json()["your_next_states"] == ["approved", "rejected", "cancelled"]
    naive = planning.api(
        "POST",
        f"{base}/resource-requests",
        {
            "resource_id": "cm-interpreter-asl",
            "quantity": 2,
            "priority": "urgent",
            "description": "x",
            "needed_by": "2026-11-25T18:00",
            "deliver_to": "y",
        },
    )
    assert naive.status_code == 422
    catalogue = planning.api("GET", "/api/v1/resource-catalogue")
    assert catalogue.status_code == 200 and len(catalogue.json()["resources"]) >= 20
    event = planning.api(
        "POST",
        f"{base}/events",
        {"kind": "action", "summary": "Buses staged.", "occurred_at": utcnow().isoformat()},
    )
    assert event.status_code == 201
    stranger = web.browser("stranger_supervisor")
    for path in (base, f"{base}/events", f"{base}/forms", f"{base}/resource-requests"):
        assert stranger.api("GET", path).status_code == 404
    assert [i["id"] for i in stranger.api("GET", "/api/v1/incidents").json()] == []

"""The report JSON API: a receipt only after commit, idempotent retries, problem details
for bad input, audited reads, lists limited to what the caller may read, every action."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import make_agency, make_user
from tests.reports.factories import make_report
from vigil.platform import sessions
from vigil.platform.models import AuditEvent, User
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.reports import search
from vigil.reports.models import IdempotencyKey, Mention, Report, ReportEvent
from vigil.web.app import create_app

NEXUS = "Photographed every entrance and asked staff when the doors are unlocked."
PREDICATE = "Bought a rifle through a straw purchaser, a federal felony, per two sources."
JUSTIFICATION = "The purchase receipt and both statements corroborate the plan he posted."
BODY: dict[str, Any] = {
    "kind": "tip",
    "narrative": "He said he will shoot people. He keeps a rifle in his truck.",
    "occurred_at": "2026-05-01T14:30:00Z",
    "location_text": "Lincoln High School",
    "latitude": 39.78,
    "longitude": -89.65,
    "behaviors": ["expressed_or_implied_threat"],
    "weapons": ["rifle"],
    "target_types": ["school"],
    "marking": "AMBER",
    "mentions": [
        {"given_name": "Jordan", "family_name": "Pike", "handles": ["@jpike09"]},
        {"role": "witness", "description": "A classmate", "age_min": 15, "age_max": 17},
    ],
}


class Api:
    def __init__(self, settings: Settings, factory: sessionmaker[Session], db: Session) -> None:
        self.factory = factory
        self.db = db
        self.home = make_agency(db, name="Lakeside Police")
        self.partner = make_agency(db, name="Lakeside Schools")
        self.other = make_agency(db, name="Valley Sheriff")
        self.analyst = make_user(db, agency=self.home, roles={Role.ANALYST})
        self.supervisor = make_user(db, agency=self.home, roles={Role.SUPERVISOR})
        self.partner_analyst = make_user(db, agency=self.partner, roles={Role.ANALYST})
        self.stranger = make_user(db, agency=self.other, roles={Role.SUPERVISOR})
        self.admin = make_user(db, agency=self.home, roles={Role.AGENCY_ADMIN})
        self.tokens = {
            user.id: sessions.create_api_token(db, user=user, name="test", days=1)[0]
            for user in (
                self.analyst,
                self.supervisor,
                self.partner_analyst,
                self.stranger,
                self.admin,
            )
        }
        db.commit()
        self.client = TestClient(
            create_app(settings, session_factory=factory),
            raise_server_exceptions=False,
            follow_redirects=False,
        )

    def call(self, user: User, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[user.id]}", **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)

    def file(self, user: User, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return self.call(user, "POST", "/api/v1/reports", json=body, headers=headers)

    def count(self, model: Any, *where: Any) -> int:
        with self.factory() as fresh:
            return fresh.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


@pytest.fixture()
def api(settings: Settings, session_factory: sessionmaker[Session], db: Session) -> Iterator[Api]:
    built = Api(settings, session_factory, db)
    with built.client:
        yield built


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"]
    return body


# --- filing ---------------------------------------------------------------------------


def test_the_receipt_names_a_report_already_committed(api):
    response = api.file(api.analyst, BODY)
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["receipt_number"].startswith("VIG-") and receipt["duplicate"] is False
    with api.factory() as fresh:  # a new session, right after the answer
        report = fresh.get(Report, receipt["id"])
        assert report is not None and report.receipt_number == receipt["receipt_number"]
        assert report.source == "api" and len(report.mentions) == 2
        assert report.urgency_level == "high"


def test_no_receipt_when_the_commit_fails(api, monkeypatch):
    def failing_commit(self: Session) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(Session, "commit", failing_commit)
    response = api.file(api.analyst, BODY)
    monkeypatch.undo()
    assert response.status_code == 500
    assert "receipt_number" not in response.text
    assert api.count(Report) == 0


def test_a_failure_after_the_insert_leaves_nothing_behind(api, monkeypatch):
    before = (api.count(AuditEvent, AuditEvent.action == "report.create"), api.count(Mention))

    def broken_index(*_args: Any) -> None:
        raise RuntimeError("search index unavailable")

    monkeypatch.setattr(search, "index_report", broken_index)
    response = api.file(api.analyst, BODY, key="fails-once")
    monkeypatch.undo()
    assert response.status_code == 500
    assert api.count(Report) == 0 and api.count(ReportEvent) == 0
    assert api.count(IdempotencyKey) == 0
    assert (api.count(AuditEvent, AuditEvent.action == "report.create"), api.count(Mention)) == (
        before
    )
    assert api.file(api.analyst, BODY, key="fails-once").status_code == 201


def test_a_retry_with_the_same_key_gets_the_same_receipt(api):
    key = str(uuid.uuid4())
    first = api.file(api.analyst, BODY, key=key)
    again = api.file(api.analyst, BODY, key=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["receipt_number"] == first.json()["receipt_number"]
    assert again.json()["duplicate"] is True
    assert api.count(Report) == 1
    conflict = problem(api.file(api.analyst, {**BODY, "narrative": "Another story."}, key=key), 409)
    assert conflict["errors"][0]["field"] == "Idempotency-Key"
    assert api.count(Report) == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({**BODY, "narrative": ""}, "narrative"),
        ({key: value for key, value in BODY.items() if key != "narrative"}, "narrative"),
        ({**BODY, "latitude": 39.78, "longitude": None}, "body"),
        ({**BODY, "latitude": 91}, "latitude"),
        ({**BODY, "occurred_at": "2026-05-01T14:30:00"}, "occurred_at"),
        ({**BODY, "behaviors": ["vibes"]}, "behaviors.0"),
        ({**BODY, "marking": "PURPLE"}, "marking"),
        ({**BODY, "colour": "red"}, "colour"),
        ({**BODY, "mentions": [{"role": "subject"}]}, "mentions.0"),
        ({**BODY, "mentions": [{"given_name": "A", "age_min": 9, "age_max": 3}]}, "mentions.0"),
        ({**BODY, "narrative": "nul \x00 here"}, "narrative"),
        ({**BODY, "location_text": "nul \x00 here"}, "location_text"),
        ({**BODY, "mentions": [{"given_name": "Jo\x00"}]}, "mentions.0.given_name"),
        ({**BODY, "mentions": [{"aliases": ["ok", "J\x00P"]}]}, "mentions.0.aliases"),
        ({**BODY, "weapons": ["knife\x00"]}, "weapons"),
        ({**BODY, "shared_agency_ids": [2**40]}, "shared_agency_ids.0"),
        ({**BODY, "recipient_user_ids": [0]}, "recipient_user_ids.0"),
        ({**BODY, "shared_agency_ids": [987_654]}, "shared_agency_ids"),
    ],
)
def test_bad_input_gets_problem_details_and_stores_nothing(api, body, field):
    details = problem(api.file(api.analyst, body), 422)
    fields = [error["field"] for error in details["errors"]]
    assert any(found == field or found.startswith(field + ".") for found in fields), fields
    assert api.count(Report) == 0


@pytest.mark.parametrize("escaped", [r"\ud800", r"a\udfffb"])
@pytest.mark.parametrize("field", ["narrative", "given_name"])
def test_lone_surrogates_are_refused(api, escaped, field):
    """JSON may spell a lone surrogate (\\ud800); no database column can store one."""
    if field == "narrative":
        raw = '{"narrative": "' + escaped + '"}'
    else:
        raw = '{"narrative": "ok", "mentions": [{"given_name": "' + escaped + '"}]}'
    response = api.call(
        api.analyst,
        "POST",
        "/api/v1/reports",
        content=raw.encode(),
        headers={"Content-Type": "application/json"},
    )
    problem(response, 422)
    assert api.count(Report) == 0


def test_filing_needs_a_reader_role(api):
    problem(api.file(api.admin, BODY), 403)
    assert api.count(Report) == 0
    response = api.client.post("/api/v1/reports", json=BODY)
    problem(response, 401)


# --- reading ------------------------------------------------------------------------------


def reads(api: Api, report_id: int) -> int:
    return api.count(
        AuditEvent,
        AuditEvent.action == "report.read",
        AuditEvent.object_id == str(report_id),
        AuditEvent.outcome == "success",
    )


def test_every_read_is_audited(api):
    report_id = api.file(api.analyst, BODY).json()["id"]
    for expected in (1, 2):
        response = api.call(api.supervisor, "GET", f"/api/v1/reports/{report_id}")
        assert response.status_code == 200
        assert reads(api, report_id) == expected
    body = response.json()
    assert body["narrative"] == BODY["narrative"]
    assert [m["given_name"] for m in body["mentions"]] == ["Jordan", None]
    assert body["mentions"][1]["age_max"] == 17


def test_a_report_one_may_not_read_is_not_found(api):
    report_id = api.file(api.analyst, BODY).json()["id"]
    problem(api.call(api.stranger, "GET", f"/api/v1/reports/{report_id}"), 404)
    problem(api.call(api.stranger, "GET", "/api/v1/reports/999999"), 404)
    assert reads(api, report_id) == 0
    assert api.call(api.stranger, "GET", "/api/v1/reports/99999999999").status_code in (404, 422)


def test_the_list_holds_only_what_the_caller_may_read(api):
    db = api.db
    mine = make_report(db, agency=api.home, level="moderate")
    urgent = make_report(db, agency=api.home, level="imminent", kind="sar")
    shared = make_report(db, agency=api.other, shared_with=[api.home])
    community = make_report(db, agency=api.other, marking="GREEN")
    make_report(db, agency=api.other)  # AMBER elsewhere
    make_report(db, agency=api.other, marking="GREEN", file_class="intelligence")
    make_report(db, agency=api.other, marking="RED", recipients=[api.stranger])
    make_report(db, agency=api.home, marking="RED", recipients=[api.supervisor])
    db.commit()
    response = api.call(api.analyst, "GET", "/api/v1/reports")
    assert response.status_code == 200
    page = response.json()
    ids = [item["id"] for item in page["items"]]
    assert ids[0] == urgent.id
    assert set(ids) == {mine.id, urgent.id, shared.id, community.id}
    assert page["total"] == 4
    filtered = api.call(api.analyst, "GET", "/api/v1/reports", params={"kind": "sar"}).json()
    assert [item["id"] for item in filtered["items"]] == [urgent.id]
    problem(api.call(api.admin, "GET", "/api/v1/reports"), 403)


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2026-01-01T00:00:00"},
        {"until": "yesterday"},
        {"level": "urgent"},
        {"limit": "0"},
        {"agency_id": str(2**40)},
    ],
)
def test_a_bad_list_query_gets_problem_details(api, params):
    problem(api.call(api.analyst, "GET", "/api/v1/reports", params=params), 422)


def test_a_list_query_with_a_time_zone_works(api):
    make_report(api.db, agency=api.home)
    api.db.commit()
    response = api.call(
        api.analyst, "GET", "/api/v1/reports", params={"since": "2000-01-01T00:00:00+02:00"}
    )
    assert response.status_code == 200 and response.json()["total"] == 1


# --- acting -------------------------------------------------------------------------------------


def test_every_action(api):
    report_id = api.file(
        api.analyst, {**BODY, "narrative": "He threatened to kill his boss."}
    ).json()["id"]
    url = f"/api/v1/reports/{report_id}"

    def act(path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = api.call(api.supervisor, "POST", url + path, json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    assert act("/acknowledge")["acknowledged_at"]
    assert act("/level", {"level": "imminent", "reason": "He named a date."})[
        "effective_level"
    ] == ("imminent")
    before = reads(api, report_id)
    shared = act("/shares", {"agency_ids": [api.partner.id], "reason": "His school."})
    assert shared["shared_agency_ids"] == [api.partner.id]
    assert reads(api, report_id) == before + 1  # the answer holds the whole report
    assert act("/promote-sar", {"behavior": "photography", "nexus": NEXUS})["file_class"] == "sar"
    promoted = act(
        "/promote-intelligence", {"predicate": PREDICATE, "justification": JUSTIFICATION}
    )
    assert promoted["file_class"] == "intelligence"
    routed = act("/route", {"agency_id": api.partner.id, "reason": "Their school officer."})
    assert routed["routed_agency_id"] == api.partner.id and routed["acknowledged_at"] is None
    disposed = act("/disposition", {"disposition": "welfare_check", "outcome": "He is fine."})
    assert disposed["disposition"] == "welfare_check"
    listed = api.call(api.supervisor, "GET", "/api/v1/reports").json()
    assert report_id not in [item["id"] for item in listed["items"]]
    partner_reads = api.call(api.partner_analyst, "GET", url)
    assert partner_reads.status_code == 200


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/disposition", {"disposition": "made_up", "outcome": "Checked."}, "disposition"),
        ("/disposition", {"disposition": "welfare_check", "outcome": ""}, "outcome"),
        ("/disposition", {"disposition": "welfare_check", "outcome": "Fine.\x00"}, "outcome"),
        ("/disposition", {"disposition": "welfare_check", "outcome": "Fine.", "x": 1}, "x"),
        ("/level", {"level": "urgent", "reason": "Because."}, "level"),
        ("/route", {"agency_id": 999_999, "reason": "Their case."}, "agency_id"),
        ("/route", {"agency_id": 2**40, "reason": "Their case."}, "agency_id"),
        ("/shares", {"agency_ids": [], "reason": "Need to know."}, "agency_ids"),
        ("/shares", {"agency_ids": [2**40], "reason": "Need to know."}, "agency_ids"),
        ("/promote-sar", {"behavior": "loitering", "nexus": NEXUS}, "behavior"),
        ("/promote-sar", {"behavior": "photography", "nexus": "odd"}, "nexus"),
        ("/promote-intelligence", {"predicate": "", "justification": JUSTIFICATION}, "predicate"),
        ("/promote-intelligence", {"predicate": PREDICATE, "justification": "ok"}, "justification"),
    ],
)
def test_a_bad_action_gets_problem_details_and_changes_nothing(api, path, body, field):
    report = make_report(api.db, agency=api.home)
    api.db.commit()
    response = api.call(api.supervisor, "POST", f"/api/v1/reports/{report.id}{path}", json=body)
    details = problem(response, 422)
    assert any(field in error["field"] for error in details["errors"]), details
    with api.factory() as fresh:
        after = fresh.get(Report, report.id)
        assert after is not None
        assert (after.file_class, after.disposition, after.level_override) == (
            "tip_lead",
            None,
            None,
        )
        assert after.routed_agency_id == api.home.id and not after.shares


def test_protected_activity_can_never_become_intelligence_through_the_api(api):
    report_id = api.file(api.analyst, {**BODY, "protected_activity_only": True}).json()["id"]
    url = f"/api/v1/reports/{report_id}/promote-intelligence"
    body = {"predicate": PREDICATE, "justification": JUSTIFICATION}
    details = problem(api.call(api.supervisor, "POST", url, json=body), 422)
    assert details["errors"][0]["field"] == "protected_activity_only"
    with api.factory() as fresh:
        assert fresh.get(Report, report_id).file_class == "tip_lead"  # type: ignore[union-attr]


@pytest.mark.parametrize("who, status", [("analyst", 403), ("stranger", 404)])
def test_vetting_needs_a_supervisor_of_the_owner(api, who, status):
    report = make_report(api.db, agency=api.home)
    api.db.commit()
    for path, body in (
        ("/promote-sar", {"behavior": "photography", "nexus": NEXUS}),
        ("/promote-intelligence", {"predicate": PREDICATE, "justification": JUSTIFICATION}),
        ("/promote-intelligence", {"predicate": "", "justification": ""}),
    ):
        response = api.call(
            getattr(api, who), "POST", f"/api/v1/reports/{report.id}{path}", json=body
        )
        problem(response, status)
    with api.factory() as fresh:
        assert fresh.get(Report, report.id).file_class == "tip_lead"  # type: ignore[union-attr]

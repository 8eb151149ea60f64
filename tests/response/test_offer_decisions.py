"""Mutual-aid offers accepted or declined: by the positions that move the request on
from its state (section chiefs and the incident commander while requested, logistics
once approved, finance once ordered), a reason to decline, one offer fills a request,
refusals for the wrong position, state and agency, audit, the request page, the JSON
API and the operating picture; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.platform.audit_checks import assert_audit_free_of
from tests.response.ics_world import SHELL, IcsWorld, build_world
from tests.response.test_ics_pages import Web
from tests.response.test_resource_requests import drive, new_request
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Agency, AuditEvent
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.response import resource_offers, resource_requests
from vigil.response.ics_models import ResourceOffer
from vigil.response.operating_picture import build_picture
from vigil.response.resource_offers import OfferRefused, decide_offer

# Written by hand from the ICS 213RR process: who decides offers at each state.
DECIDERS = {
    "requested": {"commander", "operations", "planning", "logistics", "finance"},
    "approved": {"logistics"},
    "ordered": {"finance"},
}
STAFF = ["commander", "operations", "planning", "logistics", "finance", "staging", "safety"]


def _offer(db: Session, world: IcsWorld, request_id: int, who: str = "partner_supervisor") -> int:
    made = resource_requests.offer(
        db,
        actor=world.actor(who),
        incident_id=world.incident_id,
        request_id=request_id,
        quantity=1,
        available_at=utcnow() + timedelta(minutes=30),
        terms="One ALS strike team under the county mutual-aid agreement.",
    )
    return made.id


def _decide(
    db: Session, world: IcsWorld, who: str, request_id: int, offer_id: int, decision: str, **kw: str
) -> ResourceOffer:
    return decide_offer(
        db,
        actor=world.actor(who),
        incident_id=world.incident_id,
        request_id=request_id,
        offer_id=offer_id,
        decision=decision,
        **kw,
    )


@pytest.fixture()
def world(db: Session) -> IcsWorld:
    return build_world(db)


@pytest.mark.parametrize("state", sorted(DECIDERS))
def test_the_position_the_state_calls_for_decides(db: Session, world: IcsWorld, state: str) -> None:
    for name in [*STAFF, "partner_supervisor", "police_supervisor", "unassigned"]:
        request_id = new_request(db, world)
        offer_id = _offer(db, world, request_id)
        drive(db, world, request_id, state)
        if name in DECIDERS[state]:
            decided = _decide(db, world, name, request_id, offer_id, "accepted")
            assert decided.status == "accepted" and decided.decided_by_user_id is not None
        else:
            with pytest.raises(OfferRefused) as refused:
                _decide(db, world, name, request_id, offer_id, "accepted")
            assert (
                "While request" in refused.value.message and "may accept" in refused.value.message
            )
            assert db.get_one(ResourceOffer, offer_id).status == "offered"


def test_accept_fills_the_request_and_decline_needs_a_reason(db: Session, world: IcsWorld) -> None:
    request_id = new_request(db, world)
    partner_offer = _offer(db, world, request_id)
    police_offer = _offer(db, world, request_id, "police_supervisor")
    late_offer = _offer(db, world, request_id, "police_supervisor")
    with pytest.raises(InvalidInput) as missing:
        _decide(db, world, "logistics", request_id, police_offer, "declined")
    assert "reason" in missing.value.errors
    with pytest.raises(InvalidInput):
        _decide(db, world, "logistics", request_id, police_offer, "maybe")
    declined = _decide(
        db, world, "logistics", request_id, police_offer, "declined", reason="Too far out."
    )
    assert declined.status == "declined" and declined.decision_reason == "Too far out."
    assert declined.decided_position == "logistics_section_chief"
    with pytest.raises(Conflict):  # decided once
        _decide(db, world, "logistics", request_id, police_offer, "accepted")
    accepted = _decide(db, world, "commander", request_id, partner_offer, "accepted")
    assert accepted.decided_by_name == "ics.commander"
    view = resource_requests.view_request(
        db, actor=world.actor("logistics"), incident_id=world.incident_id, request_id=request_id
    )
    assert view.filled_by == db.get_one(Agency, world.partner_id).name
    assert view.may_decide_offers
    with pytest.raises(Conflict) as filled:  # one offer fills a request
        _decide(db, world, "logistics", request_id, late_offer, "accepted")
    assert "already filled" in str(filled.value)
    _decide(db, world, "logistics", request_id, late_offer, "declined", reason="Filled already.")
    # Once funded, offers are closed.
    other = new_request(db, world)
    closed_offer = _offer(db, world, other)
    drive(db, world, other, "funding_approved")
    with pytest.raises(Conflict):
        _decide(db, world, "finance", other, closed_offer, "accepted")
    decisions = db.execute(
        select(AuditEvent.details).where(AuditEvent.action == "resource_request.offer_decided")
    ).scalars()
    assert sorted(str(d["decision"]) for d in decisions) == ["accepted", "declined", "declined"]
    assert_audit_free_of(db, "Too far out.", "Filled already.")


def test_other_agencies_and_wrong_requests_are_refused(db: Session, world: IcsWorld) -> None:
    request_id = new_request(db, world)
    offer_id = _offer(db, world, request_id)
    for name in ("stranger_commander", "stranger_supervisor", "eoc_analyst"):
        with pytest.raises(NotFound):
            _decide(db, world, name, request_id, offer_id, "accepted")
    other_request = new_request(db, world)
    with pytest.raises(NotFound):  # the offer is not this request's
        _decide(db, world, "logistics", other_request, offer_id, "accepted")
    with pytest.raises(NotFound):
        _decide(db, world, "logistics", request_id, offer_id + 999, "accepted")
    resource_requests.transition(
        db,
        actor=SHELL,
        incident_id=world.incident_id,
        request_id=request_id,
        to_state="cancelled",
        reason="No longer needed.",
    )
    with pytest.raises(Conflict):
        _decide(db, world, "commander", request_id, offer_id, "declined", reason="Cancelled.")


def test_the_picture_counts_offers_and_their_waiting_task(db: Session, world: IcsWorld) -> None:
    request_id = new_request(db, world)
    first, second = _offer(db, world, request_id), _offer(db, world, request_id)
    _decide(db, world, "logistics", request_id, first, "accepted")
    picture = build_picture(db, actor=world.actor("commander"), incident_id=world.incident_id)
    assert picture.offers == {"accepted": 1, "offered": 1}
    (task,) = [t for t in picture.tasks if t.label.startswith("Mutual-aid offers")]
    assert task.count == 1
    _decide(db, world, "logistics", request_id, second, "declined", reason="Filled already.")
    picture = build_picture(db, actor=world.actor("commander"), incident_id=world.incident_id)
    assert picture.offers == {"accepted": 1, "declined": 1}
    assert not [t for t in picture.tasks if t.label.startswith("Mutual-aid offers")]
    assert resource_offers.offer_counts(
        db, actor=world.actor("police_supervisor"), incident_id=world.incident_id
    ) == {"accepted": 1, "declined": 1}


@pytest.fixture()
def web(settings: Settings, session_factory: sessionmaker[Session], db: Session) -> Iterator[Web]:
    built = Web(settings, session_factory, db)
    yield built
    for client in built.clients:
        client.close()


def test_the_request_page_and_api_decide_offers(web: Web) -> None:
    world, db = web.world, web.db
    request_id = new_request(db, world)
    first, second, third = (_offer(db, world, request_id) for _ in range(3))
    db.commit()
    path = f"{web.base}/requests/{request_id}"
    logistics = web.browser("logistics")
    page = logistics.get(path)
    assert page.status_code == 200 and "no partner fills this request yet" in page.text
    assert f'action="{path}/offers/{first}/decision"' in page.text
    # A partner sees the offers but no decision form; its attempt is refused, audited.
    partner = web.browser("partner_supervisor")
    assert f"/offers/{first}/decision" not in partner.get(path).text
    refused = partner.post(f"{path}/offers/{first}/decision", {"decision": "accepted"})
    assert refused.status_code == 403 and "may accept or decline" in refused.text
    no_reason = logistics.post(f"{path}/offers/{first}/decision", {"decision": "declined"})
    assert no_reason.status_code == 422 and "Say why the offer is declined" in no_reason.text
    done = logistics.post(f"{path}/offers/{first}/decision", {"decision": "accepted"})
    assert done.status_code == 303 and done.headers["location"].endswith("#offers")
    page = logistics.get(path)
    partner_name = db.get_one(Agency, world.partner_id).name
    assert f"Filled by <strong>{partner_name}</strong>" in page.text
    twice = logistics.post(f"{path}/offers/{first}/decision", {"decision": "accepted"})
    assert twice.status_code == 409
    api = f"/api/v1/incidents/{world.incident_id}/resource-requests/{request_id}"
    answer = logistics.api(
        "POST", f"{api}/offers/{second}/decision", {"decision": "declined", "reason": "Filled."}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["filled_by"] == partner_name and body["you_decide_offers"] is True
    assert {o["id"]: o["status"] for o in body["offers"]} == {
        first: "accepted",
        second: "declined",
        third: "offered",
    }
    assert [o["decision_reason"] for o in body["offers"] if o["id"] == second] == ["Filled."]
    wrong = web.browser("staging").api(
        "POST", f"{api}/offers/{third}/decision", {"decision": "accepted"}
    )
    assert wrong.status_code == 403 and "may accept or decline" in wrong.json()["detail"]
    filled = logistics.api("POST", f"{api}/offers/{third}/decision", {"decision": "accepted"})
    assert filled.status_code == 409
    bad = logistics.api("POST", f"{api}/offers/{third}/decision", {"decision": True})
    assert bad.status_code == 422
    hidden = web.browser("stranger_commander").api(
        "POST", f"{api}/offers/{third}/decision", {"decision": "declined", "reason": "Nope."}
    )
    assert hidden.status_code == 404
    denied = db.execute(
        select(AuditEvent.outcome).where(AuditEvent.action == "resource_request.offer_decided")
    ).scalars()
    assert sorted(denied) == ["denied", "denied", "success", "success"]

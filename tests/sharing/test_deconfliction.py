"""Deconfliction on one instance (SQLite and PostgreSQL): digests instead of
identifiers, answers naming only agencies whose reports may be pointed at, the index
rebuilt with a new key, the API's rate limit and audit without personal data. The
query between two instances is in test_federation.py."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from tests.factories import actor_for, make_agency, make_user
from tests.reports.intake_support import api_token, make_app
from tests.sharing.factories import SUBJECT, full_report
from vigil.platform.errors import InvalidInput
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.sharing import deconfliction
from vigil.sharing.models import DeconflictionKey

KEY = "partners-shared-deconfliction-key-0123456789"
PERSON = {
    "given_name": "Jordan",
    "family_name": "Reyes",
    "date_of_birth": date(2009, 3, 4),
    "phones": ["(555) 0100"],
}


@pytest.fixture()
def keyed(settings: Settings) -> Settings:
    return replace_key(settings, KEY)


def replace_key(settings: Settings, key: str | None, **more: object) -> Settings:
    return settings.model_copy(
        update={"deconfliction_key": SecretStr(key) if key else None, **more}
    )


def test_digests_carry_no_identifier_and_depend_on_the_key() -> None:
    first = deconfliction.person_digests(KEY.encode(), PERSON)
    assert first and all(len(d) == 64 for d in first)
    text = json.dumps(first)
    for value in ("jordan", "reyes", "2009", "0100", "5550100"):
        assert value not in text.lower()
    assert deconfliction.person_digests(KEY.encode(), PERSON) == first
    assert not set(first) & set(deconfliction.person_digests(b"another-key" * 4, PERSON))
    # A phone written differently blocks alike: the same digest.
    phone_only = deconfliction.person_digests(KEY.encode(), {"phones": ["+1 555 0100"]})
    assert set(phone_only) <= set(first)
    assert deconfliction.person_digests(KEY.encode(), {"given_name": "Jordan"}) == []


def test_a_short_key_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="32 characters"):
        Settings(data_dir=tmp_path, deconfliction_key="too-short")


def _holders(db):
    metro, county, school = (
        make_agency(db, name="Metro PD"),
        make_agency(db, name="County FC"),
        make_agency(db, name="School District"),
    )
    full_report(db, metro, marking="AMBER")
    full_report(db, county, marking="RED")  # named recipients only: no pointer
    full_report(db, school, marking="AMBER+STRICT")  # stays inside: no pointer
    partner = make_user(db, agency=make_agency(db, name="Partner account"), roles={Role.ANALYST})
    return metro, partner


def test_the_answer_names_only_agencies_that_may_be_pointed_at(db, keyed) -> None:
    _, partner = _holders(db)
    actor = actor_for(partner)
    digests = deconfliction.person_digests(KEY.encode(), SUBJECT)
    pointers = deconfliction.answer(db, actor=actor, settings=keyed, digests=digests)
    assert [p.agency for p in pointers] == ["Metro PD"]
    stranger = deconfliction.person_digests(KEY.encode(), {"phones": ["+1 555 0199"]})
    assert deconfliction.answer(db, actor=actor, settings=keyed, digests=stranger) == []

    events = db.execute(
        select(AuditEvent).where(AuditEvent.action == "deconfliction.answer")
    ).scalars()
    details = [e.details for e in events]
    assert details == [
        {"digests": len(digests), "agencies": 1},
        {"digests": len(stranger), "agencies": 0},
    ]
    assert not any(d in json.dumps(details) for d in digests)


def test_a_new_key_rebuilds_the_index(db, keyed) -> None:
    _holders(db)
    deconfliction.refresh_index(db, KEY.encode())
    old = set(db.execute(select(DeconflictionKey.key_id)).scalars())
    assert old == {deconfliction.key_id(KEY.encode())}
    assert deconfliction.refresh_index(db, KEY.encode()) == 0  # nothing new to index
    other = "another-shared-deconfliction-key-9876543210"
    indexed = deconfliction.refresh_index(db, other.encode())
    assert indexed >= 6  # two mentions in each of the three reports
    assert set(db.execute(select(DeconflictionKey.key_id)).scalars()) == {
        deconfliction.key_id(other.encode())
    }


def test_who_may_ask_and_answer(db, keyed) -> None:
    agency = make_agency(db)
    operator = actor_for(make_user(db, agency=agency, roles={Role.TIPLINE_OPERATOR}))
    digests = deconfliction.person_digests(KEY.encode(), PERSON)
    with pytest.raises(PermissionDenied):
        deconfliction.answer(db, actor=operator, settings=keyed, digests=digests)
    with pytest.raises(PermissionDenied):
        deconfliction.ask_partners(db, actor=operator, settings=keyed, person=PERSON)
    analyst = actor_for(make_user(db, agency=agency, roles={Role.ANALYST}))
    with pytest.raises(InvalidInput) as off:
        deconfliction.answer(db, actor=analyst, settings=replace_key(keyed, None), digests=digests)
    assert "not configured" in off.value.errors["deconfliction"]
    for bad in ([], ["A" * 64], ["abc"], ["0" * 64] * 201):
        with pytest.raises(InvalidInput):
            deconfliction.answer(db, actor=analyst, settings=keyed, digests=bad)
    with pytest.raises(InvalidInput) as vague:
        deconfliction.ask_partners(
            db, actor=analyst, settings=keyed, person={"given_name": "Jordan"}
        )
    assert "date of birth" in vague.value.errors["person"]


def test_the_api_answers_a_partner_account_and_limits_its_rate(db, session_factory, keyed) -> None:
    _, partner = _holders(db)
    db.commit()
    limited = replace_key(keyed, KEY, deconfliction_queries_per_hour=2)
    app = make_app(limited, session_factory)
    http = TestClient(app, raise_server_exceptions=False)
    headers = api_token(session_factory, partner.id)
    body = {"digests": deconfliction.person_digests(KEY.encode(), SUBJECT)}
    first = http.post("/api/v1/sharing/deconfliction", json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert [p["agency"] for p in first.json()["pointers"]] == ["Metro PD"]
    assert set(first.json()["pointers"][0]) == {"agency", "agency_kind"}
    assert "Reyes" not in first.text and "VIG-" not in first.text
    bad = http.post("/api/v1/sharing/deconfliction", json={"digests": ["x"]}, headers=headers)
    assert bad.status_code == 422
    third = http.post("/api/v1/sharing/deconfliction", json=body, headers=headers)
    assert third.status_code == 429 and third.headers["Retry-After"]
    anonymous = TestClient(app, raise_server_exceptions=False)
    assert anonymous.post("/api/v1/sharing/deconfliction", json=body).status_code == 401
    with session_factory() as check:
        outcomes = [
            e.outcome
            for e in check.execute(
                select(AuditEvent)
                .where(AuditEvent.action == "deconfliction.answer")
                .order_by(AuditEvent.seq)
            ).scalars()
        ]
    assert outcomes == ["success", "failure"]

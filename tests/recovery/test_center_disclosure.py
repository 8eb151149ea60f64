"""Consent first for the family assistance center's records, on both databases: a
family's registration, visits and briefing attendance go to another agency only with
a disclosure of their survivor case under a written consent, for that purpose and
recipient, that also covers the center's records, is unexpired and is not revoked; a
revocation takes effect on the next read; law-enforcement, intelligence and
threat-assessment users never see them otherwise. The survivor's export holds them,
with their fund claims."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.recovery.factories import People, make_people
from tests.recovery.incident_world import open_incident
from vigil.platform import policy
from vigil.platform.errors import NotFound
from vigil.platform.models import AuditEvent
from vigil.platform.policy.recovery_rules import ProviderFacts, SurvivorCaseFacts
from vigil.platform.types import utcnow
from vigil.recovery import assistance, consents, export, funds
from vigil.recovery.assistance import RegistrationInput
from vigil.recovery.funds import TierSpec
from vigil.recovery.models import Disclosure

TODAY = utcnow().date()
PURPOSE = "crime_victim_compensation"


@pytest.fixture()
def people(db: Session) -> People:
    return make_people(db)


def _family(db: Session, people: People) -> dict[str, int]:
    """A family registered at the center, with a visit, a briefing attended, a survivor
    case opened from the registration and a fund claim on it."""
    advocate, supervisor = people.actor(people.advocate), people.actor(people.supervisor)
    incident = open_incident(db, people.police)
    center = assistance.open_center(
        db, actor=supervisor, incident_id=incident, name="Valley FAC", place="Hall B"
    )
    registration = assistance.register(
        db,
        actor=advocate,
        center_id=center.id,
        data=RegistrationInput("family", "Rivera family", 3, "Spanish", "555-0142", "me1"),
    )
    assistance.log_visit(
        db,
        actor=advocate,
        registration_id=registration.id,
        services=["counselling", "legal"],
        note="Asked about the trial",
    )
    briefing = assistance.schedule_briefing(
        db,
        actor=advocate,
        center_id=center.id,
        scheduled_at=utcnow(),
        topic="Identification",
        presenter="ME",
    )
    assistance.record_attendance(
        db, actor=advocate, briefing_id=briefing.id, registration_id=registration.id, attendees=2
    )
    case = assistance.open_case_for(db, actor=advocate, registration_id=registration.id)
    fund = funds.create_fund(db, actor=supervisor, incident_id=incident, name="Valley Fund")
    funds.publish_protocol(
        db,
        actor=supervisor,
        fund_id=fund.id,
        stage="draft",
        fund_cents=100_00,
        tiers=[TierSpec("killed", "Killed", "killed", "1")],
        comment_until=TODAY + timedelta(days=1),
    )
    claim = funds.submit_claim(
        db,
        actor=advocate,
        fund_id=fund.id,
        claimant_name="Estate of L. Rivera",
        harm="killed",
        evidence_record="me1",
        survivor_case_id=case.id,
    )
    return {
        "case": case.id,
        "registration": registration.id,
        "center": center.id,
        "claim": claim.id,
    }


def _consent(
    db: Session, people: People, case_id: int, agency_id: int, *, covers: bool, days: int = 30
) -> int:
    return consents.record_consent(
        db,
        actor=people.actor(people.advocate),
        case_id=case_id,
        recipient_agency_id=agency_id,
        purpose=PURPOSE,
        written_on_file=True,
        document_reference="Form 12",
        signed_on=TODAY,
        expires_on=TODAY + timedelta(days=days),
        covers_center_records=covers,
    ).id


def test_a_consent_for_the_case_alone_discloses_nothing_of_the_center(
    db: Session, people: People
) -> None:
    ids = _family(db, people)
    _consent(db, people, ids["case"], people.other_provider.id, covers=False)
    reader = people.actor(people.outsiders["other_provider:supervisor"])
    seen = consents.disclose_case(db, actor=reader, case_id=ids["case"], purpose=PURPOSE)
    assert seen.case_id == ids["case"]
    assert seen.center_records == [] and seen.center_consent_id is None
    subjects = db.execute(
        select(Disclosure.subject).where(Disclosure.case_id == ids["case"])
    ).scalars()
    assert list(subjects) == ["case"]


def test_a_covering_consent_discloses_registration_visits_and_briefings(
    db: Session, people: People
) -> None:
    ids = _family(db, people)
    consent_id = _consent(db, people, ids["case"], people.other_provider.id, covers=True)
    reader = people.actor(people.outsiders["other_provider:supervisor"])
    seen = consents.disclose_case(db, actor=reader, case_id=ids["case"], purpose=PURPOSE)
    assert seen.center_consent_id == consent_id
    [record] = seen.center_records
    assert (record.display_name, record.people_count, record.center_name) == (
        "Rivera family",
        3,
        "Valley FAC",
    )
    assert [sorted(services) for _, services in record.visits] == [["counselling", "legal"]]
    assert [(topic, attendees) for _, topic, attendees in record.briefings] == [
        ("Identification", 2)
    ]
    # Not how to reach them, nor the staff's note of the visit.
    assert "555-0142" not in repr(seen) and "trial" not in repr(seen)
    # Recorded as a disclosure of the center's records, audited by ids only.
    assert sorted(
        db.execute(select(Disclosure.subject).where(Disclosure.case_id == ids["case"])).scalars()
    ) == ["case", "center_records"]
    event = db.execute(
        select(AuditEvent).where(AuditEvent.action == "survivor_case.disclose_center_records")
    ).scalar_one()
    assert event.details == {
        "consent_id": consent_id,
        "purpose": PURPOSE,
        "registrations": [ids["registration"]],
    }
    # Another purpose is not covered.
    with pytest.raises(NotFound):
        consents.disclose_case(
            db, actor=reader, case_id=ids["case"], purpose="law_enforcement_investigation"
        )


def test_revocation_and_expiry_end_the_disclosure_of_the_center_records_at_once(
    db: Session, people: People
) -> None:
    ids = _family(db, people)
    case_only = _consent(db, people, ids["case"], people.police.id, covers=False, days=60)
    covering = _consent(db, people, ids["case"], people.police.id, covers=True, days=10)
    detective = people.actor(people.outsiders["police:supervisor"])
    assert consents.disclose_case(
        db, actor=detective, case_id=ids["case"], purpose=PURPOSE
    ).center_records
    # After the covering consent expires only the case is disclosed.
    later = utcnow() + timedelta(days=11)
    seen = consents.disclose_case(
        db, actor=detective, case_id=ids["case"], purpose=PURPOSE, now=later
    )
    assert seen.case_id == ids["case"] and seen.center_records == []
    # Revoked: the very next read has none of the center's records.
    consents.revoke_consent(
        db, actor=people.actor(people.advocate), case_id=ids["case"], consent_id=covering
    )
    assert (
        consents.disclose_case(
            db, actor=detective, case_id=ids["case"], purpose=PURPOSE
        ).center_records
        == []
    )
    consents.revoke_consent(
        db, actor=people.actor(people.advocate), case_id=ids["case"], consent_id=case_only
    )
    with pytest.raises(NotFound):
        consents.disclose_case(db, actor=detective, case_id=ids["case"], purpose=PURPOSE)


def test_no_law_enforcement_intelligence_or_threat_assessment_user_sees_them_unconsented(
    db: Session, people: People
) -> None:
    ids = _family(db, people)
    # A covering consent names the other provider only.
    _consent(db, people, ids["case"], people.other_provider.id, covers=True)
    watchers = {
        label: user
        for label, user in people.outsiders.items()
        if label.split(":")[0] in ("police", "fusion", "school", "operator", "provider")
    }
    assert {"police:analyst", "fusion:threat_assessment", "provider:analyst"} <= set(watchers)
    for label, user in watchers.items():
        actor = people.actor(user)
        with pytest.raises(NotFound):
            consents.disclose_case(db, actor=actor, case_id=ids["case"], purpose=PURPOSE)
            pytest.fail(f"{label} read the family's records")
        with pytest.raises(NotFound):
            assistance.get_registration(db, actor=actor, registration_id=ids["registration"])


def test_the_rule_asks_for_a_consent_covering_the_center_records() -> None:
    from vigil.platform.actor import Actor

    holder = ProviderFacts(agency_id=1, agency_kind="victim_services")
    reader = Actor(kind="user", user_id=9, username="r", agency_id=2, roles=frozenset())
    case_only = SurvivorCaseFacts(
        provider=holder,
        advocate_user_id=3,
        consented_purposes=frozenset({PURPOSE}),
        purpose=PURPOSE,
    )
    covered = SurvivorCaseFacts(
        provider=holder,
        advocate_user_id=3,
        consented_purposes=frozenset({PURPOSE}),
        center_purposes=frozenset({PURPOSE}),
        purpose=PURPOSE,
    )
    assert policy.decide(reader, "disclose", "survivor_case", case_only)
    assert not policy.decide(reader, "disclose_center_records", "survivor_case", case_only)
    assert policy.decide(reader, "disclose_center_records", "survivor_case", covered)
    inside = Actor(kind="user", user_id=3, username="a", agency_id=1, roles=frozenset())
    assert not policy.decide(inside, "disclose_center_records", "survivor_case", covered)


def test_the_survivors_export_holds_their_center_and_fund_records(
    db: Session, people: People
) -> None:
    ids = _family(db, people)
    _consent(db, people, ids["case"], people.other_provider.id, covers=True)
    consents.disclose_case(
        db,
        actor=people.actor(people.outsiders["other_provider:supervisor"]),
        case_id=ids["case"],
        purpose=PURPOSE,
    )
    document = export.export_case(db, actor=people.actor(people.advocate), case_id=ids["case"])
    json.dumps(document)  # JSON-ready as it stands
    [registration] = document["assistance_center_registrations"]
    assert registration["display_name"] == "Rivera family"
    assert registration["contact"] == "555-0142" and registration["center"] == "Valley FAC"
    assert [v["note"] for v in registration["visits"]] == ["Asked about the trial"]
    assert [(b["topic"], b["attendees"]) for b in registration["briefings_attended"]] == [
        ("Identification", 2)
    ]
    [claim] = document["fund_claims"]
    assert (claim["claimant_name"], claim["harm"], claim["status"], claim["fund"]) == (
        "Estate of L. Rivera",
        "killed",
        "submitted",
        "Valley Fund",
    )
    assert claim["payment"] is None
    assert [d["recipient"] for d in document["center_record_disclosures"]] == [
        people.other_provider.name
    ]
    assert [d["recipient"] for d in document["disclosures"]] == [people.other_provider.name]

"""The victim-services regime on both databases: nobody outside the provider holding a
case (law enforcement, intelligence, threat assessment, administrators, another
provider) reads any of it without a valid written consent naming their agency and the
purpose; a refused disclosure is audited; a revocation ends the consent at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.recovery.factories import People, make_people, open_case
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.models import AuditEvent, User
from vigil.platform.policy import PermissionDenied
from vigil.platform.types import utcnow
from vigil.recovery import cases, consents, dates, export, referrals
from vigil.recovery.models import Disclosure, SurvivorCase
from vigil.recovery.vocabulary import PURPOSES


@pytest.fixture()
def people(db: Session) -> People:
    return make_people(db)


def _populated_case(db: Session, people: People) -> SurvivorCase:
    case = open_case(db, people)
    referrals.refer(
        db,
        actor=people.actor(people.advocate),
        case_id=case.id,
        service_kind="counselling",
        provider_name="Valley Trauma Counselling",
    )
    dates.add_date(
        db,
        actor=people.actor(people.advocate),
        case_id=case.id,
        kind="anniversary",
        label="Anniversary of the shooting",
        on_date=date(2026, 3, 14),
        yearly=True,
    )
    return case


def _consent(db: Session, people: People, case: SurvivorCase, agency_id: int, purpose: str):  # type: ignore[no-untyped-def]
    today = utcnow().date()
    return consents.record_consent(
        db,
        actor=people.actor(people.advocate),
        case_id=case.id,
        recipient_agency_id=agency_id,
        purpose=purpose,
        written_on_file=True,
        document_reference="Consent form 2026-114, binder 3",
        signed_on=today,
        expires_on=today + timedelta(days=180),
    )


def _every_read(db: Session, people: People, user: User, case: SurvivorCase) -> list[str]:
    """Try every way of reading the case; return those that did not refuse."""
    actor = people.actor(user)
    leaks: list[str] = []
    attempts: dict[str, Callable[[], object]] = {
        "read_case": lambda: cases.read_case(db, actor=actor, case_id=case.id),
        "work": lambda: cases.get_case(db, actor=actor, case_id=case.id, action="work"),
        "referrals": lambda: referrals.list_referrals(db, actor=actor, case_id=case.id),
        "dates": lambda: dates.list_dates(db, actor=actor, case_id=case.id),
        "consents": lambda: consents.list_consents(db, actor=actor, case_id=case.id),
        "export": lambda: export.export_case(db, actor=actor, case_id=case.id),
    }
    for purpose in PURPOSES:
        attempts[f"disclose:{purpose}"] = partial(
            consents.disclose_case, db, actor=actor, case_id=case.id, purpose=purpose
        )
    for name, attempt in attempts.items():
        try:
            attempt()
        except (NotFound, PermissionDenied):
            continue
        leaks.append(name)
    try:
        load = cases.caseload(db, actor=actor, status=None)
        if load.total or load.rows:
            leaks.append("caseload")
    except NotFound:
        pass
    if consents.cases_disclosed_to(db, actor=actor):
        leaks.append("disclosed list")
    return leaks


def test_no_outside_role_reads_anything_without_consent(db: Session, people: People) -> None:
    case = _populated_case(db, people)
    for label, user in people.outsiders.items():
        assert _every_read(db, people, user, case) == [], label
    # The provider's own colleague (not the advocate, not a supervisor) does not either.
    assert _every_read(db, people, people.colleague, case) == []
    # ...while the advocate and the supervisor work it.
    for user in (people.advocate, people.supervisor):
        actor = people.actor(user)
        assert cases.read_case(db, actor=actor, case_id=case.id).id == case.id
        assert [row.id for row in cases.caseload(db, actor=actor).rows] == [case.id]


def test_a_consent_for_another_purpose_or_agency_discloses_nothing(
    db: Session, people: People
) -> None:
    case = _populated_case(db, people)
    _consent(db, people, case, people.police.id, "crime_victim_compensation")
    _consent(db, people, case, people.fusion.id, "law_enforcement_investigation")
    police = people.actor(people.outsiders["police:analyst"])
    with pytest.raises(NotFound):
        consents.disclose_case(
            db, actor=police, case_id=case.id, purpose="law_enforcement_investigation"
        )
    # Consent is for a purpose, never a key to the whole record.
    with pytest.raises(NotFound):
        cases.read_case(db, actor=police, case_id=case.id)
    with pytest.raises(NotFound):
        export.export_case(db, actor=police, case_id=case.id)
    # The school was named in no consent.
    with pytest.raises(NotFound):
        consents.disclose_case(
            db,
            actor=people.actor(people.outsiders["school:threat_assessment"]),
            case_id=case.id,
            purpose="crime_victim_compensation",
        )
    refused = (
        db.execute(
            select(AuditEvent).where(
                AuditEvent.action == "survivor_case.disclose", AuditEvent.outcome == "denied"
            )
        )
        .scalars()
        .all()
    )
    assert len(refused) == 2
    assert all(e.object_id == str(case.id) for e in refused)
    assert refused[0].details == {
        "purpose": "law_enforcement_investigation",
        "reason": "no valid consent",
    }
    assert "Rivera" not in str([e.details for e in refused])


def test_a_valid_consent_discloses_the_service_picture_and_records_it(
    db: Session, people: People
) -> None:
    case = _populated_case(db, people)
    consent = _consent(db, people, case, people.police.id, "law_enforcement_investigation")
    officer = people.outsiders["police:supervisor"]
    seen = consents.disclose_case(
        db,
        actor=people.actor(officer),
        case_id=case.id,
        purpose="law_enforcement_investigation",
    )
    assert seen.number == case.number and seen.consent_id == consent.id
    assert seen.referrals[0][:3] == ("counselling", "Valley Trauma Counselling", "referred")
    assert not hasattr(seen, "notes") and not hasattr(seen, "contact")
    disclosure = db.execute(select(Disclosure)).scalar_one()
    assert (disclosure.recipient_agency_id, disclosure.recipient_user_id, disclosure.purpose) == (
        people.police.id,
        officer.id,
        "law_enforcement_investigation",
    )
    assert consents.cases_disclosed_to(db, actor=people.actor(officer)) == [
        (case.id, case.number, "law_enforcement_investigation", consent.expires_on)
    ]
    # Every role at the police may read under the agency's consent (intelligence too):
    analyst = people.actor(people.outsiders["police:analyst"])
    assert (
        consents.disclose_case(
            db, actor=analyst, case_id=case.id, purpose="law_enforcement_investigation"
        ).case_id
        == case.id
    )


def test_revocation_blocks_the_next_read_in_the_same_second(db: Session, people: People) -> None:
    case = _populated_case(db, people)
    consent = _consent(db, people, case, people.police.id, "law_enforcement_investigation")
    officer = people.actor(people.outsiders["police:analyst"])
    db.commit()
    instant = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    with time_machine.travel(instant, tick=False):
        consents.disclose_case(
            db, actor=officer, case_id=case.id, purpose="law_enforcement_investigation"
        )
        consents.revoke_consent(
            db, actor=people.actor(people.advocate), case_id=case.id, consent_id=consent.id
        )
        db.commit()
        assert utcnow() == instant  # the clock has not moved
        with pytest.raises(NotFound):
            consents.disclose_case(
                db, actor=officer, case_id=case.id, purpose="law_enforcement_investigation"
            )
    assert consents.consent_state(consent) == "revoked"
    with pytest.raises(Exception, match="already revoked"):
        consents.revoke_consent(
            db, actor=people.actor(people.advocate), case_id=case.id, consent_id=consent.id
        )


def test_an_expired_consent_discloses_nothing(db: Session, people: People) -> None:
    case = _populated_case(db, people)
    consent = _consent(db, people, case, people.police.id, "law_enforcement_investigation")
    officer = people.actor(people.outsiders["police:analyst"])
    after = datetime.combine(consent.expires_on + timedelta(days=1), datetime.min.time(), UTC)
    with time_machine.travel(after, tick=False):
        assert consents.consent_state(consent) == "expired"
        with pytest.raises(NotFound):
            consents.disclose_case(
                db, actor=officer, case_id=case.id, purpose="law_enforcement_investigation"
            )


def test_a_consent_must_be_written_on_file_dated_and_for_another_agency(
    db: Session, people: People
) -> None:
    case = open_case(db, people)
    today = utcnow().date()
    with pytest.raises(InvalidInput) as problem:
        consents.record_consent(
            db,
            actor=people.actor(people.advocate),
            case_id=case.id,
            recipient_agency_id=people.provider.id,
            purpose="surveillance",
            written_on_file=False,
            document_reference=" ",
            signed_on=today + timedelta(days=1),
            expires_on=today - timedelta(days=1),
        )
    assert set(problem.value.errors) == {
        "purpose",
        "recipient_agency_id",
        "written_on_file",
        "document_reference",
        "signed_on",
        "expires_on",
    }
    with pytest.raises(InvalidInput, match="three years"):
        consents.record_consent(
            db,
            actor=people.actor(people.advocate),
            case_id=case.id,
            recipient_agency_id=people.police.id,
            purpose="law_enforcement_investigation",
            written_on_file=True,
            document_reference="Form 1",
            signed_on=today,
            expires_on=today + timedelta(days=5 * 365),
        )
    # Only the case's advocate or supervisor records consents.
    with pytest.raises(NotFound):
        consents.record_consent(
            db,
            actor=people.actor(people.colleague),
            case_id=case.id,
            recipient_agency_id=people.police.id,
            purpose="law_enforcement_investigation",
            written_on_file=True,
            document_reference="Form 1",
            signed_on=today,
            expires_on=today + timedelta(days=30),
        )


def test_only_victim_services_staff_open_cases(db: Session, people: People) -> None:
    for label, user in people.outsiders.items():
        if label.startswith("other_provider:") and label.split(":")[1] not in (
            "analyst",
            "threat_assessment",
            "all",
        ):
            continue  # staff of another provider open their own cases
        with pytest.raises(NotFound):
            cases.open_case(db, actor=people.actor(user), kind="survivor", display_name="Someone")
    with pytest.raises(InvalidInput) as problem:
        cases.open_case(db, actor=people.actor(people.advocate), kind="other", display_name=" ")
    assert set(problem.value.errors) == {"kind", "display_name"}

"""The new victim-services records (assistance center, fund claims and payments,
community recovery) under the survivor-consent regime, on both databases: no
law-enforcement, intelligence or threat-assessment user, nor anyone else outside the
provider holding them, reads any of it; a consent on a family's survivor case opens
that case (for its purpose) and nothing at the center."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.recovery.factories import People, make_people
from tests.recovery.incident_world import open_incident
from vigil.platform.actor import Actor
from vigil.platform.errors import NotFound
from vigil.platform.policy import PermissionDenied
from vigil.platform.types import utcnow
from vigil.recovery import assistance, client_import, community, consents, funds
from vigil.recovery.assistance import RegistrationInput
from vigil.recovery.funds import TierSpec


@pytest.fixture()
def people(db: Session) -> People:
    return make_people(db)


def _world(db: Session, people: People) -> dict[str, int]:
    advocate, supervisor = people.actor(people.advocate), people.actor(people.supervisor)
    incident = open_incident(db, people.police)
    center = assistance.open_center(
        db, actor=supervisor, incident_id=incident, name="Valley FAC", place="Hall B"
    )
    family = assistance.register(
        db,
        actor=advocate,
        center_id=center.id,
        data=RegistrationInput("family", "Rivera family", 3, "Spanish", None, "me1"),
    )
    case = assistance.open_case_for(db, actor=advocate, registration_id=family.id)
    briefing = assistance.schedule_briefing(
        db, actor=advocate, center_id=center.id, scheduled_at=utcnow(), topic="T", presenter="P"
    )
    assistance.record_attendance(
        db, actor=advocate, briefing_id=briefing.id, registration_id=family.id, attendees=2
    )
    assistance.log_visit(db, actor=advocate, registration_id=family.id, services=["counselling"])
    fund = funds.create_fund(db, actor=supervisor, incident_id=incident, name="Valley Fund")
    tiers = [TierSpec("killed", "Killed", "killed", "1")]
    funds.publish_protocol(
        db,
        actor=supervisor,
        fund_id=fund.id,
        stage="draft",
        fund_cents=500_00,
        tiers=tiers,
        comment_until=utcnow().date() + timedelta(days=1),
    )
    funds.record_comment(db, actor=advocate, fund_id=fund.id, body="Fair.")
    claim = funds.submit_claim(
        db,
        actor=advocate,
        fund_id=fund.id,
        claimant_name="Estate of L. Rivera",
        harm="killed",
        evidence_record="me1",
        survivor_case_id=case.id,
    )
    community.add_need(db, actor=advocate, kind="meals", description="Dinners", quantity=2)
    community.add_offer(
        db, actor=advocate, offer_kind="volunteer", kind="meals", offered_by="J. Doe", quantity=2
    )
    # The survivor consents to disclose the case to the police for the investigation.
    consents.record_consent(
        db,
        actor=advocate,
        case_id=case.id,
        recipient_agency_id=people.police.id,
        purpose="law_enforcement_investigation",
        written_on_file=True,
        document_reference="Form 7",
        signed_on=utcnow().date(),
        expires_on=utcnow().date() + timedelta(days=30),
    )
    return {
        "center": center.id,
        "registration": family.id,
        "briefing": briefing.id,
        "fund": fund.id,
        "claim": claim.id,
        "case": case.id,
    }


def _reads(ids: dict[str, int]) -> dict[str, Callable[[Session, Actor], Any]]:
    return {
        "center": lambda db, a: assistance.get_center(db, actor=a, center_id=ids["center"]),
        "center page": lambda db, a: assistance.view_center(db, actor=a, center_id=ids["center"]),
        "summary": lambda db, a: assistance.daily_summary(
            db, actor=a, center_id=ids["center"], day=utcnow().date()
        ),
        "registration": lambda db, a: assistance.get_registration(
            db, actor=a, registration_id=ids["registration"]
        ),
        "register": lambda db, a: assistance.register(
            db, actor=a, center_id=ids["center"], data=RegistrationInput("family", "X")
        ),
        "visit": lambda db, a: assistance.log_visit(
            db, actor=a, registration_id=ids["registration"], services=[]
        ),
        "attendance": lambda db, a: assistance.record_attendance(
            db,
            actor=a,
            briefing_id=ids["briefing"],
            registration_id=ids["registration"],
            attendees=1,
        ),
        "import": lambda db, a: client_import.import_clients(
            db, actor=a, center_id=ids["center"], data=b"kind,display_name\nfamily,X\n"
        ),
        "fund": lambda db, a: funds.get_fund(db, actor=a, fund_id=ids["fund"]),
        "claims": lambda db, a: funds.claims(db, actor=a, fund_id=ids["fund"]),
        "comments": lambda db, a: funds.comments(db, actor=a, fund_id=ids["fund"]),
        "payments": lambda db, a: funds.payments(db, actor=a, fund_id=ids["fund"]),
        "decide": lambda db, a: funds.decide_claim(
            db, actor=a, claim_id=ids["claim"], approve=False, reason="x"
        ),
        "claim": lambda db, a: funds.submit_claim(
            db,
            actor=a,
            fund_id=ids["fund"],
            claimant_name="XY",
            harm="killed",
            evidence_record="me2",
        ),
    }


OUTSIDE_ROLES = ("analyst", "threat_assessment", "supervisor", "system_admin", "auditor", "all")


def test_no_outsider_reads_or_writes_any_new_record(db: Session, people: People) -> None:
    ids = _world(db, people)
    outsiders = {
        label: user
        for label, user in people.outsiders.items()
        if not label.startswith("other_provider:") or label.split(":")[1] in OUTSIDE_ROLES
    }
    assert "police:analyst" in outsiders and "provider:analyst" in outsiders
    for label, user in outsiders.items():
        actor = people.actor(user)
        for what, read in _reads(ids).items():
            with pytest.raises(NotFound):
                read(db, actor)
                pytest.fail(f"{label} reached {what}")
        # The lists of the holder's records show them nothing: refused, or their own (none).
        for listing in (assistance.list_centers, funds.list_funds):
            with contextlib.suppress(NotFound):
                assert listing(db, actor=actor) == [], (label, listing)
        try:
            view = community.community_view(db, actor=actor)
            assert (view.needs, view.offers) == ([], []), label
        except NotFound:
            pass


def test_a_consent_opens_the_case_for_its_purpose_and_nothing_at_the_center(
    db: Session, people: People
) -> None:
    ids = _world(db, people)
    detective = people.actor(people.outsiders["police:analyst"])
    seen = consents.disclose_case(
        db, actor=detective, case_id=ids["case"], purpose="law_enforcement_investigation"
    )
    assert seen.case_id == ids["case"]
    with pytest.raises(NotFound):
        consents.disclose_case(
            db, actor=detective, case_id=ids["case"], purpose="fund_distribution"
        )
    for read in _reads(ids).values():
        with pytest.raises(NotFound):
            read(db, detective)


def test_the_holders_advocate_is_refused_what_only_supervisors_do(
    db: Session, people: People
) -> None:
    ids = _world(db, people)
    advocate = people.actor(people.advocate)
    with pytest.raises(PermissionDenied):
        funds.decide_claim(db, actor=advocate, claim_id=ids["claim"], approve=False, reason="x")
    with pytest.raises(PermissionDenied):
        funds.calculate(db, actor=advocate, fund_id=ids["fund"])

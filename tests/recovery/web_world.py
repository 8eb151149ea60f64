"""The victim-services part of the web tests' world: a provider that holds, for each
agency of the world, one survivor case with a referral and a consent naming that
agency, so that each agency's staff may read "their" case under consent and no other."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from tests.recovery.incident_world import open_incident
from vigil.platform.models import Agency
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.types import utcnow
from vigil.recovery import assistance, cases, consents, funds, referrals
from vigil.recovery.assistance import RegistrationInput
from vigil.recovery.funds import TierSpec

PURPOSE = "law_enforcement_investigation"


def seed_recovery(db: Session, world: Any, agencies: tuple[Agency, ...]) -> None:
    provider = make_agency(
        db, name="Valley Victim Services (walk)", kind=AgencyKind.VICTIM_SERVICES
    )
    advocate = actor_for(make_user(db, agency=provider))
    supervisor = make_user(db, agency=provider, roles={Role.SUPERVISOR})
    today = utcnow().date()
    found: dict[str, dict[int, int]] = {"cases": {}, "consents": {}, "referrals": {}}
    for agency in agencies:
        case = cases.open_case(db, actor=advocate, kind="family", display_name="Walk family")
        referral = referrals.refer(
            db,
            actor=advocate,
            case_id=case.id,
            service_kind="counselling",
            provider_name="Walk Counselling",
        )
        consent = consents.record_consent(
            db,
            actor=advocate,
            case_id=case.id,
            recipient_agency_id=agency.id,
            purpose=PURPOSE,
            written_on_file=True,
            document_reference="Walk consent form",
            signed_on=today,
            expires_on=today + timedelta(days=90),
        )
        found["cases"][agency.id] = case.id
        found["consents"][agency.id] = consent.id
        found["referrals"][agency.id] = referral.id
    found["staff"] = {provider.id: advocate.user_id or 0, -1: supervisor.id}
    found["assist"] = seed_assistance(db, provider, advocate, actor_for(supervisor))  # type: ignore[assignment]
    world.recovery = found


def seed_assistance(
    db: Session, provider: Agency, advocate: Any, supervisor: Any
) -> dict[str, int]:
    """The provider's assistance center with a family and a briefing, and a fund whose
    payments are calculated (so its report and input file are published): the ids the
    catalogue's recovery routes put in their paths."""
    incident = open_incident(db, provider, name="Walk school shooting")
    center = assistance.open_center(
        db, actor=supervisor, incident_id=incident, name="Walk FAC", place="Walk Hall"
    )
    family = assistance.register(
        db, actor=advocate, center_id=center.id, data=RegistrationInput("family", "Walk family")
    )
    fund = funds.create_fund(db, actor=supervisor, incident_id=incident, name="Walk Fund")
    tiers = [TierSpec("killed", "Killed", "killed", "1")]
    today = utcnow().date()
    funds.publish_protocol(
        db,
        actor=supervisor,
        fund_id=fund.id,
        stage="draft",
        fund_cents=1000_00,
        tiers=tiers,
        comment_until=today + timedelta(days=1),
    )
    funds.publish_protocol(
        db,
        actor=supervisor,
        fund_id=fund.id,
        stage="final",
        fund_cents=1000_00,
        tiers=tiers,
        today=today + timedelta(days=2),
    )
    claim = funds.submit_claim(
        db,
        actor=advocate,
        fund_id=fund.id,
        claimant_name="Walk estate",
        harm="killed",
        evidence_record="me1",
    )
    funds.decide_claim(db, actor=supervisor, claim_id=claim.id, approve=True)
    funds.calculate(db, actor=supervisor, fund_id=fund.id)
    payment = funds.payments(db, actor=supervisor, fund_id=fund.id)[0][0]
    return {
        "center_id": center.id,
        "registration_id": family.id,
        "fund_id": fund.id,
        "claim_id": claim.id,
        "payment_id": payment.id,
    }

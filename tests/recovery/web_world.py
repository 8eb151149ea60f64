"""The victim-services part of the web tests' world: a provider that holds, for each
agency of the world, one survivor case with a referral and a consent naming that
agency, so that each agency's staff may read "their" case under consent and no other."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from vigil.platform.models import Agency
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.types import utcnow
from vigil.recovery import cases, consents, referrals

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
    world.recovery = found

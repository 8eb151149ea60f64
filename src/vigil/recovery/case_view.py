"""A survivor case as its provider's staff see it on one page: the case, its consents
(with what each says today), referrals and their next steps, dates, and what the
reader may do."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.models import Agency, User
from vigil.recovery import cases, consents, dates, needs, referrals
from vigil.recovery.models import (
    Consent,
    ImportantDate,
    NeedsAssessment,
    PlanItem,
    Referral,
    SurvivorCase,
)


@dataclass(frozen=True)
class CaseView:
    case: SurvivorCase
    advocate_name: str | None
    consents: list[tuple[Consent, str, str]]  # consent, state, recipient name
    referrals: list[Referral]
    dates: list[ImportantDate]
    agencies: list[tuple[int, str]]  # possible consent recipients
    staff: list[tuple[int, str]]  # possible advocates (supervisors only)
    may_supervise: bool
    assessments: list[NeedsAssessment]  # newest first
    change: dict[str, int]  # steps gained or lost per domain since the one before
    plan: list[PlanItem]
    instrument: needs.Instrument


def view_case(db: Session, *, actor: Actor, case_id: int) -> CaseView:
    case = cases.read_case(db, actor=actor, case_id=case_id)
    facts = cases.case_facts(db, case)
    may_supervise = policy.decide(actor, "assign", "survivor_case", facts)
    assessed = needs.list_assessments(db, actor=actor, case_id=case.id)
    names = dict(db.execute(select(Agency.id, Agency.name)).all())
    advocate = db.get(User, case.advocate_user_id) if case.advocate_user_id else None
    return CaseView(
        case=case,
        advocate_name=advocate.display_name if advocate else None,
        consents=[
            (c, consents.consent_state(c), names.get(c.recipient_agency_id, "?"))
            for c in consents.list_consents(db, actor=actor, case_id=case.id)
        ],
        referrals=referrals.list_referrals(db, actor=actor, case_id=case.id),
        dates=dates.list_dates(db, actor=actor, case_id=case.id),
        agencies=sorted(
            ((i, n) for i, n in names.items() if i != case.provider_agency_id),
            key=lambda pair: pair[1],
        ),
        staff=cases.provider_staff(db, actor=actor) if may_supervise else [],
        may_supervise=may_supervise,
        assessments=assessed,
        change=needs.changes(assessed[0].scores, assessed[1].scores) if len(assessed) > 1 else {},
        plan=needs.list_plan(db, actor=actor, case_id=case.id),
        instrument=needs.instrument(),
    )

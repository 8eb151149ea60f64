"""The retention purge of the victim-services records beside the survivor cases, on both
databases: closed assistance centers (registrations, visits, briefings, attendance),
the claims of a fund paid out, offers and volunteers. What is past retention goes,
what is not yet due stays, a fund still being paid is never touched, the public
report's counts stay, and the audit trail holds ids, counts and the reason only."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.recovery.factories import People, make_people
from tests.recovery.incident_world import open_incident
from vigil.platform.actor import command_line
from vigil.platform.errors import Conflict, InvalidInput
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.recovery import assistance, community, fund_report, funds
from vigil.recovery.assistance import RegistrationInput
from vigil.recovery.assistance_models import (
    AssistanceCenter,
    BriefingAttendance,
    CenterBriefing,
    CenterRegistration,
    CenterService,
    CenterVisit,
    CommunityOffer,
    Fund,
    FundClaim,
    FundPayment,
)
from vigil.recovery.funds import TierSpec
from vigil.recovery.retention import RetentionPeriods, run_purge
from vigil.reports import jobs

TODAY = utcnow().date()
OPERATOR = command_line("tests")
PERIODS = RetentionPeriods(fund_claim_days=30, community_offer_days=60)
NAMES = ("Rivera", "Okafor", "Estate of", "Walker", "555-01")


@pytest.fixture()
def people(db: Session) -> People:
    return make_people(db)


@pytest.fixture()
def incident(db: Session, people: People) -> int:
    return open_incident(db, people.police)


def _center(db: Session, people: People, incident: int, family: str) -> dict[str, int]:
    """A center with a service, a registered family, a visit and a briefing attended."""
    advocate, supervisor = people.actor(people.advocate), people.actor(people.supervisor)
    center = assistance.open_center(
        db, actor=supervisor, incident_id=incident, name=f"FAC {family}", place="Hall"
    )
    assistance.add_service(
        db, actor=advocate, center_id=center.id, kind="counselling", provider_name="Counsel"
    )
    registration = assistance.register(
        db,
        actor=advocate,
        center_id=center.id,
        data=RegistrationInput("family", f"{family} family", 3, "Spanish", "555-0142", "me1"),
    )
    assistance.log_visit(
        db, actor=advocate, registration_id=registration.id, services=["counselling"]
    )
    briefing = assistance.schedule_briefing(
        db, actor=advocate, center_id=center.id, scheduled_at=utcnow(), topic="T", presenter="P"
    )
    assistance.record_attendance(
        db, actor=advocate, briefing_id=briefing.id, registration_id=registration.id, attendees=2
    )
    return {"center": center.id, "registration": registration.id}


def _count(db: Session, model: type, *conditions: object) -> int:
    statement = select(func.count()).select_from(model).where(*conditions)  # type: ignore[arg-type]
    return int(db.execute(statement).scalar_one())


def _audit_details(db: Session, action: str) -> list[dict[str, object]]:
    rows = db.execute(select(AuditEvent.details).where(AuditEvent.action == action)).scalars()
    return [dict(row or {}) for row in rows]


def _assert_no_names(details: list[dict[str, object]]) -> None:
    text = json.dumps(details)
    for name in NAMES:
        assert name not in text, name


def test_closing_a_center_sets_its_retention_and_stops_new_work(
    db: Session, people: People, incident: int
) -> None:
    ids = _center(db, people, incident, "Rivera")
    advocate, supervisor = people.actor(people.advocate), people.actor(people.supervisor)
    with pytest.raises(PermissionDenied):
        assistance.close_center(db, actor=advocate, center_id=ids["center"], retention_days=10)
    with pytest.raises(InvalidInput):
        assistance.close_center(
            db,
            actor=supervisor,
            center_id=ids["center"],
            retention_days=10,
            closed_on=TODAY + timedelta(days=1),
        )
    center = assistance.close_center(
        db, actor=supervisor, center_id=ids["center"], retention_days=10
    )
    assert (center.status, center.closed_on) == ("closed", TODAY)
    assert center.retain_until == TODAY + timedelta(days=10)
    with pytest.raises(Conflict):
        assistance.close_center(db, actor=supervisor, center_id=ids["center"], retention_days=10)
    with pytest.raises(Conflict):
        assistance.register(
            db, actor=advocate, center_id=ids["center"], data=RegistrationInput("family", "X")
        )
    with pytest.raises(Conflict):
        assistance.log_visit(db, actor=advocate, registration_id=ids["registration"], services=[])
    # Its staff still read it until the purge.
    assert assistance.view_center(db, actor=advocate, center_id=ids["center"]).registrations


def test_a_closed_center_past_retention_is_purged_and_one_not_yet_due_stays(
    db: Session, people: People, incident: int
) -> None:
    supervisor = people.actor(people.supervisor)
    due = _center(db, people, incident, "Rivera")
    kept = _center(db, people, incident, "Okafor")
    still_open = _center(db, people, incident, "Walker")
    assistance.close_center(db, actor=supervisor, center_id=due["center"], retention_days=10)
    assistance.close_center(db, actor=supervisor, center_id=kept["center"], retention_days=100)

    # On the last day of retention nothing goes.
    result = run_purge(db, actor=OPERATOR, periods=PERIODS, today=TODAY + timedelta(days=10))
    assert result.centers == []
    result = run_purge(db, actor=OPERATOR, periods=PERIODS, today=TODAY + timedelta(days=11))
    assert result.centers == [due["center"]] and result.registrations == 1

    assert db.get(AssistanceCenter, due["center"]) is None
    assert db.get(CenterRegistration, due["registration"]) is None
    gone = due["center"]
    for model, column in (
        (CenterService, CenterService.center_id),
        (CenterVisit, CenterVisit.center_id),
        (CenterBriefing, CenterBriefing.center_id),
        (CenterRegistration, CenterRegistration.center_id),
    ):
        assert _count(db, model, column == gone) == 0, model
    assert (
        _count(db, BriefingAttendance, BriefingAttendance.registration_id == due["registration"])
        == 0
    )
    for other in (kept, still_open):
        assert db.get(AssistanceCenter, other["center"]) is not None
        assert _count(db, CenterVisit, CenterVisit.registration_id == other["registration"]) == 1
        assert (
            _count(
                db, BriefingAttendance, BriefingAttendance.registration_id == other["registration"]
            )
            == 1
        )

    details = _audit_details(db, "assistance_center.purge")
    assert details == [
        {
            "reason": "retention period ended",
            "registrations": 1,
            "visits": 1,
            "briefings": 1,
            "attendance": 1,
        }
    ]
    _assert_no_names(details)
    event = db.execute(
        select(AuditEvent).where(AuditEvent.action == "assistance_center.purge")
    ).scalar_one()
    assert event.object_id == str(gone)


def _paid_fund(
    db: Session, people: People, incident: int, claimants: tuple[str, str], *, pay: int
) -> int:
    """A distributed fund with three approved claims (one for nights in hospital) and one
    refused; ``pay`` of the three payments recorded."""
    supervisor, advocate = people.actor(people.supervisor), people.actor(people.advocate)
    fund = funds.create_fund(db, actor=supervisor, incident_id=incident, name="Valley Fund")
    tiers = [
        TierSpec("killed", "Killed", "killed", "2"),
        TierSpec("present", "Present", "present", "1"),
        TierSpec("hospital", "Hospitalised", "hospitalised", "1.5", 1, None),
    ]
    funds.publish_protocol(
        db,
        actor=supervisor,
        fund_id=fund.id,
        stage="draft",
        fund_cents=300_00,
        tiers=tiers,
        comment_until=TODAY + timedelta(days=1),
    )
    funds.publish_protocol(
        db,
        actor=supervisor,
        fund_id=fund.id,
        stage="final",
        fund_cents=300_00,
        tiers=tiers,
        today=TODAY + timedelta(days=2),
    )
    for name, harm, record, nights in (
        (claimants[0], "killed", "me1", None),
        (claimants[1], "present", "r1", None),
        (f"{claimants[1]} Jr", "hospitalised", "h1", 3),
    ):
        claim = funds.submit_claim(
            db,
            actor=advocate,
            fund_id=fund.id,
            claimant_name=name,
            harm=harm,
            nights=nights,
            evidence_record=record,
        )
        funds.decide_claim(db, actor=supervisor, claim_id=claim.id, approve=True)
    refused = funds.submit_claim(
        db,
        actor=advocate,
        fund_id=fund.id,
        claimant_name=f"{claimants[1]} Walker",
        harm="killed",
        evidence_record="r2",
        evidence_document="Letter 7",
    )
    funds.decide_claim(
        db, actor=supervisor, claim_id=refused.id, approve=False, reason="Walker: not on the list"
    )
    funds.calculate(db, actor=supervisor, fund_id=fund.id)
    for payment, _ in funds.payments(db, actor=supervisor, fund_id=fund.id)[:pay]:
        funds.record_payment(
            db, actor=supervisor, payment_id=payment.id, paid_on=TODAY, reference="EFT"
        )
    return fund.id


def test_claims_of_a_fund_paid_out_are_emptied_and_a_fund_still_paying_is_not(
    db: Session, people: People, incident: int
) -> None:
    paid = _paid_fund(db, people, incident, ("Estate of A. Rivera", "B. Okafor"), pay=3)
    paying = _paid_fund(db, people, incident, ("Estate of C. Rivera", "D. Okafor"), pay=2)
    assert db.get_one(Fund, paid).paid_out_on == TODAY
    assert db.get_one(Fund, paying).paid_out_on is None
    reader = people.actor(people.outsiders["police:analyst"])
    before = fund_report.public_report(db, actor=reader, fund_id=paid)

    result = run_purge(db, actor=OPERATOR, periods=PERIODS, today=TODAY + timedelta(days=30))
    assert result.funds == [] and result.claims == 0
    result = run_purge(db, actor=OPERATOR, periods=PERIODS, today=TODAY + timedelta(days=31))
    assert result.funds == [paid] and result.claims == 4

    emptied = list(db.execute(select(FundClaim).where(FundClaim.fund_id == paid)).scalars())
    assert len(emptied) == 4
    for claim in emptied:
        assert claim.purged_at is not None
        assert (claim.claimant_name, claim.evidence_record, claim.evidence_document) == (
            "",
            None,
            None,
        )
        assert (claim.decision_reason, claim.nights) == (None, None)
    # The harm and decision stay for the published counts; so do the payments.
    assert sorted(c.harm for c in emptied) == ["hospitalised", "killed", "killed", "present"]
    assert _count(db, FundPayment, FundPayment.claim_id.in_([c.id for c in emptied])) == 3
    after = fund_report.public_report(db, actor=reader, fund_id=paid)
    assert (after.results, after.distributed_cents, after.decisions, after.refused_by_harm) == (
        before.results,
        before.distributed_cents,
        before.decisions,
        before.refused_by_harm,
    )
    assert after.payments_made == 3

    # The fund with a payment still to make keeps every claim as it was.
    kept = list(db.execute(select(FundClaim).where(FundClaim.fund_id == paying)).scalars())
    assert {c.claimant_name for c in kept} == {
        "Estate of C. Rivera",
        "D. Okafor",
        "D. Okafor Jr",
        "D. Okafor Walker",
    }
    assert all(c.purged_at is None for c in kept)

    details = _audit_details(db, "fund.claims_purge")
    assert details == [{"reason": "retention period ended", "claims": 4}]
    _assert_no_names(details)

    # Purged once: the next run finds nothing more to do.
    again = run_purge(db, actor=OPERATOR, periods=PERIODS, today=TODAY + timedelta(days=40))
    assert again.funds == [] and again.claims == 0


def test_offers_and_volunteers_go_after_their_retention_unless_serving_an_open_need(
    db: Session, people: People
) -> None:
    advocate = people.actor(people.advocate)
    met_need = community.add_need(
        db, actor=advocate, kind="meals", description="Dinners", quantity=1
    )
    open_need = community.add_need(
        db, actor=advocate, kind="transport", description="Rides to court", quantity=5
    )

    def offer(kind: str, who: str) -> int:
        return community.add_offer(
            db,
            actor=advocate,
            offer_kind="volunteer",
            kind=kind,
            offered_by=who,
            quantity=1,
            contact="555-0199",
        ).id

    meals = offer("meals", "J. Rivera")
    rides = offer("transport", "K. Okafor")
    community.match_offers(db, actor=advocate)
    unmatched = offer("childcare", "L. Walker")
    assert db.get_one(CommunityOffer, meals).need_id == met_need.id
    assert db.get_one(CommunityOffer, rides).need_id == open_need.id

    result = run_purge(db, actor=OPERATOR, periods=PERIODS, today=TODAY + timedelta(days=60))
    assert result.offers == 0
    result = run_purge(db, actor=OPERATOR, periods=PERIODS, today=TODAY + timedelta(days=61))
    assert result.offers == 2
    assert db.get(CommunityOffer, meals) is None and db.get(CommunityOffer, unmatched) is None
    assert db.get(CommunityOffer, rides) is not None  # its need is still open
    details = _audit_details(db, "community.offers_purge")
    assert details == [{"reason": "retention period ended", "offers": 2, "ids": [meals, unmatched]}]
    _assert_no_names(details)


def test_the_purge_is_for_the_operator_only(db: Session, people: People) -> None:
    for user in (people.supervisor, people.outsiders["operator:system_admin"]):
        with pytest.raises(PermissionDenied):
            run_purge(db, actor=people.actor(user), periods=PERIODS)


def test_the_scheduled_job_purges_a_center_past_retention(
    db: Session, people: People, incident: int, settings: Settings, session_factory: object
) -> None:
    supervisor = people.actor(people.supervisor)
    center = assistance.open_center(
        db,
        actor=supervisor,
        incident_id=incident,
        name="FAC",
        place="Hall",
        opened_on=TODAY - timedelta(days=30),
    )
    assistance.register(
        db,
        actor=people.actor(people.advocate),
        center_id=center.id,
        data=RegistrationInput("family", "Rivera family"),
    )
    assistance.close_center(
        db,
        actor=supervisor,
        center_id=center.id,
        retention_days=10,
        closed_on=TODAY - timedelta(days=20),
    )
    center_id = center.id
    db.commit()
    jobs.recovery_retention_job(settings, session_factory)  # type: ignore[arg-type]
    db.expire_all()
    assert db.get(AssistanceCenter, center_id) is None
    assert _count(db, CenterRegistration, CenterRegistration.center_id == center_id) == 0

"""Demo recovery after the demo school incident ("Riverton High School shooting"): a
family assistance center where the Alvarez family registers, is assessed, referred to
counselling and to compensation with the outcomes recorded and reminded before the
anniversary; the Riverton Strong Fund with a draft protocol for comment, the final one,
claims checked against the incident's lists, payments and a public report naming no
one; and the resiliency center's directory, events, needs and offers.

Everything is done through the services as Hill County Victim Services' staff
(hcvs.supervisor, hcvs.advocate), so it passes the same policy and audit as the pages.
Two things a demo cannot wait for are simulated and say so: the fund's comment period
is taken as over when the final protocol is published, and the reminders run as the
scheduler would two weeks before the anniversary.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform.actor import Actor, command_line, for_user
from vigil.platform.models import Agency, User
from vigil.platform.types import utcnow
from vigil.recovery import (
    assistance,
    community,
    dates,
    fund_report,
    funds,
    incident_records,
    needs,
    referrals,
    statistics,
)
from vigil.recovery.assistance import RegistrationInput
from vigil.recovery.funds import TierSpec

INCIDENT_NAME = "Riverton High School shooting"
TIERS = [
    TierSpec("killed", "Killed", "killed", "10"),
    TierSpec("hospital-1-7", "Hospitalised 1 to 7 nights", "hospitalised", "3", 1, 7),
    TierSpec("hospital-8", "Hospitalised 8 nights or more", "hospitalised", "5", 8, None),
    TierSpec("injured", "Injured, treated without admission", "injured", "1"),
    TierSpec("present", "Present and psychologically harmed", "present", "0.25"),
]
FUND_CENTS = 2_500_000_00
# Rows the demo's claims rest on, by list kind: the response demo's where it has them.
NEEDED = {"medical_examiner": 2, "hospital": 2, "roster": 2}


@dataclass(frozen=True)
class DemoRecovery:
    center_id: int
    case_id: int
    fund_id: int
    reminders: int
    paid_cents: int


def _staff(db: Session, username: str) -> Actor | None:
    user = db.execute(select(User).where(User.username == username)).scalar_one_or_none()
    return for_user(user) if user is not None else None


def _incident(db: Session, shell: Actor) -> int:
    found = incident_records.find_incident(db, INCIDENT_NAME)
    if found is not None:
        return found
    from vigil.response.reunification import create_incident

    lead = (
        db.execute(
            select(Agency.id).where(Agency.name == "Riverton Police Department")
        ).scalar_one_or_none()
        or db.execute(select(Agency.id).order_by(Agency.id)).scalars().first()
    )
    incident = create_incident(
        db,
        actor=shell,
        name=INCIDENT_NAME,
        kind="school_shooting",
        place="Riverton High School",
        started_at=utcnow() - timedelta(days=10),
        lead_agency_id=int(lead or 0),
        agencies={},
    )
    return incident.id


def _rows(db: Session, shell: Actor, incident_id: int) -> dict[str, list[str]]:
    """Row ids on the incident's lists for the claims; missing ones are added as a small
    synthetic list of the demo (ids only matter here)."""
    from vigil.response.match_files import LIST_COLUMNS
    from vigil.response.reunification import upload_list

    found = {
        kind: incident_records.row_ids_on(db, incident_id=incident_id, list_kind=kind, limit=n)
        for kind, n in NEEDED.items()
    }
    missing = [
        (kind, f"vs-{kind}-{index}")
        for kind, n in NEEDED.items()
        for index in range(len(found[kind]) + 1, n + 1)
    ]
    if missing:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(LIST_COLUMNS))
        writer.writeheader()
        for position, (kind, row_id) in enumerate(missing):
            writer.writerow(
                {
                    "id": row_id,
                    "list": kind,
                    "full_name": f"Synthetic Student {chr(65 + position)}",
                    "dob": "",
                    "age": "16",
                    "sex": "",
                    "description": "",
                }
            )
            found[kind].append(row_id)
        upload_list(
            db,
            actor=shell,
            incident_id=incident_id,
            data=out.getvalue().encode(),
            source_name="victim-services-demo.csv",
            today=utcnow().date(),
        )
    return found


def seed_recovery(db: Session) -> DemoRecovery | None:
    """The demo's recovery story; None when the demo has no victim-services staff."""
    supervisor = _staff(db, "hcvs.supervisor")
    advocate = _staff(db, "hcvs.advocate")
    if supervisor is None or advocate is None:
        return None
    shell = command_line("demo")
    today = utcnow().date()
    incident_id = _incident(db, shell)
    rows = _rows(db, shell, incident_id)

    # The family assistance center.
    center = assistance.open_center(
        db,
        actor=supervisor,
        incident_id=incident_id,
        name="Riverton Family Assistance Center",
        place="Riverton Community Center, 400 Elm Street",
    )
    for kind, provider, languages in (
        ("interpreter", "Hill County Language Line", "Spanish, Vietnamese"),
        ("counselling", "Riverton Trauma Counselling", "English, Spanish"),
        ("spiritual_care", "Riverton Interfaith Council", "English"),
        ("legal", "Hill County Legal Aid", "English, Spanish"),
        ("financial", "Columbia Crime Victim Compensation Program", "English"),
        ("travel_and_lodging", "Red Cross Hill County", "English"),
    ):
        assistance.add_service(
            db,
            actor=advocate,
            center_id=center.id,
            kind=kind,
            provider_name=provider,
            languages=languages,
            hours="08:00-20:00",
        )
    family = assistance.register(
        db,
        actor=advocate,
        center_id=center.id,
        data=RegistrationInput(
            kind="family",
            display_name="Alvarez family",
            people_count=4,
            preferred_language="Spanish",
            contact="Synthetic contact: 555-0142",
            reunification_record=rows["hospital"][0],
        ),
    )
    assistance.register(
        db,
        actor=advocate,
        center_id=center.id,
        data=RegistrationInput("family", "Tran family", 3, "Vietnamese"),
    )
    briefing = assistance.schedule_briefing(
        db,
        actor=advocate,
        center_id=center.id,
        scheduled_at=datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10),
        topic="Update from unified command and the hospitals",
        presenter="Hill County Emergency Management",
    )
    assistance.record_attendance(
        db, actor=advocate, briefing_id=briefing.id, registration_id=family.id, attendees=3
    )
    assistance.log_visit(
        db,
        actor=advocate,
        registration_id=family.id,
        services=["interpreter", "counselling", "travel_and_lodging"],
    )

    # The family's long-term case: assessed, referred, outcomes, the anniversary.
    case = assistance.open_case_for(db, actor=advocate, registration_id=family.id)
    needs.record_assessment(
        db,
        actor=advocate,
        case_id=case.id,
        scores={
            "safety": 3,
            "emotional_wellbeing": 1,
            "physical_health": 2,
            "housing": 4,
            "income": 2,
            "employment_or_school": 2,
            "legal": 3,
            "family_and_children": 2,
            "transportation": 3,
            "language_access": 2,
        },
    )
    counselling = referrals.refer(
        db,
        actor=advocate,
        case_id=case.id,
        service_kind="counselling",
        provider_name="Riverton Trauma Counselling",
    )
    for step in ("accepted", "in_service"):
        referrals.record_outcome(
            db, actor=advocate, case_id=case.id, referral_id=counselling.id, status=step
        )
    compensation = referrals.refer(
        db,
        actor=advocate,
        case_id=case.id,
        service_kind="compensation",
        provider_name="Columbia Crime Victim Compensation Program",
    )
    for step in ("accepted", "in_service", "completed"):
        referrals.record_outcome(
            db,
            actor=advocate,
            case_id=case.id,
            referral_id=compensation.id,
            status=step,
            note="Medical bills and lost wages claim paid" if step == "completed" else None,
        )
    started = incident_records.incident_started(db, incident_id) or utcnow()
    anniversary = dates.add_date(
        db,
        actor=advocate,
        case_id=case.id,
        kind="anniversary",
        label="Anniversary of the shooting",
        on_date=started.date(),
        yearly=True,
        remind_days_before=14,
    )
    next_one = dates.next_occurrence(anniversary.on_date, True, today + timedelta(days=1))
    reminders = 0
    if next_one is not None:
        # The scheduler, as it runs two weeks before the anniversary.
        moment = datetime.combine(next_one - timedelta(days=14), datetime.min.time(), tzinfo=UTC)
        reminders = dates.send_due_reminders(db, actor=shell, now=moment)

    # The Riverton Strong Fund.
    fund = funds.create_fund(
        db, actor=supervisor, incident_id=incident_id, name="Riverton Strong Fund"
    )
    comment_until = today + timedelta(days=14)
    funds.publish_protocol(
        db,
        actor=supervisor,
        fund_id=fund.id,
        stage="draft",
        fund_cents=FUND_CENTS,
        tiers=TIERS,
        comment_until=comment_until,
    )
    funds.record_comment(
        db,
        actor=advocate,
        fund_id=fund.id,
        commenter="A parent, at the town meeting",
        body="Count the nights in hospital from admission, including transfers.",
    )
    funds.publish_protocol(
        db,
        actor=supervisor,
        fund_id=fund.id,
        stage="final",
        fund_cents=FUND_CENTS,
        tiers=TIERS,
        today=comment_until + timedelta(days=1),  # the comment period, taken as over
    )
    claims = [
        ("Alvarez family (for their daughter)", "hospitalised", 5, rows["hospital"][0], case.id),
        ("Estate of a student", "killed", None, rows["medical_examiner"][0], None),
        ("Estate of a teacher", "killed", None, rows["medical_examiner"][1], None),
        ("A student", "hospitalised", 12, rows["hospital"][1], None),
        ("A student", "present", None, rows["roster"][0], None),
        ("A student", "present", None, rows["roster"][1], None),
    ]
    for name, harm, nights, record, case_id in claims:
        claim = funds.submit_claim(
            db,
            actor=advocate,
            fund_id=fund.id,
            claimant_name=name,
            harm=harm,
            nights=nights,
            evidence_record=record,
            survivor_case_id=case_id,
        )
        funds.decide_claim(db, actor=supervisor, claim_id=claim.id, approve=True)
    # One claim the incident's records do not support, refused with its reason.
    refused = funds.submit_claim(
        db,
        actor=advocate,
        fund_id=fund.id,
        claimant_name="A claimant not on the lists",
        harm="killed",
        evidence_record=rows["roster"][0],
    )
    funds.decide_claim(
        db,
        actor=supervisor,
        claim_id=refused.id,
        approve=False,
        reason="Not on the medical examiner's list of this incident.",
    )
    funds.calculate(db, actor=supervisor, fund_id=fund.id)
    paid = 0
    for payment, claim in funds.payments(db, actor=supervisor, fund_id=fund.id):
        if claim.survivor_case_id == case.id:
            funds.record_payment(
                db,
                actor=supervisor,
                payment_id=payment.id,
                paid_on=today,
                reference="Demo transfer 0001",
            )
            paid = payment.amount_cents
    fund_report.public_report(db, actor=shell, fund_id=fund.id)
    statistics.service_statistics(db, actor=shell)

    # The resiliency center.
    for name, kind, capacity, languages in (
        ("Riverton Trauma Counselling", "mental_health", 14, "English, Spanish"),
        ("Hill County Behavioral Health", "mental_health", 30, "English, Vietnamese"),
        ("Riverton Interfaith Council", "spiritual_care", 20, "English, Spanish"),
        ("Hill County Legal Aid", "legal", 6, "English, Spanish"),
    ):
        community.add_provider(
            db, actor=advocate, name=name, kind=kind, capacity=capacity, languages=languages
        )
    community.add_event(
        db,
        actor=advocate,
        kind="event",
        title="Community gathering and remembrance",
        starts_at=datetime.combine(today + timedelta(days=7), datetime.min.time(), tzinfo=UTC)
        + timedelta(hours=18),
        place="Riverton Town Square",
    )
    community.add_event(
        db,
        actor=advocate,
        kind="service",
        title="Drop-in group for parents",
        starts_at=datetime.combine(today + timedelta(days=3), datetime.min.time(), tzinfo=UTC)
        + timedelta(hours=17),
        place="Riverton Community Center, Room 2",
    )
    community.add_need(
        db, actor=advocate, kind="meals", description="Evening meals for families", quantity=20
    )
    community.add_need(
        db,
        actor=advocate,
        kind="interpreter",
        description="Interpreting at the family briefings",
        quantity=1,
        language="Vietnamese",
    )
    community.add_offer(
        db,
        actor=advocate,
        offer_kind="in_kind",
        kind="meals",
        offered_by="Elm St. Diner",
        quantity=12,
    )
    community.add_offer(
        db,
        actor=advocate,
        offer_kind="volunteer",
        kind="interpreter",
        offered_by="A volunteer from the Vietnamese community association",
        quantity=1,
        languages="Vietnamese, English",
    )
    community.match_offers(db, actor=advocate)
    return DemoRecovery(center.id, case.id, fund.id, reminders, paid)

"""Working a survivor case on both databases: caseloads, referrals to a closed-loop
outcome, dates that matter and their reminders, the survivor's export, the purge."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.recovery.factories import People, make_people, open_case
from vigil.platform.actor import command_line
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import AuditEvent, Notification
from vigil.platform.policy import PermissionDenied
from vigil.platform.types import utcnow
from vigil.recovery import cases, consents, dates, export, referrals
from vigil.recovery.dates import next_occurrence
from vigil.recovery.models import Consent, ImportantDate, Referral, ReferralEvent, SurvivorCase

CLI = command_line("operator")


@pytest.fixture()
def people(db: Session) -> People:
    return make_people(db)


def test_caseloads_of_an_advocate_and_a_supervisor(db: Session, people: People) -> None:
    mine = [open_case(db, people, display_name=f"Survivor {i}") for i in range(3)]
    theirs = cases.open_case(
        db, actor=people.actor(people.colleague), kind="survivor", display_name="Other"
    )
    advocate = cases.caseload(db, actor=people.actor(people.advocate))
    assert [row.id for row in advocate.rows] == [c.id for c in reversed(mine)]
    assert advocate.total == 3
    supervisor = cases.caseload(db, actor=people.actor(people.supervisor), page_size=2)
    assert supervisor.total == 4 and supervisor.pages == 2 and len(supervisor.rows) == 2
    only = cases.caseload(
        db, actor=people.actor(people.supervisor), advocate_user_id=people.colleague.id
    )
    assert [row.id for row in only.rows] == [theirs.id]
    # The supervisor reassigns; the new advocate sees it, the old one no longer does.
    cases.assign_advocate(
        db,
        actor=people.actor(people.supervisor),
        case_id=mine[0].id,
        advocate_user_id=people.colleague.id,
    )
    with pytest.raises(NotFound):
        cases.get_case(db, actor=people.actor(people.advocate), case_id=mine[0].id)
    assert cases.get_case(db, actor=people.actor(people.colleague), case_id=mine[0].id)
    with pytest.raises(PermissionDenied):  # advocates do not reassign
        cases.assign_advocate(
            db,
            actor=people.actor(people.colleague),
            case_id=mine[0].id,
            advocate_user_id=people.advocate.id,
        )
    with pytest.raises(InvalidInput):  # nor to someone outside the provider
        cases.assign_advocate(
            db,
            actor=people.actor(people.supervisor),
            case_id=mine[0].id,
            advocate_user_id=people.outsiders["police:supervisor"].id,
        )
    with pytest.raises(InvalidInput):
        cases.caseload(db, actor=people.actor(people.advocate), status="lost")
    listed = (
        db.execute(select(AuditEvent).where(AuditEvent.action == "survivor_case.list"))
        .scalars()
        .all()
    )
    assert listed and "Survivor" not in json.dumps([e.details for e in listed])


def test_a_referral_is_tracked_to_its_outcome(db: Session, people: People) -> None:
    case = open_case(db, people)
    advocate = people.actor(people.advocate)
    counselling = referrals.refer(
        db,
        actor=advocate,
        case_id=case.id,
        service_kind="counselling",
        provider_name="Valley Counselling",
    )
    compensation = referrals.refer(
        db,
        actor=advocate,
        case_id=case.id,
        service_kind="compensation",
        provider_name="State Victim Compensation Program",
    )
    for status in ("accepted", "in_service", "completed"):
        referrals.record_outcome(
            db, actor=advocate, case_id=case.id, referral_id=counselling.id, status=status
        )
    referrals.record_outcome(
        db, actor=advocate, case_id=case.id, referral_id=compensation.id, status="unable_to_reach"
    )
    assert counselling.status == "completed" and counselling.closed_at is not None
    assert compensation.status == "unable_to_reach"
    assert case.first_service_at is not None
    history = referrals.referral_history(
        db, actor=advocate, case_id=case.id, referral_id=counselling.id
    )
    assert [(e.from_status, e.to_status) for e in history] == [
        (None, "referred"),
        ("referred", "accepted"),
        ("accepted", "in_service"),
        ("in_service", "completed"),
    ]
    with pytest.raises(InvalidInput, match="can next be: none"):
        referrals.record_outcome(
            db, actor=advocate, case_id=case.id, referral_id=counselling.id, status="accepted"
        )
    fresh = referrals.refer(
        db, actor=advocate, case_id=case.id, service_kind="legal", provider_name="Legal Aid"
    )
    with pytest.raises(InvalidInput, match="can next be"):
        referrals.record_outcome(
            db, actor=advocate, case_id=case.id, referral_id=fresh.id, status="completed"
        )
    with pytest.raises(InvalidInput) as problem:
        referrals.refer(
            db,
            actor=advocate,
            case_id=case.id,
            service_kind="magic",
            provider_name="x",
            referred_on=utcnow().date() + timedelta(days=3),
        )
    assert set(problem.value.errors) == {"service_kind", "provider_name", "referred_on"}
    # Another case's referral cannot be reached through this one.
    other = open_case(db, people, display_name="Another family")
    with pytest.raises(NotFound):
        referrals.record_outcome(
            db, actor=advocate, case_id=other.id, referral_id=fresh.id, status="accepted"
        )


def test_next_occurrence_of_yearly_and_one_off_dates() -> None:
    assert next_occurrence(date(2025, 3, 14), True, date(2026, 3, 1)) == date(2026, 3, 14)
    assert next_occurrence(date(2025, 3, 14), True, date(2026, 3, 15)) == date(2027, 3, 14)
    assert next_occurrence(date(2024, 2, 29), True, date(2025, 2, 1)) == date(2025, 2, 28)
    assert next_occurrence(date(2026, 5, 1), False, date(2026, 5, 2)) is None
    assert next_occurrence(date(2026, 5, 1), False, date(2026, 4, 2)) == date(2026, 5, 1)


def test_reminders_before_the_dates_that_matter_are_sent_once(db: Session, people: People) -> None:
    case = open_case(db, people)
    advocate = people.actor(people.advocate)
    anniversary = dates.add_date(
        db,
        actor=advocate,
        case_id=case.id,
        kind="anniversary",
        label="First anniversary",
        on_date=date(2025, 3, 14),
        yearly=True,
        remind_days_before=7,
    )
    court = dates.add_date(
        db,
        actor=advocate,
        case_id=case.id,
        kind="court_date",
        label="Sentencing hearing",
        on_date=date(2026, 3, 20),
        remind_days_before=3,
    )
    early = datetime(2026, 3, 6, 9, tzinfo=UTC)
    assert dates.send_due_reminders(db, actor=CLI, now=early) == 0
    week_before = datetime(2026, 3, 7, 9, tzinfo=UTC)
    assert dates.send_due_reminders(db, actor=CLI, now=week_before) == 1
    assert dates.send_due_reminders(db, actor=CLI, now=week_before + timedelta(hours=5)) == 0
    assert dates.send_due_reminders(db, actor=CLI, now=datetime(2026, 3, 17, tzinfo=UTC)) == 1
    notes = (
        db.execute(
            select(Notification)
            .where(Notification.user_id == people.advocate.id)
            .order_by(Notification.id)
        )
        .scalars()
        .all()
    )
    assert [n.subject for n in notes] == [
        f"Case {case.number}: anniversary on 2026-03-14",
        f"Case {case.number}: court date on 2026-03-20",
    ]
    assert all("Rivera" not in n.subject and "Sentencing" not in n.subject for n in notes)
    # Next year the anniversary comes round again.
    assert dates.send_due_reminders(db, actor=CLI, now=datetime(2027, 3, 10, tzinfo=UTC)) == 1
    with pytest.raises(PermissionDenied):
        dates.send_due_reminders(db, actor=advocate)
    assert anniversary.id != court.id
    with pytest.raises(InvalidInput):
        dates.add_date(
            db,
            actor=advocate,
            case_id=case.id,
            kind="birthday",
            label="",
            on_date=date(2026, 1, 1),
            remind_days_before=400,
        )


def test_the_survivor_export_holds_everything_about_them(db: Session, people: People) -> None:
    case = open_case(db, people)
    advocate = people.actor(people.advocate)
    referral = referrals.refer(
        db,
        actor=advocate,
        case_id=case.id,
        service_kind="counselling",
        provider_name="Valley Counselling",
    )
    referrals.record_outcome(
        db, actor=advocate, case_id=case.id, referral_id=referral.id, status="accepted"
    )
    dates.add_date(
        db,
        actor=advocate,
        case_id=case.id,
        kind="court_date",
        label="Trial opens",
        on_date=date(2027, 1, 11),
    )
    today = utcnow().date()
    consent = consents.record_consent(
        db,
        actor=advocate,
        case_id=case.id,
        recipient_agency_id=people.police.id,
        purpose="victim_witness_notification",
        written_on_file=True,
        document_reference="Form 7",
        signed_on=today,
        expires_on=today + timedelta(days=90),
    )
    consents.disclose_case(
        db,
        actor=people.actor(people.outsiders["police:supervisor"]),
        case_id=case.id,
        purpose="victim_witness_notification",
    )
    consents.revoke_consent(db, actor=advocate, case_id=case.id, consent_id=consent.id)
    document = export.export_case(db, actor=people.actor(people.supervisor), case_id=case.id)
    json.dumps(document)  # JSON-ready
    assert document["case"]["display_name"] == "Rivera family"
    assert document["case"]["notes"].startswith("Daughter")
    assert document["case"]["provider"] == people.provider.name
    assert document["consents"][0]["recipient"] == people.police.name
    assert document["consents"][0]["revoked_at"] is not None
    assert document["disclosures"] == [
        {
            "purpose": "victim_witness_notification",
            "at": document["disclosures"][0]["at"],
            "recipient": people.police.name,
        }
    ]
    assert [h["to_status"] for h in document["referrals"][0]["history"]] == ["referred", "accepted"]
    assert document["dates"][0]["label"] == "Trial opens"
    actions = [entry["action"] for entry in document["access_log"]]
    assert actions[0] == "survivor_case.open" and "survivor_case.disclose" in actions
    with pytest.raises(NotFound):
        export.export_case(db, actor=people.actor(people.colleague), case_id=case.id)


def test_closed_cases_are_purged_after_their_retention_with_everything_on_them(
    db: Session, people: People
) -> None:
    kept = open_case(db, people, display_name="Still open")
    gone = open_case(db, people, display_name="Closed long ago")
    advocate = people.actor(people.advocate)
    referral = referrals.refer(
        db, actor=advocate, case_id=gone.id, service_kind="housing", provider_name="Housing Now"
    )
    referrals.record_outcome(
        db, actor=advocate, case_id=gone.id, referral_id=referral.id, status="declined"
    )
    dates.add_date(
        db,
        actor=advocate,
        case_id=gone.id,
        kind="follow_up",
        label="Call back",
        on_date=date(2026, 1, 5),
    )
    today = utcnow().date()
    consents.record_consent(
        db,
        actor=advocate,
        case_id=gone.id,
        recipient_agency_id=people.other_provider.id,
        purpose="service_coordination",
        written_on_file=True,
        document_reference="Form 9",
        signed_on=today,
        expires_on=today + timedelta(days=30),
    )
    closed = cases.close_case(db, actor=people.actor(people.supervisor), case_id=gone.id)
    with pytest.raises(Conflict):
        cases.close_case(db, actor=people.actor(people.supervisor), case_id=gone.id)
    assert closed.retain_until is not None
    with pytest.raises(PermissionDenied):
        export.purge_expired(db, actor=people.actor(people.supervisor))
    assert export.purge_expired(db, actor=CLI, today=closed.retain_until) == []
    assert export.purge_expired(db, actor=CLI, today=closed.retain_until + timedelta(days=1)) == [
        gone.id
    ]
    for model in (Referral, ReferralEvent, ImportantDate, Consent):
        assert db.execute(select(func.count()).select_from(model)).scalar_one() == 0, model
    assert db.execute(select(SurvivorCase.id)).scalars().all() == [kept.id]
    purge = db.execute(
        select(AuditEvent).where(AuditEvent.action == "survivor_case.purge")
    ).scalar_one()
    assert purge.object_id == str(gone.id) and purge.details == {"reason": "retention period ended"}


def test_needs_are_assessed_over_time_and_planned_for(db: Session, people: People) -> None:
    from vigil.recovery import needs

    case = open_case(db, people)
    advocate = people.actor(people.advocate)
    first = needs.record_assessment(
        db,
        actor=advocate,
        case_id=case.id,
        scores={"safety": 2, "housing": 1, "legal": None},
        assessed_on=date(2026, 1, 10),
    )
    again = needs.record_assessment(
        db, actor=advocate, case_id=case.id, scores={"safety": 4, "housing": 1}
    )
    assert first.scores == {"safety": 2, "housing": 1} and first.instrument_version == 1
    assert [a.id for a in needs.list_assessments(db, actor=advocate, case_id=case.id)] == [
        again.id,
        first.id,
    ]
    assert needs.changes(again.scores, first.scores) == {"safety": 2, "housing": 0}
    with pytest.raises(InvalidInput) as problem:
        needs.record_assessment(
            db, actor=advocate, case_id=case.id, scores={"safety": 9, "horoscope": 3}
        )
    assert set(problem.value.errors) == {"safety", "horoscope"}
    with pytest.raises(InvalidInput, match="at least one"):
        needs.record_assessment(db, actor=advocate, case_id=case.id, scores={"safety": None})
    item = needs.add_plan_item(
        db, actor=advocate, case_id=case.id, need="housing", goal="A lease", service_kind="housing"
    )
    needs.set_plan_status(db, actor=advocate, case_id=case.id, plan_item_id=item.id, status="met")
    assert [(i.need, i.status) for i in needs.list_plan(db, actor=advocate, case_id=case.id)] == [
        ("housing", "met")
    ]
    with pytest.raises(InvalidInput):
        needs.add_plan_item(
            db, actor=advocate, case_id=case.id, need="x", goal="", service_kind="y"
        )
    police = people.actor(people.outsiders["police:supervisor"])
    with pytest.raises(NotFound):
        needs.list_assessments(db, actor=police, case_id=case.id)
    exported = export.export_case(db, actor=advocate, case_id=case.id)
    assert [a["scores"] for a in exported["needs_assessments"]] == [
        {"safety": 2, "housing": 1},
        {"safety": 4, "housing": 1},
    ]
    assert exported["service_plan"][0]["status"] == "met"


def test_a_case_links_the_incident_the_survivor_was_harmed_in(db: Session, people: People) -> None:
    from vigil.response.models import Incident

    incident = Incident(
        name="Riverton High School shooting",
        kind="school",
        place="Riverton",
        started_at=utcnow(),
        lead_agency_id=people.police.id,
    )
    db.add(incident)
    db.flush()
    case = open_case(db, people, incident_id=incident.id)
    assert case.incident_id == incident.id
    with pytest.raises(InvalidInput) as problem:
        open_case(db, people, incident_id=incident.id + 1000)
    assert set(problem.value.errors) == {"incident_id"}
    # The refused insert was rolled back to its savepoint; the session goes on.
    assert [row.id for row in cases.caseload(db, actor=people.actor(people.advocate)).rows] == [
        case.id
    ]
    assert (
        export.export_case(db, actor=people.actor(people.advocate), case_id=case.id)["case"][
            "incident_id"
        ]
        == incident.id
    )

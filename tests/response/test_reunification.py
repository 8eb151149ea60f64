"""Incidents, list and inquiry uploads (all rows checked, nothing half-stored), the
matching queue staff confirm from, and the regime, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from vigil.platform.actor import command_line
from vigil.platform.errors import InvalidInput
from vigil.platform.models import Agency, AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import AgencyKind, Role
from vigil.response import synthetic
from vigil.response.match_files import INQUIRY_COLUMNS, LIST_COLUMNS
from vigil.response.models import Incident, InquiryCandidate, ListedPerson
from vigil.response.reunification import (
    add_inquiries,
    create_incident,
    match_incident,
    review_queue,
    status_counts,
    upload_list,
)

TODAY = date(2026, 11, 26)
SHELL = command_line("operator")


def as_csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def open_incident(db: Session) -> tuple[Incident, int, int]:
    police, hospital = make_agency(db), make_agency(db, kind=AgencyKind.PUBLIC_OR_MENTAL_HEALTH)
    incident = create_incident(
        db,
        actor=SHELL,
        name="Lincoln High",
        kind="school_shooting",
        place="Lincoln High",
        started_at=datetime(2026, 11, 25, 14, tzinfo=UTC),
        lead_agency_id=police.id,
        agencies={hospital.id: "hospital"},
    )
    return incident, police.id, hospital.id


def test_lists_and_inquiries_feed_a_queue_of_candidates(db: Session) -> None:
    incident, _, _ = open_incident(db)
    data = synthetic.generate(people=600, inquiries=150, seed=4, today=TODAY)
    stored = upload_list(
        db,
        actor=SHELL,
        incident_id=incident.id,
        data=as_csv(LIST_COLUMNS, data.list_rows),
        source_name="l.csv",
        today=TODAY,
    )
    assert stored.stored == len(data.list_rows) and not stored.problems
    asked = add_inquiries(
        db,
        actor=SHELL,
        incident_id=incident.id,
        data=as_csv(INQUIRY_COLUMNS, data.inquiry_rows),
        source_name="q.csv",
        today=TODAY,
    )
    assert asked.stored == 150
    queued = match_incident(db, actor=SHELL, incident_id=incident.id, today=TODAY)
    queue = review_queue(db, actor=SHELL, incident_id=incident.id)
    assert len(queue) == queued > 0
    likely = {q.inquiry_reference: q.row_id for q in queue if q.likely}
    right = sum(1 for ref, row in likely.items() if row in data.truth[ref])
    assert likely and right / len(likely) >= 0.95
    assert queue[0].likely  # likely candidates first
    counts = status_counts(db, actor=SHELL, incident_id=incident.id)
    assert counts["unaccounted"] > 0 and counts["at_hospital"] > 0
    # A confirmed candidate is kept as staff left it when matching runs again.
    db.execute(
        update(InquiryCandidate)
        .where(InquiryCandidate.likely)
        .values(confirmed_at=datetime.now(UTC))
    )
    confirmed = db.execute(
        select(func.count()).where(InquiryCandidate.confirmed_at.is_not(None))
    ).scalar_one()
    match_incident(db, actor=SHELL, incident_id=incident.id, today=TODAY)
    assert (
        db.execute(
            select(func.count()).where(InquiryCandidate.confirmed_at.is_not(None))
        ).scalar_one()
        == confirmed
    )
    assert all(
        not q.likely
        for q in review_queue(db, actor=SHELL, incident_id=incident.id)
        if q.inquiry_reference in likely and q.row_id == likely[q.inquiry_reference]
    )
    details = [str(d) for (d,) in db.execute(select(AuditEvent.details)).all()]
    assert not any(
        r["full_name"] and r["full_name"] in " ".join(details) for r in data.list_rows[:50]
    )


def test_every_bad_row_is_reported_and_nothing_is_stored(db: Session) -> None:
    incident, _, _ = open_incident(db)
    rows = [
        {
            "id": "a1",
            "list": "roster",
            "full_name": "SMITH, JO",
            "dob": "2010-02-30",
            "age": "",
            "sex": "F",
            "description": "",
        },
        {
            "id": "a2",
            "list": "morgue",
            "full_name": "X",
            "dob": "",
            "age": "300",
            "sex": "Q",
            "description": "",
        },
        {
            "id": "a1",
            "list": "roster",
            "full_name": "Y",
            "dob": "",
            "age": "",
            "sex": "",
            "description": "",
        },
        {
            "id": "a3",
            "list": "hospital",
            "full_name": "Unknown Male",
            "dob": "",
            "age": "about 20",
            "sex": "M",
            "description": "red hoodie",
        },
    ]
    result = upload_list(
        db,
        actor=SHELL,
        incident_id=incident.id,
        data=as_csv(LIST_COLUMNS, rows),
        source_name="l.csv",
        today=TODAY,
    )
    report = {p.line: p.problems for p in result.problems}
    assert set(report) == {2, 3, 4}
    assert any("not a calendar date" in p for p in report[2])
    assert len(report[3]) == 3  # unknown list, impossible age, unknown sex: all named
    assert any("repeats line 2" in p for p in report[4])
    assert db.execute(select(func.count()).select_from(ListedPerson)).scalar_one() == 0
    # Ids already used in the incident are reported too.
    upload_list(
        db,
        actor=SHELL,
        incident_id=incident.id,
        data=as_csv(LIST_COLUMNS, rows[3:]),
        source_name="ok.csv",
        today=TODAY,
    )
    again = upload_list(
        db,
        actor=SHELL,
        incident_id=incident.id,
        data=as_csv(LIST_COLUMNS, rows[3:]),
        source_name="ok.csv",
        today=TODAY,
    )
    assert "already on a list of this incident" in str(again.problems[0])
    wrong = upload_list(
        db,
        actor=SHELL,
        incident_id=incident.id,
        data=b"id,name\n1,x\n",
        source_name="w.csv",
        today=TODAY,
    )
    assert wrong.file_problem and "wrong header" in wrong.file_problem
    mixed = upload_list(
        db,
        actor=SHELL,
        incident_id=incident.id,
        data=as_csv(LIST_COLUMNS, rows[3:]) + "9,roster,MU\xd1OZ,,,,\n".encode("latin-1"),
        source_name="m.csv",
        today=TODAY,
    )
    assert mixed.file_problem and "not UTF-8" in mixed.file_problem


def test_a_hundred_thousand_rows_get_a_report_not_a_half_import(db: Session) -> None:
    incident, _, _ = open_incident(db)
    rows = [
        {
            "id": f"r{i}",
            "list": "attendees",
            "full_name": f"Person {i}",
            "dob": "",
            "age": "30",
            "sex": "",
            "description": "",
        }
        for i in range(100_000)
    ]
    rows[99_999]["dob"] = "2031-01-01"
    result = upload_list(
        db,
        actor=SHELL,
        incident_id=incident.id,
        data=as_csv(LIST_COLUMNS, rows),
        source_name="big.csv",
        today=TODAY,
    )
    assert [p.line for p in result.problems] == [100_001]
    assert db.execute(select(func.count()).select_from(ListedPerson)).scalar_one() == 0


def test_only_response_staff_of_the_agencies_involved(db: Session) -> None:
    incident, police_id, hospital_id = open_incident(db)
    nurse = actor_for(
        make_user(db, agency=db.get_one(Agency, hospital_id), roles={Role.SUPERVISOR})
    )
    body = as_csv(
        LIST_COLUMNS,
        [
            {
                "id": "h1",
                "list": "hospital",
                "full_name": "Doe, John",
                "dob": "",
                "age": "40",
                "sex": "M",
                "description": "",
            }
        ],
    )
    assert (
        upload_list(
            db, actor=nurse, incident_id=incident.id, data=body, source_name="h.csv", today=TODAY
        ).stored
        == 1
    )
    for refused in (
        make_user(db, agency=db.get_one(Agency, hospital_id), roles={Role.ANALYST}),
        make_user(db, agency=make_agency(db), roles={Role.SUPERVISOR}),
        make_user(db, agency=db.get_one(Agency, police_id), roles={Role.THREAT_ASSESSMENT}),
    ):
        with pytest.raises(PermissionDenied):
            review_queue(db, actor=actor_for(refused), incident_id=incident.id)
    with pytest.raises(PermissionDenied):
        create_incident(
            db,
            actor=nurse,
            name="x",
            kind="x",
            place="x",
            started_at=datetime.now(UTC),
            lead_agency_id=hospital_id,
            agencies={},
        )
    with pytest.raises(InvalidInput):
        create_incident(
            db,
            actor=SHELL,
            name="",
            kind="x",
            place="x",
            started_at=datetime.now(UTC),
            lead_agency_id=hospital_id,
            agencies={police_id: "spectator"},
        )


def test_confirming_a_death_queues_an_in_person_notification_never_a_message(
    db: Session,
) -> None:
    from vigil.platform.errors import Conflict, NotFound
    from vigil.response.confirmation import (
        confirm_match,
        pending_notifications,
        record_notification,
    )

    incident, _, hospital_id = open_incident(db)
    rows = [
        {
            "id": "me1",
            "list": "medical_examiner",
            "full_name": "GARCIA, ANA",
            "dob": "2009-04-02",
            "age": "",
            "sex": "F",
            "description": "",
        },
        {
            "id": "h1",
            "list": "hospital",
            "full_name": "Lee, Sam",
            "dob": "",
            "age": "16",
            "sex": "M",
            "description": "",
        },
    ]
    upload_list(
        db,
        actor=SHELL,
        incident_id=incident.id,
        data=as_csv(LIST_COLUMNS, rows),
        source_name="l.csv",
        today=TODAY,
    )
    asked = [
        {
            "id": "q1",
            "full_name": "Ana Garcia",
            "dob": "04/02/2009",
            "age": "",
            "sex": "F",
            "description": "",
            "relationship": "mother",
        },
        {
            "id": "q2",
            "full_name": "Sammy Lee",
            "dob": "",
            "age": "16",
            "sex": "M",
            "description": "",
            "relationship": "father",
        },
    ]
    add_inquiries(
        db,
        actor=SHELL,
        incident_id=incident.id,
        data=as_csv(INQUIRY_COLUMNS, asked),
        source_name="q.csv",
        today=TODAY,
    )
    match_incident(db, actor=SHELL, incident_id=incident.id, today=TODAY)
    assert status_counts(db, actor=SHELL, incident_id=incident.id) == {
        "deceased_confirmed": 1,
        "at_hospital": 1,
    }
    done = confirm_match(
        db, actor=SHELL, incident_id=incident.id, inquiry_reference="q1", row_id="me1"
    )
    assert done.notification_queued
    alive = confirm_match(
        db, actor=SHELL, incident_id=incident.id, inquiry_reference="q2", row_id="h1"
    )
    assert not alive.notification_queued
    with pytest.raises(Conflict):
        confirm_match(db, actor=SHELL, incident_id=incident.id, inquiry_reference="q2", row_id="h1")
    pending = pending_notifications(db, actor=SHELL, incident_id=incident.id)
    assert [(p.inquiry_reference, p.row_id) for p in pending] == [("q1", "me1")]
    nurse = actor_for(
        make_user(db, agency=db.get_one(Agency, hospital_id), roles={Role.SUPERVISOR})
    )
    record_notification(
        db,
        actor=nurse,
        incident_id=incident.id,
        inquiry_reference="q1",
        notified_by="Chaplain R. Diaz",
    )
    assert pending_notifications(db, actor=SHELL, incident_id=incident.id) == []
    with pytest.raises(NotFound):
        record_notification(
            db, actor=SHELL, incident_id=incident.id, inquiry_reference="q1", notified_by="again"
        )
    analyst = actor_for(make_user(db, agency=db.get_one(Agency, hospital_id), roles={Role.ANALYST}))
    with pytest.raises(PermissionDenied):
        confirm_match(
            db, actor=analyst, incident_id=incident.id, inquiry_reference="q2", row_id="me1"
        )
    events = db.execute(
        select(AuditEvent.action, AuditEvent.details).where(
            AuditEvent.action.like("reunification.%")
        )
    ).all()
    actions = [a for a, _ in events]
    assert "reunification.confirm" in actions and "reunification.notified_in_person" in actions
    assert "Diaz" not in str(events) and "Garcia" not in str(events)


def test_reunification_data_is_deleted_after_the_incident_closes(db: Session) -> None:
    from datetime import timedelta

    from tests.response.pfif_documents import VALID_1_4
    from vigil.platform.errors import Conflict
    from vigil.response.models import Inquiry, ReunificationPerson
    from vigil.response.pfif_exchange import import_document
    from vigil.response.retention import close_incident, purge_closed_incidents

    incident, police_id, hospital_id = open_incident(db)
    other, _, _ = open_incident(db)
    data = synthetic.generate(people=80, inquiries=20, seed=2, today=TODAY)
    for target in (incident, other):
        upload_list(
            db,
            actor=SHELL,
            incident_id=target.id,
            data=as_csv(LIST_COLUMNS, data.list_rows),
            source_name="l.csv",
            today=TODAY,
        )
        add_inquiries(
            db,
            actor=SHELL,
            incident_id=target.id,
            data=as_csv(INQUIRY_COLUMNS, data.inquiry_rows),
            source_name="q.csv",
            today=TODAY,
        )
        match_incident(db, actor=SHELL, incident_id=target.id, today=TODAY)
    import_document(
        db,
        actor=SHELL,
        data=VALID_1_4.encode(),
        incident_id=incident.id,
        now=datetime(2026, 11, 26, tzinfo=UTC),
    )
    closed_on = datetime(2026, 12, 1, tzinfo=UTC)
    nurse = actor_for(
        make_user(db, agency=db.get_one(Agency, hospital_id), roles={Role.SUPERVISOR})
    )
    with pytest.raises(PermissionDenied):  # only the agency in command closes it
        close_incident(db, actor=nurse, incident_id=incident.id, now=closed_on)
    chief = actor_for(make_user(db, agency=db.get_one(Agency, police_id), roles={Role.SUPERVISOR}))
    close_incident(db, actor=chief, incident_id=incident.id, now=closed_on)
    with pytest.raises(Conflict):
        close_incident(db, actor=SHELL, incident_id=incident.id, now=closed_on)
    assert purge_closed_incidents(db, actor=SHELL, now=closed_on + timedelta(days=29)) == []
    (purged,) = purge_closed_incidents(db, actor=SHELL, now=closed_on + timedelta(days=31))
    assert (purged.incident_id, purged.listed, purged.inquiries, purged.pfif_persons) == (
        incident.id,
        len(data.list_rows),
        20,
        1,
    )
    for model in (ListedPerson, Inquiry, InquiryCandidate):
        ids = set(db.execute(select(model.incident_id)).scalars())
        assert ids == {other.id}
    assert db.execute(select(func.count()).select_from(ReunificationPerson)).scalar_one() == 0
    assert db.get_one(Incident, incident.id).name == "Lincoln High"
    assert purge_closed_incidents(db, actor=SHELL, now=closed_on + timedelta(days=40)) == []
    with pytest.raises(PermissionDenied):
        purge_closed_incidents(db, actor=chief, now=closed_on + timedelta(days=40))


def test_outside_the_regime_only_with_a_documented_reason_kept_and_audited(db: Session) -> None:
    from vigil.response.confirmation import read_listed_person
    from vigil.response.models import ReunificationAccess

    incident, police_id, hospital_id = open_incident(db)
    rows = [
        {
            "id": "h1",
            "list": "hospital",
            "full_name": "Lee, Sam",
            "dob": "",
            "age": "16",
            "sex": "M",
            "description": "gunshot wound, left leg",
        }
    ]
    upload_list(
        db,
        actor=SHELL,
        incident_id=incident.id,
        data=as_csv(LIST_COLUMNS, rows),
        source_name="h.csv",
        today=TODAY,
    )
    nurse = actor_for(
        make_user(db, agency=db.get_one(Agency, hospital_id), roles={Role.SUPERVISOR})
    )
    assert read_listed_person(db, actor=nurse, incident_id=incident.id, row_id="h1").status == (
        "at_hospital"
    )
    analyst = actor_for(make_user(db, agency=db.get_one(Agency, police_id), roles={Role.ANALYST}))
    with pytest.raises(PermissionDenied):
        read_listed_person(db, actor=analyst, incident_id=incident.id, row_id="h1")
    with pytest.raises(PermissionDenied):
        read_listed_person(
            db, actor=analyst, incident_id=incident.id, row_id="h1", reason="checking"
        )  # too short to document anything
    reason = "Victim identification for the homicide investigation, case 26-1182."
    seen = read_listed_person(
        db, actor=analyst, incident_id=incident.id, row_id="h1", reason=reason
    )
    assert seen.full_name == "Lee, Sam"
    access = db.execute(select(ReunificationAccess)).scalar_one()
    assert access.reason == reason and access.user_id == analyst.user_id
    outsider = actor_for(make_user(db, agency=make_agency(db), roles={Role.ANALYST}))
    with pytest.raises(PermissionDenied):
        read_listed_person(db, actor=outsider, incident_id=incident.id, row_id="h1", reason=reason)
    reads = db.execute(
        select(AuditEvent.outcome, AuditEvent.details).where(
            AuditEvent.action == "reunification.person_read"
        )
    ).all()
    assert [outcome for outcome, _ in reads] == ["success", "denied", "denied", "success", "denied"]
    assert reads[3][1]["documented_reason_id"] == access.id
    assert "homicide" not in str(reads) and "Lee" not in str(reads)

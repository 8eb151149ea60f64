"""The family assistance center on both databases: opening it, registering families
(linked to their reunification record only where one exists), services, visits,
briefings with attendance, the lead's daily summary, and client lists imported whole
or not at all with a per-row report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.recovery.factories import People, make_people
from tests.recovery.incident_world import open_incident
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.types import utcnow
from vigil.recovery import assistance, cases, client_import
from vigil.recovery.assistance import RegistrationInput
from vigil.recovery.assistance_models import CenterRegistration


@pytest.fixture()
def people(db: Session) -> People:
    return make_people(db)


@pytest.fixture()
def center_id(db: Session, people: People) -> int:
    incident = open_incident(db, people.police)
    center = assistance.open_center(
        db,
        actor=people.actor(people.supervisor),
        incident_id=incident,
        name="Valley Family Assistance Center",
        place="Valley Community College, Hall B",
    )
    return center.id


def _register(db: Session, people: People, center_id: int, **extra: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {"kind": "family", "display_name": "Nguyen family"}
    values.update(extra)
    return assistance.register(
        db,
        actor=people.actor(people.advocate),
        center_id=center_id,
        data=RegistrationInput(**values),  # type: ignore[arg-type]
    )


def test_only_a_supervisor_of_a_provider_opens_a_center(db: Session, people: People) -> None:
    incident = open_incident(db, people.police)
    with pytest.raises(PermissionDenied):
        assistance.open_center(
            db, actor=people.actor(people.advocate), incident_id=incident, name="X", place="Y"
        )
    for user in (people.outsiders["police:supervisor"], people.outsiders["fusion:analyst"]):
        with pytest.raises(NotFound):
            assistance.open_center(
                db, actor=people.actor(user), incident_id=incident, name="X", place="Y"
            )
    with pytest.raises(InvalidInput) as problem:
        assistance.open_center(
            db, actor=people.actor(people.supervisor), incident_id=999_999, name="", place="Y"
        )
    assert set(problem.value.errors) == {"incident_id", "name"}


def test_registration_links_a_reunification_record_only_when_it_exists(
    db: Session, people: People, center_id: int
) -> None:
    linked = _register(db, people, center_id, reunification_record="h1", people_count=4)
    assert linked.reunification_record == "h1"
    assert linked.number.startswith(f"FAC-{center_id}-")
    plain = _register(db, people, center_id, display_name="Okafor family")
    assert plain.reunification_record is None
    with pytest.raises(InvalidInput) as problem:
        _register(db, people, center_id, reunification_record="nobody-42")
    assert "reunification_record" in problem.value.errors
    with pytest.raises(InvalidInput) as problem:
        _register(db, people, center_id, kind="cousin", display_name=" ", people_count=0)
    assert set(problem.value.errors) == {"kind", "display_name", "people_count"}


def test_a_registered_family_gets_a_survivor_case_once(
    db: Session, people: People, center_id: int
) -> None:
    registration = _register(db, people, center_id, preferred_language="Vietnamese")
    case = assistance.open_case_for(
        db, actor=people.actor(people.advocate), registration_id=registration.id
    )
    assert registration.survivor_case_id == case.id
    assert case.preferred_language == "Vietnamese"
    center = assistance.get_center(db, actor=people.actor(people.advocate), center_id=center_id)
    assert case.incident_id == center.incident_id
    with pytest.raises(Conflict):
        assistance.open_case_for(
            db, actor=people.actor(people.advocate), registration_id=registration.id
        )


def test_briefings_attendance_visits_and_the_daily_summary(
    db: Session, people: People, center_id: int
) -> None:
    advocate = people.actor(people.advocate)
    nguyen = _register(db, people, center_id, people_count=3, preferred_language="Vietnamese")
    okafor = _register(db, people, center_id, display_name="Okafor family", people_count=2)
    _register(db, people, center_id, display_name="Diaz family", preferred_language="Spanish")
    assistance.add_service(
        db,
        actor=advocate,
        center_id=center_id,
        kind="interpreter",
        provider_name="County Language Line",
        languages="Spanish, Somali",
    )
    now = utcnow()
    briefing = assistance.schedule_briefing(
        db,
        actor=advocate,
        center_id=center_id,
        scheduled_at=now,
        topic="Identification of the victims",
        presenter="Medical examiner's office",
    )
    assistance.record_attendance(
        db, actor=advocate, briefing_id=briefing.id, registration_id=nguyen.id, attendees=2
    )
    assistance.record_attendance(
        db, actor=advocate, briefing_id=briefing.id, registration_id=okafor.id, attendees=1
    )
    # Recording it again corrects it.
    assistance.record_attendance(
        db, actor=advocate, briefing_id=briefing.id, registration_id=nguyen.id, attendees=3
    )
    assistance.log_visit(
        db, actor=advocate, registration_id=nguyen.id, services=["counselling", "interpreter"]
    )
    assistance.log_visit(db, actor=advocate, registration_id=nguyen.id, services=["legal"])
    assistance.log_visit(db, actor=advocate, registration_id=okafor.id, services=["counselling"])
    with pytest.raises(InvalidInput):
        assistance.log_visit(db, actor=advocate, registration_id=okafor.id, services=["spa"])
    with pytest.raises(InvalidInput):
        assistance.record_attendance(
            db, actor=advocate, briefing_id=briefing.id, registration_id=okafor.id, attendees=-1
        )

    summary = assistance.daily_summary(
        db, actor=people.actor(people.supervisor), center_id=center_id, day=now.date()
    )
    assert (summary.families_registered, summary.people_registered) == (3, 6)
    assert summary.new_registrations == 3
    assert (summary.visits, summary.families_visiting) == (3, 2)
    assert summary.services_used == {"interpreter": 1, "counselling": 2, "legal": 1}
    assert [(b.families, b.people) for b in summary.briefings] == [(2, 4)]
    assert summary.languages_needed == {"Spanish": 1, "Vietnamese": 1}
    # Spanish has an interpreter on offer; Vietnamese does not.
    assert summary.languages_without_interpreter == ["Vietnamese"]
    assert summary.families_without_case == 3
    tomorrow = assistance.daily_summary(
        db,
        actor=people.actor(people.supervisor),
        center_id=center_id,
        day=now.date() + timedelta(days=1),
    )
    assert (tomorrow.visits, tomorrow.new_registrations, tomorrow.briefings) == (0, 0, [])
    view = assistance.view_center(db, actor=advocate, center_id=center_id)
    assert len(view.registrations) == 3
    assert view.briefings[0].people == 4
    assert view.incident_name == "Valley High School shooting"


def test_a_visit_cannot_be_logged_in_the_future(db: Session, people: People, center_id: int):  # type: ignore[no-untyped-def]
    family = _register(db, people, center_id)
    with pytest.raises(InvalidInput):
        assistance.log_visit(
            db,
            actor=people.actor(people.advocate),
            registration_id=family.id,
            services=[],
            visited_at=datetime.now(UTC) + timedelta(days=1),
        )


CLIENTS_OK = (
    "kind,display_name,people_count,preferred_language,reunification_record\n"
    "family,Abebe family,3,Amharic,me1\n"
    "survivor,Jordan Lee,1,,r2\n"
    "family,Hassan family,,Somali,\n"
)


def _count(db: Session, center_id: int) -> int:
    return db.execute(
        select(func.count()).where(CenterRegistration.center_id == center_id)
    ).scalar_one()


def test_a_client_list_imports_whole_with_a_report_row_by_row(
    db: Session, people: People, center_id: int
) -> None:
    report = client_import.import_clients(
        db,
        actor=people.actor(people.advocate),
        center_id=center_id,
        data=("\ufeff" + CLIENTS_OK).encode(),
    )
    assert report.ok and report.imported == 3
    assert [row.row for row in report.rows] == [2, 3, 4]
    assert all(row.number and row.number.startswith("FAC-") for row in report.rows)
    assert _count(db, center_id) == 3


def test_one_bad_row_imports_nothing_and_names_every_problem(
    db: Session, people: People, center_id: int
) -> None:
    bad = CLIENTS_OK + (
        "cousin,Bad kind,2,,\n"  # line 5
        "family,,1,,\n"  # line 6: no name
        "family,Ghost family,two,,nobody-9\n"  # line 7
        "family,Twice family,1,,me1\n"  # line 8: me1 again
    )
    report = client_import.import_clients(
        db, actor=people.actor(people.advocate), center_id=center_id, data=bad.encode()
    )
    assert not report.ok and report.imported == 0
    problems = {row.row: set(row.problems) for row in report.rows if row.problems}
    assert problems == {
        5: {"kind"},
        6: {"display_name"},
        7: {"people_count", "reunification_record"},
        8: {"reunification_record"},
    }
    assert _count(db, center_id) == 0


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"\xff\xfe not utf-8", "UTF-8"),
        (b"name,kind\nx,family\n", "lacks"),
        (b"kind,display_name,secret\nfamily,A,1\n", "Unknown column"),
        (b"kind,display_name\n", "no rows"),
    ],
)
def test_a_bad_file_is_refused_whole(
    db: Session, people: People, center_id: int, data: bytes, says: str
) -> None:
    report = client_import.import_clients(
        db, actor=people.actor(people.advocate), center_id=center_id, data=data
    )
    assert report.file_problem and says in report.file_problem
    assert _count(db, center_id) == 0


def test_the_center_is_audited_without_names(db: Session, people: People, center_id: int):  # type: ignore[no-untyped-def]
    _register(db, people, center_id, display_name="Zebulon Quarry family")
    assistance.view_center(db, actor=people.actor(people.advocate), center_id=center_id)
    events = db.execute(
        select(AuditEvent).where(AuditEvent.object_type == "assistance_center")
    ).scalars()
    texts = [str(event.details) for event in events]
    assert any("registration_id" in text for text in texts)
    assert not any("Zebulon" in text for text in texts)


def test_a_colleague_advocate_works_the_center_but_not_another_provider(
    db: Session, people: People, center_id: int
) -> None:
    assert assistance.list_centers(db, actor=people.actor(people.colleague))
    with pytest.raises(NotFound):
        assistance.get_center(
            db,
            actor=people.actor(people.outsiders["other_provider:supervisor"]),
            center_id=center_id,
        )
    # A case opened here stays the advocate's own.
    registration = _register(db, people, center_id)
    case = assistance.open_case_for(
        db, actor=people.actor(people.colleague), registration_id=registration.id
    )
    assert cases.get_case(db, actor=people.actor(people.colleague), case_id=case.id)


def test_the_purge_of_a_case_unlinks_its_registration(
    db: Session, people: People, center_id: int
) -> None:
    from vigil.platform.actor import command_line
    from vigil.recovery import export

    registration = _register(db, people, center_id)
    case = assistance.open_case_for(
        db, actor=people.actor(people.advocate), registration_id=registration.id
    )
    closed = cases.close_case(db, actor=people.actor(people.supervisor), case_id=case.id)
    assert closed.retain_until is not None
    purged = export.purge_expired(
        db, actor=command_line("tests"), today=closed.retain_until + timedelta(days=1)
    )
    assert purged == [case.id]
    db.expire_all()
    assert db.get(CenterRegistration, registration.id).survivor_case_id is None  # type: ignore[union-attr]

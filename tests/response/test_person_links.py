"""Rows that are one person: staff link a roster's student to a hospital's patient and
the operating picture counts that person once (at the hospital), the rows per list
stay as uploaded, the status precedence, refusals, audit; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from tests.platform.audit_checks import assert_audit_free_of
from tests.response.test_reunification import as_csv
from vigil.platform.actor import Actor, command_line
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import AgencyKind, Role
from vigil.response import person_links
from vigil.response.match_files import LIST_COLUMNS
from vigil.response.models import ListedPerson, ListedPersonLink
from vigil.response.operating_picture import build_picture
from vigil.response.person_links import (
    Row,
    figures_from,
    link_same_person,
    linked_groups,
    linked_rows,
    person_status,
)
from vigil.response.retention import close_incident, purge_closed_incidents
from vigil.response.reunification import create_incident, upload_list

SHELL = command_line("operator")
TODAY = date(2026, 11, 26)


def _row(ident: str, kind: str, name: str) -> dict[str, str]:
    return {
        "id": ident,
        "list": kind,
        "full_name": name,
        "dob": "",
        "age": "15",
        "sex": "F",
        "description": "",
    }


ROSTER = [
    _row("r1", "roster", "LEE, ANNA"),
    _row("r2", "roster", "PARK, JO"),
    _row("r3", "roster", "DIAZ, EVA"),
]
MERCY = [_row("h1", "hospital", "Unknown Female"), _row("h2", "hospital", "Ruiz, Tam")]
GENERAL = [_row("g1", "hospital", "Lee, Anna")]


class Incident:
    def __init__(self, db: Session) -> None:
        self.school = make_agency(db, kind=AgencyKind.SCHOOL_OR_CAMPUS)
        self.hospital = make_agency(db, kind=AgencyKind.PUBLIC_OR_MENTAL_HEALTH)
        self.police = make_agency(db, kind=AgencyKind.LAW_ENFORCEMENT)
        incident = create_incident(
            db,
            actor=SHELL,
            name="Lincoln High",
            kind="school_shooting",
            place="Lincoln High",
            started_at=datetime(2026, 11, 25, 14, tzinfo=UTC),
            lead_agency_id=self.school.id,
            agencies={self.hospital.id: "hospital", self.police.id: "law_enforcement"},
        )
        self.id = incident.id
        for source, rows in (("roster.csv", ROSTER), ("mercy.csv", MERCY)):
            upload_list(
                db,
                actor=SHELL,
                incident_id=self.id,
                data=as_csv(LIST_COLUMNS, rows),
                source_name=source,
                today=TODAY,
            )
        self.reunifier = actor_for(
            make_user(db, agency=self.school, roles={Role.REUNIFICATION}, username="reunify")
        )
        self.nurse = actor_for(make_user(db, agency=self.hospital, roles={Role.SUPERVISOR}))
        self.police_supervisor = actor_for(
            make_user(db, agency=self.police, roles={Role.SUPERVISOR})
        )
        self.analyst = actor_for(make_user(db, agency=self.school, roles={Role.ANALYST}))
        self.outsider = actor_for(make_user(db, agency=make_agency(db), roles={Role.REUNIFICATION}))

    def person(self, db: Session, row_id: str) -> int:
        return db.execute(
            select(ListedPerson.id).where(
                ListedPerson.incident_id == self.id, ListedPerson.row_id == row_id
            )
        ).scalar_one()

    def link(self, db: Session, actor: Actor, row_id: str, same_as: str) -> None:
        link_same_person(
            db,
            actor=actor,
            incident_id=self.id,
            person_id=self.person(db, row_id),
            same_as_row_id=same_as,
        )


@pytest.fixture()
def incident(db: Session) -> Incident:
    return Incident(db)


def test_precedence_and_groups_are_pure_rules() -> None:
    assert person_status(["unaccounted", "at_hospital"]) == "at_hospital"
    assert person_status(["at_hospital", "deceased_confirmed", "released"]) == (
        "deceased_confirmed"
    )
    assert person_status(["accounted_for", "released"]) == "released"
    assert person_status(["with_adult", "accounted_for"]) == "with_adult"
    assert person_status(["unaccounted", "accounted_for"]) == "accounted_for"
    assert person_status(["unaccounted", "something_new"]) == "unaccounted"
    with pytest.raises(ValueError):
        person_status([])
    assert linked_groups([(1, 2), (3, 4), (2, 5)]) == [frozenset({1, 2, 5}), frozenset({3, 4})]
    assert linked_groups([]) == []
    # Two hospitals and the roster: the person counts once, at the later hospital list.
    people, hospitals = figures_from(
        {"unaccounted": 3, "at_hospital": 3},
        {"Mercy": 2, "General": 1},
        [
            Row(1, "unaccounted", 1, "roster"),
            Row(4, "at_hospital", 2, "Mercy"),
            Row(6, "at_hospital", 3, "General"),
        ],
        [frozenset({1, 4, 6})],
    )
    assert people == {"unaccounted": 2, "at_hospital": 2}
    assert hospitals == {"Mercy": 1, "General": 1}


def test_a_linked_student_counts_once_at_the_hospital(db: Session, incident: Incident) -> None:
    before = build_picture(db, actor=incident.reunifier, incident_id=incident.id)
    assert before.people == {"unaccounted": 3, "at_hospital": 2}
    assert before.hospitals == [("mercy.csv", 2)]
    assert before.linked_people == 0
    incident.link(db, incident.reunifier, "r1", "h1")
    after = build_picture(db, actor=incident.reunifier, incident_id=incident.id)
    # Four people, not five rows: Anna (r1 = h1) is at the hospital, not unaccounted.
    assert after.people == {"unaccounted": 2, "at_hospital": 2}
    assert after.hospitals == [("mercy.csv", 2)]
    assert after.linked_people == 1
    assert after.list_rows == [
        ("hospital", "at_hospital", 2),
        ("roster", "unaccounted", 3),
    ]
    # The unaccounted task counts people too.
    (unaccounted,) = [t for t in after.tasks if t.label == "People still unaccounted for"]
    assert unaccounted.count == 2
    link = db.execute(select(ListedPersonLink)).scalar_one()
    assert link.linked_by == "reunify" and link.linked_at is not None
    assert {link.person_id, link.same_as_id} == {
        incident.person(db, "r1"),
        incident.person(db, "h1"),
    }


def test_a_transfer_counts_once_at_the_later_hospital(db: Session, incident: Incident) -> None:
    upload_list(
        db,
        actor=SHELL,
        incident_id=incident.id,
        data=as_csv(LIST_COLUMNS, GENERAL),
        source_name="general.csv",
        today=TODAY,
    )
    incident.link(db, incident.nurse, "h1", "r1")
    incident.link(db, incident.reunifier, "g1", "r1")  # joined through r1: one person
    picture = build_picture(db, actor=incident.reunifier, incident_id=incident.id)
    assert picture.people == {"unaccounted": 2, "at_hospital": 2}
    assert picture.hospitals == [("general.csv", 1), ("mercy.csv", 1)]
    assert picture.linked_people == 1
    rows = linked_rows(db, incident.id, incident.person(db, "h1"))
    assert [(r.row_id, r.linked_by is not None) for r in rows] == [("r1", True), ("g1", False)]
    with pytest.raises(Conflict):  # already the same person, through r1
        incident.link(db, incident.reunifier, "h1", "g1")


def test_links_are_refused_outside_the_regime_and_checked(db: Session, incident: Incident) -> None:
    for actor in (incident.analyst, incident.outsider, incident.police_supervisor):
        with pytest.raises(PermissionDenied):
            incident.link(db, actor, "r1", "h1")
    for same_as, problem in (("r1", InvalidInput), ("nobody", InvalidInput), ("", InvalidInput)):
        with pytest.raises(problem):
            incident.link(db, incident.reunifier, "r1", same_as)
    with pytest.raises(NotFound):
        link_same_person(
            db,
            actor=incident.reunifier,
            incident_id=incident.id,
            person_id=10**9,
            same_as_row_id="h1",
        )
    assert db.execute(select(ListedPersonLink)).first() is None
    incident.link(db, incident.reunifier, "r2", "h2")
    with pytest.raises(Conflict):
        incident.link(db, incident.reunifier, "h2", "r2")
    (event,) = db.execute(
        select(AuditEvent).where(AuditEvent.action == "reunification.same_person")
    ).scalars()
    assert event.object_id == str(incident.id)
    assert event.details["listed_person_ids"] == sorted(
        [incident.person(db, "r2"), incident.person(db, "h2")]
    )
    assert assert_audit_free_of(db, "LEE, ANNA") > 0


def test_a_pair_linked_at_the_same_moment_is_a_conflict_not_an_error(
    db: Session, incident: Incident, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two staff link the same pair at once: the second transaction did not see the
    first one's link when it checked, so the unique pair refuses its insert; that is
    a clear conflict, the first link stands and the session carries on."""
    incident.link(db, incident.reunifier, "r2", "h2")
    # What a concurrent transaction reads before the first commits: no link yet.
    monkeypatch.setattr(person_links, "group_of", lambda _s, _i, person: frozenset({person}))
    with pytest.raises(Conflict, match="same moment"):
        incident.link(db, incident.reunifier, "h2", "r2")
    assert len(db.execute(select(ListedPersonLink)).all()) == 1
    events = db.execute(
        select(AuditEvent).where(AuditEvent.action == "reunification.same_person")
    ).all()
    assert len(events) == 1


def test_each_viewer_sees_the_people_only_as_policy_allows(db: Session, incident: Incident) -> None:
    incident.link(db, incident.reunifier, "r1", "h1")
    # A police supervisor opens the picture but reunification figures are not theirs:
    # the police department is involved in the incident, not in reunification.
    police = build_picture(db, actor=incident.police_supervisor, incident_id=incident.id)
    assert police.people is None and police.hospitals is None and police.list_rows is None
    nurse = build_picture(db, actor=incident.nurse, incident_id=incident.id)
    assert nurse.people == {"unaccounted": 2, "at_hospital": 2}
    for actor in (incident.analyst, incident.outsider):
        with pytest.raises(NotFound):
            build_picture(db, actor=actor, incident_id=incident.id)


def test_links_are_purged_with_the_incidents_reunification_data(
    db: Session, incident: Incident
) -> None:
    incident.link(db, incident.reunifier, "r1", "h1")
    closed_on = datetime(2026, 12, 1, tzinfo=UTC)
    close_incident(db, actor=SHELL, incident_id=incident.id, now=closed_on)
    purge_closed_incidents(db, actor=SHELL, now=closed_on + timedelta(days=31))
    assert db.execute(select(ListedPersonLink)).first() is None
    assert db.execute(select(ListedPerson)).first() is None

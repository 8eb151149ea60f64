"""Reunification sites: guardians (entered and uploaded whole or not at all), arrivals,
guardian check-in verified against the authorised-guardian list (refused when not on
it, restricted or not identified), release once on a verified check-in, the phone
bank's one inquiry, and an audit trail without names."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from vigil.platform.actor import Actor, command_line
from vigil.platform.errors import Conflict, InvalidInput
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import AgencyKind, Role
from vigil.response.guardians import (
    GUARDIAN_COLUMNS,
    GuardianEntry,
    add_guardian,
    name_key,
    upload_guardians,
)
from vigil.response.match_files import LIST_COLUMNS
from vigil.response.models import Inquiry, ListedPerson
from vigil.response.phone_bank import CallerInquiry, take_inquiry
from vigil.response.retention import close_incident, purge_closed_incidents
from vigil.response.reunification import create_incident, upload_list
from vigil.response.reunification_sites import (
    CheckInOutcome,
    add_location,
    check_in,
    coordinates,
    desk,
    open_site,
    record_arrival,
    release,
)
from vigil.response.site_models import AuthorizedGuardian, GuardianCheckIn, Release

TODAY = date(2026, 11, 26)
ROSTER = [
    ("s1", "roster", "GARCIA, ANA M", "2010-03-04", "", "F", ""),
    ("s2", "roster", "Lee, Sam", "2011-07-01", "", "M", ""),
    ("h1", "hospital", "Unknown Male", "", "about 16", "M", "red hoodie"),
]


def _csv(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode()


@dataclass
class Scene:
    incident_id: int
    site_id: int
    staff: Actor
    hospital_staff: Actor
    analyst: Actor


@pytest.fixture()
def scene(db: Session) -> Scene:
    shell = command_line("test")
    eoc = make_agency(db, kind=AgencyKind.EMERGENCY_MANAGEMENT)
    hospital = make_agency(db, kind=AgencyKind.PUBLIC_OR_MENTAL_HEALTH)
    incident = create_incident(
        db,
        actor=shell,
        name="Riverton High School shooting",
        kind="school_shooting",
        place="Riverton High School",
        started_at=datetime(2026, 11, 26, 8, tzinfo=UTC),
        lead_agency_id=eoc.id,
        agencies={hospital.id: "hospital"},
    )
    stored = upload_list(
        db,
        actor=shell,
        incident_id=incident.id,
        data=_csv(LIST_COLUMNS, ROSTER),
        source_name="roster.csv",
        today=TODAY,
    )
    assert stored.stored == 3
    staff = actor_for(make_user(db, agency=eoc, roles={Role.REUNIFICATION}))
    site = open_site(
        db,
        actor=staff,
        incident_id=incident.id,
        name="Riverton Middle School gym",
        address="200 Oak St",
        position=(43.03, -108.39),
    )
    add_guardian(
        db,
        actor=staff,
        incident_id=incident.id,
        entry=GuardianEntry("s1", "Maria Garcia", "mother", "555-0100"),
    )
    add_guardian(
        db,
        actor=staff,
        incident_id=incident.id,
        entry=GuardianEntry(
            "s1", "Luis Garcia", "father", restricted=True, restriction="Protective order"
        ),
    )
    return Scene(
        incident.id,
        site.id,
        staff,
        actor_for(make_user(db, agency=hospital, roles={Role.REUNIFICATION})),
        actor_for(make_user(db, agency=eoc, roles={Role.ANALYST})),
    )


def _check_in(
    db: Session, scene: Scene, person: str, name: str, verified: bool = True
) -> CheckInOutcome:
    return check_in(
        db,
        actor=scene.staff,
        incident_id=scene.incident_id,
        site_id=scene.site_id,
        person_row_id=person,
        presented_name=name,
        id_document="drivers_license",
        identity_verified=verified,
    )


def test_name_key_reads_list_and_document_order_alike() -> None:
    assert name_key("GARCIA, MARIA J") == name_key("Maria Garcia") == name_key("maría garcía")
    assert name_key("Maria") == ""
    assert name_key("Maria Garcia") != name_key("Maria Lopez")


def test_release_only_to_a_verified_unrestricted_guardian(db: Session, scene: Scene) -> None:
    stranger = _check_in(db, scene, "s1", "Pat Jones")
    restricted = _check_in(db, scene, "s1", "GARCIA, LUIS")
    unverified = _check_in(db, scene, "s1", "Maria Garcia", verified=False)
    verified = _check_in(db, scene, "s1", "GARCIA, MARIA")
    assert [(c.verified, c.reason) for c in (stranger, restricted, unverified, verified)] == [
        (False, "not_authorized"),
        (False, "custody_restriction"),
        (False, "identity_not_verified"),
        (True, None),
    ]
    ident = scene.incident_id
    with pytest.raises(Conflict, match="refused"):
        release(
            db,
            actor=scene.staff,
            incident_id=ident,
            site_id=scene.site_id,
            checkin_id=restricted.checkin_id,
        )
    with pytest.raises(Conflict, match="arrival"):
        release(
            db,
            actor=scene.staff,
            incident_id=ident,
            site_id=scene.site_id,
            checkin_id=verified.checkin_id,
        )
    record_arrival(
        db, actor=scene.staff, incident_id=ident, site_id=scene.site_id, person_row_id="s1"
    )
    done = release(
        db,
        actor=scene.staff,
        incident_id=ident,
        site_id=scene.site_id,
        checkin_id=verified.checkin_id,
    )
    assert done.released_to == "GARCIA, MARIA" and done.released_by == scene.staff.username
    person = db.execute(select(ListedPerson).where(ListedPerson.row_id == "s1")).scalar_one()
    assert person.status == "released"
    again = release(
        db,
        actor=scene.staff,
        incident_id=ident,
        site_id=scene.site_id,
        checkin_id=verified.checkin_id,
    )
    assert again.id == done.id  # sent twice: the first record stands
    other = _check_in(db, scene, "s1", "Maria Garcia")
    with pytest.raises(Conflict, match="already been released"):
        release(
            db,
            actor=scene.staff,
            incident_id=ident,
            site_id=scene.site_id,
            checkin_id=other.checkin_id,
        )
    assert len(list(db.execute(select(Release)).scalars())) == 1
    rows = desk(db, actor=scene.staff, incident_id=ident, site_id=scene.site_id)
    assert [r.outcome for r in rows] == ["verified", "verified", "refused", "refused", "refused"]
    assert rows[1].released_by == scene.staff.username and rows[0].released_by is None
    # The audit trail names no student and no guardian.
    trail = json.dumps([e.details for e in db.execute(select(AuditEvent)).scalars()], default=str)
    for name in ("Garcia", "GARCIA", "Jones", "Maria", "Luis"):
        assert name not in trail


def test_arrivals_never_touch_a_death_or_a_hospital_row(db: Session, scene: Scene) -> None:
    ident = scene.incident_id
    with pytest.raises(InvalidInput, match="roster or attendee"):
        record_arrival(
            db, actor=scene.staff, incident_id=ident, site_id=scene.site_id, person_row_id="h1"
        )
    with pytest.raises(InvalidInput, match="no person"):
        record_arrival(
            db, actor=scene.staff, incident_id=ident, site_id=scene.site_id, person_row_id="nobody"
        )
    record_arrival(
        db, actor=scene.staff, incident_id=ident, site_id=scene.site_id, person_row_id="s2"
    )
    # Recorded twice (two staff at the door): nothing changes.
    record_arrival(
        db, actor=scene.staff, incident_id=ident, site_id=scene.site_id, person_row_id="s2"
    )
    statuses = dict(db.execute(select(ListedPerson.row_id, ListedPerson.status)).all())
    assert statuses == {"s1": "unaccounted", "s2": "accounted_for", "h1": "at_hospital"}


def test_the_site_desk_is_not_for_hospitals_or_analysts(db: Session, scene: Scene) -> None:
    for actor in (scene.hospital_staff, scene.analyst):
        with pytest.raises(PermissionDenied):
            open_site(
                db, actor=actor, incident_id=scene.incident_id, name="X", address="Y", position=None
            )
        with pytest.raises(PermissionDenied):
            add_guardian(
                db, actor=actor, incident_id=scene.incident_id, entry=GuardianEntry("s2", "Kim Lee")
            )


def test_guardian_upload_is_whole_or_nothing(db: Session, scene: Scene) -> None:
    bad = _csv(
        GUARDIAN_COLUMNS,
        [
            ("s2", "Kim Lee", "mother", "", "no", ""),
            ("s9", "Ann Bo", "aunt", "", "no", ""),
            ("s2", "Joe Lee", "father", "", "maybe", ""),
            ("s2", "Ray Lee", "uncle", "", "yes", ""),
            ("h1", "Al Poe", "father", "", "no", ""),
        ],
    )
    result = upload_guardians(
        db, actor=scene.staff, incident_id=scene.incident_id, data=bad, source_name="g.csv"
    )
    assert result.stored == 0
    assert [p.line for p in result.problems] == [3, 4, 5, 6]
    assert "no person" in str(result.problems[0]) and "'maybe'" in str(result.problems[1])
    assert "say what restricts" in str(result.problems[2])
    assert "roster or an attendee list" in str(result.problems[3])
    count = len(list(db.execute(select(AuthorizedGuardian)).scalars()))
    assert count == 2
    wrong = upload_guardians(
        db,
        actor=scene.staff,
        incident_id=scene.incident_id,
        data=b"id,name\n1,x\n",
        source_name="w.csv",
    )
    assert wrong.file_problem and "wrong header" in wrong.file_problem
    good = _csv(GUARDIAN_COLUMNS, [("s2", "Kim Lee", "mother", "", "no", "")])
    assert (
        upload_guardians(
            db, actor=scene.staff, incident_id=scene.incident_id, data=good, source_name="g.csv"
        ).stored
        == 1
    )
    assert _check_in(db, scene, "s2", "LEE, KIM").verified


def test_phone_bank_inquiry(db: Session, scene: Scene) -> None:
    call = CallerInquiry(
        full_name="Ana Garcia", dob="03/04/2010", relationship="mother", contact="555-0100"
    )
    first = take_inquiry(
        db, actor=scene.staff, incident_id=scene.incident_id, call=call, today=TODAY
    )
    second = take_inquiry(
        db, actor=scene.staff, incident_id=scene.incident_id, call=call, today=TODAY
    )
    assert (first.reference, second.reference) == ("PB-00001", "PB-00002")
    assert first.dob == "2010-03-04"
    with pytest.raises(InvalidInput) as refused:
        take_inquiry(
            db,
            actor=scene.staff,
            incident_id=scene.incident_id,
            call=CallerInquiry(full_name="X Y", dob="2030-01-01", sex="Q", relationship=""),
            today=TODAY,
        )
    assert set(refused.value.errors) == {"dob", "sex", "contact", "relationship"}
    assert len(list(db.execute(select(Inquiry)).scalars())) == 2


def test_coordinates_are_checked() -> None:
    assert coordinates("43.02", "-108.38", required=True) == (43.02, -108.38)
    assert coordinates("", "", required=False) is None
    with pytest.raises(InvalidInput) as wrong:
        coordinates("91", "east", required=True)
    assert set(wrong.value.errors) == {"latitude", "longitude"}
    with pytest.raises(InvalidInput):
        coordinates("nan", "inf", required=True)


def test_purge_deletes_guardians_checkins_and_releases(db: Session, scene: Scene) -> None:
    ident = scene.incident_id
    add_location(
        db,
        actor=scene.staff,
        incident_id=ident,
        kind="hospital",
        name="Riverton Memorial",
        position=(43.0, -108.4),
    )
    record_arrival(
        db, actor=scene.staff, incident_id=ident, site_id=scene.site_id, person_row_id="s1"
    )
    checked = _check_in(db, scene, "s1", "Maria Garcia")
    release(
        db,
        actor=scene.staff,
        incident_id=ident,
        site_id=scene.site_id,
        checkin_id=checked.checkin_id,
    )
    shell = command_line("test")
    close_incident(db, actor=shell, incident_id=ident, now=datetime(2026, 12, 1, tzinfo=UTC))
    purge_closed_incidents(db, actor=shell, now=datetime(2027, 2, 1, tzinfo=UTC))
    for model in (AuthorizedGuardian, GuardianCheckIn, Release):
        assert list(db.execute(select(model).where(model.incident_id == ident)).scalars()) == []


def test_operating_picture_and_site_desk_rules() -> None:
    from vigil.platform import policy
    from vigil.platform.policy.response_rules import IncidentFacts

    facts = IncidentFacts(1, {10: "command", 20: "law_enforcement", 30: "hospital"})

    def user(agency: int, *roles: Role) -> Actor:
        return Actor(kind="user", user_id=agency * 100, agency_id=agency, roles=frozenset(roles))

    shell = command_line("test")
    assert policy.decide(shell, "read", "operating_picture", facts)
    assert not policy.decide(shell, "update", "operating_picture", facts)
    assert policy.decide(user(10, Role.INCIDENT_COMMAND), "read", "operating_picture", facts)
    assert policy.decide(user(20, Role.SUPERVISOR), "read", "operating_picture", facts)
    assert not policy.decide(user(20, Role.ANALYST), "read", "operating_picture", facts)
    assert not policy.decide(user(40, Role.SUPERVISOR), "read", "operating_picture", facts)
    assert not policy.decide(user(10, Role.SUPERVISOR), "read", "operating_picture", None)
    # The site desk: command and school agencies' reunification staff, not a hospital's.
    for action in ("manage_site", "account", "check_in", "release"):
        assert policy.decide(user(10, Role.REUNIFICATION), action, "reunification", facts)
        assert not policy.decide(user(30, Role.REUNIFICATION), action, "reunification", facts)
        assert not policy.decide(user(20, Role.SUPERVISOR), action, "reunification", facts)
        assert not policy.decide(user(10, Role.ANALYST), action, "reunification", facts)
        assert policy.decide(shell, action, "reunification", facts)

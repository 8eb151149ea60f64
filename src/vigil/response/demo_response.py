"""The demo school incident, "Riverton High School shooting", run through the response
services: unified command (Hill County Emergency Management in command, the school
district, Riverton police, the sheriff in support, a hospital and the medical
examiner), the school roster with each student's guardians, a hospital list and the
medical examiner's list, families' inquiries (a file from the phone bank and one call
taken on the form), the matching, a reunification site on the map with students
arriving, guardians checked in (one refused under a custody order) and released, and
the ICS records (seed_ics) when that part is installed. Staff link the hospital's
named patients and the medical examiner's student to their roster rows (the same
person), so the operating picture counts people, not rows.

All of it is synthetic. Work done at the site desk is filed as the school district's
reunification staff (rusd.reunify), so the desk's records name who did it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from vigil.platform import accounts
from vigil.platform import actor as actors
from vigil.platform.actor import Actor, command_line
from vigil.platform.models import Agency, User
from vigil.platform.roles import AgencyKind
from vigil.platform.types import utcnow
from vigil.response.guardians import GUARDIAN_COLUMNS, upload_guardians
from vigil.response.match_files import INQUIRY_COLUMNS, LIST_COLUMNS
from vigil.response.models import Incident
from vigil.response.person_links import find_row, link_same_person
from vigil.response.phone_bank import CallerInquiry, take_inquiry
from vigil.response.reunification import add_inquiries, create_incident, match_incident, upload_list
from vigil.response.reunification_sites import (
    add_location,
    check_in,
    open_site,
    record_arrival,
    release,
)

INCIDENT_NAME: Final = "Riverton High School shooting"
SCHOOL = "Riverton Unified School District"
COMMAND = "Hill County Emergency Management"
POLICE = "Riverton Police Department"
SHERIFF = "Hill County Sheriff's Office"
HOSPITAL = "Riverton Memorial Hospital"
EXAMINER = "Hill County Medical Examiner"
SCHOOL_POINT: Final = (43.0310, -108.4040)
SITE_POINT: Final = (43.0195, -108.3920)
HOSPITAL_POINT: Final = (43.0316, -108.3705)
COMMAND_POST: Final = (43.0290, -108.4005)
GIVEN = (
    "Ana", "Ben", "Carla", "Diego", "Emma", "Farah", "Gabriel", "Hana", "Isaac", "Julia",
    "Kevin", "Lucia", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Samuel", "Tara",
    "Uriel", "Vera", "William", "Ximena", "Yusuf", "Zoe", "Adrian", "Bianca", "Caleb",
    "Daniela", "Elias", "Fiona", "Grace", "Hector", "Ivy", "Jonah",
)  # fmt: skip
FAMILY = (
    "Alvarez", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
    "Johnson", "Kim", "Lopez", "Martin", "Nguyen", "Okafor", "Patel", "Quintero", "Reyes",
)  # fmt: skip
# Hospital patients: (roster index, name as the hospital wrote it, age, description);
# None is a patient the hospital could not name.
PATIENTS = (
    (0, "ALVAREZ, ANA", "", ""),
    (3, "Diaz, Diego R", "", "gunshot wound, left arm"),
    (12, "Martin, Mateo", "", ""),
    (None, "Unknown Male", "about 16", "red hoodie, braces, brown hair"),
)
# Families' inquiries: (reference, roster index, name as the family said it, relation).
INQUIRIES = (
    ("F-001", 0, "Anita Alvarez", "mother"),
    ("F-002", 3, "Diego Diaz", "father"),
    ("F-003", 12, "Matt Martin", "grandmother"),
    ("F-004", 6, "Gabe Garcia", "mother"),
    ("F-005", 9, "Julia Johnson-Reyes", "aunt"),
)


@dataclass(frozen=True)
class ResponseSeed:
    incident_id: int
    roster: int
    patients: int
    inquiries: int
    candidates: int
    released: int


def _csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _agency(db: Session, name: str) -> Agency | None:
    return db.execute(select(Agency).where(Agency.name == name)).scalar_one_or_none()


def _user(db: Session, username: str) -> Actor | None:
    user = (
        db.execute(
            select(User)
            .where(User.username == username)
            .options(joinedload(User.agency), joinedload(User.role_grants))
        )
        .unique()
        .scalar_one_or_none()
    )
    return None if user is None else actors.for_user(user, request_id="demo", via="cli")


def _student(index: int) -> tuple[str, str, str]:
    """(row id, name as the roster writes it, date of birth)."""
    given = GIVEN[index % len(GIVEN)]
    family = FAMILY[index % len(FAMILY)]
    born = date(2009, 1, 15) + timedelta(days=97 * index)
    return f"RHS-{1001 + index}", f"{family.upper()}, {given.upper()}", born.isoformat()


def _lists(db: Session, shell: Actor, incident_id: int, today: date) -> tuple[int, int]:
    roster = []
    for index in range(len(GIVEN)):
        row_id, name, born = _student(index)
        roster.append(
            {
                "id": row_id,
                "list": "roster",
                "full_name": name,
                "dob": born,
                "age": "",
                "sex": "",
                "description": "grade 10" if index % 2 else "grade 11",
            }
        )
    upload_list(
        db,
        actor=shell,
        incident_id=incident_id,
        data=_csv(LIST_COLUMNS, roster),
        source_name="riverton-high-roster.csv",
        today=today,
    )
    patients = []
    for number, (student, name, age, description) in enumerate(PATIENTS, start=1):
        born = _student(student)[2] if student is not None else ""
        patients.append(
            {
                "id": f"RMH-{number:03d}",
                "list": "hospital",
                "full_name": name,
                "dob": born,
                "age": age,
                "sex": "M" if student is None else "",
                "description": description,
            }
        )
    upload_list(
        db,
        actor=shell,
        incident_id=incident_id,
        data=_csv(LIST_COLUMNS, patients),
        source_name="riverton-memorial-patients.csv",
        today=today,
    )
    examiner = [
        {
            "id": "ME-001",
            "list": "medical_examiner",
            "full_name": "HUGHES, HANA",
            "dob": _student(7)[2],
            "age": "",
            "sex": "F",
            "description": "",
        },
        {
            "id": "ME-002",
            "list": "medical_examiner",
            "full_name": "PRICE, MARTIN",
            "dob": "1979-06-02",
            "age": "",
            "sex": "M",
            "description": "teacher",
        },
    ]
    upload_list(
        db,
        actor=shell,
        incident_id=incident_id,
        data=_csv(LIST_COLUMNS, examiner),
        source_name="medical-examiner.csv",
        today=today,
    )
    return len(roster), len(patients)


def _guardians(db: Session, staff: Actor, incident_id: int) -> None:
    rows = []
    for index in range(len(GIVEN)):
        row_id, _name, _born = _student(index)
        family = FAMILY[index % len(FAMILY)]
        mother = GIVEN[(index + 7) % len(GIVEN)]
        rows.append([row_id, f"{mother} {family}", "mother", f"555-01{index:02d}", "no", ""])
        if index == 6:  # a father under a protective order, named so the desk refuses him
            rows.append(
                [
                    row_id,
                    f"Luis {family}",
                    "father",
                    "",
                    "yes",
                    "Protective order, Hill County District Court: no contact",
                ]
            )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(GUARDIAN_COLUMNS)
    writer.writerows(rows)
    upload_guardians(
        db,
        actor=staff,
        incident_id=incident_id,
        data=out.getvalue().encode(),
        source_name="riverton-high-guardians.csv",
    )


def _inquiries(db: Session, staff: Actor, incident_id: int, today: date) -> int:
    rows = []
    for reference, index, name, relation in INQUIRIES:
        born = _student(index)[2]
        rows.append(
            {
                "id": reference,
                "full_name": name,
                "dob": born,
                "age": "",
                "sex": "",
                "description": "",
                "relationship": relation,
            }
        )
    add_inquiries(
        db,
        actor=staff,
        incident_id=incident_id,
        data=_csv(INQUIRY_COLUMNS, rows),
        source_name="phone-bank-1.csv",
        today=today,
    )
    take_inquiry(
        db,
        actor=staff,
        incident_id=incident_id,
        call=CallerInquiry(
            full_name="",
            age="16",
            sex="M",
            description="wearing a red hoodie, has braces",
            relationship="father",
            contact="555-0177",
            caller_name="Tomas Ortega",
        ),
        today=today,
    )
    return len(rows) + 1


def _site(db: Session, staff: Actor, shell: Actor, incident_id: int) -> int:
    for kind, name, point in (
        ("incident", "Riverton High School", SCHOOL_POINT),
        ("hospital", HOSPITAL, HOSPITAL_POINT),
        ("command_post", "Incident command post (Sunset Dr)", COMMAND_POST),
    ):
        add_location(db, actor=shell, incident_id=incident_id, kind=kind, name=name, position=point)
    site = open_site(
        db,
        actor=staff,
        incident_id=incident_id,
        name="Riverton Middle School gymnasium",
        address="840 N 8th St W, Riverton",
        position=SITE_POINT,
    )
    released = 0
    for index in (1, 2, 4, 5, 6, 8, 10, 11, 13, 14, 15, 16):
        record_arrival(
            db,
            actor=staff,
            incident_id=incident_id,
            site_id=site.id,
            person_row_id=_student(index)[0],
        )
    for index in (1, 2, 4):
        family = FAMILY[index % len(FAMILY)]
        mother = GIVEN[(index + 7) % len(GIVEN)]
        checked = check_in(
            db,
            actor=staff,
            incident_id=incident_id,
            site_id=site.id,
            person_row_id=_student(index)[0],
            presented_name=f"{family.upper()}, {mother.upper()}",
            id_document="drivers_license",
            identity_verified=True,
        )
        release(
            db, actor=staff, incident_id=incident_id, site_id=site.id, checkin_id=checked.checkin_id
        )
        released += 1
    # Refused: the father under the protective order; verified and waiting: a mother.
    check_in(
        db,
        actor=staff,
        incident_id=incident_id,
        site_id=site.id,
        person_row_id=_student(6)[0],
        presented_name=f"Luis {FAMILY[6]}",
        id_document="drivers_license",
        identity_verified=True,
    )
    check_in(
        db,
        actor=staff,
        incident_id=incident_id,
        site_id=site.id,
        person_row_id=_student(5)[0],
        presented_name=f"{GIVEN[12]} {FAMILY[5]}",
        id_document="state_id",
        identity_verified=True,
    )
    return released


def _same_people(db: Session, staff: Actor, incident_id: int) -> None:
    """Reunification staff link the hospital's named patients and the medical
    examiner's student to their roster rows, so the picture counts each of them once."""
    same = [
        (f"RMH-{number:03d}", _student(student)[0])
        for number, (student, _name, _age, _description) in enumerate(PATIENTS, start=1)
        if student is not None
    ]
    same.append(("ME-001", _student(7)[0]))
    for row_id, roster_row_id in same:
        link_same_person(
            db,
            actor=staff,
            incident_id=incident_id,
            person_id=find_row(db, incident_id, row_id=row_id).id,
            same_as_row_id=roster_row_id,
        )


def _support_agency(db: Session, shell: Actor, name: str, kind: AgencyKind) -> Agency:
    return _agency(db, name) or accounts.create_agency(db, actor=shell, name=name, kind=kind)


def seed_response(db: Session, *, now: datetime | None = None) -> ResponseSeed | None:
    """Open and run the demo school incident; None when the demo agencies are missing or
    the incident is already there."""
    now = now or utcnow()
    today = now.date()
    shell = command_line("demo")
    agencies = {name: _agency(db, name) for name in (SCHOOL, COMMAND, POLICE, SHERIFF)}
    staff = _user(db, "rusd.reunify")
    commander = _user(db, "hcem.commander")
    if any(a is None for a in agencies.values()) or staff is None or commander is None:
        return None
    if db.execute(select(Incident.id).where(Incident.name == INCIDENT_NAME)).first():
        return None
    hospital = _support_agency(db, shell, HOSPITAL, AgencyKind.PUBLIC_OR_MENTAL_HEALTH)
    examiner = _support_agency(db, shell, EXAMINER, AgencyKind.OTHER)
    ids = {name: agency.id for name, agency in agencies.items() if agency is not None}
    incident = create_incident(
        db,
        actor=shell,
        name=INCIDENT_NAME,
        kind="school_shooting",
        place="Riverton High School, 2001 W Sunset Dr, Riverton",
        started_at=now - timedelta(hours=1),
        lead_agency_id=ids[COMMAND],
        agencies={
            ids[SCHOOL]: "school",
            ids[POLICE]: "law_enforcement",
            ids[SHERIFF]: "support",
            hospital.id: "hospital",
            examiner.id: "medical_examiner",
        },
    )
    roster, patients = _lists(db, shell, incident.id, today)
    _same_people(db, staff, incident.id)
    _guardians(db, staff, incident.id)
    asked = _inquiries(db, staff, incident.id, today)
    candidates = match_incident(db, actor=staff, incident_id=incident.id, today=today)
    released = _site(db, staff, shell, incident.id)
    from vigil.response import demo_ics

    demo_ics.seed_ics(
        db, incident_id=incident.id, commander_user_id=commander.user_id or 0, now=now
    )
    return ResponseSeed(incident.id, roster, patients, asked, candidates, released)

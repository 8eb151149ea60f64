"""Training and awareness: courses (four seeded by migration 0022, more added by an
agency), sessions, attendance, certifications with expiry, and each site's readiness:
who there is trained in what, and whether it is still current."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.models import User
from vigil.platform.types import utcnow
from vigil.preparedness.capabilities import check_capability
from vigil.preparedness.improvement_models import (
    Attendance,
    Certification,
    Course,
    TrainingSession,
)
from vigil.preparedness.reminders import CERTIFICATION_NOTICE_DAYS
from vigil.preparedness.sites import get_site

MAX_VALIDITY_MONTHS = 120
MAX_ATTENDEES = 500


def _audit(
    db: Session, actor: Actor, action: str, object_id: int, agency_id: int | None, **details: object
) -> None:
    audit.record(
        db,
        actor=actor,
        action=f"training.{action}",
        object_type="training",
        object_id=object_id,
        agency_id=agency_id,
        details=details or None,
    )


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def courses(db: Session, *, actor: Actor) -> list[Course]:
    """The seeded courses and the actor's agency's own."""
    policy.authorize(actor, "list", "training")
    return list(
        db.execute(
            select(Course)
            .where((Course.owner_agency_id.is_(None)) | (Course.owner_agency_id == actor.agency_id))
            .order_by(Course.owner_agency_id.is_not(None), Course.name, Course.id)
        ).scalars()
    )


def get_course(db: Session, *, actor: Actor, course_id: int) -> Course:
    course = db.get(Course, course_id)
    if course is None or not policy.decide(actor, "read", "training", course):
        raise NotFound("training")
    return course


def add_course(
    db: Session,
    *,
    actor: Actor,
    code: str,
    name: str,
    validity_months: int | None,
    capability_key: str | None = None,
    description: str | None = None,
) -> Course:
    """An agency's own course (the seeded four are everyone's)."""
    policy.authorize(actor, "create", "training")
    _, agency_id = actor.member_ids()
    errors: dict[str, str] = {}
    clean_code, clean_name = _clean(code).upper(), _clean(name)
    if not clean_code or len(clean_code) > 40:
        errors["code"] = "Give a short code of at most 40 characters, such as STB-2."
    if not clean_name or len(clean_name) > 200:
        errors["name"] = "Name the course (at most 200 characters)."
    if validity_months is not None and not 1 <= validity_months <= MAX_VALIDITY_MONTHS:
        errors["validity_months"] = f"Enter 1 to {MAX_VALIDITY_MONTHS} months, or leave it empty."
    check_capability(capability_key, errors, "capability_key")
    text = (description or "").strip() or None
    if text and len(text) > 4000:
        errors["description"] = "Use at most 4,000 characters."
    if "code" not in errors and any(c.code == clean_code for c in courses(db, actor=actor)):
        errors["code"] = "A course with this code exists already."
    if errors:
        raise InvalidInput(errors)
    course = Course(
        owner_agency_id=agency_id,
        code=clean_code,
        name=clean_name,
        description=text,
        validity_months=validity_months,
        capability_key=capability_key,
        created_at=utcnow(),
    )
    db.add(course)
    db.flush()
    _audit(db, actor, "course_create", course.id, agency_id)
    return course


def schedule_session(
    db: Session,
    *,
    actor: Actor,
    course_id: int | None,
    held_on: date | None,
    site_id: int | None = None,
    location: str | None = None,
    instructor: str | None = None,
) -> TrainingSession:
    """A delivery of a course by the actor's agency."""
    policy.authorize(actor, "create", "training")
    _, agency_id = actor.member_ids()
    errors: dict[str, str] = {}
    if course_id is None:
        errors["course_id"] = "Choose the course."
    else:
        try:
            get_course(db, actor=actor, course_id=course_id)
        except NotFound:
            errors["course_id"] = "Choose one of the courses listed."
    if held_on is None:
        errors["held_on"] = "Enter the day, such as 2027-01-15."
    if site_id is not None:
        site = get_site(db, actor=actor, site_id=site_id)
        if site.owner_agency_id != agency_id:
            errors["site_id"] = "Choose a site your agency owns."
    values = {"location": _clean(location) or None, "instructor": _clean(instructor) or None}
    for field, value in values.items():
        if value and len(value) > 200:
            errors[field] = "Use at most 200 characters."
    if errors or course_id is None or held_on is None:
        raise InvalidInput(errors)
    session = TrainingSession(
        owner_agency_id=agency_id,
        course_id=course_id,
        site_id=site_id,
        held_on=held_on,
        created_at=utcnow(),
        created_by_user_id=actor.user_id,
        **values,
    )
    db.add(session)
    db.flush()
    _audit(db, actor, "session_create", session.id, agency_id, course_id=course_id)
    return session


def get_session(db: Session, *, actor: Actor, session_id: int) -> TrainingSession:
    session = db.get(TrainingSession, session_id)
    if session is None or not policy.decide(actor, "read", "training", session):
        raise NotFound("training")
    return session


def sessions(db: Session, *, actor: Actor, limit: int = 200) -> list[TrainingSession]:
    policy.authorize(actor, "list", "training")
    return list(
        db.execute(
            select(TrainingSession)
            .where(policy.scope(actor, "list", "training"))
            .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc())
            .limit(limit)
        ).scalars()
    )


def record_attendance(
    db: Session,
    *,
    actor: Actor,
    session_id: int,
    person_name: str,
    completed: bool,
    user_id: int | None = None,
    site_id: int | None = None,
) -> Attendance:
    """Someone attended a session; completing it issues a certification dated the
    session's day and expiring after the course's validity."""
    session = get_session(db, actor=actor, session_id=session_id)
    policy.authorize(actor, "update", "training", session)
    errors: dict[str, str] = {}
    name = _clean(person_name)
    if not name or len(name) > 200:
        errors["person_name"] = "Enter the person's name (at most 200 characters)."
    if user_id is not None:
        user = db.get(User, user_id)
        if user is None or user.agency_id != session.owner_agency_id:
            errors["user_id"] = "Choose a member of your agency, or leave it empty."
    site_id = site_id if site_id is not None else session.site_id
    if site_id is not None:
        site = get_site(db, actor=actor, site_id=site_id)
        if site.owner_agency_id != session.owner_agency_id:
            errors["site_id"] = "Choose a site your agency owns."
    count = len(attendance_of(db, actor=actor, session_id=session.id))
    if count >= MAX_ATTENDEES:
        errors["person_name"] = f"A session has at most {MAX_ATTENDEES} attendees."
    if errors:
        raise InvalidInput(errors)
    now = utcnow()
    attendance = Attendance(
        session_id=session.id,
        person_name=name,
        user_id=user_id,
        site_id=site_id,
        completed=completed,
        recorded_at=now,
    )
    db.add(attendance)
    db.flush()
    if completed:
        course = db.get(Course, session.course_id)
        months = course.validity_months if course is not None else None
        db.add(
            Certification(
                owner_agency_id=session.owner_agency_id,
                course_id=session.course_id,
                attendance_id=attendance.id,
                person_name=name,
                user_id=user_id,
                site_id=site_id,
                issued_on=session.held_on,
                expires_on=add_months(session.held_on, months) if months else None,
            )
        )
        db.flush()
    _audit(db, actor, "attendance", session.id, session.owner_agency_id, completed=completed)
    return attendance


def attendance_of(db: Session, *, actor: Actor, session_id: int) -> list[Attendance]:
    session = get_session(db, actor=actor, session_id=session_id)
    return list(
        db.execute(
            select(Attendance).where(Attendance.session_id == session.id).order_by(Attendance.id)
        ).scalars()
    )


def certification_status(expires_on: date | None, today: date) -> str:
    if expires_on is None:
        return "current"
    if expires_on < today:
        return "expired"
    if expires_on <= today + timedelta(days=CERTIFICATION_NOTICE_DAYS):
        return "expiring"
    return "current"


@dataclass(frozen=True)
class ReadinessCell:
    status: str  # current, expiring, expired, none
    expires_on: date | None


@dataclass(frozen=True)
class Readiness:
    """Who at a site is trained in what: one row per person, one column per course."""

    courses: list[Course]
    people: list[tuple[str, dict[int, ReadinessCell]]]
    trained: dict[int, int]  # course id -> people with a current certification


def site_readiness(
    db: Session, *, actor: Actor, site_id: int, today: date | None = None
) -> Readiness:
    """Each person certified at a site and, per course, whether it is current."""
    site = get_site(db, actor=actor, site_id=site_id)
    policy.authorize(actor, "list", "training")
    today = today or utcnow().date()
    all_courses = courses(db, actor=actor)
    certifications = db.execute(
        select(Certification)
        .where(
            Certification.site_id == site.id,
            Certification.owner_agency_id == site.owner_agency_id,
            Certification.owner_agency_id == actor.agency_id,
        )
        .order_by(Certification.issued_on)
    ).scalars()
    people: dict[str, dict[int, ReadinessCell]] = {}
    for c in certifications:
        cells = people.setdefault(c.person_name, {})
        known = cells.get(c.course_id)
        # The latest certification of a course counts (a renewal replaces the old one).
        if known is None or (known.expires_on or date.max) <= (c.expires_on or date.max):
            cells[c.course_id] = ReadinessCell(
                certification_status(c.expires_on, today), c.expires_on
            )
    trained = {
        course.id: sum(
            1
            for cells in people.values()
            if cells.get(course.id, ReadinessCell("none", None)).status != "expired"
            and course.id in cells
        )
        for course in all_courses
    }
    return Readiness(all_courses, sorted(people.items()), trained)

"""Preparedness pages for training and capabilities: courses and sessions, attendance
and certifications, a site's readiness (who is trained in what), and the jurisdiction's
capability targets with the gap report."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from vigil.platform.actor import Actor
from vigil.platform.routes.forms import (
    RefusedForm,
    settle_form,
    show_again,
    text_from_form,
    whole_number,
)
from vigil.preparedness import capabilities, sites, training
from vigil.preparedness import corrective_actions as ca
from vigil.preparedness.improvement_pages import (
    form_date,
    form_id,
    form_level,
    form_text,
    page,
)
from vigil.web.deps import ActorDep, PathId, SessionDep

router = APIRouter(include_in_schema=False)

FLASH = {
    "course": "The course was added.",
    "session": "The session was scheduled. Record who attended below.",
    "attendance": "The attendance was recorded.",
    "target": "The capability target was saved.",
}


def _training_page(
    request: Request,
    db: Session,
    actor: Actor,
    *,
    flash: str | None = None,
    refused: RefusedForm | None = None,
    form_name: str | None = None,
) -> HTMLResponse:
    all_courses = training.courses(db, actor=actor)
    return page(
        request,
        "preparedness_training.html",
        {
            "courses": all_courses,
            "course_names": {c.id: c.name for c in all_courses},
            "sessions": training.sessions(db, actor=actor),
            "may_create": ca.may_create(actor),
            "sites": ca.agency_sites(db, actor=actor) if ca.may_create(actor) else [],
            "flash": flash,
        },
        refused=refused,
        form_name=form_name,
    )


@router.get("/preparedness/training", response_class=HTMLResponse)
def training_page(
    request: Request, db: SessionDep, actor: ActorDep, done: str = ""
) -> HTMLResponse:
    """Courses (seeded and the agency's own) and the agency's training sessions."""
    return _training_page(request, db, actor, flash=FLASH.get(done))


@router.post("/preparedness/training/courses")
async def add_course(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    form = await request.form()
    errors: dict[str, str] = {}
    months_text = text_from_form(form, "validity_months", 20).strip()
    months = whole_number(months_text, maximum=10_000) if months_text else None
    if months_text and months is None:
        errors["validity_months"] = "Enter a whole number of months, or leave it empty."
    return settle_form(
        request,
        db,
        form,
        "course",
        lambda: training.add_course(
            db,
            actor=actor,
            code=form_text(form, "code"),
            name=form_text(form, "name"),
            validity_months=months,
            capability_key=text_from_form(form, "capability_key", 60) or None,
            description=form_text(form, "description"),
        ),
        again=show_again(_training_page, request, db, actor, form_name="course"),
        done="/preparedness/training?done=course",
        parse_errors=errors,
    )


@router.post("/preparedness/training/sessions")
async def schedule_session(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    form = await request.form()
    errors: dict[str, str] = {}
    course_id = form_id(form, "course_id", errors)
    held_on = form_date(form, "held_on", errors)
    site_id = form_id(form, "site_id", errors)
    return settle_form(
        request,
        db,
        form,
        "session",
        lambda: training.schedule_session(
            db,
            actor=actor,
            course_id=course_id,
            held_on=held_on,
            site_id=site_id,
            location=form_text(form, "location"),
            instructor=form_text(form, "instructor"),
        ),
        again=show_again(_training_page, request, db, actor, form_name="session"),
        done=lambda session: f"/preparedness/training/sessions/{session.id}?done=session",
        parse_errors=errors,
    )


def _session_page(
    request: Request,
    db: Session,
    actor: Actor,
    session_id: int,
    *,
    flash: str | None = None,
    refused: RefusedForm | None = None,
) -> HTMLResponse:
    session = training.get_session(db, actor=actor, session_id=session_id)
    return page(
        request,
        "preparedness_training_session.html",
        {
            "session": session,
            "course": training.get_course(db, actor=actor, course_id=session.course_id),
            "attendance": training.attendance_of(db, actor=actor, session_id=session.id),
            "members": ca.agency_members(db, actor=actor),
            "flash": flash,
        },
        refused=refused,
        form_name="attendance",
    )


@router.get("/preparedness/training/sessions/{session_id}", response_class=HTMLResponse)
def session_page(
    request: Request, session_id: PathId, db: SessionDep, actor: ActorDep, done: str = ""
) -> HTMLResponse:
    """A training session and who attended it."""
    return _session_page(request, db, actor, session_id, flash=FLASH.get(done))


@router.post("/preparedness/training/sessions/{session_id}/attendance")
async def record_attendance(
    request: Request, session_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    errors: dict[str, str] = {}
    user_id = form_id(form, "user_id", errors)
    site_id = form_id(form, "site_id", errors)
    completed = text_from_form(form, "completed", 10)
    if completed not in ("yes", "no"):
        errors["completed"] = "Say whether the person completed the course."
    return settle_form(
        request,
        db,
        form,
        "attendance",
        lambda: training.record_attendance(
            db,
            actor=actor,
            session_id=session_id,
            person_name=form_text(form, "person_name"),
            completed=completed == "yes",
            user_id=user_id,
            site_id=site_id,
        ),
        again=lambda refused: _session_page(request, db, actor, session_id, refused=refused),
        done=f"/preparedness/training/sessions/{session_id}?done=attendance#attendance",
        parse_errors=errors,
    )


@router.get("/preparedness/sites/{site_id}/readiness", response_class=HTMLResponse)
def readiness_page(
    request: Request, site_id: PathId, db: SessionDep, actor: ActorDep
) -> HTMLResponse:
    """Who at a site is trained in what, and whether each certification is current."""
    site = sites.get_site(db, actor=actor, site_id=site_id)
    readiness = training.site_readiness(db, actor=actor, site_id=site.id)
    return page(request, "preparedness_readiness.html", {"site": site, "readiness": readiness})


def _capabilities_page(
    request: Request,
    db: Session,
    actor: Actor,
    *,
    flash: str | None = None,
    refused: RefusedForm | None = None,
) -> HTMLResponse:
    return page(
        request,
        "preparedness_capabilities.html",
        {
            "report": capabilities.gap_report(db, actor=actor),
            "may_set": capabilities.may_set_targets(actor),
            "mission_areas": capabilities.mission_areas(),
            "flash": flash,
        },
        refused=refused,
        form_name="target",
    )


@router.get("/preparedness/capabilities", response_class=HTMLResponse)
def capabilities_page(
    request: Request, db: SessionDep, actor: ActorDep, done: str = ""
) -> HTMLResponse:
    """The 32 core capabilities for the reader's jurisdiction: targets, gaps and what
    addresses them."""
    return _capabilities_page(request, db, actor, flash=FLASH.get(done))


@router.post("/preparedness/capabilities")
async def set_target(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    form = await request.form()
    errors: dict[str, str] = {}
    target = form_level(form, "target_level", errors)
    current = form_level(form, "current_level", errors)
    return settle_form(
        request,
        db,
        form,
        "target",
        lambda: capabilities.set_target(
            db,
            actor=actor,
            capability_key=text_from_form(form, "capability_key", 60),
            target_level=target,
            current_level=current,
            note=form_text(form, "note"),
        ),
        again=lambda refused: _capabilities_page(request, db, actor, refused=refused),
        done="/preparedness/capabilities?done=target",
        parse_errors=errors,
    )

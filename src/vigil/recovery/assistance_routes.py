"""Pages of the family assistance center (its families, services, briefings, visits,
client-list import and the lead's daily summary) and of the resiliency center
(directory, events, needs and offers matched to them). Thin: parse, call, render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.platform.routes.forms import RefusedForm, int_from_form, text_from_form
from vigil.recovery import assistance, client_import, community
from vigil.recovery.assistance import RegistrationInput
from vigil.recovery.pages import form_date, form_page, form_text, render, submit_form
from vigil.web.deps import ActorDep, PathId, SessionDep, SettingsDep

router = APIRouter(include_in_schema=False)

FLASH = {
    "opened": "The family assistance center is open; you lead it.",
    "registered": "The family is registered.",
    "service": "The service is on offer.",
    "briefing": "The briefing is scheduled.",
    "attendance": "Attendance was recorded.",
    "visit": "The visit was recorded.",
    "case": "A survivor case is open for the family; you are its advocate.",
    "closed": "The center is closed; what it holds is kept until its retention date, then purged.",
    "provider": "The provider is in the directory.",
    "event": "The event is on the calendar.",
    "need": "The need is recorded.",
    "offer": "The offer is recorded.",
    "matched": "Offers were matched to needs.",
}


def number(form: FormData, name: str, *, required: bool = True, default: int | None = None) -> int:
    """A whole number from a form; InvalidInput naming the field otherwise."""
    raw = text_from_form(form, name, 20).strip()
    if not raw and not required and default is not None:
        return default
    value = int_from_form(form, name)
    if value is None:
        raise InvalidInput({name: "Give a whole number."})
    return value


def moment(form: FormData, name: str) -> datetime:
    """A date and time from a ``datetime-local`` field, taken as UTC."""
    raw = text_from_form(form, name, 40).strip()
    try:
        found = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput({name: "Give a date and time (YYYY-MM-DDTHH:MM)."}) from None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _center_page(
    request: Request,
    db: Session,
    actor: Actor,
    center_id: int,
    *,
    form_name: str | None = None,
    refused: RefusedForm | None = None,
    flash: str | None = None,
    report: client_import.ImportReport | None = None,
    status_code: int | None = None,
) -> HTMLResponse:
    view = assistance.view_center(db, actor=actor, center_id=center_id)
    return form_page(
        request,
        "recovery_center.html",
        {
            "view": view,
            "report": report,
            "today": datetime.now(UTC).date(),
            "may_manage": assistance.may_manage(db, actor),
        },
        form_name=form_name,
        refused=refused,
        flash=flash,
        status_code=status_code,
    )


def _center_refused(
    request: Request, db: Session, actor: Actor, center_id: int, form_name: str
) -> Callable[[RefusedForm], HTMLResponse]:
    """The center page again, showing why ``form_name`` was refused."""
    return lambda refused: _center_page(
        request, db, actor, center_id, form_name=form_name, refused=refused
    )


async def _center_form(
    request: Request,
    db: Session,
    actor: Actor,
    center_id: int,
    form_name: str,
    done: str,
    work: Callable[[FormData], object],
) -> Response:
    return await submit_form(
        request,
        db,
        form_name=form_name,
        guard=lambda: assistance.get_center(db, actor=actor, center_id=center_id, action="work"),
        work=work,
        done=lambda _: f"/recovery/centers/{center_id}?done={done}",
        page=_center_refused(request, db, actor, center_id, form_name),
    )


def _centers_page(
    request: Request, db: Session, actor: Actor, refused: RefusedForm | None = None
) -> HTMLResponse:
    return form_page(
        request,
        "recovery_centers.html",
        {
            "centers": assistance.list_centers(db, actor=actor),
            "may_manage": assistance.may_manage(db, actor),
        },
        form_name="center" if refused is not None else None,
        refused=refused,
    )


@router.get("/recovery/centers", response_class=HTMLResponse)
def centers_page(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    return _centers_page(request, db, actor)


@router.post("/recovery/centers")
async def open_center(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    return await submit_form(
        request,
        db,
        form_name="center",
        guard=lambda: assistance.list_centers(db, actor=actor),  # the provider's staff only
        work=lambda form: assistance.open_center(
            db,
            actor=actor,
            incident_id=number(form, "incident_id"),
            name=form_text(form, "name", 200),
            place=form_text(form, "place", 200),
        ),
        done=lambda center: f"/recovery/centers/{center.id}?done=opened",
        page=lambda refused: _centers_page(request, db, actor, refused),
        refused=(InvalidInput,),
    )


@router.get("/recovery/centers/{center_id}", response_class=HTMLResponse)
def center_page(
    request: Request, center_id: PathId, db: SessionDep, actor: ActorDep, done: str = ""
) -> HTMLResponse:
    return _center_page(request, db, actor, center_id, flash=FLASH.get(done))


def registration_from(form: FormData) -> RegistrationInput:
    return RegistrationInput(
        kind=text_from_form(form, "kind", 40),
        display_name=form_text(form, "display_name", 200),
        people_count=number(form, "people_count", required=False, default=1),
        preferred_language=form_text(form, "preferred_language", 60) or None,
        contact=form_text(form, "contact", 2000) or None,
        reunification_record=form_text(form, "reunification_record", 100) or None,
    )


@router.post("/recovery/centers/{center_id}/registrations")
async def register(
    request: Request, center_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _center_form(
        request,
        db,
        actor,
        center_id,
        "register",
        "registered",
        lambda form: assistance.register(
            db, actor=actor, center_id=center_id, data=registration_from(form)
        ),
    )


@router.post("/recovery/centers/{center_id}/services")
async def add_service(
    request: Request, center_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _center_form(
        request,
        db,
        actor,
        center_id,
        "service",
        "service",
        lambda form: assistance.add_service(
            db,
            actor=actor,
            center_id=center_id,
            kind=text_from_form(form, "kind", 40),
            provider_name=form_text(form, "provider_name", 200),
            languages=form_text(form, "languages", 300),
            hours=form_text(form, "hours", 200),
        ),
    )


@router.post("/recovery/centers/{center_id}/briefings")
async def schedule_briefing(
    request: Request, center_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _center_form(
        request,
        db,
        actor,
        center_id,
        "briefing",
        "briefing",
        lambda form: assistance.schedule_briefing(
            db,
            actor=actor,
            center_id=center_id,
            scheduled_at=moment(form, "scheduled_at"),
            topic=form_text(form, "topic", 200),
            presenter=form_text(form, "presenter", 200),
        ),
    )


@router.post("/recovery/centers/{center_id}/attendance")
async def record_attendance(
    request: Request, center_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    def work(form: FormData) -> object:
        return assistance.record_attendance(
            db,
            actor=actor,
            briefing_id=number(form, "briefing_id"),
            registration_id=number(form, "registration_id"),
            attendees=number(form, "attendees"),
            center_id=center_id,
        )

    return await _center_form(request, db, actor, center_id, "attendance", "attendance", work)


@router.post("/recovery/centers/{center_id}/visits")
async def log_visit(
    request: Request, center_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    def work(form: FormData) -> object:
        registration = number(form, "registration_id")
        _, found = assistance.get_registration(
            db, actor=actor, registration_id=registration, action="work"
        )
        if found.center_id != center_id:
            raise InvalidInput({"registration_id": "Choose a family registered here."})
        services = [s for s in form.getlist("services") if isinstance(s, str)][:20]
        return assistance.log_visit(
            db,
            actor=actor,
            registration_id=registration,
            services=services,
            note=form_text(form, "note", 2000) or None,
        )

    return await _center_form(request, db, actor, center_id, "visit", "visit", work)


@router.post("/recovery/centers/{center_id}/registrations/{registration_id}/case")
async def open_case(
    request: Request, center_id: PathId, registration_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    def guard() -> None:
        _, found = assistance.get_registration(
            db, actor=actor, registration_id=registration_id, action="work"
        )
        if found.center_id != center_id:
            raise InvalidInput({"registration_id": "Choose a family registered here."})

    return await submit_form(
        request,
        db,
        form_name="case",
        guard=guard,
        work=lambda form: assistance.open_case_for(
            db, actor=actor, registration_id=registration_id
        ),
        done=lambda case: f"/recovery/cases/{case.id}?done=opened",
        page=_center_refused(request, db, actor, center_id, "case"),
    )


@router.post("/recovery/centers/{center_id}/close")
async def close_center(
    request: Request, center_id: PathId, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> Response:
    return await submit_form(
        request,
        db,
        form_name="close",
        guard=lambda: assistance.get_center(db, actor=actor, center_id=center_id),
        work=lambda form: assistance.close_center(
            db,
            actor=actor,
            center_id=center_id,
            retention_days=settings.assistance_center_retention_days,
            closed_on=form_date(form, "closed_on", required=False),
        ),
        done=lambda _: f"/recovery/centers/{center_id}?done=closed",
        page=_center_refused(request, db, actor, center_id, "close"),
    )


@router.post("/recovery/centers/{center_id}/import")
async def import_clients(
    request: Request, center_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    assistance.get_center(db, actor=actor, center_id=center_id, action="work")
    upload = form.get("file")
    raw = b""
    if upload is not None and not isinstance(upload, str):
        raw = await upload.read(client_import.MAX_BYTES + 1)
    if not raw:
        report = client_import.ImportReport(file_problem="Choose a CSV file of clients.")
    else:
        report = client_import.import_clients(db, actor=actor, center_id=center_id, data=raw)
    if not report.ok:
        # Nothing was stored; keep the audit record of the refusal.
        request.state.commit_on_error = True
    return _center_page(
        request, db, actor, center_id, report=report, status_code=200 if report.ok else 422
    )


@router.get("/recovery/centers/{center_id}/summary", response_class=HTMLResponse)
def summary_page(
    request: Request, center_id: PathId, db: SessionDep, actor: ActorDep, day: str = ""
) -> HTMLResponse:
    try:
        chosen = date.fromisoformat(day) if day else datetime.now(UTC).date()
    except ValueError:
        raise InvalidInput({"day": "Give a day as YYYY-MM-DD."}) from None
    summary = assistance.daily_summary(db, actor=actor, center_id=center_id, day=chosen)
    return render(request, "recovery_center_summary.html", {"summary": summary})


# --- the resiliency center --------------------------------------------------------------


def _community_page(
    request: Request,
    db: Session,
    actor: Actor,
    *,
    kind: str = "",
    language: str = "",
    form_name: str | None = None,
    refused: RefusedForm | None = None,
    flash: str | None = None,
) -> HTMLResponse:
    view = community.community_view(
        db, actor=actor, kind=kind[:40] or None, language=language[:60] or None
    )
    return form_page(
        request,
        "recovery_community.html",
        {"view": view, "kind": kind[:40], "language": language[:60]},
        form_name=form_name,
        refused=refused,
        flash=flash,
    )


@router.get("/recovery/community", response_class=HTMLResponse)
def community_page(
    request: Request,
    db: SessionDep,
    actor: ActorDep,
    kind: str = "",
    language: str = "",
    done: str = "",
) -> HTMLResponse:
    return _community_page(request, db, actor, kind=kind, language=language, flash=FLASH.get(done))


async def _community_form(
    request: Request,
    db: Session,
    actor: Actor,
    form_name: str,
    done: str,
    work: Callable[[FormData], object],
) -> Response:
    return await submit_form(
        request,
        db,
        form_name=form_name,
        guard=lambda: community.community_view(db, actor=actor),  # the holder's staff only
        work=work,
        done=lambda _: f"/recovery/community?done={done}",
        page=lambda refused: _community_page(
            request, db, actor, form_name=form_name, refused=refused
        ),
    )


@router.post("/recovery/community/providers")
async def add_provider(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    return await _community_form(
        request,
        db,
        actor,
        "provider",
        "provider",
        lambda form: community.add_provider(
            db,
            actor=actor,
            name=form_text(form, "name", 200),
            kind=text_from_form(form, "kind", 40),
            capacity=number(form, "capacity"),
            languages=form_text(form, "languages", 300),
            contact=form_text(form, "contact", 300),
        ),
    )


@router.post("/recovery/community/events")
async def add_event(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    return await _community_form(
        request,
        db,
        actor,
        "event",
        "event",
        lambda form: community.add_event(
            db,
            actor=actor,
            kind=text_from_form(form, "kind", 40),
            title=form_text(form, "title", 200),
            starts_at=moment(form, "starts_at"),
            place=form_text(form, "place", 200),
            description=form_text(form, "description", 5000) or None,
        ),
    )


@router.post("/recovery/community/needs")
async def add_need(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    return await _community_form(
        request,
        db,
        actor,
        "need",
        "need",
        lambda form: community.add_need(
            db,
            actor=actor,
            kind=text_from_form(form, "kind", 40),
            description=form_text(form, "description", 500),
            quantity=number(form, "quantity"),
            language=form_text(form, "language", 60) or None,
        ),
    )


@router.post("/recovery/community/offers")
async def add_offer(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    return await _community_form(
        request,
        db,
        actor,
        "offer",
        "offer",
        lambda form: community.add_offer(
            db,
            actor=actor,
            offer_kind=text_from_form(form, "offer_kind", 40),
            kind=text_from_form(form, "kind", 40),
            offered_by=form_text(form, "offered_by", 200),
            quantity=number(form, "quantity"),
            languages=form_text(form, "languages", 300) or None,
            contact=form_text(form, "contact", 300) or None,
        ),
    )


@router.post("/recovery/community/match")
async def match(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    return await _community_form(
        request, db, actor, "match", "matched", lambda form: community.match_offers(db, actor=actor)
    )

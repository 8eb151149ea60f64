"""Reunification work pages: uploading accountability lists, inquiries and guardians
(with the row-by-row report), the phone bank's one-inquiry form, running the matching,
and the reunification sites with their desk (arrivals, guardian check-in, release)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial as bind
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.routes.forms import int_from_form, refuse_form, text_from_form
from vigil.response import reunification_sites as desk_service
from vigil.response.guardians import GUARDIAN_COLUMNS, GuardianEntry, add_guardian
from vigil.response.guardians import upload_guardians as store_guardians
from vigil.response.match_files import INQUIRY_COLUMNS, LIST_COLUMNS
from vigil.response.pages import render
from vigil.response.phone_bank import CallerInquiry, take_inquiry
from vigil.response.reunification import add_inquiries, match_incident, upload_list
from vigil.web.deps import ActorDep, PathId, SessionDep

router = APIRouter(include_in_schema=False)

SHOWN_PROBLEMS = 200
UPLOADS = {
    "list": ("Accountability list", LIST_COLUMNS),
    "inquiries": ("Families' inquiries", INQUIRY_COLUMNS),
    "guardians": ("Authorised guardians", GUARDIAN_COLUMNS),
}
UPLOAD_PATHS = frozenset(f"/reunification/upload/{kind}" for kind in UPLOADS)
DONE = {
    "inquiry": "The inquiry is recorded. Run the matching to propose candidates.",
    "matched": "Matching ran: the candidates wait on the incident's queue for a person to confirm.",
    "site": "The reunification site is open.",
    "location": "The place is on the incident's map.",
    "guardian": "The guardian entry is recorded.",
    "arrival": "The student is recorded as accounted for at this site.",
    "verified": "Identity verified against the authorised-guardian list: release may proceed.",
    "refused": "Check-in refused and recorded. Do not release the student; tell the site lead.",
    "released": "Release recorded.",
}


def _today() -> Any:
    return datetime.now(UTC).date()


def _upload_page(
    request: Request,
    db: Session,
    actor: Actor,
    incident_id: int,
    *,
    result: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    name = desk_service.incident_for(db, actor=actor, action="upload", incident_id=incident_id)
    return render(
        request,
        "reunification_upload.html",
        {
            "incident_id": incident_id,
            "incident_name": name,
            "uploads": UPLOADS,
            "result": result,
            "shown": SHOWN_PROBLEMS,
            "errors": errors or {},
            "values": values or {},
            "flash": flash,
        },
        status_code=status_code,
    )


@router.get("/reunification/incidents/{incident_id}/upload", response_class=HTMLResponse)
def upload_page(
    request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep, done: str = ""
) -> HTMLResponse:
    """Upload lists, inquiries and guardians; take one inquiry; run the matching."""
    return _upload_page(request, db, actor, incident_id, flash=DONE.get(done))


async def _upload(request: Request, db: Session, actor: Actor, kind: str) -> HTMLResponse:
    form = await request.form()
    incident_id = int_from_form(form, "incident_id")
    if incident_id is None or incident_id < 1:
        raise NotFound("incident")
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _upload_page(
            request,
            db,
            actor,
            incident_id,
            errors={f"{kind}-file": "Choose a CSV file to upload."},
            status_code=422,
        )
    data = await upload.read()
    source = upload.filename[:200]
    if kind == "guardians":
        service: Any = bind(store_guardians, db, actor=actor, incident_id=incident_id)
    else:
        store = upload_list if kind == "list" else add_inquiries
        service = bind(store, db, actor=actor, incident_id=incident_id, today=_today())
    outcome = await run_in_threadpool(bind(service, data=data, source_name=source))
    result = {
        "kind": kind,
        "label": UPLOADS[kind][0],
        "source": source,
        "stored": outcome.stored,
        "problems": outcome.problems,
        "file_problem": outcome.file_problem,
    }
    if not outcome.stored:
        # Nothing was stored; the page view's audit record stays.
        db.rollback()
        request.state.commit_on_error = True
    return _upload_page(
        request, db, actor, incident_id, result=result, status_code=200 if outcome.stored else 422
    )


@router.post("/reunification/upload/list", response_class=HTMLResponse)
async def upload_list_file(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    return await _upload(request, db, actor, "list")


@router.post("/reunification/upload/inquiries", response_class=HTMLResponse)
async def upload_inquiries_file(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    return await _upload(request, db, actor, "inquiries")


@router.post("/reunification/upload/guardians", response_class=HTMLResponse)
async def upload_guardians_file(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    return await _upload(request, db, actor, "guardians")


def _text(form: FormData, name: str, limit: int = 2100) -> str:
    return text_from_form(form, name, limit)


@router.post("/reunification/incidents/{incident_id}/inquiries")
async def take_call(
    request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    call = CallerInquiry(
        full_name=_text(form, "call-full_name", 301),
        dob=_text(form, "call-dob", 40),
        age=_text(form, "call-age", 40),
        sex=_text(form, "call-sex", 5),
        description=_text(form, "call-description"),
        relationship=_text(form, "call-relationship", 101),
        contact=_text(form, "call-contact", 201),
        caller_name=_text(form, "call-caller_name", 301),
    )
    try:
        take_inquiry(db, actor=actor, incident_id=incident_id, call=call, today=_today())
    except InvalidInput as problem:
        refused = refuse_form(request, db, "call", problem, form)
        return _upload_page(
            request,
            db,
            actor,
            incident_id,
            errors=refused.errors,
            values=refused.values,
            status_code=refused.status_code,
        )
    return RedirectResponse(
        f"/reunification/incidents/{incident_id}/upload?done=inquiry", status_code=303
    )


@router.post("/reunification/incidents/{incident_id}/match")
def run_matching(incident_id: PathId, db: SessionDep, actor: ActorDep) -> Response:
    match_incident(db, actor=actor, incident_id=incident_id, today=_today())
    return RedirectResponse(
        f"/reunification/incidents/{incident_id}/upload?done=matched", status_code=303
    )


def _sites_page(
    request: Request,
    db: Session,
    actor: Actor,
    incident_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    name = desk_service.incident_for(db, actor=actor, action="read", incident_id=incident_id)
    return render(
        request,
        "reunification_sites.html",
        {
            "incident_id": incident_id,
            "incident_name": name,
            "sites": desk_service.sites(db, actor=actor, incident_id=incident_id),
            "locations": desk_service.locations(db, incident_id),
            "location_kinds": desk_service.LOCATION_KINDS,
            "errors": errors or {},
            "values": values or {},
            "flash": flash,
        },
        status_code=status_code,
    )


@router.get("/reunification/incidents/{incident_id}/sites", response_class=HTMLResponse)
def sites_page(
    request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep, done: str = ""
) -> HTMLResponse:
    """The incident's reunification sites and map points; open a site, add guardians."""
    return _sites_page(request, db, actor, incident_id, flash=DONE.get(done))


async def _sites_form(
    request: Request, db: Session, actor: Actor, incident_id: int, form_name: str, done: str
) -> Response:
    form = await request.form()

    def typed(name: str, limit: int = 2100) -> str:
        return _text(form, f"{form_name}-{name}", limit)

    position, position_errors = desk_service.read_position(
        typed("latitude", 40), typed("longitude", 40), required=form_name == "location"
    )
    try:
        if form_name == "site":
            desk_service.open_site(
                db,
                actor=actor,
                incident_id=incident_id,
                name=typed("name", 201),
                address=typed("address", 301),
                position=position,
                form_errors=position_errors,
            )
        elif form_name == "location":
            desk_service.add_location(
                db,
                actor=actor,
                incident_id=incident_id,
                kind=typed("kind", 40),
                name=typed("name", 201),
                position=position,
                form_errors=position_errors,
            )
        else:
            add_guardian(
                db,
                actor=actor,
                incident_id=incident_id,
                entry=GuardianEntry(
                    person_row_id=typed("person", 101),
                    full_name=typed("guardian_name", 301),
                    relationship=_text(form, "call-relationship", 101),
                    phone=typed("phone", 51),
                    restricted=form.get("guardian-restricted") == "yes",
                    restriction=typed("restriction"),
                ),
            )
    except (InvalidInput, Conflict) as problem:
        refused = refuse_form(request, db, form_name, problem, form)
        return _sites_page(
            request,
            db,
            actor,
            incident_id,
            errors=refused.errors,
            values=refused.values,
            status_code=refused.status_code,
        )
    return RedirectResponse(
        f"/reunification/incidents/{incident_id}/sites?done={done}", status_code=303
    )


@router.post("/reunification/incidents/{incident_id}/sites")
async def open_site(
    request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _sites_form(request, db, actor, incident_id, "site", "site")


@router.post("/reunification/incidents/{incident_id}/locations")
async def add_location(
    request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _sites_form(request, db, actor, incident_id, "location", "location")


@router.post("/reunification/incidents/{incident_id}/guardians")
async def add_guardian_entry(
    request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _sites_form(request, db, actor, incident_id, "guardian", "guardian")


def _desk_page(
    request: Request,
    db: Session,
    actor: Actor,
    incident_id: int,
    site_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    name = desk_service.incident_for(db, actor=actor, action="read", incident_id=incident_id)
    found = desk_service.site(db, actor=actor, incident_id=incident_id, site_id=site_id)
    return render(
        request,
        "reunification_site.html",
        {
            "incident_id": incident_id,
            "incident_name": name,
            "site": found,
            "rows": desk_service.desk(db, actor=actor, incident_id=incident_id, site_id=site_id),
            "documents": desk_service.ID_DOCUMENTS,
            "refusals": desk_service.REFUSALS,
            "errors": errors or {},
            "values": values or {},
            "flash": flash,
        },
        status_code=status_code,
    )


@router.get("/reunification/incidents/{incident_id}/sites/{site_id}", response_class=HTMLResponse)
def site_desk(
    request: Request,
    incident_id: PathId,
    site_id: PathId,
    db: SessionDep,
    actor: ActorDep,
    done: str = "",
) -> HTMLResponse:
    """A site's desk: arrivals, guardian check-in with identity verification, release."""
    return _desk_page(request, db, actor, incident_id, site_id, flash=DONE.get(done))


async def _desk_form(
    request: Request, db: Session, actor: Actor, incident_id: int, site_id: int, form_name: str
) -> Response:
    form = await request.form()

    def typed(name: str, limit: int = 2100) -> str:
        return _text(form, f"{form_name}-{name}", limit)

    done = form_name
    try:
        if form_name == "arrival":
            desk_service.record_arrival(
                db,
                actor=actor,
                incident_id=incident_id,
                site_id=site_id,
                person_row_id=typed("person", 101),
            )
        elif form_name == "checkin":
            outcome = desk_service.check_in(
                db,
                actor=actor,
                incident_id=incident_id,
                site_id=site_id,
                person_row_id=typed("person", 101),
                presented_name=typed("presented_name", 301),
                id_document=typed("id_document", 40),
                identity_verified=form.get("checkin-identity_verified") == "yes",
            )
            done = "verified" if outcome.verified else "refused"
        else:
            checkin_id = int_from_form(form, "checkin_id")
            if checkin_id is None or checkin_id < 1:
                raise InvalidInput({"checkin_id": "choose the verified check-in to release on"})
            desk_service.release(
                db, actor=actor, incident_id=incident_id, site_id=site_id, checkin_id=checkin_id
            )
            done = "released"
    except (InvalidInput, Conflict) as problem:
        refused = refuse_form(request, db, form_name, problem, form)
        return _desk_page(
            request,
            db,
            actor,
            incident_id,
            site_id,
            errors=refused.errors,
            values=refused.values,
            status_code=refused.status_code,
        )
    return RedirectResponse(
        f"/reunification/incidents/{incident_id}/sites/{site_id}?done={done}", status_code=303
    )


@router.post("/reunification/incidents/{incident_id}/sites/{site_id}/arrivals")
async def record_arrival(
    request: Request, incident_id: PathId, site_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _desk_form(request, db, actor, incident_id, site_id, "arrival")


@router.post("/reunification/incidents/{incident_id}/sites/{site_id}/checkins")
async def check_in(
    request: Request, incident_id: PathId, site_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _desk_form(request, db, actor, incident_id, site_id, "checkin")


@router.post("/reunification/incidents/{incident_id}/sites/{site_id}/releases")
async def release(
    request: Request, incident_id: PathId, site_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _desk_form(request, db, actor, incident_id, site_id, "release")

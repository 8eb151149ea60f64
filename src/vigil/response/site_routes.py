"""Reunification work pages: uploading accountability lists, inquiries and guardians
(with the row-by-row report), the phone bank's one-inquiry form, running the matching,
and the reunification sites with their desk (arrivals, guardian check-in, release)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial as bind
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.routes.forms import int_from_form, text_from_form
from vigil.response import reunification_sites as desk_service
from vigil.response.form_pages import Shown, settle
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


def _page(
    request: Request,
    template: str,
    incident_id: int,
    incident_name: str,
    shown: Shown,
    context: dict[str, Any],
) -> HTMLResponse:
    """A reunification work page of the incident, as ``shown`` (errors, values, notice)."""
    return render(
        request,
        template,
        {
            "incident_id": incident_id,
            "incident_name": incident_name,
            "errors": shown.errors,
            "values": shown.values,
            "flash": shown.flash,
            **context,
        },
        status_code=shown.status_code,
    )


def _upload_page(
    request: Request,
    db: Session,
    actor: Actor,
    incident_id: int,
    shown: Shown = Shown(),
    *,
    result: dict[str, Any] | None = None,
) -> HTMLResponse:
    name = desk_service.incident_for(db, actor=actor, action="upload", incident_id=incident_id)
    context = {"uploads": UPLOADS, "result": result, "shown": SHOWN_PROBLEMS}
    return _page(request, "reunification_upload.html", incident_id, name, shown, context)


@router.get("/reunification/incidents/{incident_id}/upload", response_class=HTMLResponse)
def upload_page(
    request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep, done: str = ""
) -> HTMLResponse:
    """Upload lists, inquiries and guardians; take one inquiry; run the matching."""
    return _upload_page(request, db, actor, incident_id, Shown(flash=DONE.get(done)))


async def _upload(request: Request, db: Session, actor: Actor, kind: str) -> HTMLResponse:
    form = await request.form()
    incident_id = int_from_form(form, "incident_id")
    if incident_id is None or incident_id < 1:
        raise NotFound("incident")
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        missing = Shown(errors={f"{kind}-file": "Choose a CSV file to upload."}, status_code=422)
        return _upload_page(request, db, actor, incident_id, missing)
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
    status = Shown(status_code=200 if outcome.stored else 422)
    return _upload_page(request, db, actor, incident_id, status, result=result)


def _upload_route(kind: str) -> Callable[..., Awaitable[HTMLResponse]]:
    async def upload(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
        return await _upload(request, db, actor, kind)

    upload.__name__ = f"upload_{kind}_file"
    return upload


for _kind in UPLOADS:
    router.add_api_route(
        f"/reunification/upload/{_kind}",
        _upload_route(_kind),
        methods=["POST"],
        response_class=HTMLResponse,
    )


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
    return settle(
        request,
        db,
        form,
        "call",
        lambda: take_inquiry(db, actor=actor, incident_id=incident_id, call=call, today=_today()),
        again=lambda shown: _upload_page(request, db, actor, incident_id, shown),
        done=f"/reunification/incidents/{incident_id}/upload?done=inquiry",
    )


@router.post("/reunification/incidents/{incident_id}/match")
def run_matching(incident_id: PathId, db: SessionDep, actor: ActorDep) -> Response:
    match_incident(db, actor=actor, incident_id=incident_id, today=_today())
    return RedirectResponse(
        f"/reunification/incidents/{incident_id}/upload?done=matched", status_code=303
    )


def _sites_page(
    request: Request, db: Session, actor: Actor, incident_id: int, shown: Shown = Shown()
) -> HTMLResponse:
    name = desk_service.incident_for(db, actor=actor, action="read", incident_id=incident_id)
    context = {
        "sites": desk_service.sites(db, actor=actor, incident_id=incident_id),
        "locations": desk_service.locations(db, incident_id),
        "location_kinds": desk_service.LOCATION_KINDS,
    }
    return _page(request, "reunification_sites.html", incident_id, name, shown, context)


@router.get("/reunification/incidents/{incident_id}/sites", response_class=HTMLResponse)
def sites_page(
    request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep, done: str = ""
) -> HTMLResponse:
    """The incident's reunification sites and map points; open a site, add guardians."""
    return _sites_page(request, db, actor, incident_id, Shown(flash=DONE.get(done)))


async def _sites_form(
    request: Request, db: Session, actor: Actor, incident_id: int, form_name: str
) -> Response:
    form = await request.form()

    def typed(name: str, limit: int = 2100) -> str:
        return _text(form, f"{form_name}-{name}", limit)

    position, position_errors = desk_service.read_position(
        typed("latitude", 40), typed("longitude", 40), required=form_name == "location"
    )

    def change() -> None:
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

    return settle(
        request,
        db,
        form,
        form_name,
        change,
        again=lambda shown: _sites_page(request, db, actor, incident_id, shown),
        done=f"/reunification/incidents/{incident_id}/sites?done={form_name}",
    )


def _sites_route(form_name: str) -> Callable[..., Awaitable[Response]]:
    async def change(
        request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep
    ) -> Response:
        return await _sites_form(request, db, actor, incident_id, form_name)

    change.__name__ = f"post_{form_name}"
    return change


# Each form of the sites page: its path below the incident, and its name.
for _path, _form_name in (("sites", "site"), ("locations", "location"), ("guardians", "guardian")):
    router.add_api_route(
        f"/reunification/incidents/{{incident_id}}/{_path}",
        _sites_route(_form_name),
        methods=["POST"],
    )


def _desk_page(
    request: Request,
    db: Session,
    actor: Actor,
    incident_id: int,
    site_id: int,
    shown: Shown = Shown(),
) -> HTMLResponse:
    name = desk_service.incident_for(db, actor=actor, action="read", incident_id=incident_id)
    found = desk_service.site(db, actor=actor, incident_id=incident_id, site_id=site_id)
    context = {
        "site": found,
        "rows": desk_service.desk(db, actor=actor, incident_id=incident_id, site_id=site_id),
        "documents": desk_service.ID_DOCUMENTS,
        "refusals": desk_service.REFUSALS,
    }
    return _page(request, "reunification_site.html", incident_id, name, shown, context)


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
    return _desk_page(request, db, actor, incident_id, site_id, Shown(flash=DONE.get(done)))


async def _desk_form(
    request: Request, db: Session, actor: Actor, incident_id: int, site_id: int, form_name: str
) -> Response:
    form = await request.form()

    def typed(name: str, limit: int = 2100) -> str:
        return _text(form, f"{form_name}-{name}", limit)

    def change() -> str:
        if form_name == "arrival":
            desk_service.record_arrival(
                db,
                actor=actor,
                incident_id=incident_id,
                site_id=site_id,
                person_row_id=typed("person", 101),
            )
            return form_name
        if form_name == "checkin":
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
            return "verified" if outcome.verified else "refused"
        checkin_id = int_from_form(form, "checkin_id")
        if checkin_id is None or checkin_id < 1:
            raise InvalidInput({"checkin_id": "choose the verified check-in to release on"})
        desk_service.release(
            db, actor=actor, incident_id=incident_id, site_id=site_id, checkin_id=checkin_id
        )
        return "released"

    return settle(
        request,
        db,
        form,
        form_name,
        change,
        again=lambda shown: _desk_page(request, db, actor, incident_id, site_id, shown),
        done=lambda done: f"/reunification/incidents/{incident_id}/sites/{site_id}?done={done}",
    )


def _desk_route(form_name: str) -> Callable[..., Awaitable[Response]]:
    async def change(
        request: Request, incident_id: PathId, site_id: PathId, db: SessionDep, actor: ActorDep
    ) -> Response:
        return await _desk_form(request, db, actor, incident_id, site_id, form_name)

    change.__name__ = f"post_{form_name}"
    return change


# Each form of a site's desk: its path below the site, and its name.
for _path, _form_name in (
    ("arrivals", "arrival"),
    ("checkins", "checkin"),
    ("releases", "release"),
):
    router.add_api_route(
        f"/reunification/incidents/{{incident_id}}/sites/{{site_id}}/{_path}",
        _desk_route(_form_name),
        methods=["POST"],
    )

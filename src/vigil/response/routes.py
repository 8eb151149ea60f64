"""Reunification pages: an incident's queue of candidate matches for staff to confirm,
the people on its lists by status, and the families waiting to be told in person."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict
from vigil.platform.routes.forms import text_from_form
from vigil.response import picture_routes, site_routes
from vigil.response.confirmation import confirm_match, pending_notifications, read_listed_person
from vigil.response.form_pages import Shown, settle
from vigil.response.pages import render
from vigil.response.person_links import MAX_REMOVAL_REASON, link_same_person, unlink_same_person
from vigil.response.pfif_exchange import incident_name
from vigil.response.reunification import review_queue, status_counts
from vigil.web.deps import ActorDep, PathId, SessionDep

router = APIRouter(include_in_schema=False)

FLASH = {
    "confirmed": "The match is confirmed. Tell the family through your reunification process.",
    "notify": (
        "The match is confirmed. The person is on the medical examiner's list: the family is "
        "queued for an in-person notification by designated staff. Do not tell them by phone."
    ),
    "already": "That match was already confirmed.",
}
MAX_REFERENCE = 100
PERSON_FLASH = {
    "linked": "The rows are linked as the same person.",
    "unlinked": (
        "The link is removed: the rows count as separate people again. "
        "The link and why it was removed stay in the link history."
    ),
}


def _page(
    request: Request,
    db: Session,
    actor: Actor,
    incident_id: int,
    *,
    flash: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    queue = review_queue(db, actor=actor, incident_id=incident_id)
    return render(
        request,
        "reunification_incident.html",
        {
            "incident_id": incident_id,
            "incident_name": incident_name(db, incident_id),
            "queue": queue,
            "counts": status_counts(db, actor=actor, incident_id=incident_id),
            "pending": pending_notifications(db, actor=actor, incident_id=incident_id),
            "flash": flash,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/reunification/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(
    request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep, done: str = ""
) -> HTMLResponse:
    """The incident's candidate matches (likely first), lists by status, notifications."""
    return _page(request, db, actor, incident_id, flash=FLASH.get(done))


def _reference(value: str) -> str | None:
    value = value.strip()
    if not value or len(value) > MAX_REFERENCE or not value.isprintable():
        return None
    return value


@router.post("/reunification/incidents/{incident_id}/confirm")
async def confirm(
    request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    inquiry = _reference(text_from_form(form, "inquiry", MAX_REFERENCE + 1))
    person = _reference(text_from_form(form, "person", MAX_REFERENCE + 1))
    errors = {}
    if inquiry is None:
        errors["inquiry"] = "Choose the inquiry to confirm."
    if person is None:
        errors["person"] = "Choose the listed person the inquiry is about."
    if errors or inquiry is None or person is None:
        db.rollback()
        return _page(request, db, actor, incident_id, errors=errors, status_code=422)
    try:
        done = confirm_match(
            db, actor=actor, incident_id=incident_id, inquiry_reference=inquiry, row_id=person
        )
    except Conflict:
        db.rollback()
        return RedirectResponse(
            f"/reunification/incidents/{incident_id}?done=already", status_code=303
        )
    outcome = "notify" if done.notification_queued else "confirmed"
    return RedirectResponse(
        f"/reunification/incidents/{incident_id}?done={outcome}", status_code=303
    )


def _person_page(
    request: Request,
    db: Session,
    actor: Actor,
    incident_id: int,
    person_id: int,
    shown: Shown = Shown(),
) -> HTMLResponse:
    person = read_listed_person(db, actor=actor, incident_id=incident_id, person_id=person_id)
    return render(
        request,
        "reunification_person.html",
        {
            "incident_id": incident_id,
            "incident_name": incident_name(db, incident_id),
            "person": person,
            "flash": shown.flash,
            "errors": shown.errors,
            "values": shown.values,
        },
        status_code=shown.status_code,
    )


@router.get("/incidents/{incident_id}/people/{person_id}", response_class=HTMLResponse)
def person_page(
    request: Request,
    incident_id: PathId,
    person_id: PathId,
    db: SessionDep,
    actor: ActorDep,
    done: str = "",
) -> HTMLResponse:
    """One listed person: their list rows, status, release and notification queue."""
    return _person_page(
        request, db, actor, incident_id, person_id, Shown(flash=PERSON_FLASH.get(done))
    )


@router.post("/incidents/{incident_id}/people/{person_id}/same-as")
async def same_person(
    request: Request, incident_id: PathId, person_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    return settle(
        request,
        db,
        form,
        "link",
        lambda: link_same_person(
            db,
            actor=actor,
            incident_id=incident_id,
            person_id=person_id,
            same_as_row_id=text_from_form(form, "link-same_as", MAX_REFERENCE + 1),
        ),
        again=lambda shown: _person_page(request, db, actor, incident_id, person_id, shown),
        done=f"/incidents/{incident_id}/people/{person_id}?done=linked",
    )


@router.post("/incidents/{incident_id}/people/{person_id}/same-as/{link_id}/remove")
async def remove_same_person(
    request: Request,
    incident_id: PathId,
    person_id: PathId,
    link_id: PathId,
    db: SessionDep,
    actor: ActorDep,
) -> Response:
    form = await request.form()
    # Each linked row has its own form: its fields are named after the link.
    form_name = f"unlink-{link_id}"
    return settle(
        request,
        db,
        form,
        form_name,
        lambda: unlink_same_person(
            db,
            actor=actor,
            incident_id=incident_id,
            person_id=person_id,
            link_id=link_id,
            reason=text_from_form(form, f"{form_name}-reason", MAX_REMOVAL_REASON + 1),
        ),
        again=lambda shown: _person_page(request, db, actor, incident_id, person_id, shown),
        done=f"/incidents/{incident_id}/people/{person_id}?done=unlinked",
    )


# The reunification work pages and the operating picture share this router.
router.include_router(site_routes.router)
router.include_router(picture_routes.router)

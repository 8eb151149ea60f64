"""Linkage pages: the person view (timeline and pointers, merge and split), the
review queue of possible matches, access requests, and the history of runs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.linkage import access, persons, review
from vigil.linkage.models import LinkRun
from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput
from vigil.platform.models import Agency
from vigil.platform.routes.forms import int_from_form, text_from_form, whole_number
from vigil.web.deps import ActorDep, PathId, SessionDep
from vigil.web.templating import render

router = APIRouter(include_in_schema=False)

FLASH = {
    "merged": "The persons were merged. Later runs keep them together.",
    "split": "The chosen mentions are now a person of their own. Later runs keep them apart.",
    "requested": (
        "Your request was sent to the holding agency. You will be notified of the decision."
    ),
    "same": "Recorded: the same person. The two persons are now one.",
    "not_same": "Recorded: not the same person. They will never be merged by a run.",
    "unsure": "Recorded as unsure; the pair stays in the queue for another reviewer.",
    "granted": "Access granted: the report is shared with the requesting agency (a dissemination).",
    "refused": "Access refused; the requester has been told.",
}


def _agencies(db: Session) -> dict[int, str]:
    return dict(db.execute(select(Agency.id, Agency.name)).all())


def _person_page(
    request: Request,
    db: Session,
    actor: Actor,
    person_id: int,
    *,
    errors: dict[str, str] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = persons.view_person(db, actor=actor, person_id=person_id)
    return render(
        request,
        "person.html",
        {
            "view": view,
            "agencies": _agencies(db),
            "can_merge": policy.decide(actor, "merge", "person"),
            "can_split": policy.decide(actor, "split", "person") and len(view.timeline) > 1,
            "errors": errors or {},
            "flash": flash,
        },
        status_code=status_code,
    )


@router.get("/persons/{person_id}", response_class=HTMLResponse)
def person_page(
    request: Request, person_id: PathId, db: SessionDep, actor: ActorDep, done: str | None = None
) -> HTMLResponse:
    return _person_page(request, db, actor, person_id, flash=FLASH.get(done or ""))


def _refused(
    request: Request, db: Session, actor: Actor, person_id: int, errors: dict[str, str]
) -> HTMLResponse:
    db.rollback()
    request.state.commit_on_error = True  # keep the audit record of the page view
    return _person_page(request, db, actor, person_id, errors=errors, status_code=422)


@router.post("/persons/{person_id}/merge")
async def merge_person(
    request: Request, person_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    other = whole_number(text_from_form(form, "other_person_id", 20))
    reason = text_from_form(form, "reason", 2100)
    policy.authorize(actor, "merge", "person")
    if other is None:
        return _refused(request, db, actor, person_id, {"other_person_id": "Give a person number."})
    try:
        persons.merge(db, actor=actor, person_id=person_id, other_person_id=other, reason=reason)
    except InvalidInput as invalid:
        return _refused(request, db, actor, person_id, invalid.errors)
    except Conflict as conflict:
        return _refused(request, db, actor, person_id, {"other_person_id": str(conflict)})
    return RedirectResponse(f"/persons/{person_id}?done=merged", status_code=303)


@router.post("/persons/{person_id}/split")
async def split_person(
    request: Request, person_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    chosen = [whole_number(str(value)) for value in form.getlist("mention_ids")][:10_000]
    reason = text_from_form(form, "reason", 2100)
    policy.authorize(actor, "split", "person")
    try:
        new_person = persons.split(
            db,
            actor=actor,
            person_id=person_id,
            mention_ids=[value for value in chosen if value is not None],
            reason=reason,
        )
    except InvalidInput as invalid:
        return _refused(request, db, actor, person_id, invalid.errors)
    return RedirectResponse(f"/persons/{new_person}?done=split", status_code=303)


@router.post("/reports/{report_id}/access-requests")
async def request_access(
    request: Request, report_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    person_id = int_from_form(form, "person_id")
    reason = text_from_form(form, "reason", 2100)
    try:
        access.request_access(
            db, actor=actor, report_id=report_id, reason=reason, person_id=person_id
        )
    except InvalidInput as invalid:
        if person_id is None:
            raise
        return _refused(
            request, db, actor, person_id, {f"reason-{report_id}": invalid.errors["reason"]}
        )
    target = f"/persons/{person_id}?done=requested" if person_id else "/linkage/access-requests"
    return RedirectResponse(target, status_code=303)


# --- review queue ----------------------------------------------------------------


@router.get("/linkage/review", response_class=HTMLResponse)
def review_queue(
    request: Request, db: SessionDep, actor: ActorDep, done: str | None = None, page: int = 1
) -> HTMLResponse:
    page = max(1, min(page, 10_000))
    total, pairs = review.list_queue(db, actor=actor, limit=50, offset=(page - 1) * 50)
    return render(
        request,
        "review_queue.html",
        {
            "pairs": pairs,
            "total": total,
            "page": page,
            "agencies": _agencies(db),
            "flash": FLASH.get(done or ""),
        },
    )


def _pair_page(
    request: Request,
    db: Session,
    actor: Actor,
    candidate_id: int,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    pair = review.get_pair(db, actor=actor, candidate_id=candidate_id)
    return render(
        request,
        "review_pair.html",
        {
            "pair": pair,
            "agencies": _agencies(db),
            "explanation": _explained(pair.candidate.explanation),
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _explained(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for part in parts:
        weight = part.get("weight")
        rows.append(
            {
                "comparison": str(part.get("comparison", "")).replace("_", " "),
                "level": part.get("level") or "",
                "weight": weight,
                "verdict": (
                    "not compared"
                    if weight is None
                    else "for"
                    if weight > 0
                    else "against"
                    if weight < 0
                    else "neutral"
                ),
            }
        )
    return rows


@router.get("/linkage/review/{candidate_id}", response_class=HTMLResponse)
def review_pair(
    request: Request, candidate_id: PathId, db: SessionDep, actor: ActorDep
) -> HTMLResponse:
    return _pair_page(request, db, actor, candidate_id)


@router.post("/linkage/review/{candidate_id}")
async def decide_pair(
    request: Request, candidate_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    decision = text_from_form(form, "decision", 20)
    reason = text_from_form(form, "reason", 2100)
    try:
        review.decide(db, actor=actor, candidate_id=candidate_id, decision=decision, reason=reason)
    except InvalidInput as invalid:
        errors = invalid.errors
    except Conflict as conflict:
        errors = {"decision": str(conflict)}
    else:
        return RedirectResponse(f"/linkage/review?done={decision}", status_code=303)
    db.rollback()
    request.state.commit_on_error = True
    return _pair_page(request, db, actor, candidate_id, errors=errors, status_code=422)


# --- access requests ---------------------------------------------------------------


@router.get("/linkage/access-requests", response_class=HTMLResponse)
def access_requests(
    request: Request, db: SessionDep, actor: ActorDep, done: str | None = None
) -> HTMLResponse:
    requests = access.list_requests(db, actor=actor)
    return render(
        request,
        "access_requests.html",
        {
            "requests": requests,
            "agencies": _agencies(db),
            "mine": actor.user_id,
            "flash": FLASH.get(done or ""),
        },
    )


def _request_page(
    request: Request,
    db: Session,
    actor: Actor,
    request_id: int,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    wanted = access.get_request(db, actor=actor, request_id=request_id)
    return render(
        request,
        "access_request.html",
        {
            "wanted": wanted,
            "agencies": _agencies(db),
            "can_decide": access.can_decide(db, actor, wanted) and wanted.status == access.PENDING,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/linkage/access-requests/{request_id}", response_class=HTMLResponse)
def access_request_page(
    request: Request, request_id: PathId, db: SessionDep, actor: ActorDep
) -> HTMLResponse:
    return _request_page(request, db, actor, request_id)


@router.post("/linkage/access-requests/{request_id}")
async def decide_access(
    request: Request, request_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    decision = text_from_form(form, "decision", 20)
    reason = text_from_form(form, "reason", 2100)
    errors: dict[str, str]
    if decision not in ("grant", "refuse"):
        errors = {"decision": "Choose grant or refuse."}
    else:
        try:
            access.decide_request(
                db, actor=actor, request_id=request_id, grant=decision == "grant", reason=reason
            )
        except InvalidInput as invalid:
            errors = invalid.errors
        except Conflict as conflict:
            errors = {"decision": str(conflict)}
        else:
            done = "granted" if decision == "grant" else "refused"
            return RedirectResponse(f"/linkage/access-requests?done={done}", status_code=303)
    db.rollback()
    request.state.commit_on_error = True
    return _request_page(request, db, actor, request_id, errors=errors, status_code=422)


# --- runs --------------------------------------------------------------------------


@router.get("/linkage/runs", response_class=HTMLResponse)
def run_history(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    policy.authorize(actor, "read", "link_run")
    history = list(
        db.execute(
            select(LinkRun)
            .where(policy.scope(actor, "read", "link_run"))
            .order_by(LinkRun.id.desc())
            .limit(50)
        ).scalars()
    )
    return render(request, "link_runs.html", {"runs": history})

"""Victim-services pages: the caseload of an advocate or a supervisor, opening a case,
the case page (consents, referrals and their outcomes, dates that matter, assignment,
closing), the survivor's export; the cases disclosed to one's agency and a disclosure
under consent; the public service statistics."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput
from vigil.platform.routes.forms import RefusedForm, form_values, int_from_form, text_from_form
from vigil.recovery import cases, consents, dates, export, needs, referrals, statistics
from vigil.recovery.case_view import view_case
from vigil.recovery.pages import (
    form_date,
    form_page,
    form_text,
    render,
    required_form_date,
    submit_form,
)
from vigil.web.deps import ActorDep, PathId, SessionDep

router = APIRouter(include_in_schema=False)

FLASH = {
    "opened": "The case is open; you are its advocate.",
    "consent": "The consent is on record. Services never depend on it.",
    "revoked": "The consent is revoked: from now on nothing is disclosed under it.",
    "referral": "The referral was recorded.",
    "outcome": "The referral's outcome was recorded.",
    "date": "The date was added; the advocate is reminded before it.",
    "assigned": "The case has a new advocate.",
    "closed": "The case is closed; it is kept until its retention date, then purged.",
    "assessed": "The needs assessment was recorded.",
    "plan": "The goal was added to the service plan.",
    "plan_status": "The goal's state was saved.",
}


def _case_page(
    request: Request,
    db: Session,
    actor: Actor,
    case_id: int,
    *,
    form_name: str | None = None,
    refused: RefusedForm | None = None,
    flash: str | None = None,
) -> HTMLResponse:
    view = view_case(db, actor=actor, case_id=case_id)
    return form_page(
        request,
        "recovery_case.html",
        {"view": view},
        form_name=form_name,
        refused=refused,
        flash=flash,
    )


async def _case_form(
    request: Request,
    db: Session,
    actor: Actor,
    case_id: int,
    form_name: str,
    done: str,
    work: Callable[[FormData], object],
    *,
    action: str | None = "work",
    refused: tuple[type[InvalidInput | Conflict], ...] = (InvalidInput,),
) -> Response:
    """A form of the case page: the case for ``action`` first (when named), then the
    change; refused, the case page again with the errors; done, back to it at
    ``done`` (``what#anchor``)."""
    return await submit_form(
        request,
        db,
        form_name=form_name,
        guard=(
            (lambda: cases.get_case(db, actor=actor, case_id=case_id, action=action))
            if action is not None
            else None
        ),
        work=work,
        done=lambda _: f"/recovery/cases/{case_id}?done={done}",
        page=lambda refused_form: _case_page(
            request, db, actor, case_id, form_name=form_name, refused=refused_form
        ),
        refused=refused,
    )


def _optional_id(form: FormData, name: str) -> int | None:
    if not text_from_form(form, name, 30).strip():
        return None
    number = int_from_form(form, name)
    if number is None:
        raise InvalidInput({name: "Give the incident's number, or leave it empty."})
    return number


@router.get("/recovery/cases", response_class=HTMLResponse)
def caseload_page(
    request: Request,
    db: SessionDep,
    actor: ActorDep,
    status: str = "open",
    page: int = 1,
) -> HTMLResponse:
    chosen = status if status in ("open", "closed") else None
    load = cases.caseload(db, actor=actor, status=chosen, page=min(max(page, 1), 100_000))
    return render(
        request,
        "recovery_caseload.html",
        {"load": load, "status": chosen or "", "may_open": cases.may_open_cases(db, actor)},
    )


@router.get("/recovery/cases/new", response_class=HTMLResponse)
def new_case_page(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    cases.caseload(db, actor=actor, page=1, page_size=1)  # the provider's staff only
    return render(request, "recovery_case_new.html", {})


@router.post("/recovery/cases")
async def open_case(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    form = await request.form()
    try:
        case = cases.open_case(
            db,
            actor=actor,
            kind=text_from_form(form, "kind", 40),
            display_name=form_text(form, "display_name", 200),
            preferred_language=form_text(form, "preferred_language", 60),
            contact=form_text(form, "contact", 2000),
            notes=form_text(form, "notes", 20000),
            incident_id=_optional_id(form, "incident_id"),
        )
    except InvalidInput as problem:
        db.rollback()
        # Only staff get this far with a problem worth showing; others met a 404 above.
        cases.caseload(db, actor=actor, page=1, page_size=1)
        request.state.commit_on_error = True
        return render(
            request,
            "recovery_case_new.html",
            {"errors": problem.errors, "values": form_values(form)},
            status_code=422,
        )
    return RedirectResponse(f"/recovery/cases/{case.id}?done=opened", status_code=303)


@router.get("/recovery/cases/{survivor_case_id}", response_class=HTMLResponse)
def case_page(
    request: Request, survivor_case_id: PathId, db: SessionDep, actor: ActorDep, done: str = ""
) -> HTMLResponse:
    return _case_page(request, db, actor, survivor_case_id, flash=FLASH.get(done))


@router.post("/recovery/cases/{survivor_case_id}/consents")
async def record_consent(
    request: Request, survivor_case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    def work(form: FormData) -> object:
        recipient = int_from_form(form, "recipient_agency_id")
        if recipient is None:
            raise InvalidInput({"recipient_agency_id": "Choose the agency it names."})
        signed_on = required_form_date(form, "signed_on")
        expires_on = required_form_date(form, "expires_on")
        return consents.record_consent(
            db,
            actor=actor,
            case_id=survivor_case_id,
            recipient_agency_id=recipient,
            purpose=text_from_form(form, "purpose", 60),
            written_on_file=form.get("written_on_file") == "yes",
            covers_center_records=form.get("covers_center_records") == "yes",
            document_reference=form_text(form, "document_reference", 200),
            signed_on=signed_on,
            expires_on=expires_on,
        )

    return await _case_form(
        request,
        db,
        actor,
        survivor_case_id,
        "consent",
        "consent#consents",
        work,
        action="manage_consent",
    )


@router.post("/recovery/cases/{survivor_case_id}/consents/{consent_id}/revoke")
async def revoke_consent(
    request: Request, survivor_case_id: PathId, consent_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _case_form(
        request,
        db,
        actor,
        survivor_case_id,
        "revoke",
        "revoked#consents",
        lambda form: consents.revoke_consent(
            db, actor=actor, case_id=survivor_case_id, consent_id=consent_id
        ),
        action=None,
        refused=(Conflict,),
    )


@router.post("/recovery/cases/{survivor_case_id}/referrals")
async def refer(
    request: Request, survivor_case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _case_form(
        request,
        db,
        actor,
        survivor_case_id,
        "referral",
        "referral#referrals",
        lambda form: referrals.refer(
            db,
            actor=actor,
            case_id=survivor_case_id,
            service_kind=text_from_form(form, "service_kind", 60),
            provider_name=form_text(form, "provider_name", 200),
            referred_on=form_date(form, "referred_on", required=False),
            follow_up_on=form_date(form, "follow_up_on", required=False),
        ),
    )


@router.post("/recovery/cases/{survivor_case_id}/referrals/{referral_id}")
async def referral_outcome(
    request: Request, survivor_case_id: PathId, referral_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _case_form(
        request,
        db,
        actor,
        survivor_case_id,
        "outcome",
        "outcome#referrals",
        lambda form: referrals.record_outcome(
            db,
            actor=actor,
            case_id=survivor_case_id,
            referral_id=referral_id,
            status=text_from_form(form, "status", 40),
            note=form_text(form, "note", 2000),
        ),
    )


@router.post("/recovery/cases/{survivor_case_id}/dates")
async def add_date(
    request: Request, survivor_case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    def work(form: FormData) -> object:
        on_date = required_form_date(form, "on_date")
        days = int_from_form(form, "remind_days_before")
        if days is None:
            raise InvalidInput({"remind_days_before": "Give a whole number of days."})
        return dates.add_date(
            db,
            actor=actor,
            case_id=survivor_case_id,
            kind=text_from_form(form, "kind", 40),
            label=form_text(form, "label", 200),
            on_date=on_date,
            yearly=form.get("yearly") == "yes",
            remind_days_before=days,
        )

    return await _case_form(request, db, actor, survivor_case_id, "date", "date#dates", work)


@router.post("/recovery/cases/{survivor_case_id}/needs")
async def assess_needs(
    request: Request, survivor_case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    def work(form: FormData) -> object:
        scores: dict[str, int | None] = {}
        for key in needs.instrument().domains:
            raw = text_from_form(form, key, 5).strip()
            value = int_from_form(form, key)
            if raw and value is None:
                raise InvalidInput({key: "Choose a step of the scale."})
            scores[key] = value
        return needs.record_assessment(
            db,
            actor=actor,
            case_id=survivor_case_id,
            scores=scores,
            assessed_on=form_date(form, "assessed_on", required=False),
        )

    return await _case_form(request, db, actor, survivor_case_id, "needs", "assessed#needs", work)


@router.post("/recovery/cases/{survivor_case_id}/plan")
async def add_plan_item(
    request: Request, survivor_case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    def work(form: FormData) -> object:
        service_kind = text_from_form(form, "service_kind", 60).strip()
        return needs.add_plan_item(
            db,
            actor=actor,
            case_id=survivor_case_id,
            need=text_from_form(form, "need", 60),
            goal=form_text(form, "goal", 500),
            service_kind=service_kind or None,
            target_on=form_date(form, "target_on", required=False),
        )

    return await _case_form(request, db, actor, survivor_case_id, "plan", "plan#plan", work)


@router.post("/recovery/cases/{survivor_case_id}/plan/status")
async def plan_status(
    request: Request, survivor_case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    def work(form: FormData) -> object:
        item_id = int_from_form(form, "plan_item_id")
        if item_id is None:
            raise InvalidInput({"plan_item_id": "Choose a goal of the plan."})
        return needs.set_plan_status(
            db,
            actor=actor,
            case_id=survivor_case_id,
            plan_item_id=item_id,
            status=text_from_form(form, "status", 40),
        )

    return await _case_form(
        request, db, actor, survivor_case_id, "plan_status", "plan_status#plan", work
    )


@router.post("/recovery/cases/{survivor_case_id}/assign")
async def assign(
    request: Request, survivor_case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    def work(form: FormData) -> object:
        advocate = int_from_form(form, "advocate_user_id")
        if advocate is None:
            cases.get_case(db, actor=actor, case_id=survivor_case_id)
            raise InvalidInput({"advocate_user_id": "Choose a staff member of this provider."})
        return cases.assign_advocate(
            db, actor=actor, case_id=survivor_case_id, advocate_user_id=advocate
        )

    return await _case_form(
        request, db, actor, survivor_case_id, "assign", "assigned", work, action=None
    )


@router.post("/recovery/cases/{survivor_case_id}/close")
async def close(
    request: Request, survivor_case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _case_form(
        request,
        db,
        actor,
        survivor_case_id,
        "close",
        "closed",
        lambda form: cases.close_case(db, actor=actor, case_id=survivor_case_id),
        action=None,
        refused=(Conflict,),
    )


@router.get("/recovery/cases/{survivor_case_id}/export.json")
def export_case(survivor_case_id: PathId, db: SessionDep, actor: ActorDep) -> Response:
    """Everything held about the survivor or family, for them to keep."""
    document = export.export_case(db, actor=actor, case_id=survivor_case_id)
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{document["case"]["number"]}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/recovery/disclosed", response_class=HTMLResponse)
def disclosed_page(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    rows = consents.cases_disclosed_to(db, actor=actor)
    return render(request, "recovery_disclosed.html", {"rows": rows})


@router.get("/recovery/cases/{survivor_case_id}/disclosure", response_class=HTMLResponse)
def disclosure_page(
    request: Request, survivor_case_id: PathId, db: SessionDep, actor: ActorDep, purpose: str = ""
) -> HTMLResponse:
    seen = consents.disclose_case(db, actor=actor, case_id=survivor_case_id, purpose=purpose[:60])
    return render(request, "recovery_disclosure.html", {"seen": seen})


@router.get("/recovery/statistics", response_class=HTMLResponse)
def statistics_page(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    figures = statistics.service_statistics(db, actor=actor)
    return render(request, "recovery_statistics.html", {"figures": figures})


# The assistance-center, resiliency-center and fund pages share this router.
from vigil.recovery import assistance_routes, fund_routes  # noqa: E402

router.include_router(assistance_routes.router)
router.include_router(fund_routes.router)

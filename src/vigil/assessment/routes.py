"""Threat-assessment pages: the case list and dashboard, opening a case, the case
page with its team, assessments, risk decisions, plan, reviews and shares, the
assessment form (autosaved), the printable summary and its PDF, and instruments."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from vigil.assessment import assessments as assessing
from vigil.assessment import cases, instruments, plan, shares
from vigil.assessment.case_view import view_case
from vigil.assessment.dashboard import dashboard
from vigil.assessment.vocabulary import (
    ERPO_STATUSES,
    INTERVENTION_KINDS,
    INTERVENTION_STATUSES,
    LEVELS,
    REGIMES,
    STATUSES,
    TEAM_ROLES,
    TRANSITIONS,
)
from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput
from vigil.platform.models import Agency
from vigil.platform.routes.forms import int_from_form, refuse_form, text_from_form
from vigil.web.deps import ActorDep, PathId, QueryId, SessionDep
from vigil.web.templating import render

router = APIRouter(include_in_schema=False)

FLASH = {
    "opened": "The case is open and you lead its team.",
    "status": "The case status changed.",
    "settings": "The review interval and closure criteria were saved.",
    "member_added": "The team member was added.",
    "member_removed": "The team member was removed; they no longer see the case.",
    "subject": "The subject was added.",
    "risk": "The risk level was recorded with its rationale.",
    "intervention": "The intervention was added to the plan.",
    "intervention_updated": "The intervention was updated.",
    "review": "The review was recorded; the next one is scheduled.",
    "shared": "The case was shared; the dissemination is recorded.",
    "revoked": "The share was revoked; that agency no longer sees the case.",
    "completed": "The assessment is complete.",
    "saved": "Draft saved.",
    "instrument": "The instrument was added.",
}
VOCABULARY = {
    "statuses": STATUSES,
    "transitions": TRANSITIONS,
    "levels": LEVELS,
    "regimes": REGIMES,
    "intervention_kinds": INTERVENTION_KINDS,
    "intervention_statuses": INTERVENTION_STATUSES,
    "erpo_statuses": ERPO_STATUSES,
    "team_roles": TEAM_ROLES,
}


def form_date(form: FormData, name: str) -> date | None:
    """A date from an <input type=date>; None if empty; InvalidInput if not a date."""
    value = text_from_form(form, name, 20).strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput({name: "Give a date as YYYY-MM-DD."}) from None


def _agencies(db: Session) -> list[Agency]:
    return list(db.execute(select(Agency).order_by(Agency.name)).scalars().all())


def _case_page(
    request: Request,
    db: Session,
    actor: Actor,
    case_id: int,
    *,
    errors: dict[str, str] | None = None,
    error_form: str | None = None,
    values: dict[str, str] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = view_case(db, actor=actor, case_id=case_id)
    return render(
        request,
        "case.html",
        {
            "view": view,
            "instruments": instruments.list_instruments(db, actor=actor),
            "agency_list": _agencies(db),
            "errors": errors or {},
            "error_form": error_form,
            "values": values or {},
            "flash": flash,
            **VOCABULARY,
        },
        status_code=status_code,
    )


def _refused(
    request: Request,
    db: Session,
    actor: Actor,
    case_id: int,
    form_name: str,
    problem: InvalidInput | Conflict,
    form: FormData,
) -> HTMLResponse:
    refused = refuse_form(request, db, form_name, problem, form)
    return _case_page(
        request,
        db,
        actor,
        case_id,
        errors=refused.errors,
        error_form=form_name,
        values=refused.values,
        status_code=refused.status_code,
    )


def _done(case_id: int, what: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/cases/{case_id}?done={what}{anchor}", status_code=303)


@router.get("/cases", response_class=HTMLResponse)
def case_list(
    request: Request,
    db: SessionDep,
    actor: ActorDep,
    status: str | None = "active",
    level: str | None = None,
    overdue: str | None = None,
    page: int = 1,
) -> HTMLResponse:
    filters = cases.CaseFilter(
        status=status or None, level=level or None, overdue_review=overdue == "1"
    )
    page = min(max(page, 1), 10_000)
    rows, total = cases.list_cases(db, actor=actor, filters=filters, page=page)
    return render(
        request,
        "cases.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // cases.PAGE_SIZE)),
            "filters": filters,
            "today": date.today(),
            "agencies": {a.id: a.name for a in _agencies(db)},
            "can_open": policy.decide(actor, "create", "case"),
            **VOCABULARY,
        },
    )


@router.get("/assessment/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    board = dashboard(db, actor=actor)
    return render(request, "assessment_dashboard.html", {"board": board, **VOCABULARY})


@router.get("/cases/new", response_class=HTMLResponse)
def new_case_page(
    request: Request,
    db: SessionDep,
    actor: ActorDep,
    report_id: QueryId = None,
    person_id: QueryId = None,
) -> HTMLResponse:
    policy.authorize(actor, "create", "case")
    return render(
        request,
        "case_new.html",
        {
            "report_id": report_id,
            "person_id": person_id,
            "errors": {},
            "values": {},
            **VOCABULARY,
        },
    )


@router.post("/cases")
async def open_case(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    form = await request.form()
    policy.authorize(actor, "create", "case")
    report_id = int_from_form(form, "report_id")
    person_id = int_from_form(form, "person_id")
    try:
        interval = int_from_form(form, "review_interval_days")
        if interval is None and text_from_form(form, "review_interval_days", 20).strip():
            raise InvalidInput({"review_interval_days": "Give a whole number of days."})
        case = cases.open_case(
            db,
            actor=actor,
            title=text_from_form(form, "title", 300),
            regime=text_from_form(form, "regime", 40) or "threat_assessment",
            report_id=report_id,
            person_id=person_id,
            closure_criteria=text_from_form(form, "closure_criteria", 5000),
            review_interval_days=interval,
        )
    except InvalidInput as invalid:
        db.rollback()
        request.state.commit_on_error = True
        return render(
            request,
            "case_new.html",
            {
                "report_id": report_id,
                "person_id": person_id,
                "errors": invalid.errors,
                "values": {k: v for k, v in form.items() if isinstance(v, str)},
                **VOCABULARY,
            },
            status_code=422,
        )
    return RedirectResponse(f"/cases/{case.id}?done=opened", status_code=303)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request, case_id: PathId, db: SessionDep, actor: ActorDep, done: str | None = None
) -> HTMLResponse:
    return _case_page(request, db, actor, case_id, flash=FLASH.get(done or ""))


async def _act(
    request: Request,
    db: Session,
    actor: Actor,
    case_id: int,
    form_name: str,
    action: Any,
    done: str,
    anchor: str = "",
) -> Response:
    """Run one case action from a form; on bad input, the case page with the errors."""
    form = await request.form()
    try:
        action(form)
    except (InvalidInput, Conflict) as problem:
        return _refused(request, db, actor, case_id, form_name, problem, form)
    return _done(case_id, done, anchor)


@router.post("/cases/{case_id}/status")
async def change_status(
    request: Request, case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _act(
        request,
        db,
        actor,
        case_id,
        "status",
        lambda form: cases.change_status(
            db,
            actor=actor,
            case_id=case_id,
            to_status=text_from_form(form, "status", 20),
            note=text_from_form(form, "note", 2100),
            closing_summary=text_from_form(form, "closing_summary", 8100),
        ),
        "status",
    )


@router.post("/cases/{case_id}/settings")
async def case_settings(
    request: Request, case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    def save(form: FormData) -> None:
        interval = int_from_form(form, "review_interval_days")
        if interval is None:
            raise InvalidInput({"review_interval_days": "Give a whole number of days."})
        cases.update_settings(
            db,
            actor=actor,
            case_id=case_id,
            review_interval_days=interval,
            closure_criteria=text_from_form(form, "closure_criteria", 5000),
        )

    return await _act(request, db, actor, case_id, "settings", save, "settings")


@router.post("/cases/{case_id}/members")
async def add_member(
    request: Request, case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _act(
        request,
        db,
        actor,
        case_id,
        "members",
        lambda form: cases.add_member(
            db,
            actor=actor,
            case_id=case_id,
            username=text_from_form(form, "username", 150),
            team_role=text_from_form(form, "team_role", 20) or "member",
        ),
        "member_added",
        "#team",
    )


@router.post("/cases/{case_id}/members/{member_id}/remove")
async def remove_member(
    request: Request, case_id: PathId, member_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _act(
        request,
        db,
        actor,
        case_id,
        "members",
        lambda form: cases.remove_member(db, actor=actor, case_id=case_id, member_id=member_id),
        "member_removed",
        "#team",
    )


@router.post("/cases/{case_id}/subjects")
async def add_subject(
    request: Request, case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _act(
        request,
        db,
        actor,
        case_id,
        "subjects",
        lambda form: cases.add_subject(
            db,
            actor=actor,
            case_id=case_id,
            person_id=int_from_form(form, "person_id"),
            display_name=text_from_form(form, "display_name", 300),
            description=text_from_form(form, "description", 4100),
        ),
        "subject",
        "#subjects",
    )


@router.post("/cases/{case_id}/risk")
async def decide_risk(
    request: Request, case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _act(
        request,
        db,
        actor,
        case_id,
        "risk",
        lambda form: assessing.decide_risk(
            db,
            actor=actor,
            case_id=case_id,
            level=text_from_form(form, "level", 20),
            rationale=text_from_form(form, "rationale", 8100),
        ),
        "risk",
        "#risk",
    )


@router.post("/cases/{case_id}/interventions")
async def add_intervention(
    request: Request, case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _act(
        request,
        db,
        actor,
        case_id,
        "intervention",
        lambda form: plan.add_intervention(
            db,
            actor=actor,
            case_id=case_id,
            kind=text_from_form(form, "kind", 40),
            description=text_from_form(form, "description", 4100),
            owner_user_id=int_from_form(form, "owner_user_id"),
            due_on=form_date(form, "due_on"),
        ),
        "intervention",
        "#plan",
    )


def _count(form: FormData, name: str) -> int | None:
    raw = text_from_form(form, name, 20).strip()
    if not raw:
        return None
    value = int_from_form(form, name)
    if value is None:
        raise InvalidInput({name: "Give a whole number."})
    return value


@router.post("/cases/{case_id}/interventions/{intervention_id}")
async def update_intervention(
    request: Request, case_id: PathId, intervention_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    def save(form: FormData) -> None:
        change = plan.InterventionUpdate(
            status=text_from_form(form, "status", 20) or None,
            outcome=text_from_form(form, "outcome", 4100) or None,
            erpo_status=text_from_form(form, "erpo_status", 20) or None,
            erpo_on=form_date(form, "erpo_on"),
            erpo_expires_on=form_date(form, "erpo_expires_on"),
            firearms_reported=_count(form, "firearms_reported"),
            firearms_relinquished=_count(form, "firearms_relinquished"),
            relinquished_on=form_date(form, "relinquished_on"),
        )
        plan.update_intervention(
            db, actor=actor, case_id=case_id, intervention_id=intervention_id, change=change
        )

    return await _act(
        request,
        db,
        actor,
        case_id,
        f"intervention-{intervention_id}",
        save,
        "intervention_updated",
        f"#intervention-{intervention_id}",
    )


@router.post("/cases/{case_id}/reviews")
async def hold_review(
    request: Request, case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _act(
        request,
        db,
        actor,
        case_id,
        "review",
        lambda form: plan.hold_review(
            db,
            actor=actor,
            case_id=case_id,
            held_on=form_date(form, "held_on"),
            summary=text_from_form(form, "summary", 8100),
        ),
        "review",
        "#reviews",
    )


@router.post("/cases/{case_id}/shares")
async def share_case(
    request: Request, case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _act(
        request,
        db,
        actor,
        case_id,
        "share",
        lambda form: shares.share_case(
            db,
            actor=actor,
            case_id=case_id,
            agency_id=int_from_form(form, "agency_id"),
            reason=text_from_form(form, "reason", 2100),
        ),
        "shared",
        "#sharing",
    )


@router.post("/cases/{case_id}/shares/{share_id}/revoke")
async def revoke_share(
    request: Request, case_id: PathId, share_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _act(
        request,
        db,
        actor,
        case_id,
        "share",
        lambda form: shares.revoke_share(
            db,
            actor=actor,
            case_id=case_id,
            share_id=share_id,
            reason=text_from_form(form, "reason", 2100),
        ),
        "revoked",
        "#sharing",
    )


@router.post("/cases/{case_id}/assessments")
async def start_assessment(
    request: Request, case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    try:
        assessment = assessing.start_assessment(
            db,
            actor=actor,
            case_id=case_id,
            instrument_id=int_from_form(form, "instrument_id") or 0,
            subject_id=int_from_form(form, "subject_id"),
        )
    except (InvalidInput, Conflict) as problem:
        return _refused(request, db, actor, case_id, "assessment", problem, form)
    return RedirectResponse(f"/cases/{case_id}/assessments/{assessment.id}", status_code=303)


def _assessment_page(
    request: Request,
    db: Session,
    actor: Actor,
    case_id: int,
    assessment_id: int,
    *,
    errors: dict[str, str] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    case, assessment, instrument = assessing.load_assessment(
        db, actor=actor, case_id=case_id, assessment_id=assessment_id
    )
    return render(
        request,
        "assessment.html",
        {
            "case": case,
            "assessment": assessment,
            "instrument": instrument,
            "definition": instruments.definition_of(instrument),
            "answers": assessing.answers_of(db, assessment.id),
            "editable": assessment.status == "draft" and assessing.can(db, actor, case, "work"),
            "errors": errors or {},
            "flash": flash,
            "today": date.today(),
        },
        status_code=status_code,
    )


@router.get("/cases/{case_id}/assessments/{assessment_id}", response_class=HTMLResponse)
def assessment_page(
    request: Request,
    case_id: PathId,
    assessment_id: PathId,
    db: SessionDep,
    actor: ActorDep,
    done: str | None = None,
) -> HTMLResponse:
    return _assessment_page(request, db, actor, case_id, assessment_id, flash=FLASH.get(done or ""))


def answers_from_form(form: FormData) -> tuple[dict[str, assessing.AnswerInput], dict[str, str]]:
    """The answers in an assessment form (fields ``<item>.answer`` and so on)."""
    keys = {name.split(".", 1)[0] for name in form if "." in name}
    answers: dict[str, assessing.AnswerInput] = {}
    errors: dict[str, str] = {}
    for key in sorted(keys)[:500]:
        try:
            observed = form_date(form, f"{key}.observed_on")
        except InvalidInput as invalid:
            errors.update(invalid.errors)
            observed = None
        answers[key] = assessing.AnswerInput(
            answer=text_from_form(form, f"{key}.answer", 40) or None,
            sources=text_from_form(form, f"{key}.sources", 4100),
            observed_on=observed,
            notes=text_from_form(form, f"{key}.notes", 8100),
        )
    return answers, errors


@router.post("/cases/{case_id}/assessments/{assessment_id}")
async def save_assessment(
    request: Request, case_id: PathId, assessment_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    """Save a draft (the form's button, or the page's autosave, which asks for JSON) or
    complete the assessment. A draft keeps whatever was typed, even with errors."""
    form = await request.form()
    autosave = request.headers.get("x-vigil-autosave") == "1"
    complete = text_from_form(form, "action", 20) == "complete" and not autosave
    answers, form_errors = answers_from_form(form)
    try:
        result = assessing.save_answers(
            db,
            actor=actor,
            case_id=case_id,
            assessment_id=assessment_id,
            answers=answers,
            complete=complete and not form_errors,
        )
        errors = {**form_errors, **result.errors}
    except InvalidInput as invalid:
        errors = {**form_errors, **invalid.errors}
        request.state.commit_on_error = True  # the draft was saved; keep it
    except Conflict as conflict:
        if autosave:
            return JSONResponse({"saved": False, "message": str(conflict)}, status_code=409)
        raise
    if autosave:
        request.state.commit_on_error = True
        return JSONResponse({"saved": True, "errors": errors}, status_code=422 if errors else 200)
    if errors or (complete and form_errors):
        request.state.commit_on_error = True
        return _assessment_page(
            request, db, actor, case_id, assessment_id, errors=errors, status_code=422
        )
    return RedirectResponse(
        f"/cases/{case_id}/assessments/{assessment_id}?done={'completed' if complete else 'saved'}",
        status_code=303,
    )


@router.get("/cases/{case_id}/summary", response_class=HTMLResponse)
def case_summary(
    request: Request, case_id: PathId, db: SessionDep, actor: ActorDep
) -> HTMLResponse:
    view = view_case(db, actor=actor, case_id=case_id, purpose="summary")
    return render(request, "case_summary.html", {"view": view, **VOCABULARY})


@router.get("/cases/{case_id}/summary.pdf")
def case_summary_pdf(
    request: Request, case_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    from vigil.assessment.summary_pdf import render_case_pdf

    view = view_case(db, actor=actor, case_id=case_id, purpose="pdf")
    content = render_case_pdf(view, reader=actor.username or "")
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{view.case.number}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/assessment/instruments", response_class=HTMLResponse)
def instrument_list(
    request: Request, db: SessionDep, actor: ActorDep, done: str | None = None
) -> HTMLResponse:
    return render(
        request,
        "instruments.html",
        {
            "instruments": instruments.list_instruments(db, actor=actor, current_only=False),
            "can_add": policy.decide(actor, "create", "instrument"),
            "errors": {},
            "flash": FLASH.get(done or ""),
        },
    )


@router.post("/assessment/instruments")
async def add_instrument(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    form = await request.form()
    policy.authorize(actor, "create", "instrument")
    upload = form.get("file")
    raw = b""
    if upload is not None and not isinstance(upload, str):
        raw = await upload.read(instruments.MAX_DEFINITION_BYTES + 1)
    try:
        if not raw:
            raise InvalidInput({"file": "Choose a JSON file with the definition."})
        instrument = instruments.add_instrument(db, actor=actor, data=instruments.parse_upload(raw))
    except (InvalidInput, Conflict) as problem:
        db.rollback()
        # One field on the page: every problem with the file is said beside it.
        errors = {
            "file": "\n".join(f"{where}: {what}" for where, what in problem.errors.items())
            if isinstance(problem, InvalidInput)
            else str(problem)
        }
        return render(
            request,
            "instruments.html",
            {
                "instruments": instruments.list_instruments(db, actor=actor, current_only=False),
                "can_add": True,
                "errors": errors,
                "flash": None,
            },
            status_code=409 if isinstance(problem, Conflict) else 422,
        )
    return RedirectResponse(
        f"/assessment/instruments/{instrument.id}?done=instrument", status_code=303
    )


@router.get("/assessment/instruments/{instrument_id}", response_class=HTMLResponse)
def instrument_page(
    request: Request,
    instrument_id: PathId,
    db: SessionDep,
    actor: ActorDep,
    done: str | None = None,
) -> HTMLResponse:
    instrument = instruments.get_instrument(db, actor=actor, instrument_id=instrument_id)
    return render(
        request,
        "instrument.html",
        {
            "instrument": instrument,
            "definition": instruments.definition_of(instrument),
            "flash": FLASH.get(done or ""),
        },
    )

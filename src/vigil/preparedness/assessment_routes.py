"""Assessment pages: a site's assessments and the threats linked to it, filling in an
assessment one answer at a time (each answer its own form and POST), evidence, submit,
review and sign-off, the findings and what they become, and the side-by-side history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, BinaryIO

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput
from vigil.platform.routes.forms import int_from_form, text_from_form
from vigil.platform.settings import Settings
from vigil.preparedness import assessments, finding_actions, site_threats, sites
from vigil.preparedness.instruments import LANGUAGES
from vigil.preparedness.pages import render
from vigil.reports.attachments import LocalAttachmentStore, download_headers
from vigil.web.deps import ActorDep, PathId, SessionDep, SettingsDep

router = APIRouter(include_in_schema=False)

FLASH = {
    "started": "The assessment is started. Each answer is saved as soon as you save it.",
    "saved": "Answer saved.",
    "evidence": "The file is attached to the answer.",
    "submitted": "The assessment is submitted for review. Its answers can no longer change.",
    "signed_off": "The assessment is signed off. Its scores are now the site's vulnerability.",
    "returned": "The assessment is returned to its assessors with your note.",
    "measure": "The option is now a candidate measure at the site, weighed by the mitigation plan.",
    "action": "The corrective action is recorded in the improvement plan.",
    "linked": "The threat is linked to the site.",
    "unlinked": "The link is removed.",
}
UI = {
    "en": {
        "sections": "Sections",
        "save": "Save answer",
        "note": "Note",
        "evidence": "Evidence",
        "attach": "Attach a photo or document",
        "upload": "Attach the file",
        "answered": "answered",
        "unanswered": "Not answered yet",
        "score": "Section score",
        "findings": "Findings",
    },
    "es": {
        "sections": "Secciones",
        "save": "Guardar respuesta",
        "note": "Nota",
        "evidence": "Evidencia",
        "attach": "Adjuntar una foto o un documento",
        "upload": "Adjuntar el archivo",
        "answered": "respondidas",
        "unanswered": "Sin responder todavía",
        "score": "Puntuación de la sección",
        "findings": "Hallazgos",
    },
}


def evidence_store(settings: Settings) -> LocalAttachmentStore:
    """Evidence lives beside report attachments but in its own folder, so that a
    report purge (which deletes files no report refers to) never removes evidence."""
    return LocalAttachmentStore(
        settings.resolved_attachments_dir / "preparedness", settings.max_attachment_bytes
    )


def _language(requested: str, default: str) -> str:
    return requested if requested in LANGUAGES else default


# --- a site's assessments and threats ----------------------------------------------------


def _site_assessments_page(
    request: Request,
    db: Session,
    actor: Actor,
    site_id: int,
    *,
    flash: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    site, risk = sites.read_site(db, actor=actor, site_id=site_id)
    may_update = sites.may_update(actor, site)
    return render(
        request,
        "preparedness_site_assessments.html",
        {
            "site": site,
            "risk": risk,
            "assessments": assessments.assessments_of_site(db, actor=actor, site_id=site_id),
            "instruments": assessments.current_instruments(db, actor=actor) if may_update else [],
            "threats": site_threats.threats_of(db, actor=actor, site_id=site_id),
            "may_update": may_update,
            "statuses": assessments.STATUSES,
            "flash": flash,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/preparedness/sites/{site_id}/assessments", response_class=HTMLResponse)
def site_assessments_page(
    request: Request, site_id: PathId, db: SessionDep, actor: ActorDep, done: str = ""
) -> HTMLResponse:
    return _site_assessments_page(request, db, actor, site_id, flash=FLASH.get(done))


def _refused(
    request: Request,
    db: Session,
    actor: Actor,
    site_id: int,
    problem: InvalidInput | Conflict,
    form: FormData,
) -> HTMLResponse:
    db.rollback()
    request.state.commit_on_error = True  # keep the audit record of the page view
    errors = (
        problem.errors
        if isinstance(problem, InvalidInput)
        else {problem.field or "form": str(problem)}
    )
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    status = 409 if isinstance(problem, Conflict) else 422
    return _site_assessments_page(
        request, db, actor, site_id, errors=errors, values=values, status_code=status
    )


@router.post("/preparedness/sites/{site_id}/assessments")
async def start_assessment(
    request: Request, site_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    try:
        assessment = assessments.start_assessment(
            db,
            actor=actor,
            site_id=site_id,
            instrument_key=text_from_form(form, "instrument", 40),
            language=text_from_form(form, "language", 2) or "en",
            marking=text_from_form(form, "marking", 20) or "AMBER",
        )
    except InvalidInput as problem:
        return _refused(request, db, actor, site_id, problem, form)
    return RedirectResponse(
        f"/preparedness/assessments/{assessment.id}?done=started", status_code=303
    )


@router.post("/preparedness/sites/{site_id}/threats")
async def link_threat(
    request: Request, site_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    kind = text_from_form(form, "kind", 10)
    number = int_from_form(form, "number")
    try:
        if number is None or kind not in ("report", "case"):
            sites.get_site(db, actor=actor, site_id=site_id, action="update")
            raise InvalidInput({"number": "Choose report or case and give its id number."})
        site_threats.link_threat(
            db,
            actor=actor,
            site_id=site_id,
            report_id=number if kind == "report" else None,
            case_id=number if kind == "case" else None,
        )
    except (InvalidInput, Conflict) as problem:
        if isinstance(problem, InvalidInput):
            problem = InvalidInput({"number": next(iter(problem.errors.values()))})
        return _refused(request, db, actor, site_id, problem, form)
    return RedirectResponse(
        f"/preparedness/sites/{site_id}/assessments?done=linked#threats", status_code=303
    )


@router.post("/preparedness/sites/{site_id}/threats/{threat_id}/delete")
def unlink_threat(site_id: PathId, threat_id: PathId, db: SessionDep, actor: ActorDep) -> Response:
    site_threats.unlink_threat(db, actor=actor, site_id=site_id, threat_id=threat_id)
    return RedirectResponse(
        f"/preparedness/sites/{site_id}/assessments?done=unlinked#threats", status_code=303
    )


@router.get("/preparedness/sites/{site_id}/assessments/history", response_class=HTMLResponse)
def history_page(
    request: Request, site_id: PathId, db: SessionDep, actor: ActorDep
) -> HTMLResponse:
    """The site's signed-off assessments side by side: how each section changed."""
    return render(
        request,
        "preparedness_assessment_history.html",
        {"history": assessments.site_history(db, actor=actor, site_id=site_id)},
    )


# --- one assessment ---------------------------------------------------------------------


def _assessment_page(
    request: Request,
    db: Session,
    actor: Actor,
    assessment_id: int,
    *,
    section: str = "",
    lang: str = "",
    flash: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = assessments.read_assessment(db, actor=actor, assessment_id=assessment_id)
    keys = [s.key for s in view.definition.sections]
    current = section if section in keys else keys[0]
    language = _language(lang, view.assessment.language)
    return render(
        request,
        "preparedness_assessment.html",
        {
            "view": view,
            "section": next(s for s in view.definition.sections if s.key == current),
            "language": language,
            "ui": UI[language],
            "may_answer": assessments.may(db, actor, "answer", view.assessment),
            "may_submit": assessments.may(db, actor, "submit", view.assessment),
            "may_review": assessments.may(db, actor, "review", view.assessment),
            "statuses": assessments.STATUSES,
            "flash": flash,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/preparedness/assessments/{assessment_id}", response_class=HTMLResponse)
def assessment_page(
    request: Request,
    assessment_id: PathId,
    db: SessionDep,
    actor: ActorDep,
    section: str = "",
    lang: str = "",
    done: str = "",
) -> HTMLResponse:
    return _assessment_page(
        request, db, actor, assessment_id, section=section, lang=lang, flash=FLASH.get(done)
    )


def _back(assessment_id: int, form: FormData, done: str, anchor: str = "") -> RedirectResponse:
    section = text_from_form(form, "section", 40)
    lang = _language(text_from_form(form, "lang", 2), "en")
    query = (
        f"section={section}&lang={lang}&done={done}"
        if section.isidentifier()
        else f"lang={lang}&done={done}"
    )
    return RedirectResponse(
        f"/preparedness/assessments/{assessment_id}?{query}{anchor}", status_code=303
    )


def _refused_answer(
    request: Request,
    db: Session,
    actor: Actor,
    assessment_id: int,
    form: FormData,
    problem: InvalidInput | Conflict,
    question_key: str = "",
) -> HTMLResponse:
    db.rollback()
    request.state.commit_on_error = True
    raw = problem.errors if isinstance(problem, InvalidInput) else {"form": str(problem)}
    prefix = f"{question_key}-" if question_key else ""
    return _assessment_page(
        request,
        db,
        actor,
        assessment_id,
        section=text_from_form(form, "section", 40),
        lang=text_from_form(form, "lang", 2),
        errors={f"{prefix}{k}": v for k, v in raw.items()},
        status_code=409 if isinstance(problem, Conflict) else 422,
    )


@router.post("/preparedness/assessments/{assessment_id}/answers/{question_key}")
async def save_answer(
    request: Request, assessment_id: PathId, question_key: str, db: SessionDep, actor: ActorDep
) -> Response:
    """Save one answer (with its note) the moment it is given."""
    form = await request.form()
    try:
        assessments.save_answer(
            db,
            actor=actor,
            assessment_id=assessment_id,
            question_key=question_key[:40],
            value=text_from_form(form, "answer", 40),
            note=text_from_form(form, "note", 100_000),
        )
    except InvalidInput as problem:
        return _refused_answer(request, db, actor, assessment_id, form, problem, question_key[:40])
    return _back(assessment_id, form, "saved", f"#q-{question_key[:40]}")


def _upload(form: FormData) -> tuple[BinaryIO, str | None] | None:
    value = form.get("file")
    if isinstance(value, UploadFile) and (value.filename or value.size):
        return value.file, value.filename
    return None


# One fixed path (not one per answer) so that the body-size limit for uploads, which
# matches exact paths, applies to it.
@router.post("/preparedness/evidence")
async def add_evidence(
    request: Request, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> Response:
    """Attach a photo or document to one answer of an assessment."""
    form = await request.form()
    assessment_id = int_from_form(form, "assessment_id")
    question_key = text_from_form(form, "question", 40)
    if assessment_id is None:
        raise InvalidInput({"assessment_id": "Name the assessment."})
    upload = _upload(form)
    try:
        if upload is None:
            assessments.get_assessment(
                db, actor=actor, assessment_id=assessment_id, action="answer"
            )
            raise InvalidInput({"evidence": "Choose a file to attach."})
        assessments.add_evidence(
            db,
            actor=actor,
            store=evidence_store(settings),
            assessment_id=assessment_id,
            question_key=question_key,
            stream=upload[0],
            filename=upload[1],
        )
    except InvalidInput as problem:
        return _refused_answer(request, db, actor, assessment_id, form, problem, question_key)
    return _back(assessment_id, form, "evidence", f"#q-{question_key}")


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := stream.read(64 * 1024):
            yield chunk
    finally:
        stream.close()


@router.get("/preparedness/assessments/{assessment_id}/evidence/{evidence_id}")
def download_evidence(
    assessment_id: PathId,
    evidence_id: PathId,
    db: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> StreamingResponse:
    evidence, stream = assessments.open_evidence(
        db,
        actor=actor,
        store=evidence_store(settings),
        assessment_id=assessment_id,
        evidence_id=evidence_id,
    )
    headers = download_headers(evidence.filename, evidence.media_type, evidence.size_bytes)
    return StreamingResponse(_chunks(stream), headers=headers)


@router.post("/preparedness/assessments/{assessment_id}/submit")
async def submit_assessment(
    request: Request, assessment_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    try:
        assessments.submit_assessment(db, actor=actor, assessment_id=assessment_id)
    except InvalidInput as problem:
        return _refused_answer(request, db, actor, assessment_id, form, problem)
    return _back(assessment_id, form, "submitted", "#status")


@router.post("/preparedness/assessments/{assessment_id}/review")
async def review_assessment(
    request: Request, assessment_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    decision = text_from_form(form, "decision", 20)
    try:
        assessments.review_assessment(
            db,
            actor=actor,
            assessment_id=assessment_id,
            decision=decision,
            note=text_from_form(form, "review_note", 100_000),
        )
    except (InvalidInput, Conflict) as problem:
        if isinstance(problem, InvalidInput):
            problem = InvalidInput({f"review_{k}": v for k, v in problem.errors.items()})
        return _refused_answer(request, db, actor, assessment_id, form, problem)
    done = "signed_off" if decision == "sign_off" else "returned"
    return RedirectResponse(
        f"/preparedness/assessments/{assessment_id}/findings?done={done}", status_code=303
    )


# --- findings -------------------------------------------------------------------------


def _findings_page(
    request: Request,
    db: Session,
    actor: Actor,
    assessment_id: int,
    *,
    lang: str = "",
    flash: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = assessments.read_assessment(db, actor=actor, assessment_id=assessment_id)
    language = _language(lang, view.assessment.language)
    may_act = assessments.may(db, actor, "act_on_findings", view.assessment)
    may_raise = may_act and policy.decide(actor, "create", "corrective_action")
    return render(
        request,
        "preparedness_assessment_findings.html",
        {
            "view": view,
            "language": language,
            "ui": UI[language],
            "may_act": may_act,
            "may_raise": may_raise,
            "follow_up": finding_actions.follow_up_of(db, actor=actor, assessment=view.assessment),
            "members": finding_actions.agency_members(db, actor=actor) if may_raise else [],
            "poete": finding_actions.POETE,
            "statuses": assessments.STATUSES,
            "flash": flash,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/preparedness/assessments/{assessment_id}/findings", response_class=HTMLResponse)
def findings_page(
    request: Request,
    assessment_id: PathId,
    db: SessionDep,
    actor: ActorDep,
    lang: str = "",
    done: str = "",
) -> HTMLResponse:
    """Scores by section and the findings, with what each has become."""
    return _findings_page(request, db, actor, assessment_id, lang=lang, flash=FLASH.get(done))


def _refused_finding(
    request: Request,
    db: Session,
    actor: Actor,
    assessment_id: int,
    question_key: str,
    form: FormData,
    problem: InvalidInput | Conflict,
) -> HTMLResponse:
    db.rollback()
    request.state.commit_on_error = True
    raw = (
        problem.errors
        if isinstance(problem, InvalidInput)
        else {problem.field or "form": str(problem)}
    )
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values.pop("csrf_token", None)
    return _findings_page(
        request,
        db,
        actor,
        assessment_id,
        errors={f"{question_key}-{k}": v for k, v in raw.items()},
        values={f"{question_key}-{k}": v for k, v in values.items()},
        status_code=409 if isinstance(problem, Conflict) else 422,
    )


@router.post("/preparedness/assessments/{assessment_id}/findings/{question_key}/measures")
async def propose_measure(
    request: Request, assessment_id: PathId, question_key: str, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    key = question_key[:40]
    try:
        finding_actions.propose_measure(
            db,
            actor=actor,
            assessment_id=assessment_id,
            question_key=key,
            option_key=text_from_form(form, "option", 40),
        )
    except (InvalidInput, Conflict) as problem:
        return _refused_finding(request, db, actor, assessment_id, key, form, problem)
    return RedirectResponse(
        f"/preparedness/assessments/{assessment_id}/findings?done=measure#f-{key}",
        status_code=303,
    )


def _due(form: FormData, errors: dict[str, str]) -> date | None:
    text = text_from_form(form, "due", 20).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors["due"] = "Enter the due date as YYYY-MM-DD."
        return None


@router.post("/preparedness/assessments/{assessment_id}/findings/{question_key}/actions")
async def raise_corrective_action(
    request: Request, assessment_id: PathId, question_key: str, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    key = question_key[:40]
    errors: dict[str, str] = {}
    due = _due(form, errors)
    try:
        if errors:
            assessments.get_assessment(
                db, actor=actor, assessment_id=assessment_id, action="act_on_findings"
            )
            raise InvalidInput(errors)
        finding_actions.raise_corrective_action(
            db,
            actor=actor,
            assessment_id=assessment_id,
            question_key=key,
            owner_user_id=int_from_form(form, "owner_user_id"),
            due=due,
            poete=text_from_form(form, "poete", 20),
            title=text_from_form(form, "title", 10_000),
        )
    except InvalidInput as problem:
        return _refused_finding(request, db, actor, assessment_id, key, form, problem)
    return RedirectResponse(
        f"/preparedness/assessments/{assessment_id}/findings?done=action#f-{key}",
        status_code=303,
    )

"""Tip-line routes: the public pages /tip and /tip/follow-up, the public JSON API
/api/v1/tips, and, for the agency, questions to the tipster and attachment downloads."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import FormData, UploadFile

from vigil.platform import actor as actors
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.platform.settings import Settings, per_process
from vigil.platform.types import utcnow
from vigil.reports import numbers, ratelimit, tipline
from vigil.reports import routes as report_pages
from vigil.reports.attachments import (
    AttachmentRejected,
    AttachmentTooLarge,
    EmptyAttachment,
    download_headers,
)
from vigil.reports.tipline_text import Language, choose_language, texts
from vigil.web.deps import ActorDep, ReadFirstSessionDep, SessionDep, SettingsDep
from vigil.web.problems import problem
from vigil.web.templating import render

log = logging.getLogger("vigil.tipline")

TRAP_FIELD = "tip_ref"  # the honeypot: a name no browser's autofill recognises
_SUBMISSION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
RecordId = Annotated[int, Path(ge=1, le=2_147_483_647)]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/tips", tags=["tip line"])
agency = APIRouter(prefix="/reports", include_in_schema=False)


# --- dependencies ------------------------------------------------------------------


def tipster(request: Request) -> Actor:
    """The anonymous tipster, without an address: an append-only audit trail that tied
    a connection to a tip would undo the anonymity the tip line promises."""
    return actors.anonymous(request.state.request_id, None)


def language(request: Request, lang: Annotated[str | None, Query(max_length=5)] = None) -> Language:
    return choose_language(lang, request.headers.get("accept-language"))


def rate_limit(request: Request, settings: SettingsDep) -> ratelimit.Verdict:
    """Count this request against the client's hourly allowance."""
    limiter = ratelimit.limiter_for(
        request.app.state, per_process(settings, settings.tipline_submissions_per_hour)
    )
    return limiter.hit(request.state.source_address)


TipsterDep = Annotated[Actor, Depends(tipster)]
LanguageDep = Annotated[Language, Depends(language)]
RateLimitDep = Annotated[ratelimit.Verdict, Depends(rate_limit)]


def _page(
    request: Request,
    name: str,
    lang: Language,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        name,
        {
            "lang": lang,
            "t": texts(lang),
            "other": lang.other,
            "other_name": texts(lang.other)["language_name"],
            **(context or {}),
        },
        status_code=status_code,
    )


def _too_many(request: Request, lang: Language, verdict: ratelimit.Verdict) -> HTMLResponse:
    minutes = max(1, -(-verdict.retry_after_seconds // 60))
    response = _page(
        request,
        "tip_limited.html",
        lang,
        {"minutes": minutes, "other_t": texts(lang.other)},
        status_code=429,
    )
    response.headers["Retry-After"] = str(verdict.retry_after_seconds)
    return response


# --- reading the form -----------------------------------------------------------------


def _text(form: FormData, name: str, limit: int) -> str:
    value = form.get(name)
    return value[:limit].strip() if isinstance(value, str) else ""


def _items(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


TEXT_FIELDS = {
    "narrative": 60_000,
    "location_text": 600,
    "school": 300,
    "person_given_name": 300,
    "person_family_name": 300,
    "person_aliases": 5000,
    "person_handles": 5000,
    "person_age": 20,
    "person_school": 300,
    "person_description": 3000,
    "contact_name": 300,
    "contact_phone": 100,
    "contact_email": 400,
}
# Where each value of TipIn comes from in the form (and where its error is shown).
FIELD_IDS = {
    ("narrative",): "narrative",
    ("location_text",): "location_text",
    ("school",): "school",
    ("person",): "person_given_name",
    ("person", "given_name"): "person_given_name",
    ("person", "family_name"): "person_family_name",
    ("person", "aliases"): "person_aliases",
    ("person", "handles"): "person_handles",
    ("person", "age"): "person_age",
    ("person", "school_or_employer"): "person_school",
    ("person", "description"): "person_description",
    ("contact", "name"): "contact_name",
    ("contact", "phone"): "contact_phone",
    ("contact", "email"): "contact_email",
}


def tip_values(form: FormData) -> dict[str, str]:
    """The form's text values, also used to fill the form in again after an error."""
    return {name: _text(form, name, limit) for name, limit in TEXT_FIELDS.items()}


def to_tip(values: dict[str, str]) -> tipline.TipIn:
    """Validate the form's values; raises ValidationError."""
    person: dict[str, Any] = {
        "given_name": values["person_given_name"],
        "family_name": values["person_family_name"],
        "aliases": _items(values["person_aliases"]),
        "handles": _items(values["person_handles"]),
        "age": values["person_age"] or None,
        "school_or_employer": values["person_school"],
        "description": values["person_description"],
    }
    contact = {
        "name": values["contact_name"],
        "phone": values["contact_phone"],
        "email": values["contact_email"],
    }
    return tipline.TipIn.model_validate(
        {
            "narrative": values["narrative"],
            "location_text": values["location_text"] or None,
            "school": values["school"] or None,
            "person": person if any(person.values()) else None,
            "contact": contact if any(contact.values()) else None,
        }
    )


def _message(strings: Any, field: str, error: Any) -> str:
    kind = error.get("type", "")
    limit = (error.get("ctx") or {}).get("max_length")
    if kind == "tip_unreadable":
        return str(strings["error_unreadable"])
    if kind == "tip_person":
        return str(strings["error_person"])
    if field == "narrative" and kind in ("missing", "string_too_short"):
        return str(strings["error_narrative_required"])
    if kind == "string_too_long" and limit:
        return str(strings["error_too_long"]).format(limit=f"{limit:,}")
    if kind == "too_long" and limit:
        return str(strings["error_too_many"]).format(limit=limit)
    specific = {
        "person_age": "error_age",
        "contact_email": "error_email",
        "contact_phone": "error_phone",
    }
    return str(strings[specific.get(field, "error_invalid")])


def form_errors(invalid: ValidationError, lang: Language) -> dict[str, str]:
    """{field id: message in the page's language}, in the order of the form."""
    strings = texts(lang)
    found: dict[str, str] = {}
    for error in invalid.errors():
        location = tuple(str(part) for part in error.get("loc", ()))
        field = FIELD_IDS.get(location[:2]) or FIELD_IDS.get(location[:1]) or "narrative"
        found.setdefault(field, _message(strings, field, error))
    order = list(dict.fromkeys(FIELD_IDS.values()))
    return {field: found[field] for field in order if field in found}


def _uploads(form: FormData) -> list[tipline.Upload]:
    files = []
    for value in form.getlist("attachments"):
        # An empty file input is still sent, as a part with no name and no bytes.
        if isinstance(value, UploadFile) and (value.filename or value.size):
            files.append(tipline.Upload(value.filename, value.file))
    return files


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def upload_error(
    refused: tipline.UploadRefused, lang: Language, settings: Settings
) -> dict[str, str]:
    strings = texts(lang)
    reason: AttachmentRejected = refused.reason
    if lang is Language.EN:
        why = str(reason)
    elif isinstance(reason, EmptyAttachment):
        why = strings["file_empty"]
    elif isinstance(reason, AttachmentTooLarge):
        why = strings["file_too_large"].format(megabytes=_megabytes(settings.max_attachment_bytes))
    else:
        why = strings["file_refused"]
    name = (refused.filename or "")[:120] or strings["file_number"].format(
        number=refused.position + 1
    )
    message = strings["error_file"].format(name=name, reason=why)
    return {"attachments": f"{message} {strings['files_not_kept']}"}


# --- the public pages -------------------------------------------------------------------


def _form_page(
    request: Request,
    lang: Language,
    settings: Settings,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    submission_id: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return _page(
        request,
        "tip_form.html",
        lang,
        {
            "values": values or dict.fromkeys(TEXT_FIELDS, ""),
            "errors": errors or {},
            "submission_id": submission_id or secrets.token_urlsafe(24),
            "max_files": settings.max_attachments_per_report,
            "max_megabytes": _megabytes(settings.max_attachment_bytes),
            "trap_field": TRAP_FIELD,
        },
        status_code=status_code,
    )


@pages.get("/tip", response_class=HTMLResponse)
def tip_form(request: Request, lang: LanguageDep, settings: SettingsDep) -> HTMLResponse:
    return _form_page(request, lang, settings)


@pages.post("/tip", response_class=HTMLResponse)
async def send_tip(
    request: Request,
    db: ReadFirstSessionDep,
    settings: SettingsDep,
    actor: TipsterDep,
    lang: LanguageDep,
    verdict: RateLimitDep,
) -> HTMLResponse:
    if not verdict.allowed:
        return _too_many(request, lang, verdict)
    form = await request.form()
    if _text(form, TRAP_FIELD, 200):
        # Answer a robot like a person, so it learns nothing; keep nothing.
        log.info("tip line: honeypot field filled; nothing stored (request %s)", actor.request_id)
        fake = tipline.TipReceipt(
            0, numbers.new_receipt_number(), utcnow(), numbers.new_followup_code()
        )
        return _page(request, "tip_receipt.html", lang, {"receipt": fake})
    values = tip_values(form)
    raw_id = _text(form, "submission_id", 100)
    submission_id = raw_id if _SUBMISSION_ID.fullmatch(raw_id) else None
    errors: dict[str, str] = {}
    tip: tipline.TipIn | None = None
    try:
        tip = to_tip(values)
    except ValidationError as invalid:
        errors = form_errors(invalid, lang)
    uploads = _uploads(form)
    if tip is not None:
        try:
            receipt = await run_in_threadpool(
                tipline.submit_web_tip,
                db,
                actor=actor,
                settings=settings,
                store=tipline.store_for(settings),
                tip=tip,
                uploads=uploads,
                submission_id=submission_id,
            )
        except tipline.TooManyUploads as too_many:
            errors = {
                "attachments": texts(lang)["error_too_many_files"].format(count=too_many.limit)
            }
        except tipline.UploadRefused as refused:
            errors = upload_error(refused, lang, settings)
        else:
            return _page(request, "tip_receipt.html", lang, {"receipt": receipt})
    if uploads and "attachments" not in errors:
        errors["attachments"] = texts(lang)["files_not_kept"]
    return _form_page(
        request,
        lang,
        settings,
        values=values,
        errors=errors,
        submission_id=submission_id,
        status_code=422,
    )


@pages.get("/tip/follow-up", response_class=HTMLResponse)
def follow_up_form(request: Request, lang: LanguageDep) -> HTMLResponse:
    return _page(request, "tip_followup.html", lang, {"conversation": None, "code": ""})


@pages.post("/tip/follow-up", response_class=HTMLResponse)
async def follow_up(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    actor: TipsterDep,
    lang: LanguageDep,
    verdict: RateLimitDep,
) -> HTMLResponse:
    """Open the conversation with the follow-up code, and add the tipster's answer if
    the form carries one. The code travels only in form bodies, never in a URL."""
    if not verdict.allowed:
        return _too_many(request, lang, verdict)
    form = await request.form()
    code = _text(form, "code", 100)
    strings = texts(lang)
    reply = _text(form, "reply", 2 * tipline.MAX_MESSAGE) if "reply" in form else None
    errors: dict[str, str] = {}
    conversation: tipline.Conversation | None = None
    if reply is not None and not reply:
        errors["reply"] = strings["error_reply_required"]
    elif reply is not None and len(reply) > tipline.MAX_MESSAGE:
        errors["reply"] = strings["error_too_long"].format(limit=f"{tipline.MAX_MESSAGE:,}")
    if reply is not None and not errors:
        try:
            conversation = tipline.add_tipster_reply(
                db, code, reply, actor=actor, settings=settings
            )
        except InvalidInput:
            errors["reply"] = strings["error_unreadable"]
    if reply is None or errors:
        conversation = tipline.read_conversation(db, code, actor=actor, settings=settings)
    if conversation is None:
        # One message for every failure: a wrong code, a malformed one, a deleted tip.
        request.state.commit_on_error = True  # keep the audit record of the attempt
        return _page(
            request,
            "tip_followup.html",
            lang,
            {"conversation": None, "code": "", "errors": {"code": strings["error_code"]}},
            status_code=422,
        )
    if errors:
        request.state.commit_on_error = True
    return _page(
        request,
        "tip_followup.html",
        lang,
        {
            "conversation": conversation,
            "code": tipline.valid_code(code) or "",
            "errors": errors,
            "reply_value": reply if errors else "",
        },
        status_code=422 if errors else 200,
    )


# --- the public API -----------------------------------------------------------------------

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string (a UUID). A retry with the same key and the same tip "
        "returns the original receipt (200) and never files the tip twice; the same key "
        "with a different tip is refused (409).",
    ),
]


class TipReceiptOut(BaseModel):
    """The receipt of a tip, given once the tip is durably stored."""

    receipt_number: str = Field(description="The public reference of the tip.")
    reported_at: datetime
    followup_code: str | None = Field(
        description="The tipster's secret for reading an analyst's questions and answering "
        "them at /tip/follow-up. Given only in the first answer: Vigil keeps only a keyed "
        "hash of it, so a retry's answer cannot repeat it (null)."
    )
    duplicate: bool = Field(description="True when this answers a retry of an earlier tip.")
    detail: str


PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


@api.post(
    "",
    status_code=201,
    response_model=TipReceiptOut,
    responses={
        200: {
            "description": "A retry of a tip already received: the original receipt, "
            "without the follow-up code",
            "model": TipReceiptOut,
        },
        403: {"description": "Sent from a signed-in browser without its form token", **PROBLEM},
        404: {"description": "Not found", **PROBLEM},
        409: {"description": "Idempotency-Key reused for a different tip", **PROBLEM},
        413: {"description": "Request too large", **PROBLEM},
        422: {"description": "Invalid input", **PROBLEM},
        429: {
            "description": "Too many tips from this client; see Retry-After",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            **PROBLEM,
        },
    },
)
def create_tip(
    request: Request,
    response: Response,
    body: tipline.TipIn,
    db: ReadFirstSessionDep,
    settings: SettingsDep,
    actor: TipsterDep,
    verdict: RateLimitDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Send a tip to the public tip line, anonymously (no sign-in).

    The tip is routed to the agency responsible for its place or school. The answer
    comes only after the tip is durably stored, with a receipt number and a follow-up
    code. Send an Idempotency-Key so that a retry after a lost answer cannot file the
    tip twice. Attachments are taken by the web form at /tip only.
    """
    if not verdict.allowed:
        return problem(
            429,
            "Too many requests",
            detail="Too many tips from this client. Try again later.",
            request=request,
            headers={"Retry-After": str(verdict.retry_after_seconds)},
        )
    receipt = tipline.submit_tip(
        db,
        actor=actor,
        settings=settings,
        store=tipline.store_for(settings),
        tip=body,
        idempotency_scope=tipline.API_SCOPE,
        idempotency_key=idempotency_key,
    )
    if receipt.duplicate:
        response.status_code = 200
        detail = (
            "This tip was already received under this Idempotency-Key; this is its original "
            "receipt. The follow-up code was given only in the first answer and cannot be "
            "shown again, because only a hash of it is kept."
        )
    else:
        detail = (
            "The tip is stored. Keep the follow-up code: it is shown only this once and "
            "cannot be recovered."
        )
    return TipReceiptOut(
        receipt_number=receipt.receipt_number,
        reported_at=receipt.reported_at,
        followup_code=receipt.followup_code,
        duplicate=receipt.duplicate,
        detail=detail,
    )


# --- the agency side -------------------------------------------------------------------


@agency.post("/{report_id}/messages")
async def ask_tipster(
    request: Request, report_id: RecordId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    try:
        tipline.add_agency_message(
            db, actor=actor, report_id=report_id, body=_text(form, "message", 10_000)
        )
    except InvalidInput as invalid:
        db.rollback()
        request.state.commit_on_error = True
        return report_pages.report_page(
            request, db, actor, report_id, errors=invalid.errors, status_code=422
        )
    return RedirectResponse(f"/reports/{report_id}?done=message", status_code=303)


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := stream.read(64 * 1024):
            yield chunk
    finally:
        stream.close()


@agency.get("/{report_id}/attachments/{attachment_id}")
def download_attachment(
    report_id: RecordId,
    attachment_id: RecordId,
    db: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> StreamingResponse:
    attachment, stream = tipline.open_attachment(
        db,
        actor=actor,
        store=tipline.store_for(settings),
        report_id=report_id,
        attachment_id=attachment_id,
    )
    headers = download_headers(attachment.filename, attachment.media_type, attachment.size_bytes)
    return StreamingResponse(_chunks(stream), headers=headers)


router = APIRouter()
for _part in (pages, api, agency):
    router.include_router(_part)

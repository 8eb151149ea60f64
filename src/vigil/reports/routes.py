"""Report pages: the triage queue, filing a report, the report page and its actions."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData

from vigil.linkage import persons as linked_persons
from vigil.platform import accounts, policy
from vigil.platform.errors import InvalidInput
from vigil.platform.policy.markings import Tlp
from vigil.platform.routes.forms import int_from_form, text_from_form, whole_number
from vigil.platform.types import utcnow
from vigil.reports import file_classes, handling, service
from vigil.reports.forms import MENTION_SLOTS, field_errors, report_values, to_report_create
from vigil.reports.models import FileClassChange, ReportEvent, ReportMessage
from vigil.reports.presentation import highlighted, time_left
from vigil.reports.vocabulary import (
    Behavior,
    FileClass,
    MentionRole,
    ReportKind,
    Sex,
    Source,
    TargetType,
    UrgencyLevel,
)
from vigil.web.deps import ActorDep, PathId, SessionDep, SettingsDep
from vigil.web.templating import render

router = APIRouter(prefix="/reports", include_in_schema=False)

DONE = {
    "filed": "The report was filed.",
    "acknowledged": "The report was acknowledged.",
    "disposed": "The disposition was recorded; the report left the queue.",
    "routed": "The report was routed.",
    "level": "The urgency level was changed.",
    "shared": "The report was shared.",
    "sar": "The report was vetted as a SAR.",
    "intelligence": "The report is now criminal intelligence.",
    "message": "Your message was added to the conversation.",
}


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput({field: "Enter a date as YYYY-MM-DD."}) from None


def _form_context(request: Request, db: SessionDep) -> dict[str, object]:
    actor = request.state.actor
    return {
        "kinds": list(ReportKind),
        "behaviors": list(Behavior),
        "targets": list(TargetType),
        "markings": list(Tlp),
        "roles": list(MentionRole),
        "sexes": list(Sex),
        "slots": range(MENTION_SLOTS),
        "agencies": accounts.list_agencies(db, actor=actor),
        "submission_id": secrets.token_hex(16),
    }


@router.get("", response_class=HTMLResponse)
def queue(
    request: Request,
    db: SessionDep,
    actor: ActorDep,
    kind: str | None = Query(default=None, max_length=40),
    behavior: str | None = Query(default=None, max_length=60),
    level: str | None = Query(default=None, max_length=20),
    agency_id: str | None = Query(default=None, max_length=12),
    since: str | None = Query(default=None, max_length=10),
    until: str | None = Query(default=None, max_length=10),
    include_disposed: bool = False,
    page: int = Query(default=1, ge=1, le=100_000),
    done: str | None = None,
) -> HTMLResponse:
    errors: dict[str, str] = {}
    try:
        since_day, until_day = _day(since, "since"), _day(until, "until")
    except InvalidInput as invalid:
        errors, since_day, until_day = invalid.errors, None, None
    filters = service.QueueFilter(
        agency_id=whole_number(agency_id) if agency_id else None,
        kind=kind if kind in ReportKind.__members__.values() else None,
        behavior=behavior if behavior in Behavior.__members__.values() else None,
        level=level if level in UrgencyLevel.__members__.values() else None,
        since=datetime.combine(since_day, time.min, UTC) if since_day else None,
        until=datetime.combine(until_day, time.min, UTC) + timedelta(days=1) if until_day else None,
        unassessed_only=not include_disposed,
    )
    shown = {
        "kind": kind or "",
        "behavior": behavior or "",
        "level": level or "",
        "agency_id": agency_id or "",
        "since": since or "",
        "until": until or "",
        "include_disposed": include_disposed,
    }
    # The page links keep the filters (ending in "&" so "page=" can follow).
    kept = {name: "true" if value is True else value for name, value in shown.items() if value}
    page_query = urlencode(kept) + "&" if kept else ""
    size = 50
    reports, total = service.list_reports(
        db, actor=actor, filters=filters, limit=size, offset=(page - 1) * size
    )
    return render(
        request,
        "report_queue.html",
        {
            "reports": reports,
            "time_left": time_left,
            "total": total,
            "page": page,
            "pages": max(1, (total + size - 1) // size),
            "now": utcnow(),
            "errors": errors,
            "filters": shown,
            "page_query": page_query,
            "kinds": list(ReportKind),
            "behaviors": list(Behavior),
            "levels": list(UrgencyLevel),
            "agencies": accounts.list_agencies(db, actor=actor),
            "flash": DONE.get(done or ""),
            "can_file": policy.decide(actor, "create", "report"),
        },
        status_code=422 if errors else 200,
    )


@router.get("/new", response_class=HTMLResponse)
def new_report(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    policy.authorize(actor, "create", "report")
    return render(
        request,
        "report_new.html",
        {
            **_form_context(request, db),
            "values": None,
            "errors": {},
        },
    )


@router.post("")
async def file_report(
    request: Request, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> Response:
    policy.authorize(actor, "create", "report")
    form = await request.form()
    values = report_values(form)
    try:
        data = to_report_create(values)
        report, _ = service.create_report(
            db,
            actor=actor,
            settings=settings,
            data=data,
            source=Source.WEB,
            idempotency_key=submission_key(form),
        )
    except ValidationError as invalid:
        return render(
            request,
            "report_new.html",
            {
                **_form_context(request, db),
                "values": values,
                "errors": field_errors(invalid, values),
            },
            status_code=422,
        )
    except InvalidInput as invalid:
        return render(
            request,
            "report_new.html",
            {**_form_context(request, db), "values": values, "errors": invalid.errors},
            status_code=422,
        )
    return RedirectResponse(f"/reports/{report.id}?done=filed", status_code=303)


def submission_key(form: FormData) -> str | None:
    """The form's one-time id: a double click or a resent form files the report once."""
    value = text_from_form(form, "submission_id", 64)
    return f"web:{value}" if value and value.isascii() and value.isalnum() else None


def report_page(
    request: Request,
    db: SessionDep,
    actor: ActorDep,
    report_id: int,
    *,
    errors: dict[str, str] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    report = service.get_report(db, actor=actor, report_id=report_id)
    can = {
        action: policy.decide(actor, action, "report", report)
        for action in (
            "acknowledge",
            "dispose",
            "route",
            "override_level",
            "share",
            "promote_sar",
            "promote_intelligence",
            "message_tipster",
        )
    }
    return render(
        request,
        "report_page.html",
        {
            "report": report,
            "segments": highlighted(report.narrative, report.urgency_rules),
            "events": db.execute(
                select(ReportEvent)
                .where(ReportEvent.report_id == report.id)
                .order_by(ReportEvent.at)
            )
            .scalars()
            .all(),
            "class_changes": db.execute(
                select(FileClassChange)
                .where(FileClassChange.report_id == report.id)
                .order_by(FileClassChange.decided_at)
            )
            .scalars()
            .all(),
            "messages": db.execute(
                select(ReportMessage)
                .where(ReportMessage.report_id == report.id)
                .order_by(ReportMessage.created_at)
            )
            .scalars()
            .all(),
            "agencies": {a.id: a for a in accounts.list_agencies(db, actor=actor)},
            "can": can,
            "links": linked_persons.links_for_report(db, actor=actor, report=report),
            "errors": errors or {},
            "flash": flash,
            "now": utcnow(),
            "dispositions": handling.DISPOSITIONS,
            "levels": list(UrgencyLevel),
            "behaviors": list(Behavior),
            "FileClass": FileClass,
        },
        status_code=status_code,
    )


@router.get("/{report_id}", response_class=HTMLResponse)
def show_report(
    request: Request, report_id: PathId, db: SessionDep, actor: ActorDep, done: str | None = None
) -> HTMLResponse:
    return report_page(request, db, actor, report_id, flash=DONE.get(done or ""))


async def _act(
    request: Request,
    db: SessionDep,
    actor: ActorDep,
    report_id: int,
    action: Callable[[FormData], object],
    done: str,
) -> Response:
    """Run one action from a form on the report page; on bad input show the page again
    with the message (the failed change rolled back, the page view still audited)."""
    form = await request.form()
    try:
        action(form)
    except InvalidInput as invalid:
        db.rollback()
        request.state.commit_on_error = True
        return report_page(request, db, actor, report_id, errors=invalid.errors, status_code=422)
    return RedirectResponse(f"/reports/{report_id}?done={done}", status_code=303)


@router.post("/{report_id}/acknowledge")
async def acknowledge(
    request: Request, report_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _act(
        request,
        db,
        actor,
        report_id,
        lambda form: handling.acknowledge_report(db, actor=actor, report_id=report_id),
        "acknowledged",
    )


@router.post("/{report_id}/dispose")
async def dispose(request: Request, report_id: PathId, db: SessionDep, actor: ActorDep) -> Response:
    return await _act(
        request,
        db,
        actor,
        report_id,
        lambda form: handling.dispose_report(
            db,
            actor=actor,
            report_id=report_id,
            disposition=text_from_form(form, "disposition"),
            outcome=text_from_form(form, "outcome", 3000),
        ),
        "disposed",
    )


@router.post("/{report_id}/route")
async def route(
    request: Request, report_id: PathId, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> Response:
    def act(form: FormData) -> object:
        agency_id = int_from_form(form, "agency_id")
        if agency_id is None:
            raise InvalidInput({"agency_id": "Choose the agency to route to."})
        return handling.route_report(
            db,
            actor=actor,
            settings=settings,
            report_id=report_id,
            agency_id=agency_id,
            reason=text_from_form(form, "reason", 3000),
        )

    return await _act(request, db, actor, report_id, act, "routed")


@router.post("/{report_id}/level")
async def override(
    request: Request, report_id: PathId, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> Response:
    return await _act(
        request,
        db,
        actor,
        report_id,
        lambda form: handling.override_level(
            db,
            actor=actor,
            settings=settings,
            report_id=report_id,
            level=text_from_form(form, "level", 20),
            reason=text_from_form(form, "reason", 3000),
        ),
        "level",
    )


@router.post("/{report_id}/share")
async def share(request: Request, report_id: PathId, db: SessionDep, actor: ActorDep) -> Response:
    return await _act(
        request,
        db,
        actor,
        report_id,
        lambda form: handling.share_report(
            db,
            actor=actor,
            report_id=report_id,
            agency_ids=[
                number
                for v in form.getlist("agency_ids")[:100]
                if isinstance(v, str) and (number := whole_number(v)) is not None
            ],
            reason=text_from_form(form, "reason", 3000),
        ),
        "shared",
    )


@router.post("/{report_id}/promote-sar")
async def promote_sar(
    request: Request, report_id: PathId, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> Response:
    def act(form: FormData) -> object:
        value = text_from_form(form, "behavior", 60)
        if value not in Behavior.__members__.values():
            raise InvalidInput({"behavior": "Choose the ISE-SAR behavior category."})
        return file_classes.promote_to_sar(
            db,
            actor=actor,
            settings=settings,
            report_id=report_id,
            behavior=Behavior(value),
            nexus=text_from_form(form, "nexus", 6000),
        )

    return await _act(request, db, actor, report_id, act, "sar")


@router.post("/{report_id}/promote-intelligence")
async def promote_intelligence(
    request: Request, report_id: PathId, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> Response:
    return await _act(
        request,
        db,
        actor,
        report_id,
        lambda form: file_classes.promote_to_intelligence(
            db,
            actor=actor,
            settings=settings,
            report_id=report_id,
            predicate=text_from_form(form, "predicate", 6000),
            justification=text_from_form(form, "justification", 6000),
        ),
        "intelligence",
    )

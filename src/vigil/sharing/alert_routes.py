"""Pages for intelligence bulletins (list, draft, view, publish) and for public CAP
alerts (issuing, the agency's list), and the public Atom feed and CAP documents."""

from __future__ import annotations

import logging
from dataclasses import fields

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from vigil.platform import accounts, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput
from vigil.platform.mail import MailError, mailer_from_settings
from vigil.platform.routes.forms import text_from_form, whole_number
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.sharing import bulletin_stix, bulletins, cap, cap_feed
from vigil.sharing.bulletin_models import Bulletin
from vigil.web.deps import ActorDep, AnonymousDep, PathId, SessionDep, SettingsDep
from vigil.web.templating import render

router = APIRouter(include_in_schema=False)
log = logging.getLogger("vigil.bulletins")

DONE = {
    "created": "The draft was saved.",
    "saved": "The draft was saved.",
    "published": "The bulletin was published: its recipients were notified.",
}


def draft_from_form(form: FormData) -> bulletins.Draft:
    def ids(name: str) -> list[int]:
        found = [whole_number(v) for v in form.getlist(name)[:500] if isinstance(v, str)]
        return [i for i in found if i is not None]

    return bulletins.Draft(
        title=text_from_form(form, "title", 400),
        summary=text_from_form(form, "summary", 2000),
        body=text_from_form(form, "body", 40_000),
        marking=text_from_form(form, "marking", 20),
        agency_ids=ids("agency_ids"),
        group_ids=ids("group_ids"),
        named_usernames=text_from_form(form, "named_users", 4000).replace(",", " ").split(),
    )


def _values(draft: bulletins.Draft) -> dict[str, object]:
    return {
        "title": draft.title,
        "summary": draft.summary,
        "body": draft.body,
        "marking": draft.marking,
        "agency_ids": list(draft.agency_ids),
        "group_ids": list(draft.group_ids),
        "named_users": " ".join(draft.named_usernames),
    }


def _form_page(
    request: Request,
    db: Session,
    actor: Actor,
    *,
    bulletin: Bulletin | None,
    values: dict[str, object],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "bulletin_form.html",
        {
            "bulletin": bulletin,
            "values": values,
            "errors": errors or {},
            "markings": bulletins.MARKINGS,
            "agencies": [
                a
                for a in accounts.list_agencies(db, actor=actor)
                if a.id != actor.agency_id and a.active
            ],
            "sharing_groups": bulletins.group_choices(db, actor=actor),
        },
        status_code=status_code,
    )


@router.get("/bulletins", response_class=HTMLResponse)
def bulletin_list(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    return render(
        request,
        "bulletin_list.html",
        {
            "bulletins": bulletins.list_bulletins(db, actor=actor),
            "may_create": policy.decide(actor, "create", "bulletin"),
        },
    )


@router.get("/bulletins/new", response_class=HTMLResponse)
def new_bulletin(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    policy.authorize(actor, "create", "bulletin")
    return _form_page(request, db, actor, bulletin=None, values={"marking": "AMBER"})


def _invalid(request: Request, db: Session, problem: InvalidInput | Conflict) -> dict[str, str]:
    db.rollback()
    request.state.commit_on_error = True
    if isinstance(problem, InvalidInput):
        return problem.errors
    return {problem.field or "title": str(problem)}


@router.post("/bulletins")
async def create_bulletin(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    draft = draft_from_form(await request.form())
    try:
        bulletin = bulletins.create_draft(db, actor=actor, draft=draft)
    except InvalidInput as problem:
        errors = _invalid(request, db, problem)
        return _form_page(
            request, db, actor, bulletin=None, values=_values(draft), errors=errors, status_code=422
        )
    return RedirectResponse(f"/bulletins/{bulletin.id}?done=created", status_code=303)


@router.get("/bulletins/{bulletin_id}", response_class=HTMLResponse)
def view_bulletin(
    request: Request,
    bulletin_id: PathId,
    db: SessionDep,
    actor: ActorDep,
    done: str | None = None,
) -> HTMLResponse:
    bulletin = bulletins.read_bulletin(db, actor=actor, bulletin_id=bulletin_id)
    return render(
        request,
        "bulletin_view.html",
        {
            "bulletin": bulletin,
            "distribution": bulletins.distribution(db, bulletin),
            "may": bulletins.may(db, actor, bulletin),
            "deliveries": bulletins.deliveries(db, actor=actor, bulletin=bulletin),
            "flash": DONE.get(done or ""),
        },
    )


@router.get("/bulletins/{bulletin_id}/stix")
def download_bulletin_stix(bulletin_id: PathId, db: SessionDep, actor: ActorDep) -> Response:
    """The bulletin as a STIX 2.1 bundle file (recorded as a dissemination)."""
    result = bulletin_stix.export_bulletin(db, actor=actor, bulletin_id=bulletin_id)
    return Response(
        result.bundle,
        media_type="application/stix+json;version=2.1",
        headers={"Content-Disposition": f'attachment; filename="{result.filename}"'},
    )


@router.get("/bulletins/{bulletin_id}/edit", response_class=HTMLResponse)
def edit_bulletin(
    request: Request, bulletin_id: PathId, db: SessionDep, actor: ActorDep
) -> HTMLResponse:
    bulletin = bulletins.read_bulletin(db, actor=actor, bulletin_id=bulletin_id)
    policy.authorize(actor, "edit", "bulletin", bulletins.facts(db, bulletin))
    shown = bulletins.distribution(db, bulletin)
    values: dict[str, object] = {
        "title": bulletin.title,
        "summary": bulletin.summary,
        "body": bulletin.body,
        "marking": bulletin.marking,
        "agency_ids": [a for a, _, via in shown.agencies if via is None],
        "group_ids": [g for g, _ in shown.groups],
        "named_users": " ".join(name for _, name in shown.named),
    }
    return _form_page(request, db, actor, bulletin=bulletin, values=values)


@router.post("/bulletins/{bulletin_id}")
async def save_bulletin(
    request: Request, bulletin_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    draft = draft_from_form(await request.form())
    try:
        bulletins.update_draft(db, actor=actor, bulletin_id=bulletin_id, draft=draft)
    except (InvalidInput, Conflict) as problem:
        errors = _invalid(request, db, problem)
        bulletin = db.get(Bulletin, bulletin_id)
        return _form_page(
            request,
            db,
            actor,
            bulletin=bulletin,
            values=_values(draft),
            errors=errors,
            status_code=422,
        )
    return RedirectResponse(f"/bulletins/{bulletin_id}?done=saved", status_code=303)


def deliver_mail(db: Session, settings: Settings, bulletin_id: int) -> None:
    """Commit the publication first (an e-mail must never announce a bulletin that a
    failed commit left unpublished), then e-mail the recipients."""
    db.commit()
    try:
        mailer = mailer_from_settings(settings)
    except MailError as error:
        # The bulletin is published and every recipient notified in the app; the e-mail
        # stays pending rather than failing the request.
        log.error("bulletin e-mail not sent: %s", error)
        return
    bulletins.send_pending_mail(
        db, bulletin_id=bulletin_id, mailer=mailer, base_url=settings.resolved_public_url
    )


@router.post("/bulletins/{bulletin_id}/publish")
async def publish_bulletin(
    request: Request,
    bulletin_id: PathId,
    db: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> Response:
    form = await request.form()
    try:
        bulletins.publish(
            db, actor=actor, bulletin_id=bulletin_id, reason=text_from_form(form, "reason", 2000)
        )
    except Conflict as problem:
        _invalid(request, db, problem)
        return RedirectResponse(f"/bulletins/{bulletin_id}", status_code=303)
    deliver_mail(db, settings, bulletin_id)
    return RedirectResponse(f"/bulletins/{bulletin_id}?done=published", status_code=303)


# --- public CAP alerts -----------------------------------------------------------------


def alert_input_from_form(form: FormData) -> cap.AlertInput:
    names = [f.name for f in fields(cap.AlertInput)]
    return cap.AlertInput(**{name: text_from_form(form, name, 8000) for name in names})


def _alert_form(
    request: Request,
    *,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "alert_form.html",
        {
            "values": values,
            "errors": errors or {},
            "choices": {
                "status": cap.STATUSES,
                "msg_type": cap.MSG_TYPES,
                "category": cap.CATEGORIES,
                "urgency": cap.URGENCIES,
                "severity": cap.SEVERITIES,
                "certainty": cap.CERTAINTIES,
            },
        },
        status_code=status_code,
    )


@router.get("/alerts", response_class=HTMLResponse)
def alert_list(
    request: Request, db: SessionDep, actor: ActorDep, done: str | None = None
) -> HTMLResponse:
    return render(
        request,
        "alert_list.html",
        {
            "alerts": cap.agency_alerts(db, actor=actor),
            "may_issue": policy.decide(actor, "issue", "public_alert"),
            "now": utcnow(),
            "flash": "The alert was issued and is in the public feed."
            if done == "issued"
            else None,
        },
    )


@router.get("/alerts/new", response_class=HTMLResponse)
def new_alert(
    request: Request, actor: ActorDep, references: str | None = None, msg_type: str = "Alert"
) -> HTMLResponse:
    policy.authorize(actor, "issue", "public_alert")
    values = {"msg_type": msg_type if msg_type in cap.MSG_TYPES else "Alert", "status": "Actual"}
    if references:
        values["references"] = references[:120]
    return _alert_form(request, values=values)


@router.post("/alerts")
async def issue_alert(
    request: Request, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> Response:
    data = alert_input_from_form(await request.form())
    try:
        cap.issue(db, actor=actor, data=data, base_url=settings.resolved_public_url)
    except InvalidInput as problem:
        errors = _invalid(request, db, problem)
        values = {f.name: getattr(data, f.name) for f in fields(cap.AlertInput)}
        return _alert_form(request, values=values, errors=errors, status_code=422)
    return RedirectResponse("/alerts?done=issued", status_code=303)


@router.get("/alerts/feed.atom")
def alert_feed(db: SessionDep, actor: AnonymousDep, settings: SettingsDep) -> Response:
    """The public Atom feed of current alerts (no sign-in: alerting systems poll it)."""
    now = utcnow()
    alerts = cap.current(db, actor=actor, now=now)
    body = cap_feed.build_feed(alerts, base_url=settings.resolved_public_url, now=now)
    return Response(body, media_type=cap_feed.MEDIA, headers={"Cache-Control": "max-age=60"})


@router.get("/alerts/{identifier}.xml")
def alert_document(identifier: str, db: SessionDep, actor: AnonymousDep) -> Response:
    """One public alert as CAP 1.2 XML."""
    alert = cap.public_document(db, actor=actor, identifier=identifier)
    return Response(
        alert.xml.encode("utf-8"),
        media_type=cap.MEDIA_TYPE,
        headers={"Cache-Control": "max-age=60"},
    )

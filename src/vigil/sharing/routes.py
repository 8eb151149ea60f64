"""Sharing pages: sharing groups and their members, sharing a report with a group,
who received a report (its dissemination log), STIX export and import, and
subscriptions to partners' TAXII collections and deconfliction queries to partner
instances."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from vigil.platform import accounts, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput
from vigil.platform.routes.forms import int_from_form, text_from_form
from vigil.platform.settings import per_process
from vigil.reports.schemas import MentionIn
from vigil.reports.service import get_report
from vigil.sharing import (
    deconfliction,
    disseminations,
    federation,
    groups,
    stix_export,
    stix_import,
)
from vigil.sharing.models import SharingGroup
from vigil.web.deps import ActorDep, PathId, SessionDep, SettingsDep
from vigil.web.templating import render

router = APIRouter(prefix="/sharing", include_in_schema=False)

STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
DONE = {
    "created": "The sharing group was created.",
    "added": "The agency was added; it receives what the group already has.",
    "removed": "The agency was removed from the group.",
    "shared": "The report was shared with the group; each member's receipt is recorded.",
    "revoked": "The report is no longer shared with the group.",
}


def _groups_page(
    request: Request,
    db: Session,
    actor: Actor,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, object] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "sharing_groups.html",
        {
            "groups": groups.list_groups(db, actor=actor),
            "may_create": policy.decide(actor, "create", "sharing_group"),
            "agencies": [
                a for a in accounts.list_agencies(db, actor=actor) if a.id != actor.agency_id
            ],
            "errors": errors or {},
            "values": values or {},
            "flash": flash,
        },
        status_code=status_code,
    )


@router.get("/groups", response_class=HTMLResponse)
def groups_page(
    request: Request, db: SessionDep, actor: ActorDep, done: str | None = None
) -> HTMLResponse:
    return _groups_page(request, db, actor, flash=DONE.get(done or ""))


def _agency_ids(form: FormData) -> list[int]:
    ids = [int_from_form_value(v) for v in form.getlist("agency_ids")]
    return [i for i in ids if i is not None]


def int_from_form_value(value: object) -> int | None:
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    return int(value)


@router.post("/groups")
async def create_group(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    form = await request.form()
    values: dict[str, object] = {
        "name": text_from_form(form, "name", 300),
        "description": text_from_form(form, "description", 2000),
        "hide_members": form.get("hide_members") == "yes",
        "agency_ids": _agency_ids(form),
    }
    try:
        group = groups.create_group(
            db,
            actor=actor,
            name=str(values["name"]),
            description=str(values["description"]),
            hide_members=bool(values["hide_members"]),
            agency_ids=_agency_ids(form),
        )
    except (InvalidInput, Conflict) as problem:
        db.rollback()
        request.state.commit_on_error = True
        errors = (
            problem.errors
            if isinstance(problem, InvalidInput)
            else {problem.field or "name": str(problem)}
        )
        return _groups_page(request, db, actor, errors=errors, values=values, status_code=422)
    return RedirectResponse(f"/sharing/groups/{group.id}?done=created", status_code=303)


def _group_page(
    request: Request,
    db: Session,
    actor: Actor,
    group_id: int,
    *,
    errors: dict[str, str] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    group = groups.load_group(db, actor=actor, group_id=group_id)
    known = groups.facts(db, group)
    may = {
        action: policy.decide(actor, action, "sharing_group", known)
        for action in ("read_members", "manage", "share")
    }
    member_list = groups.members(db, actor=actor, group=group) if may["read_members"] else []
    return render(
        request,
        "sharing_group.html",
        {
            "group": group,
            "may": may,
            "members": member_list,
            "member_ids": {a.id for a in member_list},
            "agencies": [
                a
                for a in accounts.list_agencies(db, actor=actor)
                if a.id != group.owner_agency_id and a.active
            ]
            if may["manage"]
            else [],
            "shares": groups.shared_reports(db, actor=actor, group=group) if may["share"] else [],
            "taxii_path": f"/api/taxii2/vigil/collections/{group.collection_id}/",
            "errors": errors or {},
            "flash": flash,
        },
        status_code=status_code,
    )


@router.get("/groups/{group_id}", response_class=HTMLResponse)
def group_page(
    request: Request, group_id: PathId, db: SessionDep, actor: ActorDep, done: str | None = None
) -> HTMLResponse:
    return _group_page(request, db, actor, group_id, flash=DONE.get(done or ""))


async def _group_action(
    request: Request, db: Session, actor: Actor, group_id: int, action: object, done: str
) -> Response:
    form = await request.form()
    try:
        action(form)  # type: ignore[operator]
    except InvalidInput as invalid:
        db.rollback()
        request.state.commit_on_error = True
        return _group_page(request, db, actor, group_id, errors=invalid.errors, status_code=422)
    return RedirectResponse(f"/sharing/groups/{group_id}?done={done}", status_code=303)


def _required_id(form: FormData, name: str) -> int:
    value = int_from_form(form, name)
    if value is None:
        raise InvalidInput({name: "Choose one."})
    return value


@router.post("/groups/{group_id}/members")
async def add_member(
    request: Request, group_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _group_action(
        request,
        db,
        actor,
        group_id,
        lambda form: groups.add_member(
            db,
            actor=actor,
            group_id=group_id,
            agency_id=_required_id(form, "agency_id"),
            reason=text_from_form(form, "reason", 2000),
        ),
        "added",
    )


@router.post("/groups/{group_id}/members/{member_agency_id}/remove")
async def remove_member(
    request: Request, group_id: PathId, member_agency_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    groups.remove_member(db, actor=actor, group_id=group_id, agency_id=member_agency_id)
    return RedirectResponse(f"/sharing/groups/{group_id}?done=removed", status_code=303)


@router.post("/groups/{group_id}/shares")
async def share_report(
    request: Request, group_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _group_action(
        request,
        db,
        actor,
        group_id,
        lambda form: groups.share_report(
            db,
            actor=actor,
            group_id=group_id,
            report_id=_required_id(form, "report_id"),
            reason=text_from_form(form, "reason", 2000),
        ),
        "shared",
    )


@router.post("/groups/{group_id}/shares/{report_id}/revoke")
async def revoke_share(
    request: Request, group_id: PathId, report_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    groups.revoke_share(db, actor=actor, group_id=group_id, report_id=report_id)
    return RedirectResponse(f"/sharing/groups/{group_id}?done=revoked", status_code=303)


def _report_context(db: Session, actor: Actor, report_id: int) -> dict[str, object]:
    received = disseminations.for_report(db, actor=actor, report_id=report_id)
    shareable: list[SharingGroup] = []
    report = get_report(db, actor=actor, report_id=report_id, audit_read=False)
    if policy.decide(actor, "share", "report", report):
        shareable = [
            g
            for g in groups.list_groups(db, actor=actor)
            if policy.decide(actor, "share", "sharing_group", groups.facts(db, g))
        ]
    return {
        "report": report,
        "received": received,
        "shareable": shareable,
        "may_export": policy.decide(actor, "export", "report_export", report),
    }


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_sharing_page(
    request: Request, report_id: PathId, db: SessionDep, actor: ActorDep
) -> HTMLResponse:
    """Who received the report, and the forms to share or export it."""
    return render(request, "sharing_report.html", _report_context(db, actor, report_id))


@router.get("/reports/{report_id}/received", response_class=HTMLResponse)
def report_received_fragment(
    request: Request, report_id: PathId, db: SessionDep, actor: ActorDep
) -> HTMLResponse:
    """The dissemination log alone, for the report page (loaded by htmx)."""
    return render(request, "sharing_received.html", _report_context(db, actor, report_id))


@router.post("/reports/{report_id}/export")
async def export_report(
    request: Request, report_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    try:
        result = stix_export.export_reports(
            db,
            actor=actor,
            report_ids=[report_id],
            recipient=text_from_form(form, "recipient", 300),
            reason=text_from_form(form, "reason", 2000),
        )
    except InvalidInput as invalid:
        db.rollback()
        request.state.commit_on_error = True
        context = _report_context(db, actor, report_id)
        return render(
            request, "sharing_report.html", {**context, "errors": invalid.errors}, status_code=422
        )
    return Response(
        result.bundle,
        media_type=STIX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="report-{report_id}.stix.json"'},
    )


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, actor: ActorDep) -> HTMLResponse:
    policy.authorize(actor, "import", "stix_import")
    return render(request, "sharing_import.html", {"outcome": None})


@router.post("/import", response_class=HTMLResponse)
async def import_bundle(
    request: Request, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> HTMLResponse:
    policy.authorize(actor, "import", "stix_import")
    form = await request.form()
    upload = form.get("file")
    if form.get("format") != "stix2.1":
        return render(
            request,
            "sharing_import.html",
            {"outcome": None, "errors": {"file": "Only STIX 2.1 bundles can be imported here."}},
            status_code=422,
        )
    if not isinstance(upload, UploadFile) or not upload.filename:
        return render(
            request,
            "sharing_import.html",
            {"outcome": None, "errors": {"file": "Choose a STIX 2.1 bundle (.json) to import."}},
            status_code=422,
        )
    data = await upload.read(stix_import.MAX_BUNDLE_BYTES + 1)
    try:
        outcome = stix_import.import_bundle(db, actor=actor, settings=settings, text=data)
    except InvalidInput as invalid:
        db.rollback()
        request.state.commit_on_error = True
        return render(
            request,
            "sharing_import.html",
            {"outcome": None, "errors": {"file": invalid.errors.get("bundle", str(invalid))}},
            status_code=422,
        )
    return render(request, "sharing_import.html", {"outcome": outcome})


DECONFLICTION_FIELDS = (
    ("given_name", "Given name", "text", "given-name"),
    ("family_name", "Family name", "text", "family-name"),
    ("date_of_birth", "Date of birth (YYYY-MM-DD)", "text", "off"),
    ("phone", "Phone", "tel", "off"),
    ("email", "E-mail", "email", "off"),
    ("handle", "Social media handle", "text", "off"),
    ("address", "Street address", "text", "off"),
)


def _deconfliction_page(
    request: Request,
    db: Session,
    actor: Actor,
    *,
    answers: list[deconfliction.PartnerAnswer] | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "sharing_deconfliction.html",
        {
            "partners": deconfliction.partners(db, actor=actor),
            "fields": DECONFLICTION_FIELDS,
            "answers": answers,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/deconfliction", response_class=HTMLResponse)
def deconfliction_page(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    """Ask partner instances whether they hold records on a person."""
    return _deconfliction_page(request, db, actor)


def _person(values: dict[str, str]) -> dict[str, object]:
    """The form as a report's mention, validated as one."""
    given: dict[str, object] = {
        "given_name": values["given_name"] or None,
        "family_name": values["family_name"] or None,
        "date_of_birth": values["date_of_birth"] or None,
        "phones": [values["phone"]] if values["phone"] else [],
        "emails": [values["email"]] if values["email"] else [],
        "handles": [values["handle"]] if values["handle"] else [],
        "addresses": [values["address"]] if values["address"] else [],
    }
    try:
        mention = MentionIn.model_validate(given)
    except ValidationError as invalid:
        errors: dict[str, str] = {}
        for error in invalid.errors():
            where = str(error["loc"][0]) if error["loc"] else "person"
            field = {"phones": "phone", "emails": "email", "handles": "handle"}.get(where, where)
            field = {"addresses": "address"}.get(field, field)
            field = field if field in values else "person"
            errors.setdefault(field, str(error["msg"]).removeprefix("Value error, "))
        raise InvalidInput(errors) from None
    return mention.model_dump()


@router.post("/deconfliction", response_class=HTMLResponse)
async def run_deconfliction(
    request: Request, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> HTMLResponse:
    form = await request.form()
    values = {name: text_from_form(form, name, 500) for name, *_ in DECONFLICTION_FIELDS}
    limiter = deconfliction.limiter_for(
        request.app.state, per_process(settings, settings.deconfliction_queries_per_hour)
    )
    try:
        policy.authorize(actor, "query", "deconfliction")
        if not limiter.hit("ask", actor.user_id):
            raise InvalidInput(
                {"person": "You have sent as many queries as an hour allows. Try again later."}
            )
        answers = deconfliction.ask_partners(
            db, actor=actor, settings=settings, person=_person(values)
        )
    except InvalidInput as invalid:
        db.rollback()
        request.state.commit_on_error = True
        return _deconfliction_page(
            request, db, actor, errors=invalid.errors, values=values, status_code=422
        )
    return _deconfliction_page(request, db, actor, answers=answers, values=values)


SUBSCRIPTION_DONE = {
    "created": "Your agency subscribes to the collection; pull it now or wait for the schedule.",
    "stopped": "Scheduled pulls of this collection are stopped.",
    "resumed": "Scheduled pulls of this collection are resumed.",
}


def _subscriptions_page(
    request: Request,
    db: Session,
    actor: Actor,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "sharing_subscriptions.html",
        {
            "subscriptions": federation.list_subscriptions(db, actor=actor),
            "errors": errors or {},
            "values": values or {},
            "flash": flash,
        },
        status_code=status_code,
    )


@router.get("/subscriptions", response_class=HTMLResponse)
def subscriptions_page(
    request: Request, db: SessionDep, actor: ActorDep, done: str | None = None
) -> HTMLResponse:
    """The partners' TAXII collections the agency pulls from."""
    return _subscriptions_page(request, db, actor, flash=SUBSCRIPTION_DONE.get(done or ""))


@router.post("/subscriptions")
async def subscribe(
    request: Request, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> Response:
    form = await request.form()
    values = {
        "name": text_from_form(form, "name", 300),
        "collection_url": text_from_form(form, "collection_url", 600),
    }
    try:
        federation.subscribe(
            db,
            actor=actor,
            settings=settings,
            name=values["name"],
            collection_url=values["collection_url"],
            token=text_from_form(form, "token", 600),
        )
    except (InvalidInput, Conflict) as problem:
        db.rollback()
        request.state.commit_on_error = True
        errors = (
            problem.errors
            if isinstance(problem, InvalidInput)
            else {problem.field or "collection_url": str(problem)}
        )
        # The token is never sent back to the browser.
        return _subscriptions_page(
            request, db, actor, errors=errors, values=values, status_code=422
        )
    return RedirectResponse("/sharing/subscriptions?done=created", status_code=303)


@router.post("/subscriptions/{subscription_id}/pull", response_class=HTMLResponse)
def pull_subscription(
    request: Request,
    subscription_id: PathId,
    db: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """Pull a partner's collection now."""
    pulled = federation.pull(db, actor=actor, settings=settings, subscription_id=subscription_id)
    flash = (
        f"The partner could not be read ({pulled.error})."
        if pulled.error
        else f"{pulled.objects} objects: {pulled.imported} reports arrived, {pulled.updated} "
        f"updated, {pulled.purged} purged as the partner withdrew them, {pulled.rejected} "
        "refused."
    )
    return _subscriptions_page(request, db, actor, flash=flash)


@router.post("/subscriptions/{subscription_id}/stop")
def stop_subscription(subscription_id: PathId, db: SessionDep, actor: ActorDep) -> Response:
    federation.set_active(db, actor=actor, subscription_id=subscription_id, active=False)
    return RedirectResponse("/sharing/subscriptions?done=stopped", status_code=303)


@router.post("/subscriptions/{subscription_id}/resume")
def resume_subscription(subscription_id: PathId, db: SessionDep, actor: ActorDep) -> Response:
    federation.set_active(db, actor=actor, subscription_id=subscription_id, active=True)
    return RedirectResponse("/sharing/subscriptions?done=resumed", status_code=303)

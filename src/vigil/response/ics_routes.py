"""ICS pages: the incidents one may read, an incident's record (agencies, periods,
positions, events log, forms, resource requests), ICS forms to fill in and print, and
ICS 213RR requests with their steps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput
from vigil.platform.routes.forms import whole_number
from vigil.response import ics_forms, incident_records, resource_offers, resource_requests
from vigil.response.form_pages import Shown, settle
from vigil.response.ics_form_specs import spec_for
from vigil.response.ics_models import ResourceOffer, ResourceRequest
from vigil.response.ics_pages import fields_from_form, moment, record_refusal, render
from vigil.response.resource_catalogue import read_catalogue
from vigil.response.resource_offers import OfferRefused
from vigil.response.resource_requests import TransitionRefused
from vigil.web.deps import ActorDep, PathId, QueryId, SessionDep

router = APIRouter(include_in_schema=False)

DONE = {
    "event": "The event is in the log.",
    "agency": "The agency's role in the incident is recorded.",
    "period": "The operational period is open.",
    "staff": "The position is assigned.",
    "relieved": "The assignment has ended.",
    "expectation": "The expected time for that step is set.",
}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _number(form: FormData, name: str) -> int | None:
    return whole_number(_text(form, name).strip())


@router.get("/incidents", response_class=HTMLResponse)
def incidents_page(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    """The incidents whose records you may read."""
    found = incident_records.list_incidents(db, actor=actor)
    return render(request, "ics_incidents.html", {"incidents": found})


def _incident_page(
    request: Request, db: Session, actor: Actor, incident_id: int, shown: Shown = Shown()
) -> HTMLResponse:
    view = incident_records.view_incident(db, actor=actor, incident_id=incident_id)
    return render(
        request,
        "ics_incident.html",
        {
            "view": view,
            "events": incident_records.list_events(db, actor=actor, incident_id=incident_id),
            "forms": ics_forms.list_forms(
                db, actor=actor, incident_id=incident_id, facts=view.facts
            ),
            "requests": resource_requests.list_requests(db, actor=actor, incident_id=incident_id),
            "expected": resource_requests.expectations(db, incident_id),
            "all_agencies": (
                incident_records.all_agencies(db, actor=actor, incident_id=incident_id)
                if view.may["command"]
                else []
            ),
            "flash": shown.flash,
            "errors": shown.errors,
            "values": shown.values,
        },
        status_code=shown.status_code,
    )


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(
    request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep, done: str = ""
) -> HTMLResponse:
    """An incident's record: command, periods, positions, events, forms and requests."""
    return _incident_page(request, db, actor, incident_id, Shown(flash=DONE.get(done)))


# Each change on the incident page: the action the policy is asked, on which object type.
CHANGES = {
    "event": ("log_event", "incident_record"),
    "agency": ("add_agency", "incident_record"),
    "period": ("add_period", "incident_record"),
    "staff": ("assign_position", "incident_record"),
    "expectation": ("set_expectations", "resource_request"),
}


async def _incident_change(
    request: Request, db: Session, actor: Actor, incident_id: int, name: str
) -> Response:
    # Who may not make the change is told so before anything about their input.
    action, object_type = CHANGES[name]
    incident_records.authorize_incident(db, actor, action, incident_id, object_type)
    form = await request.form()
    return settle(
        request,
        db,
        form,
        name,
        lambda: _change(db, actor, incident_id, name, form),
        again=lambda shown: _incident_page(request, db, actor, incident_id, shown),
        done=f"/incidents/{incident_id}?done={name}#{name}",
    )


def _change(db: Session, actor: Actor, incident_id: int, name: str, form: FormData) -> None:
    if name == "event":
        occurred = moment(_text(form, "occurred_at"))
        if occurred is None:
            raise InvalidInput({"occurred_at": "Give when it happened (date and time, UTC)."})
        corrects = _text(form, "corrects_id").strip()
        corrects_id = whole_number(corrects) if corrects else None
        if corrects and corrects_id is None:
            raise InvalidInput({"corrects_id": "Give the number of the event corrected."})
        incident_records.log_event(
            db,
            actor=actor,
            incident_id=incident_id,
            kind=_text(form, "kind"),
            summary=_text(form, "summary"),
            occurred_at=occurred,
            corrects_id=corrects_id,
        )
    elif name == "agency":
        incident_records.add_agency(
            db,
            actor=actor,
            incident_id=incident_id,
            agency_id=_number(form, "agency_id") or 0,
            role=_text(form, "role"),
        )
    elif name == "period":
        starts, ends = moment(_text(form, "starts_at")), moment(_text(form, "ends_at"))
        if starts is None or ends is None:
            raise InvalidInput({"starts_at": "Give the period's start and end (UTC)."})
        incident_records.add_period(
            db, actor=actor, incident_id=incident_id, starts_at=starts, ends_at=ends
        )
    elif name == "staff":
        incident_records.assign_position(
            db,
            actor=actor,
            incident_id=incident_id,
            user_id=_number(form, "user_id") or 0,
            position=_text(form, "position"),
        )
    elif name == "expectation":
        resource_requests.set_expectation(
            db,
            actor=actor,
            incident_id=incident_id,
            state=_text(form, "state"),
            minutes=_number(form, "minutes") or 0,
        )


def _change_route(name: str) -> Callable[..., Awaitable[Response]]:
    async def change(
        request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep
    ) -> Response:
        return await _incident_change(request, db, actor, incident_id, name)

    change.__name__ = f"post_{name}"
    return change


# Each change on the incident page: its path below the incident, and its name.
for _path, _name in (
    ("events", "event"),
    ("agencies", "agency"),
    ("periods", "period"),
    ("staff", "staff"),
    ("expectations", "expectation"),
):
    router.add_api_route(
        f"/incidents/{{incident_id}}/{_path}", _change_route(_name), methods=["POST"]
    )


@router.post("/incidents/{incident_id}/staff/{assignment_id}/relieve")
def relieve_position(
    request: Request, incident_id: PathId, assignment_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    try:
        incident_records.relieve_position(
            db, actor=actor, incident_id=incident_id, assignment_id=assignment_id
        )
    except Conflict:
        db.rollback()
    return RedirectResponse(f"/incidents/{incident_id}?done=relieved#staff", status_code=303)


# --- ICS forms --------------------------------------------------------------------


def _form_page(
    request: Request,
    db: Session,
    actor: Actor,
    incident_id: int,
    code: str,
    shown: Shown = Shown(),
    *,
    fields: dict[str, object],
    form_id: int | None = None,
    corrects_id: int | None = None,
    period_id: int | None = None,
) -> HTMLResponse:
    spec = spec_for(code)
    view = incident_records.view_incident(db, actor=actor, incident_id=incident_id)
    return render(
        request,
        "ics_form_edit.html",
        {
            "view": view,
            "spec": spec,
            "fields": fields,
            "form_id": form_id,
            "corrects_id": corrects_id,
            "period_id": period_id,
            "errors": shown.errors,
        },
        status_code=shown.status_code,
    )


@router.get("/incidents/{incident_id}/forms/new", response_class=HTMLResponse)
def new_form_page(
    request: Request,
    incident_id: PathId,
    db: SessionDep,
    actor: ActorDep,
    form: Annotated[str, Query(max_length=10)] = "201",
    corrects: QueryId = None,
) -> HTMLResponse:
    """A blank ICS form, or a correction prefilled from the form it corrects."""
    incident_records.authorize_incident(db, actor, "file_form", incident_id, "incident_record")
    fields: dict[str, object] = {}
    if corrects is not None:
        old = ics_forms.view_form(db, actor=actor, incident_id=incident_id, form_id=corrects)
        form, fields = old.form.form, dict(old.form.fields)
    if spec_for(form) is None:
        raise InvalidInput({"form": "Choose an ICS form: 201, 202, 209, 211, 213, 214 or sitrep."})
    return _form_page(request, db, actor, incident_id, form, fields=fields, corrects_id=corrects)


def _period_from(form: FormData) -> int | None:
    raw = _text(form, "operational_period_id").strip()
    return whole_number(raw) if raw else None


@router.post("/incidents/{incident_id}/forms")
async def create_form(
    request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    incident_records.authorize_incident(db, actor, "file_form", incident_id, "incident_record")
    form = await request.form()
    code = _text(form, "form")
    spec = spec_for(code)
    if spec is None:
        raise InvalidInput({"form": "Choose an ICS form: 201, 202, 209, 211, 213, 214 or sitrep."})
    fields = fields_from_form(spec, form)
    corrects_raw = _text(form, "corrects_id").strip()
    corrects_id = whole_number(corrects_raw) if corrects_raw else None
    return settle(
        request,
        db,
        form,
        "ics",
        lambda: ics_forms.create_form(
            db,
            actor=actor,
            incident_id=incident_id,
            form=code,
            fields=fields,
            operational_period_id=_period_from(form),
            submit=_text(form, "action") == "submit",
            corrects_id=corrects_id,
        ),
        again=lambda shown: _form_page(
            request,
            db,
            actor,
            incident_id,
            code,
            shown,
            fields=fields,
            corrects_id=corrects_id,
            period_id=_period_from(form),
        ),
        done=lambda made: f"/incidents/{incident_id}/forms/{made.id}",
        bare_fields=True,
    )


@router.get("/incidents/{incident_id}/forms/{form_id}", response_class=HTMLResponse)
def form_page(
    request: Request, incident_id: PathId, form_id: PathId, db: SessionDep, actor: ActorDep
) -> HTMLResponse:
    """The form laid out like the federal form, ready to print."""
    view = ics_forms.view_form(db, actor=actor, incident_id=incident_id, form_id=form_id)
    return render(request, "ics_form.html", {"form_view": view})


@router.get("/incidents/{incident_id}/forms/{form_id}/edit", response_class=HTMLResponse)
def edit_form_page(
    request: Request, incident_id: PathId, form_id: PathId, db: SessionDep, actor: ActorDep
) -> HTMLResponse:
    """A draft, to go on filling in."""
    view = ics_forms.view_form(db, actor=actor, incident_id=incident_id, form_id=form_id)
    if not view.may_edit:
        raise Conflict("This form was submitted and can no longer change; file a correction.")
    return _form_page(
        request,
        db,
        actor,
        incident_id,
        view.form.form,
        fields=dict(view.form.fields),
        form_id=form_id,
        period_id=view.form.operational_period_id,
    )


@router.post("/incidents/{incident_id}/forms/{form_id}")
async def update_form(
    request: Request, incident_id: PathId, form_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    view = ics_forms.view_form(db, actor=actor, incident_id=incident_id, form_id=form_id)
    fields = fields_from_form(view.spec, form)
    return settle(
        request,
        db,
        form,
        "ics",
        lambda: ics_forms.update_draft(
            db,
            actor=actor,
            incident_id=incident_id,
            form_id=form_id,
            fields=fields,
            operational_period_id=_period_from(form),
            submit=_text(form, "action") == "submit",
        ),
        again=lambda shown: _form_page(
            request,
            db,
            actor,
            incident_id,
            view.spec.code,
            shown,
            fields=fields,
            form_id=form_id,
            period_id=_period_from(form),
        ),
        done=f"/incidents/{incident_id}/forms/{form_id}",
        bare_fields=True,
    )


# --- ICS 213RR resource requests ----------------------------------------------------


def _request_form_page(
    request: Request, db: Session, actor: Actor, incident_id: int, shown: Shown = Shown()
) -> HTMLResponse:
    incident_records.authorize_incident(db, actor, "create", incident_id, "resource_request")
    view = incident_records.view_incident(db, actor=actor, incident_id=incident_id)
    return render(
        request,
        "ics_request_new.html",
        {
            "view": view,
            "catalogue": read_catalogue(actor=actor),
            "values": shown.values,
            "errors": shown.errors,
        },
        status_code=shown.status_code,
    )


@router.get("/incidents/{incident_id}/requests/new", response_class=HTMLResponse)
def new_request_page(
    request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep
) -> HTMLResponse:
    """The ICS 213RR requestor's section: what is needed, how many, by when, where."""
    return _request_form_page(request, db, actor, incident_id)


@router.post("/incidents/{incident_id}/requests")
async def create_request(
    request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    incident_records.authorize_incident(db, actor, "create", incident_id, "resource_request")
    form = await request.form()

    def create() -> ResourceRequest:
        needed = moment(_text(form, "needed_by"))
        cost_raw = _text(form, "estimated_cost").strip().replace(",", "")
        errors = {}
        if needed is None:
            errors["needed_by"] = "Give the requested arrival date and time (UTC)."
        cost = whole_number(cost_raw, 10**9) if cost_raw else None
        if cost_raw and cost is None:
            errors["estimated_cost"] = "Give the estimated cost in whole dollars."
        quantity = _number(form, "quantity")
        if quantity is None:
            errors["quantity"] = "Give how many are needed (a whole number)."
        if errors or needed is None or quantity is None:
            raise InvalidInput(errors)
        return resource_requests.create_request(
            db,
            actor=actor,
            incident_id=incident_id,
            resource_id=_text(form, "resource_id"),
            quantity=quantity,
            priority=_text(form, "priority"),
            description=_text(form, "description"),
            needed_by=needed,
            deliver_to=_text(form, "deliver_to"),
            estimated_cost_cents=cost * 100 if cost is not None else None,
        )

    return settle(
        request,
        db,
        form,
        "request",
        create,
        again=lambda shown: _request_form_page(request, db, actor, incident_id, shown),
        done=lambda made: f"/incidents/{incident_id}/requests/{made.id}",
        bare_fields=True,
    )


def _request_page(
    request: Request,
    db: Session,
    actor: Actor,
    incident_id: int,
    request_id: int,
    shown: Shown = Shown(),
) -> HTMLResponse:
    found = resource_requests.view_request(
        db, actor=actor, incident_id=incident_id, request_id=request_id
    )
    view = incident_records.view_incident(db, actor=actor, incident_id=incident_id)
    return render(
        request,
        "ics_request.html",
        {
            "view": view,
            "found": found,
            "resource": read_catalogue(actor=actor).find(found.request.resource_id),
            "may_offer": incident_records.may_offer(db, actor=actor, incident_id=incident_id),
            "errors": shown.errors,
            "values": shown.values,
        },
        status_code=shown.status_code,
    )


@router.get("/incidents/{incident_id}/requests/{request_id}", response_class=HTMLResponse)
def request_page(
    request: Request, incident_id: PathId, request_id: PathId, db: SessionDep, actor: ActorDep
) -> HTMLResponse:
    """An ICS 213RR with its steps, the time at each and what is overdue."""
    return _request_page(request, db, actor, incident_id, request_id)


def _refused_step(
    request: Request,
    db: Session,
    actor: Actor,
    incident_id: int,
    request_id: int,
    refusal: TransitionRefused | OfferRefused,
    field: str,
) -> HTMLResponse:
    """The request page again, saying who may make the refused step or decision."""
    record_refusal(request, refusal)
    shown = Shown(errors={field: f"Not allowed: {refusal.message}"}, status_code=403)
    return _request_page(request, db, actor, incident_id, request_id, shown)


@router.post("/incidents/{incident_id}/requests/{request_id}/transition")
async def transition(
    request: Request, incident_id: PathId, request_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    try:
        return settle(
            request,
            db,
            form,
            "step",
            lambda: resource_requests.transition(
                db,
                actor=actor,
                incident_id=incident_id,
                request_id=request_id,
                to_state=_text(form, "to_state"),
                reason=_text(form, "reason") or None,
                supplier=_text(form, "supplier") or None,
                order_reference=_text(form, "order_reference") or None,
            ),
            again=lambda shown: _request_page(request, db, actor, incident_id, request_id, shown),
            done=f"/incidents/{incident_id}/requests/{request_id}",
            bare_fields=True,
        )
    except TransitionRefused as refusal:
        return _refused_step(request, db, actor, incident_id, request_id, refusal, "to_state")


@router.post("/incidents/{incident_id}/requests/{request_id}/offers")
async def offer(
    request: Request, incident_id: PathId, request_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    incident_records.authorize_incident(db, actor, "offer", incident_id, "resource_request")
    form = await request.form()

    def make() -> ResourceOffer:
        available = moment(_text(form, "available_at"))
        quantity = _number(form, "quantity")
        if available is None or quantity is None:
            raise InvalidInput({"available_at": "Give how many and when they can be there (UTC)."})
        return resource_requests.offer(
            db,
            actor=actor,
            incident_id=incident_id,
            request_id=request_id,
            quantity=quantity,
            available_at=available,
            terms=_text(form, "terms"),
        )

    return settle(
        request,
        db,
        form,
        "offer",
        make,
        again=lambda shown: _request_page(request, db, actor, incident_id, request_id, shown),
        done=f"/incidents/{incident_id}/requests/{request_id}#offers",
    )


@router.post("/incidents/{incident_id}/requests/{request_id}/offers/{offer_id}/decision")
async def decide_offer(
    request: Request,
    incident_id: PathId,
    request_id: PathId,
    offer_id: PathId,
    db: SessionDep,
    actor: ActorDep,
) -> Response:
    form = await request.form()
    try:
        return settle(
            request,
            db,
            form,
            f"offer{offer_id}",
            lambda: resource_offers.decide_offer(
                db,
                actor=actor,
                incident_id=incident_id,
                request_id=request_id,
                offer_id=offer_id,
                decision=_text(form, "decision"),
                reason=_text(form, "reason") or None,
            ),
            again=lambda shown: _request_page(request, db, actor, incident_id, request_id, shown),
            done=f"/incidents/{incident_id}/requests/{request_id}#offers",
        )
    except resource_offers.OfferRefused as refusal:
        return _refused_step(request, db, actor, incident_id, request_id, refusal, "decision")

"""ICS JSON API: incidents as records, their events log, ICS forms, ICS 213RR resource
requests (steps, cycle times, offers) and the resource-typing catalogue. The same
services and policy as the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, Field

from vigil.platform.schemas import MAX_ID, Strict
from vigil.response import ics_forms, incident_records, resource_offers, resource_requests
from vigil.response.ics_models import IcsForm, IncidentEvent, ResourceRequest
from vigil.response.ics_pages import record_refusal
from vigil.response.resource_catalogue import Catalogue, read_catalogue
from vigil.response.resource_requests import TransitionRefused
from vigil.web.deps import ActorDep, PathId, SessionDep
from vigil.web.problems import problem

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Sign-in required", **PROBLEM},
    403: {"description": "Not allowed (the message names who may)", **PROBLEM},
    404: {"description": "Not found, or not yours to see", **PROBLEM},
    409: {"description": "The record's state forbids it", **PROBLEM},
    422: {"description": "Invalid input", **PROBLEM},
}

router = APIRouter(prefix="/api/v1", tags=["incidents"], responses=RESPONSES)
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class IncidentOut(BaseModel):
    id: int
    name: str
    kind: str
    place: str
    started_at: datetime
    status: str


class AgencyRoleOut(BaseModel):
    agency_id: int
    name: str
    role: str


class PeriodOut(BaseModel):
    number: int
    starts_at: datetime
    ends_at: datetime


class PositionOut(BaseModel):
    assignment_id: int
    user_id: int
    name: str
    position: str
    assigned_at: datetime


class IncidentRecordOut(IncidentOut):
    agencies: list[AgencyRoleOut]
    periods: list[PeriodOut]
    positions: list[PositionOut]
    your_positions: list[str]


def _incident(incident: Any) -> dict[str, Any]:
    return {
        "id": incident.id,
        "name": incident.name,
        "kind": incident.kind,
        "place": incident.place,
        "started_at": incident.started_at,
        "status": incident.status,
    }


@router.get("/incidents")
def list_incidents(db: SessionDep, actor: ActorDep) -> list[IncidentOut]:
    """The incidents whose records you may read, newest first."""
    return [IncidentOut(**_incident(i)) for i in incident_records.list_incidents(db, actor=actor)]


@router.get("/incidents/{incident_id}")
def read_incident(incident_id: PathId, db: SessionDep, actor: ActorDep) -> IncidentRecordOut:
    """An incident with its agencies in unified command, periods and positions."""
    view = incident_records.view_incident(db, actor=actor, incident_id=incident_id)
    return IncidentRecordOut(
        **_incident(view.incident),
        agencies=[AgencyRoleOut(agency_id=a.id, name=a.name, role=r) for a, r in view.agencies],
        periods=[
            PeriodOut(number=p.number, starts_at=p.starts_at, ends_at=p.ends_at)
            for p in view.periods
        ],
        positions=[
            PositionOut(
                assignment_id=a.id,
                user_id=a.user_id,
                name=name,
                position=a.position,
                assigned_at=a.assigned_at,
            )
            for a, name in view.staff
        ],
        your_positions=sorted(view.facts.positions),
    )


class PositionIn(Strict):
    user_id: Id
    position: Annotated[str, Field(max_length=40)]


@router.post("/incidents/{incident_id}/positions", status_code=201)
def assign_position(
    incident_id: PathId, body: PositionIn, db: SessionDep, actor: ActorDep
) -> PositionOut:
    """Put a user of an agency in the incident into an ICS position (command only)."""
    made = incident_records.assign_position(
        db, actor=actor, incident_id=incident_id, user_id=body.user_id, position=body.position
    )
    return PositionOut(
        assignment_id=made.id,
        user_id=made.user_id,
        name="",
        position=made.position,
        assigned_at=made.assigned_at,
    )


class EventIn(Strict):
    kind: Annotated[str, Field(max_length=30)]
    summary: Annotated[str, Field(max_length=2000)]
    occurred_at: AwareDatetime
    corrects_id: Id | None = None


class EventOut(BaseModel):
    id: int
    kind: str
    summary: str
    occurred_at: datetime
    recorded_at: datetime
    author_name: str
    author_position: str | None
    corrects_id: int | None


def _event(event: IncidentEvent) -> EventOut:
    return EventOut(
        id=event.id,
        kind=event.kind,
        summary=event.summary,
        occurred_at=event.occurred_at,
        recorded_at=event.recorded_at,
        author_name=event.author_name,
        author_position=event.author_position,
        corrects_id=event.corrects_id,
    )


@router.get("/incidents/{incident_id}/events")
def list_events(incident_id: PathId, db: SessionDep, actor: ActorDep) -> list[EventOut]:
    """The significant-events log, in the order things happened."""
    return [
        _event(e) for e in incident_records.list_events(db, actor=actor, incident_id=incident_id)
    ]


@router.post("/incidents/{incident_id}/events", status_code=201)
def log_event(incident_id: PathId, body: EventIn, db: SessionDep, actor: ActorDep) -> EventOut:
    """Append an event (or, with corrects_id, a correction of one) to the log."""
    return _event(
        incident_records.log_event(
            db,
            actor=actor,
            incident_id=incident_id,
            kind=body.kind,
            summary=body.summary,
            occurred_at=body.occurred_at,
            corrects_id=body.corrects_id,
        )
    )


class FormIn(Strict):
    form: Annotated[str, Field(max_length=10)]
    fields: dict[str, Any] = Field(default_factory=dict)
    operational_period_id: Id | None = None
    submit: bool = False
    corrects_id: Id | None = None


class DraftIn(Strict):
    fields: dict[str, Any]  # a PUT replaces the draft: its fields must be given
    operational_period_id: Id | None = None
    submit: bool = False


class FormOut(BaseModel):
    id: int
    number: int
    form: str
    status: str
    fields: dict[str, Any]
    operational_period_id: int | None
    corrects_id: int | None
    prepared_by_name: str
    prepared_by_position: str | None
    created_at: datetime
    submitted_at: datetime | None


def _form(form: IcsForm) -> FormOut:
    return FormOut(
        id=form.id,
        number=form.number,
        form=form.form,
        status=form.status,
        fields=form.fields,
        operational_period_id=form.operational_period_id,
        corrects_id=form.corrects_id,
        prepared_by_name=form.prepared_by_name,
        prepared_by_position=form.prepared_by_position,
        created_at=form.created_at,
        submitted_at=form.submitted_at,
    )


@router.get("/incidents/{incident_id}/forms")
def list_forms(incident_id: PathId, db: SessionDep, actor: ActorDep) -> list[FormOut]:
    """The incident's submitted forms and your own drafts, in filing order."""
    return [_form(f) for f in ics_forms.list_forms(db, actor=actor, incident_id=incident_id)]


@router.post("/incidents/{incident_id}/forms", status_code=201)
def create_form(incident_id: PathId, body: FormIn, db: SessionDep, actor: ActorDep) -> FormOut:
    """File an ICS form: a draft, or submitted at once (then complete and final)."""
    return _form(
        ics_forms.create_form(
            db,
            actor=actor,
            incident_id=incident_id,
            form=body.form,
            fields=body.fields,
            operational_period_id=body.operational_period_id,
            submit=body.submit,
            corrects_id=body.corrects_id,
        )
    )


@router.get("/incidents/{incident_id}/forms/{form_id}")
def read_form(incident_id: PathId, form_id: PathId, db: SessionDep, actor: ActorDep) -> FormOut:
    """One form (a draft only for its author)."""
    return _form(
        ics_forms.view_form(db, actor=actor, incident_id=incident_id, form_id=form_id).form
    )


@router.put("/incidents/{incident_id}/forms/{form_id}")
def update_draft(
    incident_id: PathId, form_id: PathId, body: DraftIn, db: SessionDep, actor: ActorDep
) -> FormOut:
    """Replace a draft's fields (its author only), submitting it when asked; a submitted
    form is refused (409): file a correction."""
    return _form(
        ics_forms.update_draft(
            db,
            actor=actor,
            incident_id=incident_id,
            form_id=form_id,
            fields=body.fields,
            operational_period_id=body.operational_period_id,
            submit=body.submit,
        )
    )


class RequestIn(Strict):
    resource_id: Annotated[str, Field(max_length=60)]
    quantity: Annotated[int, Field(ge=1, le=10_000)]
    priority: Annotated[str, Field(max_length=10)]
    description: Annotated[str, Field(max_length=2000)]
    needed_by: AwareDatetime
    deliver_to: Annotated[str, Field(max_length=200)]
    estimated_cost_cents: Annotated[int, Field(ge=0, le=10**11)] | None = None


class StepOut(BaseModel):
    state: str
    at: datetime
    by_name: str
    position: str | None
    reason: str | None
    minutes: int
    expected_minutes: int | None
    overdue: bool


class OfferOut(BaseModel):
    id: int
    agency: str
    quantity: int
    available_at: datetime
    terms: str
    status: str
    decided_at: datetime | None = None
    decided_by_name: str | None = None
    decided_position: str | None = None
    decision_reason: str | None = None


class RequestOut(BaseModel):
    id: int
    number: int
    resource_id: str
    quantity: int
    priority: str
    description: str
    needed_by: datetime
    deliver_to: str
    state: str
    reason: str | None
    supplier: str | None
    order_reference: str | None
    requested_by_name: str
    minutes_in_state: int | None = None
    overdue: bool = False


class RequestDetailOut(RequestOut):
    steps: list[StepOut]
    offers: list[OfferOut]
    your_next_states: list[str]
    # The partner agency whose accepted offer fills the request.
    filled_by: str | None = None
    you_decide_offers: bool = False


def _request(request: ResourceRequest, **extra: Any) -> dict[str, Any]:
    return {
        "id": request.id,
        "number": request.number,
        "resource_id": request.resource_id,
        "quantity": request.quantity,
        "priority": request.priority,
        "description": request.description,
        "needed_by": request.needed_by,
        "deliver_to": request.deliver_to,
        "state": request.state,
        "reason": request.reason,
        "supplier": request.supplier,
        "order_reference": request.order_reference,
        "requested_by_name": request.requested_by_name,
        **extra,
    }


@router.get("/incidents/{incident_id}/resource-requests")
def list_requests(incident_id: PathId, db: SessionDep, actor: ActorDep) -> list[RequestOut]:
    """The incident's requests with the time in their current state and whether overdue."""
    return [
        RequestOut(
            **_request(
                row.request,
                minutes_in_state=row.current.minutes if row.current else None,
                overdue=bool(row.current and row.current.overdue),
            )
        )
        for row in resource_requests.list_requests(db, actor=actor, incident_id=incident_id)
    ]


def _detail(db: Any, actor: Any, incident_id: int, request_id: int) -> RequestDetailOut:
    view = resource_requests.view_request(
        db, actor=actor, incident_id=incident_id, request_id=request_id
    )
    current = view.times[-1] if view.times else None
    return RequestDetailOut(
        **_request(
            view.request,
            minutes_in_state=current.minutes if current else None,
            overdue=bool(current and current.overdue),
        ),
        steps=[
            StepOut(
                state=step.to_state,
                at=step.at,
                by_name=step.by_name,
                position=step.position,
                reason=step.reason,
                minutes=time.minutes,
                expected_minutes=time.expected_minutes,
                overdue=time.overdue,
            )
            for step, time in zip(view.steps, view.times, strict=True)
        ],
        offers=[
            OfferOut(
                id=o.id,
                agency=name,
                quantity=o.quantity,
                available_at=o.available_at,
                terms=o.terms,
                status=o.status,
                decided_at=o.decided_at,
                decided_by_name=o.decided_by_name,
                decided_position=o.decided_position,
                decision_reason=o.decision_reason,
            )
            for o, name in view.offers
        ],
        your_next_states=view.next_steps,
        filled_by=view.filled_by,
        you_decide_offers=view.may_decide_offers,
    )


@router.post("/incidents/{incident_id}/resource-requests", status_code=201)
def create_request(
    incident_id: PathId, body: RequestIn, db: SessionDep, actor: ActorDep
) -> RequestDetailOut:
    """Ask for a typed resource (ICS 213RR); it starts as requested."""
    made = resource_requests.create_request(
        db,
        actor=actor,
        incident_id=incident_id,
        resource_id=body.resource_id,
        quantity=body.quantity,
        priority=body.priority,
        description=body.description,
        needed_by=body.needed_by,
        deliver_to=body.deliver_to,
        estimated_cost_cents=body.estimated_cost_cents,
    )
    return _detail(db, actor, incident_id, made.id)


@router.get("/incidents/{incident_id}/resource-requests/{request_id}")
def read_request(
    incident_id: PathId, request_id: PathId, db: SessionDep, actor: ActorDep
) -> RequestDetailOut:
    """A request with each step, the time at each against its expectation, and offers."""
    return _detail(db, actor, incident_id, request_id)


class TransitionIn(Strict):
    to_state: Annotated[str, Field(max_length=20)]
    reason: Annotated[str, Field(max_length=2000)] | None = None
    supplier: Annotated[str, Field(max_length=200)] | None = None
    order_reference: Annotated[str, Field(max_length=60)] | None = None


@router.post("/incidents/{incident_id}/resource-requests/{request_id}/transitions")
def transition(
    request: Request,
    incident_id: PathId,
    request_id: PathId,
    body: TransitionIn,
    db: SessionDep,
    actor: ActorDep,
) -> Any:
    """Move a request one step. A step the state does not allow is a 409 naming the
    possible ones; a step your position does not allow is a 403 naming who may."""
    try:
        resource_requests.transition(
            db,
            actor=actor,
            incident_id=incident_id,
            request_id=request_id,
            to_state=body.to_state,
            reason=body.reason,
            supplier=body.supplier,
            order_reference=body.order_reference,
        )
    except TransitionRefused as refusal:
        record_refusal(request, refusal)
        return problem(403, "Not allowed", detail=refusal.message, request=request)
    return _detail(db, actor, incident_id, request_id)


class OfferIn(Strict):
    quantity: Annotated[int, Field(ge=1, le=10_000)]
    available_at: AwareDatetime
    terms: Annotated[str, Field(max_length=2000)]


@router.post("/incidents/{incident_id}/resource-requests/{request_id}/offers", status_code=201)
def offer(
    incident_id: PathId, request_id: PathId, body: OfferIn, db: SessionDep, actor: ActorDep
) -> OfferOut:
    """Offer resources from your agency (a mutual-aid partner in the incident)."""
    made = resource_requests.offer(
        db,
        actor=actor,
        incident_id=incident_id,
        request_id=request_id,
        quantity=body.quantity,
        available_at=body.available_at,
        terms=body.terms,
    )
    return OfferOut(
        id=made.id,
        agency="",
        quantity=made.quantity,
        available_at=made.available_at,
        terms=made.terms,
        status=made.status,
    )


class OfferDecisionIn(Strict):
    decision: Annotated[str, Field(max_length=10, description="accepted or declined")]
    reason: Annotated[str, Field(max_length=2000)] | None = None


@router.post("/incidents/{incident_id}/resource-requests/{request_id}/offers/{offer_id}/decision")
def decide_offer(
    request: Request,
    incident_id: PathId,
    request_id: PathId,
    offer_id: PathId,
    body: OfferDecisionIn,
    db: SessionDep,
    actor: ActorDep,
) -> Any:
    """Accept a mutual-aid offer (its agency then fills the request) or decline it with
    a reason. A decision the request's state or the offer's forbids is a 409; one your
    position does not make at this state is a 403 naming who does."""
    try:
        resource_offers.decide_offer(
            db,
            actor=actor,
            incident_id=incident_id,
            request_id=request_id,
            offer_id=offer_id,
            decision=body.decision,
            reason=body.reason,
        )
    except resource_offers.OfferRefused as refusal:
        record_refusal(request, refusal)
        return problem(403, "Not allowed", detail=refusal.message, request=request)
    return _detail(db, actor, incident_id, request_id)


@router.get("/resource-catalogue")
def catalogue(actor: ActorDep) -> Catalogue:
    """The resource-typing catalogue: NIMS category, kind, type and capability."""
    return read_catalogue(actor=actor)

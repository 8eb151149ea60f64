"""JSON API for intelligence bulletins (/api/v1/bulletins) and for issuing public CAP
alerts (/api/v1/alerts): the same services and policy as the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from vigil.reports.schemas import RowId, Strict
from vigil.sharing import bulletin_stix, bulletins, cap
from vigil.sharing.alert_routes import deliver_mail
from vigil.sharing.bulletin_models import Bulletin, PublicAlert
from vigil.sharing.cap_feed import document_url
from vigil.web.deps import ActorDep, PathId, SessionDep, SettingsDep

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Sign-in required", **PROBLEM},
    403: {"description": "Not allowed", **PROBLEM},
    404: {"description": "Not found or not visible to you", **PROBLEM},
    409: {"description": "The bulletin is already published", **PROBLEM},
    422: {"description": "Invalid input", **PROBLEM},
}
router = APIRouter(prefix="/api/v1", tags=["bulletins"], responses=RESPONSES)

Marking = Literal["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]


class BulletinIn(Strict):
    title: str = Field(min_length=1, max_length=400)
    summary: str = Field(min_length=1, max_length=2000)
    body: str = Field(min_length=1, max_length=40_000)
    marking: Marking
    agency_ids: list[RowId] = Field(default_factory=list, max_length=200)
    group_ids: list[RowId] = Field(default_factory=list, max_length=200)
    named_users: list[str] = Field(
        default_factory=list, max_length=200, description="User names (TLP:RED only)."
    )

    def draft(self) -> bulletins.Draft:
        return bulletins.Draft(
            title=self.title,
            summary=self.summary,
            body=self.body,
            marking=self.marking,
            agency_ids=self.agency_ids,
            group_ids=self.group_ids,
            named_usernames=[name[:150] for name in self.named_users],
        )


class PublishIn(Strict):
    reason: str = Field(max_length=2000, description="Why the recipients need it (may be empty).")


class BulletinOut(BaseModel):
    id: int
    number: str
    title: str
    summary: str
    body: str
    marking: str
    status: str
    owner_agency_id: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class BulletinSummaryOut(BaseModel):
    id: int
    number: str
    title: str
    marking: str
    status: str
    owner_agency_id: int
    published_at: datetime | None


def _out(bulletin: Bulletin) -> BulletinOut:
    return BulletinOut(
        id=bulletin.id,
        number=bulletin.number,
        title=bulletin.title,
        summary=bulletin.summary,
        body=bulletin.body,
        marking=bulletin.marking,
        status=bulletin.status,
        owner_agency_id=bulletin.owner_agency_id,
        created_at=bulletin.created_at,
        updated_at=bulletin.updated_at,
        published_at=bulletin.published_at,
    )


@router.get("/bulletins", response_model=list[BulletinSummaryOut])
def list_bulletins(db: SessionDep, actor: ActorDep) -> list[BulletinSummaryOut]:
    """The bulletins you may read (drafts of your agency, if you write them), newest first."""
    return [
        BulletinSummaryOut(
            id=b.id,
            number=b.number,
            title=b.title,
            marking=b.marking,
            status=b.status,
            owner_agency_id=b.owner_agency_id,
            published_at=b.published_at,
        )
        for b in bulletins.list_bulletins(db, actor=actor)
    ]


@router.post("/bulletins", response_model=BulletinOut, status_code=201)
def create_bulletin(body: BulletinIn, db: SessionDep, actor: ActorDep) -> BulletinOut:
    """Save a new draft bulletin of your agency."""
    return _out(bulletins.create_draft(db, actor=actor, draft=body.draft()))


@router.get("/bulletins/{bulletin_id}", response_model=BulletinOut)
def get_bulletin(bulletin_id: PathId, db: SessionDep, actor: ActorDep) -> BulletinOut:
    """One bulletin, if its marking and distribution let you read it."""
    return _out(bulletins.read_bulletin(db, actor=actor, bulletin_id=bulletin_id))


@router.get(
    "/bulletins/{bulletin_id}/stix",
    response_class=Response,
    responses={200: {"content": {"application/stix+json;version=2.1": {}}}},
)
def export_bulletin_stix(bulletin_id: PathId, db: SessionDep, actor: ActorDep) -> Response:
    """A published bulletin you may read as a STIX 2.1 bundle (a ``report``, its author
    agency's ``identity`` and its TLP 2.0 marking definition); recorded as a
    dissemination to your agency. A draft is refused (403)."""
    result = bulletin_stix.export_bulletin(db, actor=actor, bulletin_id=bulletin_id)
    return Response(result.bundle, media_type="application/stix+json;version=2.1")


@router.put("/bulletins/{bulletin_id}", response_model=BulletinOut)
def update_bulletin(
    bulletin_id: PathId, body: BulletinIn, db: SessionDep, actor: ActorDep
) -> BulletinOut:
    """Change a draft (every field is replaced); a published bulletin is frozen (409)."""
    return _out(
        bulletins.update_draft(db, actor=actor, bulletin_id=bulletin_id, draft=body.draft())
    )


@router.post("/bulletins/{bulletin_id}/publish", response_model=BulletinOut)
def publish_bulletin(
    bulletin_id: PathId,
    body: PublishIn,
    db: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> BulletinOut:
    """Publish a draft: every recipient is notified in Vigil and e-mailed a link (never
    the contents), and each receiving agency gets a dissemination record."""
    bulletin = bulletins.publish(db, actor=actor, bulletin_id=bulletin_id, reason=body.reason)
    deliver_mail(db, settings, bulletin.id)
    return _out(bulletin)


class AlertIn(Strict):
    """A public CAP 1.2 message. Times are ISO 8601; without an offset they are UTC."""

    status: Literal["Actual", "Exercise", "Test"] = "Actual"
    msg_type: Literal["Alert", "Update", "Cancel"] = "Alert"
    references: str = Field(default="", max_length=120)
    category: Literal["Security", "Safety"] = "Safety"
    event: str = Field(max_length=400)
    urgency: str = Field(max_length=20)
    severity: str = Field(max_length=20)
    certainty: str = Field(max_length=20)
    headline: str = Field(max_length=400)
    description: str = Field(max_length=8000)
    instruction: str = Field(max_length=8000)
    area_desc: str = Field(max_length=600)
    polygon: str = Field(default="", max_length=20_000)
    circle: str = Field(default="", max_length=100)
    effective: str = Field(default="", max_length=40)
    expires: str = Field(max_length=40)


class AlertOut(BaseModel):
    identifier: str
    status: str
    msg_type: str
    event: str
    headline: str
    area_desc: str
    sent_at: datetime
    expires_at: datetime
    url: str


def _alert_out(alert: PublicAlert, base_url: str) -> AlertOut:
    return AlertOut(
        identifier=alert.identifier,
        status=alert.status,
        msg_type=alert.msg_type,
        event=alert.event,
        headline=alert.headline,
        area_desc=alert.area_desc,
        sent_at=alert.sent_at,
        expires_at=alert.expires_at,
        url=document_url(base_url, alert.identifier),
    )


@router.get("/alerts", response_model=list[AlertOut])
def list_alerts(db: SessionDep, actor: ActorDep, settings: SettingsDep) -> list[AlertOut]:
    """The public alerts your agency issued, newest first."""
    return [
        _alert_out(alert, settings.resolved_public_url)
        for alert in cap.agency_alerts(db, actor=actor)
    ]


@router.post("/alerts", response_model=AlertOut, status_code=201)
def issue_alert(body: AlertIn, db: SessionDep, actor: ActorDep, settings: SettingsDep) -> AlertOut:
    """Issue a public alert (supervisors). The CAP document is validated against the
    OASIS CAP 1.2 schema before it is stored and enters the public feed."""
    alert = cap.issue(
        db,
        actor=actor,
        data=cap.AlertInput(**body.model_dump()),
        base_url=settings.resolved_public_url,
    )
    return _alert_out(alert, settings.resolved_public_url)

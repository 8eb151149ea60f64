"""The common operating picture page, and the fragment its script polls to update the
page without a reload (204 when nothing changed since the version the page holds)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment

from vigil.platform.database import begin_read_only
from vigil.response.operating_picture import Picture, build_picture, open_picture
from vigil.response.pages import LIST_LABELS, STATUS_LABELS, render
from vigil.response.picture_map import (
    MARKERS,
    MapPoint,
    bar_chart,
    distance_km,
    local_map,
    region_map,
)
from vigil.response.resource_offers import OFFER_STATUSES
from vigil.web.deps import ActorDep, PathId, SessionDep

router = APIRouter(include_in_schema=False)

POLL_SECONDS = 2
VERSION_HEADER = "X-Picture-Version"
REQUEST_LABELS = {
    "requested": "Requested",
    "approved": "Approved by section chief",
    "ordered": "Ordered by logistics",
    "funding_approved": "Funding approved by finance",
    "shipped": "Shipped",
    "received": "Received",
    "demobilized": "Demobilized",
    "rejected": "Rejected",
    "cancelled": "Cancelled",
}


def _context(picture: Picture) -> dict[str, Any]:
    incident_point = next((p for p in picture.points if p.kind == "incident"), None)
    people_rows = [
        (STATUS_LABELS.get(status, status), count)
        for status, count in (picture.people or {}).items()
    ]
    request_rows = [
        (REQUEST_LABELS.get(state, state), (picture.requests or {}).get(state, 0))
        for state in REQUEST_LABELS
        if picture.requests is not None and state in picture.requests
    ]
    return {
        "picture": picture,
        "people_rows": people_rows,
        "request_rows": request_rows,
        "people_chart": bar_chart(people_rows, chart_id="people-chart", title="People by status"),
        "requests_chart": bar_chart(
            request_rows, chart_id="requests-chart", title="Resource requests by state"
        ),
        "region_map": _region_map(tuple(picture.points)),
        "local_map": _local_map(tuple(picture.points)),
        "markers": MARKERS,
        "distances": {
            index: (distance_km(incident_point, point) if incident_point else None)
            for index, point in enumerate(picture.points)
        },
        "list_labels": LIST_LABELS,
        "status_labels": STATUS_LABELS,
        "offer_statuses": OFFER_STATUSES,
    }


# The maps change only when the points do, and every viewer's poll draws them: keep
# the last few drawings (keyed by the points) instead of drawing them on every poll.
@lru_cache(maxsize=64)
def _region_map(points: tuple[MapPoint, ...]) -> str:
    return region_map(points, chart_id="region-map")


@lru_cache(maxsize=64)
def _local_map(points: tuple[MapPoint, ...]) -> str:
    return local_map(points, chart_id="local-map")


def _fragment(request: Request, picture: Picture) -> str:
    environment: Environment = request.app.state.templates.env
    template = environment.get_template("operating_picture_live.html")
    return template.render(_context(picture))


def _version(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()[:20]


@router.get("/incidents/{incident_id}/picture", response_class=HTMLResponse)
def picture_page(
    request: Request, incident_id: PathId, db: SessionDep, actor: ActorDep
) -> HTMLResponse:
    """The incident's common operating picture, as the viewer's roles allow."""
    picture = open_picture(db, actor=actor, incident_id=incident_id)
    fragment = _fragment(request, picture)
    return render(
        request,
        "operating_picture.html",
        {
            "picture": picture,
            "fragment": fragment,
            "version": _version(fragment),
            "poll_seconds": POLL_SECONDS,
        },
    )


@router.get("/incidents/{incident_id}/picture/live")
def picture_live(
    request: Request,
    incident_id: PathId,
    db: SessionDep,
    actor: ActorDep,
    v: str = Query(default="", max_length=64),
) -> Response:
    """The picture's live part as an HTML fragment; 204 when it matches version `v`."""
    # Dozens of viewers poll this every few seconds and it writes nothing. On SQLite a
    # request's transaction holds the write lock, so once the viewer is known, end it and
    # read the picture from a snapshot that blocks no writer (PostgreSQL's reads never
    # block writers).
    if db.get_bind().dialect.name == "sqlite":
        db.commit()
        begin_read_only(db)
    fragment = _fragment(request, build_picture(db, actor=actor, incident_id=incident_id))
    version = _version(fragment)
    headers = {VERSION_HEADER: version, "Cache-Control": "no-store"}
    if v == version:
        return Response(status_code=204, headers=headers)
    return HTMLResponse(fragment, headers=headers)

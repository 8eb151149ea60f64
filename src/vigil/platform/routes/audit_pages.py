"""The audit viewer: a filterable page for auditors; every view of it is itself audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from vigil.platform import audit
from vigil.platform.errors import InvalidInput
from vigil.web.deps import ActorDep, SessionDep
from vigil.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
OUTCOMES = ("success", "failure", "denied", "locked")


def parse_day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput({field: "Enter a date as YYYY-MM-DD."}) from None


def day_start(day: date | None, *, next_day: bool = False) -> datetime | None:
    if day is None:
        return None
    moment = datetime.combine(day, time.min, tzinfo=UTC)
    return moment + timedelta(days=1) if next_day else moment


@router.get("/audit", response_class=HTMLResponse)
def audit_viewer(
    request: Request,
    db: SessionDep,
    actor: ActorDep,
    action: str | None = Query(default=None, max_length=80),
    actor_name: str | None = Query(default=None, max_length=150),
    object_type: str | None = Query(default=None, max_length=60),
    object_id: str | None = Query(default=None, max_length=80),
    outcome: str | None = Query(default=None, max_length=20),
    since: str | None = Query(default=None, max_length=10),
    until: str | None = Query(default=None, max_length=10),
    page: int = Query(default=1, ge=1, le=1_000_000),
) -> HTMLResponse:
    errors: dict[str, str] = {}
    try:
        since_day = parse_day(since, "since")
    except InvalidInput as invalid:
        errors.update(invalid.errors)
        since_day = None
    try:
        until_day = parse_day(until, "until")
    except InvalidInput as invalid:
        errors.update(invalid.errors)
        until_day = None
    filters = audit.AuditFilter(
        action=action or None,
        actor_name=actor_name or None,
        object_type=object_type or None,
        object_id=object_id or None,
        outcome=outcome if outcome in OUTCOMES else None,
        since=day_start(since_day),
        until=day_start(until_day, next_day=True),
    )
    events, total = audit.list_events(
        db, actor=actor, filters=filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    query = {k: v for k, v in request.query_params.items() if k != "page" and v}
    return render(
        request,
        "audit.html",
        {
            "events": events,
            "total": total,
            "page": page,
            "pages": max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
            "filters": {
                "action": action or "",
                "actor_name": actor_name or "",
                "object_type": object_type or "",
                "object_id": object_id or "",
                "outcome": outcome or "",
                "since": since or "",
                "until": until or "",
            },
            "outcomes": OUTCOMES,
            "query": query,
            "errors": errors,
        },
        status_code=422 if errors else 200,
    )

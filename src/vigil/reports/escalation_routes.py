"""The notifications page: escalated deadlines and reviews due, for the signed-in user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.reports import notifications
from vigil.web.deps import ActorDep, SessionDep
from vigil.web.templating import render

NotificationId = Annotated[int, Path(ge=1, le=2_147_483_647)]

router = APIRouter(prefix="/notifications", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def notification_list(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    found, unread = notifications.list_notifications(db, actor=actor)
    return render(
        request, "escalation_notifications.html", {"notifications": found, "unread": unread}
    )


@router.post("/{notification_id}/read")
def mark_read(notification_id: NotificationId, db: SessionDep, actor: ActorDep) -> Response:
    notifications.mark_read(db, actor=actor, notification_id=notification_id)
    return RedirectResponse("/notifications", status_code=303)

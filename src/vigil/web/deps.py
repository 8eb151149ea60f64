"""Typed dependencies for routes: the request's database session, settings and actor."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session, joinedload

from vigil.platform import actor as actors
from vigil.platform import sessions
from vigil.platform.actor import Actor
from vigil.platform.database import take_write_lock_on_write
from vigil.platform.models import User, WebSession
from vigil.platform.schemas import MAX_ID
from vigil.platform.settings import Settings
from vigil.web.csrf import SESSION_COOKIE as SESSION_COOKIE  # re-exported for the routes
from vigil.web.csrf import uses_bearer_token


class SignInRequired(Exception):
    """No valid session or token: browsers go to the sign-in page, the API answers 401."""


def get_db(request: Request) -> Session:
    db: Session = request.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_read_first_db(request: Request) -> Session:
    """The request's session, taking SQLite's write lock at its first write, not at its
    first statement (``database.take_write_lock_on_write``).

    For a writing route whose reads come before all its writes and are correct without
    the lock, as under PostgreSQL's READ COMMITTED (the public tip line: its idempotency
    rests on a unique key and a savepoint): those reads then keep no other writer
    waiting. Its writes and audit events still commit together, in one transaction.
    """
    db: Session = request.state.db
    take_write_lock_on_write(db)
    return db


SessionDep = Annotated[Session, Depends(get_db)]
ReadFirstSessionDep = Annotated[Session, Depends(get_read_first_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
# A record id in a path or query: a number that can name a row (else 422, not a crash).
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def session_limits(settings: Settings) -> sessions.SessionLimits:
    return sessions.SessionLimits(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )


def _usable(user: User | None) -> bool:
    return user is not None and user.is_active and user.agency.active


def web_session(request: Request, db: Session, settings: Settings) -> WebSession | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    return sessions.resolve_session(db, raw, limits=session_limits(settings))


# Every request needs the user's agency (is it active?) and roles (the actor): one query,
# not three round trips before any work starts.
_WITH_AGENCY_AND_ROLES = (joinedload(User.agency), joinedload(User.role_grants))


def current_actor(request: Request, db: SessionDep, settings: SettingsDep) -> Actor:
    """The signed-in user (fully, past MFA) or API token holder; else SignInRequired."""
    user: User | None = None
    via = "web"
    if uses_bearer_token(request):
        raw = request.headers["authorization"].split(" ", 1)[1].strip()
        token = sessions.resolve_api_token(db, raw)
        user = db.get(User, token.user_id, options=_WITH_AGENCY_AND_ROLES) if token else None
        via = "api"
    else:
        found = web_session(request, db, settings)
        if found is not None and found.mfa_verified:
            user = db.get(User, found.user_id, options=_WITH_AGENCY_AND_ROLES)
    if user is None or not _usable(user):
        raise SignInRequired()
    actor = actors.for_user(
        user,
        request_id=request.state.request_id,
        source_address=request.state.source_address,
        via=via,
    )
    request.state.actor = actor
    request.state.user = user
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]


def request_actor(request: Request) -> Actor:
    """The anonymous actor of a public page (sign-in, health), with request context."""
    return actors.anonymous(request.state.request_id, request.state.source_address)


AnonymousDep = Annotated[Actor, Depends(request_actor)]

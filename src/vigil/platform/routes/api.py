"""The platform's JSON API under /api/v1: who am I, agencies, users, tokens, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status

from vigil.platform import accounts, audit, tokens
from vigil.platform.schemas import (
    AgencyCreate,
    AgencyPublic,
    AgencyUpdate,
    AuditEventPublic,
    Me,
    Page,
    RolesUpdate,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from vigil.web.deps import ActorDep, PathId, QueryId, SessionDep, SettingsDep

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Sign-in required", **PROBLEM},
    403: {"description": "Not allowed", **PROBLEM},
    404: {"description": "Not found or not visible to you", **PROBLEM},
    409: {"description": "Conflict", **PROBLEM},
    422: {"description": "Invalid input", **PROBLEM},
}

router = APIRouter(prefix="/api/v1", responses=ERRORS)


@router.get("/me", tags=["account"])
def me(request: Request, actor: ActorDep, db: SessionDep) -> Me:
    """The account the token belongs to, and its agency."""
    user = accounts.get_user(db, actor=actor, user_id=actor.user_id or 0, audit_read=False)
    return Me(user=UserPublic.of(user), agency=AgencyPublic.model_validate(user.agency))


@router.get("/agencies", tags=["agencies"])
def list_agencies(actor: ActorDep, db: SessionDep) -> list[AgencyPublic]:
    """Every agency of this Vigil community."""
    return [AgencyPublic.model_validate(a) for a in accounts.list_agencies(db, actor=actor)]


@router.post("/agencies", tags=["agencies"], status_code=status.HTTP_201_CREATED)
def create_agency(body: AgencyCreate, actor: ActorDep, db: SessionDep) -> AgencyPublic:
    """Add an agency (system administrators)."""
    agency = accounts.create_agency(db, actor=actor, name=body.name, kind=body.kind)
    return AgencyPublic.model_validate(agency)


@router.get("/agencies/{agency_id}", tags=["agencies"])
def get_agency(agency_id: PathId, actor: ActorDep, db: SessionDep) -> AgencyPublic:
    return AgencyPublic.model_validate(accounts.get_agency(db, actor=actor, agency_id=agency_id))


@router.put("/agencies/{agency_id}", tags=["agencies"])
def update_agency(
    agency_id: PathId, body: AgencyUpdate, actor: ActorDep, db: SessionDep
) -> AgencyPublic:
    """Rename, re-classify or deactivate an agency (system administrators)."""
    agency = accounts.update_agency(
        db, actor=actor, agency_id=agency_id, name=body.name, kind=body.kind, active=body.active
    )
    return AgencyPublic.model_validate(agency)


@router.get("/users", tags=["users"])
def list_users(actor: ActorDep, db: SessionDep, agency_id: QueryId = None) -> list[UserPublic]:
    """Accounts you administer (your own agency's, or all for system administrators)."""
    return [UserPublic.of(u) for u in accounts.list_users(db, actor=actor, agency_id=agency_id)]


@router.post("/users", tags=["users"], status_code=status.HTTP_201_CREATED)
def create_user(
    body: UserCreate, actor: ActorDep, db: SessionDep, settings: SettingsDep
) -> UserPublic:
    """Create an account. You may give only roles you hold, in agencies you administer."""
    user = accounts.create_user(
        db,
        actor=actor,
        settings=settings,
        agency_id=body.agency_id,
        username=body.username,
        display_name=body.display_name,
        email=body.email,
        roles=body.roles,
        password=body.password,
    )
    return UserPublic.of(user)


@router.get("/users/{user_id}", tags=["users"])
def get_user(user_id: PathId, actor: ActorDep, db: SessionDep) -> UserPublic:
    return UserPublic.of(accounts.get_user(db, actor=actor, user_id=user_id))


@router.put("/users/{user_id}", tags=["users"])
def update_user(user_id: PathId, body: UserUpdate, actor: ActorDep, db: SessionDep) -> UserPublic:
    """Change a user's name or email. The agency of a user can never change."""
    user = accounts.update_user(
        db, actor=actor, user_id=user_id, display_name=body.display_name, email=body.email
    )
    return UserPublic.of(user)


@router.put("/users/{user_id}/roles", tags=["users"])
def set_roles(user_id: PathId, body: RolesUpdate, actor: ActorDep, db: SessionDep) -> UserPublic:
    """Replace a user's roles; adding or removing a role needs you to hold it."""
    return UserPublic.of(accounts.set_roles(db, actor=actor, user_id=user_id, roles=body.roles))


@router.post("/users/{user_id}/disable", tags=["users"])
def disable_user(user_id: PathId, actor: ActorDep, db: SessionDep) -> UserPublic:
    """Disable an account; its sessions and API tokens end at once."""
    return UserPublic.of(accounts.disable_user(db, actor=actor, user_id=user_id))


@router.post("/users/{user_id}/enable", tags=["users"])
def enable_user(user_id: PathId, actor: ActorDep, db: SessionDep) -> UserPublic:
    return UserPublic.of(accounts.enable_user(db, actor=actor, user_id=user_id))


@router.post("/users/{user_id}/unlock", tags=["users"])
def unlock_user(user_id: PathId, actor: ActorDep, db: SessionDep) -> UserPublic:
    """Unlock an account locked after failed sign-ins."""
    return UserPublic.of(accounts.unlock_user(db, actor=actor, user_id=user_id))


@router.post("/users/{user_id}/reset-mfa", tags=["users"])
def reset_mfa(user_id: PathId, actor: ActorDep, db: SessionDep) -> UserPublic:
    """Forget the user's authenticator; they set up a new one at next sign-in."""
    return UserPublic.of(accounts.reset_mfa(db, actor=actor, user_id=user_id))


@router.get("/tokens", tags=["account"])
def list_tokens(actor: ActorDep, db: SessionDep) -> list[TokenPublic]:
    """Your own API tokens (never their values)."""
    return [TokenPublic.model_validate(t) for t in tokens.list_tokens(db, actor=actor)]


@router.post("/tokens", tags=["account"], status_code=status.HTTP_201_CREATED)
def create_token(
    body: TokenCreate, actor: ActorDep, db: SessionDep, settings: SettingsDep
) -> TokenCreated:
    """A new API token for your account. The value is in this answer only."""
    raw, token = tokens.create_token(
        db, actor=actor, settings=settings, name=body.name, days=body.days
    )
    return TokenCreated(**TokenPublic.model_validate(token).model_dump(), token=raw)


@router.delete("/tokens/{token_id}", tags=["account"])
def revoke_token(token_id: PathId, actor: ActorDep, db: SessionDep) -> TokenPublic:
    """Revoke one of your tokens."""
    return TokenPublic.model_validate(tokens.revoke_token(db, actor=actor, token_id=token_id))


@router.get("/audit/events", tags=["audit"])
def audit_events(
    actor: ActorDep,
    db: SessionDep,
    action: Annotated[str | None, Query(max_length=80)] = None,
    actor_name: Annotated[str | None, Query(max_length=150)] = None,
    object_type: Annotated[str | None, Query(max_length=60)] = None,
    object_id: Annotated[str | None, Query(max_length=80)] = None,
    outcome: Annotated[str | None, Query(max_length=20)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
) -> Page[AuditEventPublic]:
    """The audit trail, newest first (auditors). Reading it is itself audited."""
    filters = audit.AuditFilter(
        action=action,
        actor_name=actor_name,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        since=since,
        until=until,
    )
    events, total = audit.list_events(db, actor=actor, filters=filters, limit=limit, offset=offset)
    return Page[AuditEventPublic](
        items=[AuditEventPublic.model_validate(e) for e in events],
        total=total,
        limit=limit,
        offset=offset,
    )

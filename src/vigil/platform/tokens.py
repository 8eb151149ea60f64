"""API tokens as the account holder sees them: create, list, revoke (service functions)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy, sessions
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.models import ApiToken, User
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow


def create_token(
    db: Session, *, actor: Actor, settings: Settings, name: str, days: int
) -> tuple[str, ApiToken]:
    """A new token for the actor's own account. The raw value is returned once."""
    policy.authorize(actor, "create", "api_token")
    name = " ".join(name.split())
    errors = {}
    if not 1 <= len(name) <= 100:
        errors["name"] = "Give the token a name of 1 to 100 characters."
    if not 1 <= days <= settings.api_token_max_days:
        errors["days"] = f"Choose a lifetime of 1 to {settings.api_token_max_days} days."
    if errors:
        raise InvalidInput(errors)
    user = db.get_one(User, actor.member_ids()[0])
    raw, token = sessions.create_api_token(db, user=user, name=name, days=days)
    audit.record(
        db,
        actor=actor,
        action="api_token.create",
        object_type="api_token",
        object_id=token.id,
        details={"days": days},
    )
    return raw, token


def list_tokens(db: Session, *, actor: Actor) -> list[ApiToken]:
    policy.authorize(actor, "list", "api_token")
    statement = (
        select(ApiToken)
        .where(policy.scope(actor, "list", "api_token"))
        .order_by(ApiToken.created_at.desc())
    )
    return list(db.execute(statement).scalars())


def revoke_token(db: Session, *, actor: Actor, token_id: int) -> ApiToken:
    token = db.get(ApiToken, token_id)
    if token is None or not policy.decide(actor, "revoke", "api_token", token):
        raise NotFound("api_token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            db, actor=actor, action="api_token.revoke", object_type="api_token", object_id=token.id
        )
    return token

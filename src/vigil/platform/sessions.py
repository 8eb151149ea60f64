"""Server-side web sessions and API tokens: issue, resolve, expire, revoke."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from vigil.platform.models import ApiToken, User, WebSession
from vigil.platform.types import utcnow

API_TOKEN_PREFIX = "vgl_"  # noqa: S105 - a public marker, not a secret  # nosec B105
# Writing last_seen_at on every request would make every page view a write;
# a minute's precision is plenty for a 30-minute idle limit.
TOUCH_INTERVAL = timedelta(seconds=60)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta


def start_session(
    db: Session, *, user: User, mfa_verified: bool, auth_method: str = "password"
) -> tuple[str, WebSession]:
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    web_session = WebSession(
        token_hash=digest(raw),
        user_id=user.id,
        mfa_verified=mfa_verified,
        created_at=now,
        last_seen_at=now,
        auth_method=auth_method,
    )
    db.add(web_session)
    db.flush()
    return raw, web_session


def resolve_session(
    db: Session, raw: str, *, limits: SessionLimits, now: datetime | None = None
) -> WebSession | None:
    """The live session for a cookie value, or None (expired sessions are deleted)."""
    if not raw or len(raw) > 200:
        return None
    web_session = db.execute(
        select(WebSession).where(WebSession.token_hash == digest(raw))
    ).scalar_one_or_none()
    if web_session is None:
        return None
    now = now or utcnow()
    if (
        now - web_session.last_seen_at > limits.idle
        or now - web_session.created_at > limits.absolute
    ):
        db.delete(web_session)
        db.flush()
        return None
    if now - web_session.last_seen_at > TOUCH_INTERVAL:
        web_session.last_seen_at = now
    return web_session


def mark_mfa_verified(db: Session, web_session: WebSession) -> tuple[str, WebSession]:
    """Replace the session after the second factor, so a pre-MFA cookie is worthless."""
    user = db.get_one(User, web_session.user_id)
    db.delete(web_session)
    db.flush()
    return start_session(db, user=user, mfa_verified=True, auth_method=web_session.auth_method)


def end_session(db: Session, raw: str) -> None:
    db.execute(delete(WebSession).where(WebSession.token_hash == digest(raw)))


def end_all_sessions(db: Session, user_id: int) -> None:
    db.execute(delete(WebSession).where(WebSession.user_id == user_id))


def create_api_token(db: Session, *, user: User, name: str, days: int) -> tuple[str, ApiToken]:
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=digest(raw),
        prefix=raw[:10],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.add(token)
    db.flush()
    return raw, token


def resolve_api_token(db: Session, raw: str, *, now: datetime | None = None) -> ApiToken | None:
    if not raw.startswith(API_TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.execute(
        select(ApiToken).where(ApiToken.token_hash == digest(raw))
    ).scalar_one_or_none()
    now = now or utcnow()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > TOUCH_INTERVAL:
        token.last_used_at = now
    return token


def revoke_all_api_tokens(db: Session, user_id: int) -> None:
    db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )

"""Sign-in: passwords, lockout, the second factor and MFA enrolment.

Every answer to a failed sign-in is the same whether or not the username
exists, and unknown usernames lock exactly as real ones do, so the sign-in page
cannot be used to find out who has an account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from vigil.platform import audit, mfa, passwords
from vigil.platform.actor import Actor
from vigil.platform.models import LoginFailure, LoginLock, User
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow

FAILED_MESSAGE = "Sign-in failed. Check your username and password."
LOCKED_MESSAGE = (
    "Too many failed sign-ins: this account is locked. Ask your agency administrator to unlock it."
)
BAD_CODE_MESSAGE = "That code is not valid. Enter the current 6-digit code from your app."


class Outcome(StrEnum):
    SIGNED_IN = "signed_in"
    NEEDS_MFA = "needs_mfa"
    NEEDS_ENROLMENT = "needs_enrolment"
    FAILED = "failed"
    LOCKED = "locked"


@dataclass(frozen=True)
class PasswordResult:
    outcome: Outcome
    user: User | None = None

    @property
    def message(self) -> str | None:
        if self.outcome is Outcome.FAILED:
            return FAILED_MESSAGE
        if self.outcome is Outcome.LOCKED:
            return LOCKED_MESSAGE
        return None


def username_key(username: str) -> str:
    return username.strip().casefold()[:150]


def find_user(db: Session, username: str) -> User | None:
    return db.execute(
        select(User).where(User.username == username_key(username))
    ).scalar_one_or_none()


def is_locked(db: Session, key: str) -> bool:
    return db.get(LoginLock, key) is not None


def note_failure(db: Session, *, settings: Settings, key: str, user: User | None) -> bool:
    """Record a failed attempt; lock the username when the limit is reached."""
    now = utcnow()
    db.add(LoginFailure(username_key=key, occurred_at=now))
    db.flush()
    window_start = now - timedelta(minutes=settings.login_failure_window_minutes)
    recent = db.execute(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.username_key == key, LoginFailure.occurred_at >= window_start)
    ).scalar_one()
    if recent >= settings.login_max_failures:
        if db.get(LoginLock, key) is None:
            db.add(LoginLock(username_key=key, locked_at=now))
        if user is not None and user.locked_at is None:
            user.locked_at = now
        db.flush()
        return True
    return False


def clear_failures(db: Session, key: str) -> None:
    db.execute(delete(LoginFailure).where(LoginFailure.username_key == key))


def unlock(db: Session, user: User) -> None:
    key = username_key(user.username)
    clear_failures(db, key)
    db.execute(delete(LoginLock).where(LoginLock.username_key == key))
    user.locked_at = None


def check_password(
    db: Session, *, settings: Settings, actor: Actor, username: str, password: str
) -> PasswordResult:
    """First factor. Audits the attempt without the password or an unknown username."""
    key = username_key(username)
    user = find_user(db, username) if key else None
    if is_locked(db, key):
        passwords.verify_password(None, password)  # same cost as a real check
        _audit_login(db, actor, user, "auth.login", "locked")
        return PasswordResult(Outcome.LOCKED)
    valid = passwords.verify_password(user.password_hash if user else None, password)
    if not valid or user is None or not user.is_active or not user.agency.active:
        locked = note_failure(db, settings=settings, key=key, user=user)
        _audit_login(db, actor, user, "auth.login", "failure")
        if locked:
            _audit_login(db, actor, user, "auth.lockout", "success")
        return PasswordResult(Outcome.LOCKED if locked else Outcome.FAILED)
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    if not settings.mfa_required:
        clear_failures(db, key)
        _audit_login(db, actor, user, "auth.login", "success")
        return PasswordResult(Outcome.SIGNED_IN, user)
    _audit_login(db, actor, user, "auth.password", "success")
    return PasswordResult(Outcome.NEEDS_MFA if user.mfa_enabled else Outcome.NEEDS_ENROLMENT, user)


def check_second_factor(
    db: Session, *, settings: Settings, actor: Actor, user: User, code: str
) -> PasswordResult:
    """Second factor for an enrolled user. Failures count towards the lockout."""
    key = username_key(user.username)
    if is_locked(db, key) or not user.is_active:
        _audit_login(db, actor, user, "auth.mfa", "locked")
        return PasswordResult(Outcome.LOCKED)
    secret = _secret(user, settings)
    step = None
    if secret is not None:
        step = mfa.matching_timestep(secret, code, last_used_step=user.totp_last_timestep)
    if step is None:
        locked = note_failure(db, settings=settings, key=key, user=user)
        _audit_login(db, actor, user, "auth.mfa", "failure")
        return PasswordResult(Outcome.LOCKED if locked else Outcome.FAILED)
    user.totp_last_timestep = step
    clear_failures(db, key)
    _audit_login(db, actor, user, "auth.login", "success")
    return PasswordResult(Outcome.SIGNED_IN, user)


def begin_enrolment(db: Session, *, settings: Settings, user: User) -> str:
    """Give the user a fresh TOTP secret (not active until a code confirms it)."""
    if user.mfa_enabled:
        raise ValueError("already enrolled")
    secret = mfa.new_secret()
    user.totp_secret_encrypted = mfa.encrypt_secret(
        secret, secret_key=settings.secret_key.get_secret_value()
    )
    db.flush()
    return secret


def pending_secret(user: User, settings: Settings) -> str | None:
    return _secret(user, settings)


def confirm_enrolment(
    db: Session, *, settings: Settings, actor: Actor, user: User, code: str
) -> bool:
    secret = _secret(user, settings)
    if secret is None or user.mfa_enabled:
        return False
    step = mfa.matching_timestep(secret, code, last_used_step=user.totp_last_timestep)
    if step is None:
        _audit_login(db, actor, user, "auth.mfa_enrol", "failure")
        return False
    user.mfa_enabled = True
    user.totp_last_timestep = step
    clear_failures(db, username_key(user.username))
    _audit_login(db, actor, user, "auth.mfa_enrol", "success")
    _audit_login(db, actor, user, "auth.login", "success")
    return True


def _secret(user: User, settings: Settings) -> str | None:
    if not user.totp_secret_encrypted:
        return None
    return mfa.decrypt_secret(
        user.totp_secret_encrypted, secret_key=settings.secret_key.get_secret_value()
    )


def _audit_login(db: Session, actor: Actor, user: User | None, action: str, outcome: str) -> None:
    audit.record(
        db,
        actor=Actor(
            kind="user" if user else "anonymous",
            user_id=user.id if user else None,
            username=user.username if user else None,
            agency_id=user.agency_id if user else None,
            request_id=actor.request_id,
            source_address=actor.source_address,
            via=actor.via,
        ),
        action=action,
        object_type="user" if user else None,
        object_id=user.id if user else None,
        outcome=outcome,
        details={"known_user": user is not None},
    )

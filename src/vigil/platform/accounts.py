"""Agencies and users: create, list, change, disable, unlock, roles (service functions)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from vigil.platform import audit, authentication, passwords, policy, sessions
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Agency, User, UserRole
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,149}$")


@dataclass(frozen=True)
class UserDraft:
    """A user not yet created: what the policy needs to judge the creation."""

    agency_id: int
    agency_is_operator: bool
    id: None = None


# --- agencies -----------------------------------------------------------------------


def create_agency(
    db: Session, *, actor: Actor, name: str, kind: AgencyKind, is_operator: bool = False
) -> Agency:
    policy.authorize(actor, "create", "agency")
    name = " ".join(name.split())
    if not 2 <= len(name) <= 200:
        raise InvalidInput({"name": "Enter an agency name of 2 to 200 characters."})
    if db.execute(select(Agency.id).where(func.lower(Agency.name) == name.lower())).first():
        raise Conflict(f"An agency named {name!r} already exists.", field="name")
    if is_operator and db.execute(select(Agency.id).where(Agency.is_operator)).first():
        raise Conflict("This instance already has an operator agency.", field="is_operator")
    agency = Agency(name=name, kind=kind.value, is_operator=is_operator, created_at=utcnow())
    db.add(agency)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="agency.create",
        object_type="agency",
        object_id=agency.id,
        agency_id=agency.id,
        details={"kind": kind.value},
    )
    return agency


def list_agencies(db: Session, *, actor: Actor) -> list[Agency]:
    policy.authorize(actor, "list", "agency")
    statement = select(Agency).where(policy.scope(actor, "list", "agency")).order_by(Agency.name)
    return list(db.execute(statement).scalars())


def get_agency(db: Session, *, actor: Actor, agency_id: int) -> Agency:
    agency = db.get(Agency, agency_id)
    if agency is None or not policy.decide(actor, "read", "agency", agency):
        raise NotFound("agency")
    return agency


def update_agency(
    db: Session, *, actor: Actor, agency_id: int, name: str, kind: AgencyKind, active: bool
) -> Agency:
    agency = get_agency(db, actor=actor, agency_id=agency_id)
    policy.authorize(actor, "update", "agency", agency)
    name = " ".join(name.split())
    if not 2 <= len(name) <= 200:
        raise InvalidInput({"name": "Enter an agency name of 2 to 200 characters."})
    clash = db.execute(
        select(Agency.id).where(func.lower(Agency.name) == name.lower(), Agency.id != agency.id)
    ).first()
    if clash:
        raise Conflict(f"An agency named {name!r} already exists.", field="name")
    if agency.is_operator and not active:
        raise InvalidInput({"active": "The operator agency cannot be deactivated."})
    agency.name, agency.kind, agency.active = name, kind.value, active
    audit.record(
        db,
        actor=actor,
        action="agency.update",
        object_type="agency",
        object_id=agency.id,
        agency_id=agency.id,
        details={"kind": kind.value, "active": active},
    )
    return agency


# --- users --------------------------------------------------------------------------


def _check_username(db: Session, username: str) -> str:
    key = authentication.username_key(username)
    # username_key cuts at 150 characters for look-ups; a new name must not be cut.
    if key != username.strip().casefold() or not USERNAME_PATTERN.match(key):
        raise InvalidInput(
            {
                "username": "Use 2 to 150 characters: letters, digits, and . _ @ - "
                "(starting with a letter or digit)."
            }
        )
    if db.execute(select(User.id).where(User.username == key)).first():
        raise Conflict("That username is taken.", field="username")
    return key


def _check_display_name(display_name: str) -> str:
    display_name = " ".join(display_name.split())
    if not 1 <= len(display_name) <= 200:
        raise InvalidInput({"display_name": "Enter a name of 1 to 200 characters."})
    return display_name


def _check_password(settings: Settings, password: str, username: str) -> None:
    problems = passwords.password_problems(
        password,
        min_length=settings.password_min_length,
        max_length=settings.password_max_length,
        username=username,
    )
    if problems:
        raise InvalidInput({"password": " ".join(problems)})


def _authorize_roles(actor: Actor, target: object, roles: Iterable[Role]) -> None:
    for role in roles:
        if not policy.decide(actor, "grant", "role_grant", (target, role)):
            raise policy.PermissionDenied("grant", "role_grant")


def create_user(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    agency_id: int,
    username: str,
    display_name: str,
    email: str | None,
    roles: Iterable[Role],
    password: str | None,
) -> User:
    """Create an account in ``agency_id``. Without a password, only SSO can sign in."""
    agency = db.get(Agency, agency_id)
    if agency is None:
        raise InvalidInput({"agency_id": "Choose an existing agency."})
    draft = UserDraft(agency_id=agency.id, agency_is_operator=agency.is_operator)
    policy.authorize(actor, "create", "user", draft)
    roles = frozenset(roles)
    _authorize_roles(actor, draft, roles)
    key = _check_username(db, username)
    display_name = _check_display_name(display_name)
    if password is not None:
        _check_password(settings, password, key)
    user = User(
        agency_id=agency.id,
        username=key,
        display_name=display_name,
        email=(email or None),
        created_at=utcnow(),
        password_hash=passwords.hash_password(password) if password else None,
        password_changed_at=utcnow() if password else None,
    )
    user.role_grants = [UserRole(role=role.value) for role in sorted(roles)]
    db.add(user)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        agency_id=agency.id,
        details={"roles": sorted(r.value for r in roles)},
    )
    return user


def list_users(db: Session, *, actor: Actor, agency_id: int | None = None) -> list[User]:
    policy.authorize(actor, "list", "user")
    statement = (
        select(User)
        .options(selectinload(User.agency))
        .where(policy.scope(actor, "list", "user"))
        .order_by(User.username)
    )
    if agency_id is not None:
        statement = statement.where(User.agency_id == agency_id)
    users = list(db.execute(statement).scalars())
    audit.record(
        db, actor=actor, action="user.list", object_type="user", details={"returned": len(users)}
    )
    return users


def get_user(db: Session, *, actor: Actor, user_id: int, audit_read: bool = True) -> User:
    """One account, if the actor may see it. A user record is personal data: audited."""
    user = db.get(User, user_id)
    if user is None or not policy.decide(actor, "read", "user", user):
        raise NotFound("user")
    if audit_read:
        audit.record(
            db,
            actor=actor,
            action="user.read",
            object_type="user",
            object_id=user.id,
            agency_id=user.agency_id,
        )
    return user


def _managed_user(db: Session, actor: Actor, user_id: int, action: str) -> User:
    user = get_user(db, actor=actor, user_id=user_id, audit_read=False)
    policy.authorize(actor, action, "user", user)
    return user


def update_user(
    db: Session, *, actor: Actor, user_id: int, display_name: str, email: str | None
) -> User:
    user = _managed_user(db, actor, user_id, "update")
    user.display_name = _check_display_name(display_name)
    user.email = email or None
    audit.record(
        db,
        actor=actor,
        action="user.update",
        object_type="user",
        object_id=user.id,
        agency_id=user.agency_id,
    )
    return user


def set_roles(db: Session, *, actor: Actor, user_id: int, roles: Iterable[Role]) -> User:
    """Replace a user's roles. Adding or removing a role needs the actor to hold it."""
    user = _managed_user(db, actor, user_id, "grant_roles")
    wanted = frozenset(roles)
    changed = wanted ^ user.roles
    _authorize_roles(actor, user, changed)
    user.role_grants = [UserRole(role=role.value) for role in sorted(wanted)]
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="user.roles",
        object_type="user",
        object_id=user.id,
        agency_id=user.agency_id,
        details={"roles": sorted(r.value for r in wanted)},
    )
    return user


def disable_user(db: Session, *, actor: Actor, user_id: int) -> User:
    """Disable an account and end every session and API token it has, at once."""
    user = _managed_user(db, actor, user_id, "disable")
    user.disabled_at = user.disabled_at or utcnow()
    sessions.end_all_sessions(db, user.id)
    sessions.revoke_all_api_tokens(db, user.id)
    audit.record(
        db,
        actor=actor,
        action="user.disable",
        object_type="user",
        object_id=user.id,
        agency_id=user.agency_id,
    )
    return user


def enable_user(db: Session, *, actor: Actor, user_id: int) -> User:
    user = _managed_user(db, actor, user_id, "enable")
    user.disabled_at = None
    audit.record(
        db,
        actor=actor,
        action="user.enable",
        object_type="user",
        object_id=user.id,
        agency_id=user.agency_id,
    )
    return user


def unlock_user(db: Session, *, actor: Actor, user_id: int) -> User:
    user = _managed_user(db, actor, user_id, "unlock")
    authentication.unlock(db, user)
    audit.record(
        db,
        actor=actor,
        action="user.unlock",
        object_type="user",
        object_id=user.id,
        agency_id=user.agency_id,
    )
    return user


def reset_mfa(db: Session, *, actor: Actor, user_id: int) -> User:
    """Forget the user's authenticator; they enrol again at next sign-in."""
    user = _managed_user(db, actor, user_id, "reset_mfa")
    user.mfa_enabled = False
    user.totp_secret_encrypted = None
    user.totp_last_timestep = None
    sessions.end_all_sessions(db, user.id)
    audit.record(
        db,
        actor=actor,
        action="user.reset_mfa",
        object_type="user",
        object_id=user.id,
        agency_id=user.agency_id,
    )
    return user


def set_password_by_admin(
    db: Session, *, actor: Actor, settings: Settings, user_id: int, password: str
) -> User:
    user = _managed_user(db, actor, user_id, "set_password")
    _check_password(settings, password, user.username)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = utcnow()
    sessions.end_all_sessions(db, user.id)
    audit.record(
        db,
        actor=actor,
        action="user.set_password",
        object_type="user",
        object_id=user.id,
        agency_id=user.agency_id,
    )
    return user


def change_own_password(
    db: Session, *, actor: Actor, settings: Settings, current: str, new: str
) -> User:
    user = db.get(User, actor.user_id) if actor.user_id is not None else None
    policy.authorize(actor, "update", "account", user)
    if user is None:
        raise NotFound("account")
    if not passwords.verify_password(user.password_hash, current):
        audit.record(
            db,
            actor=actor,
            action="account.password",
            object_type="user",
            object_id=user.id,
            outcome="failure",
        )
        raise InvalidInput({"current_password": "Your current password is not right."})  # nosec B105
    _check_password(settings, new, user.username)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    audit.record(db, actor=actor, action="account.password", object_type="user", object_id=user.id)
    return user

"""Factories that build agencies, users and actors for tests."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from vigil.platform import actor as actors
from vigil.platform import passwords
from vigil.platform.actor import Actor
from vigil.platform.models import Agency, User, UserRole
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.types import utcnow

DEFAULT_PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)
# argon2 is deliberately slow; hash the shared test password once.
_DEFAULT_HASH = passwords.hash_password(DEFAULT_PASSWORD)


def make_agency(
    db: Session,
    *,
    name: str | None = None,
    kind: AgencyKind = AgencyKind.LAW_ENFORCEMENT,
    is_operator: bool = False,
) -> Agency:
    agency = Agency(
        name=name or f"Agency {next(_counter)}",
        kind=kind.value,
        is_operator=is_operator,
        created_at=utcnow(),
    )
    db.add(agency)
    db.flush()
    return agency


def make_user(
    db: Session,
    *,
    agency: Agency,
    roles: set[Role] | frozenset[Role] = frozenset(),
    username: str | None = None,
    password: str | None = DEFAULT_PASSWORD,
    mfa_enabled: bool = False,
) -> User:
    password_hash = None
    if password is not None:
        password_hash = (
            _DEFAULT_HASH if password == DEFAULT_PASSWORD else passwords.hash_password(password)
        )
    user = User(
        agency=agency,
        username=username or f"user{next(_counter)}",
        display_name="Test User",
        password_hash=password_hash,
        created_at=utcnow(),
        mfa_enabled=mfa_enabled,
    )
    user.role_grants = [UserRole(role=role.value) for role in roles]
    db.add(user)
    db.flush()
    return user


def actor_for(user: User) -> Actor:
    return actors.for_user(user, request_id="test", source_address="127.0.0.1")

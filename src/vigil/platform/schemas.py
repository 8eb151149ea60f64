"""Validated input and output of the platform's JSON API (never the tables themselves)."""

from __future__ import annotations

import types
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    NaiveDatetime,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
)

from vigil.platform.roles import AgencyKind, Role

# Ids are 32-bit integer columns: a larger number names nothing, and would make the
# database driver raise instead of the service answering "not found".
MAX_ID = 2_147_483_647


def storable_text(value: str) -> str:
    """Refuse text no column can hold: PostgreSQL rejects NUL, UTF-8 lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


# What a field's annotation accepts, reduced to the plain types JSON input is checked
# against (pydantic's aware and naive datetimes count as datetimes).
_DATETIME_TYPES: dict[Any, type] = {AwareDatetime: datetime, NaiveDatetime: datetime}


def scalar_types(annotation: Any) -> frozenset[type]:
    """The plain types an annotation admits: ``Annotated`` and unions unwrapped."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return scalar_types(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return frozenset().union(*(scalar_types(arg) for arg in get_args(annotation)))
    found = _DATETIME_TYPES.get(annotation, annotation)
    return frozenset({found}) if isinstance(found, type) else frozenset()


class Strict(BaseModel):
    """API input: no unknown fields, numbers and flags of their own JSON type (true is
    not 1), dates and times written as text (123 is not a time), text that can be
    stored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str):
            return storable_text(value)
        field = cls.model_fields.get(info.field_name or "")
        if field is None or value is None:
            return value
        kinds = scalar_types(field.annotation)
        numeric = bool(kinds & {int, float})
        if isinstance(value, bool) and numeric and bool not in kinds:
            raise ValueError("must be a number, not true or false")
        if isinstance(value, (int, float)) and kinds & {datetime, date} and not numeric:
            raise ValueError("must be a date or time written as text (ISO 8601)")
        return value


class AgencyCreate(Strict):
    name: str = Field(min_length=2, max_length=200)
    kind: AgencyKind


class AgencyUpdate(Strict):
    name: str = Field(min_length=2, max_length=200)
    kind: AgencyKind
    active: StrictBool = True


class AgencyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: AgencyKind
    is_operator: bool
    active: bool


class UserCreate(Strict):
    agency_id: StrictInt = Field(ge=1, le=MAX_ID)
    username: str = Field(min_length=2, max_length=150)
    display_name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    roles: list[Role] = Field(default_factory=list, max_length=len(Role))
    password: str | None = Field(default=None, max_length=1024)


class UserUpdate(Strict):
    display_name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None


class RolesUpdate(Strict):
    roles: list[Role] = Field(max_length=len(Role))


class UserPublic(BaseModel):
    id: int
    agency_id: int
    username: str
    display_name: str
    email: str | None
    roles: list[Role]
    mfa_enabled: bool
    locked: bool
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, user: Any) -> UserPublic:
        return cls(
            id=user.id,
            agency_id=user.agency_id,
            username=user.username,
            display_name=user.display_name,
            email=user.email,
            roles=sorted(user.roles),
            mfa_enabled=user.mfa_enabled,
            locked=user.is_locked,
            disabled=not user.is_active,
            created_at=user.created_at,
        )


class Me(BaseModel):
    user: UserPublic
    agency: AgencyPublic


class TokenCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    days: StrictInt = Field(default=30, ge=1, le=365)


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenPublic):
    token: str = Field(description="Shown once; store it safely. Only its hash is kept.")


class AuditEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    occurred_at: str
    actor_type: str
    actor_id: int | None
    actor_name: str | None
    agency_id: int | None
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    request_id: str | None
    source_address: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int

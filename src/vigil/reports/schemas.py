"""Validated input and output of report intake (API and import; never the tables)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vigil.platform.policy.markings import Tlp
from vigil.platform.schemas import MAX_ID, storable_text
from vigil.reports.vocabulary import Behavior, MentionRole, ReportKind, Sex, TargetType

MAX_NARRATIVE = 50_000
MAX_LIST = 20
ShortText = Field(default=None, max_length=200)
# An id that can name a row (a larger number would make the driver fail, not the lookup).
# Strict: a JSON true is not agency 1.
RowId = Annotated[int, Field(ge=1, le=MAX_ID, strict=True)]


def _clean_list(values: list[str], max_length: int) -> list[str]:
    cleaned = []
    for value in values:
        value = " ".join(value.split())
        if len(value) > max_length:
            raise ValueError(f"each entry may have at most {max_length} characters")
        if value and value not in cleaned:
            cleaned.append(value)
    return cleaned


class Strict(BaseModel):
    """No unknown fields; text (alone or in a list) that a database column can store."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if isinstance(value, str):
            return storable_text(value)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    storable_text(item)
        return value


class MentionIn(Strict):
    """A person named or described in the report."""

    role: MentionRole = MentionRole.SUBJECT
    given_name: str | None = ShortText
    middle_name: str | None = ShortText
    family_name: str | None = ShortText
    aliases: list[str] = Field(default_factory=list, max_length=MAX_LIST)
    date_of_birth: date | None = None
    age_min: int | None = Field(default=None, ge=0, le=120)
    age_max: int | None = Field(default=None, ge=0, le=120)
    sex: Sex | None = None
    phones: list[str] = Field(default_factory=list, max_length=MAX_LIST)
    emails: list[str] = Field(default_factory=list, max_length=MAX_LIST)
    handles: list[str] = Field(default_factory=list, max_length=MAX_LIST)
    addresses: list[str] = Field(default_factory=list, max_length=MAX_LIST)
    school_or_employer: str | None = ShortText
    description: str | None = Field(default=None, max_length=2000)

    @field_validator("aliases", "phones", "emails", "handles")
    @classmethod
    def _short_entries(cls, values: list[str]) -> list[str]:
        return _clean_list(values, 200)

    @field_validator("addresses")
    @classmethod
    def _address_entries(cls, values: list[str]) -> list[str]:
        return _clean_list(values, 500)

    @model_validator(mode="after")
    def _consistent(self) -> MentionIn:
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError("age_min is greater than age_max")
        if self.date_of_birth is not None and not (
            date(1900, 1, 1) <= self.date_of_birth <= date.today()
        ):
            raise ValueError("date_of_birth must be between 1900 and today")
        described = any(
            [
                self.given_name,
                self.family_name,
                self.aliases,
                self.phones,
                self.emails,
                self.handles,
                self.description,
                self.school_or_employer,
            ]
        )
        if not described:
            raise ValueError(
                "a mention needs at least a name, an alias, a contact handle, "
                "a school or employer, or a description"
            )
        return self


class ReportCreate(Strict):
    """A report filed by a signed-in user, a system through the API, or an import."""

    kind: ReportKind = ReportKind.AGENCY_REPORT
    narrative: str = Field(min_length=1, max_length=MAX_NARRATIVE)
    occurred_at: datetime | None = None
    location_text: str | None = Field(default=None, max_length=500)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    behaviors: list[Behavior] = Field(default_factory=list, max_length=len(Behavior))
    weapons: list[str] = Field(default_factory=list, max_length=MAX_LIST)
    target_types: list[TargetType] = Field(default_factory=list, max_length=len(TargetType))
    target_name: str | None = Field(default=None, max_length=300)
    marking: Tlp = Tlp.AMBER
    protected_activity_only: bool = Field(
        default=False,
        description="The report describes only political, religious or social views, "
        "associations or activities: it can never become criminal intelligence and is "
        "never kept past the tip/lead limit.",
    )
    mentions: list[MentionIn] = Field(default_factory=list, max_length=50)
    shared_agency_ids: list[RowId] = Field(default_factory=list, max_length=100)
    recipient_user_ids: list[RowId] = Field(
        default_factory=list,
        max_length=100,
        description="Named recipients (TLP:RED). The filer is always one.",
    )

    @field_validator("weapons")
    @classmethod
    def _weapons(cls, values: list[str]) -> list[str]:
        return _clean_list(values, 100)

    @field_validator("narrative")
    @classmethod
    def _narrative_has_text(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("the narrative contains a NUL character")
        if not value.strip():
            raise ValueError("the narrative is empty")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone (e.g. 2026-05-01T14:30:00-05:00 or ...Z)")
        return value

    @model_validator(mode="after")
    def _coordinates_in_pairs(self) -> ReportCreate:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        return self


class MentionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    role: MentionRole
    given_name: str | None
    middle_name: str | None
    family_name: str | None
    aliases: list[str]
    date_of_birth: date | None
    age_min: int | None
    age_max: int | None
    sex: str | None
    phones: list[str]
    emails: list[str]
    handles: list[str]
    addresses: list[str]
    school_or_employer: str | None
    description: str | None


class AttachmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    media_type: str
    size_bytes: int
    sha256: str


class TriageRule(BaseModel):
    rule: str
    label: str
    points: int
    words: list[str]
    spans: list[list[int]] = Field(default_factory=list)


class ReportSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    receipt_number: str
    kind: ReportKind
    file_class: str
    marking: str
    owner_agency_id: int
    routed_agency_id: int
    reported_at: datetime
    urgency_score: int
    urgency_level: str
    effective_level: str
    ack_due_at: datetime | None
    acknowledged_at: datetime | None
    disposition: str | None


class ReportPublic(ReportSummary):
    narrative: str
    occurred_at: datetime | None
    location_text: str | None
    latitude: float | None
    longitude: float | None
    behaviors: list[str]
    weapons: list[str]
    target_types: list[str]
    target_name: str | None
    protected_activity_only: bool
    urgency_rules: list[dict[str, Any]]
    level_override: str | None
    source: str
    mentions: list[MentionPublic]
    attachments: list[AttachmentPublic]
    shared_agency_ids: list[int]


class Receipt(BaseModel):
    """What a submitter gets back once the report is durably stored."""

    id: int
    receipt_number: str
    reported_at: datetime
    duplicate: bool = Field(
        default=False, description="True when this answers a retry of an earlier submission."
    )

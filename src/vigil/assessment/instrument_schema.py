"""What an instrument definition must look like: sections of items answered on named
scales, and the explicit rules that suggest a risk level from the answers.

Definitions are data (JSON), so a team can add an instrument — CSTAG, WAVR-21, a
local protocol — without a migration; this schema is what every one of them is
validated against before it is stored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from vigil.assessment.vocabulary import LEVELS
from vigil.platform.schemas import storable_text

KEY = r"^[a-z][a-z0-9_]{0,39}$"
Key = Annotated[str, Field(pattern=KEY)]
ShortText = Annotated[str, Field(min_length=1, max_length=300)]
LongText = Annotated[str, Field(max_length=4000)]


class _Strict(BaseModel):
    """No unknown fields; text a database column can store (no NUL, no lone surrogate)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return storable_text(value) if isinstance(value, str) else value


class ScaleOption(_Strict):
    value: Key
    label: ShortText
    # Whether this answer counts as a concern in rules that count concerns.
    concern: bool = Field(default=False, strict=True)


class Item(_Strict):
    key: Key
    label: ShortText
    help: LongText = ""
    scale: Key


class Section(_Strict):
    key: Key
    title: ShortText
    items: list[Item] = Field(min_length=1, max_length=200)


class Condition(_Strict):
    """At least ``at_least`` of the chosen items (named, or a whole section) answered
    with one of ``answers`` (or with any answer the scale marks as a concern)."""

    items: list[Key] | None = None
    section: Key | None = None
    answers: list[Key] | None = None
    concern: bool = False
    at_least: int = Field(default=1, ge=1, le=200, strict=True)

    @model_validator(mode="after")
    def _one_of_each(self) -> Condition:
        if (self.items is None) == (self.section is None):
            raise ValueError("a condition names either items or a section")
        if (self.answers is None) == (not self.concern):
            raise ValueError("a condition gives either answers or concern: true")
        return self


class Rule(_Strict):
    level: str
    text: ShortText
    all: list[Condition] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _known_level(self) -> Rule:
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}")
        return self


class InstrumentDefinition(_Strict):
    key: Key
    version: int = Field(ge=1, le=100_000, strict=True)
    title: Annotated[str, Field(min_length=1, max_length=200)]  # as its column
    description: LongText = ""
    source: LongText = ""
    scales: dict[Key, list[ScaleOption]] = Field(min_length=1, max_length=50)
    sections: list[Section] = Field(min_length=1, max_length=50)
    rules: list[Rule] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _references_hold(self) -> InstrumentDefinition:
        for name, options in self.scales.items():
            values = [option.value for option in options]
            if len(options) < 2 or len(set(values)) != len(values):
                raise ValueError(f"scale {name!r} needs two or more distinct values")
        section_keys = [section.key for section in self.sections]
        if len(set(section_keys)) != len(section_keys):
            raise ValueError("section keys must be distinct")
        items = self.items_by_key()
        if len(items) != sum(len(section.items) for section in self.sections):
            raise ValueError("item keys must be distinct across the instrument")
        for item in items.values():
            if item.scale not in self.scales:
                raise ValueError(f"item {item.key!r} uses an unknown scale {item.scale!r}")
        for rule in self.rules:
            for condition in rule.all:
                chosen = self.condition_items(condition)
                if not chosen:
                    raise ValueError(f"rule {rule.text!r} names an unknown item or section")
                for answer in condition.answers or ():
                    if not any(answer in self.scale_values(items[key].scale) for key in chosen):
                        raise ValueError(
                            f"rule {rule.text!r} expects {answer!r}, which none of its "
                            "items can be answered"
                        )
                if condition.at_least > len(chosen):
                    raise ValueError(f"rule {rule.text!r} asks for more items than it names")
        return self

    def items_by_key(self) -> dict[str, Item]:
        return {item.key: item for section in self.sections for item in section.items}

    def scale_values(self, scale: str) -> set[str]:
        return {option.value for option in self.scales[scale]}

    def condition_items(self, condition: Condition) -> list[str]:
        """The item keys a condition looks at ([] when it names something unknown)."""
        if condition.section is not None:
            for section in self.sections:
                if section.key == condition.section:
                    return [item.key for item in section.items]
            return []
        items = self.items_by_key()
        keys = condition.items or []
        return keys if all(key in items for key in keys) else []


class DefinitionError(ValueError):
    """A definition that fails the schema; ``problems`` maps where (dotted path) to what."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("\n".join(f"{where}: {what}" for where, what in problems.items()))
        self.problems = problems


def parse_definition(data: Any) -> InstrumentDefinition:
    """Validate a definition; DefinitionError names every problem and where it is."""
    try:
        return InstrumentDefinition.model_validate(data)
    except ValidationError as error:
        problems: dict[str, str] = {}
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "definition"
            message = re.sub(r"^Value error, ", "", problem["msg"])
            problems[where] = f"{problems[where]} {message}" if where in problems else message
        raise DefinitionError(problems) from None

"""The resource-typing catalogue shipped with Vigil (data/resource_catalogue.json): NIMS
category, kind, type and capability of the resources a mass-casualty violence incident
orders, and the default time a request may wait at each step; validated on load."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from vigil.platform import policy
from vigil.platform.actor import Actor

CATALOGUE_FILE: Final = "resource_catalogue.json"
# The states a request waits in before the next step (received waits for demobilization
# with no clock: the resource is working).
TIMED_STATES: Final = ("requested", "approved", "ordered", "funding_approved", "shipped")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]


class ResourceType(BaseModel):
    """One typed resource: what to ask for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,59}$")]
    category: Text
    kind: Annotated[str, StringConstraints(pattern=r"^(Team|Personnel|Vehicle|Aircraft|Supply)$")]
    name: Text
    type: Annotated[int, Field(ge=1, le=5)]
    unit: Annotated[str, StringConstraints(min_length=1, max_length=30)]
    capability: Text
    source: Text

    @property
    def label(self) -> str:
        return f"{self.name}, type {self.type}"


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    about: Text
    step_expectations_minutes: dict[str, Annotated[int, Field(ge=1, le=7 * 24 * 60)]]
    resources: tuple[ResourceType, ...]

    def find(self, resource_id: str) -> ResourceType | None:
        return next((r for r in self.resources if r.id == resource_id), None)


class CatalogueError(ValueError):
    """The shipped catalogue is malformed (a packaging fault, named precisely)."""


def parse_catalogue(text: str) -> Catalogue:
    """Validate a catalogue document: its schema, unique ids, and timed states only."""
    try:
        catalogue = Catalogue.model_validate(json.loads(text))
    except (ValueError, ValidationError) as problem:
        raise CatalogueError(f"resource catalogue: {problem}") from None
    ids = [r.id for r in catalogue.resources]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CatalogueError("resource catalogue: duplicate ids " + ", ".join(duplicates))
    unknown = sorted(set(catalogue.step_expectations_minutes) - set(TIMED_STATES))
    if unknown:
        raise CatalogueError("resource catalogue: no step named " + ", ".join(unknown))
    return catalogue


@cache
def shipped_catalogue() -> Catalogue:
    """The catalogue in the package (read and validated once)."""
    text = resources.files("vigil.response").joinpath("data", CATALOGUE_FILE).read_text("utf-8")
    return parse_catalogue(text)


def read_catalogue(*, actor: Actor) -> Catalogue:
    """The catalogue, for someone allowed to read it."""
    policy.authorize(actor, "read", "resource_catalogue")
    return shipped_catalogue()

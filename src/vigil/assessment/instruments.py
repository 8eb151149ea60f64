"""Instruments as stored data: the built-in definitions shipped with Vigil (NTAC
themes, TRAP-18, the pathway to violence), listing them, and adding a new one or a
new version of one after validating its definition."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.assessment.instrument_schema import (
    DefinitionError,
    InstrumentDefinition,
    parse_definition,
)
from vigil.assessment.models import Instrument
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound

BUILTIN_FILES = ("ntac.json", "trap18.json", "pathway.json")
MAX_DEFINITION_BYTES = 512 * 1024


def builtin_definitions() -> list[InstrumentDefinition]:
    folder = resources.files("vigil.assessment") / "instruments"
    return [
        parse_definition(json.loads((folder / name).read_text(encoding="utf-8")))
        for name in BUILTIN_FILES
    ]


def sync_builtin_instruments(db: Session) -> int:
    """Store each built-in definition not stored yet (by key and version); the count added."""
    have = set(db.execute(select(Instrument.key, Instrument.version)).all())
    added = 0
    for definition in builtin_definitions():
        if (definition.key, definition.version) in have:
            continue
        db.add(
            Instrument(
                key=definition.key,
                version=definition.version,
                title=definition.title,
                definition=definition.model_dump(mode="json"),
                builtin=True,
            )
        )
        added += 1
    db.flush()
    return added


def definition_of(instrument: Instrument) -> InstrumentDefinition:
    return InstrumentDefinition.model_validate(instrument.definition)


def list_instruments(db: Session, *, actor: Actor, current_only: bool = True) -> list[Instrument]:
    """Instruments in use: the latest version of each key unless all are asked for."""
    policy.authorize(actor, "read", "instrument")
    query = select(Instrument).where(Instrument.retired_at.is_(None))
    if current_only:
        latest = (
            select(Instrument.key, func.max(Instrument.version).label("version"))
            .where(Instrument.retired_at.is_(None))
            .group_by(Instrument.key)
            .subquery()
        )
        query = query.join(
            latest, (latest.c.key == Instrument.key) & (latest.c.version == Instrument.version)
        )
    return list(db.execute(query.order_by(Instrument.key, Instrument.version)).scalars().all())


def get_instrument(db: Session, *, actor: Actor, instrument_id: int) -> Instrument:
    policy.authorize(actor, "read", "instrument")
    instrument = db.get(Instrument, instrument_id)
    if instrument is None:
        raise NotFound("instrument")
    return instrument


def parse_upload(raw: bytes) -> Any:
    if len(raw) > MAX_DEFINITION_BYTES:
        raise InvalidInput({"definition": "The definition is larger than 512 KiB."})
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput({"definition": f"Not valid JSON: {error}"}) from None


def add_instrument(db: Session, *, actor: Actor, data: Any) -> Instrument:
    """Store a new instrument, or a new version of one, after validating it. Versions
    only go up: answers recorded against an earlier version keep their meaning."""
    policy.authorize(actor, "create", "instrument")
    try:
        definition = parse_definition(data)
    except DefinitionError as error:
        raise InvalidInput(error.problems) from None
    latest = db.execute(
        select(func.max(Instrument.version)).where(Instrument.key == definition.key)
    ).scalar_one_or_none()
    if latest is not None and definition.version <= latest:
        raise Conflict(
            f"Version {latest} of {definition.key!r} exists; give version {latest + 1} or later.",
            field="version",
        )
    instrument = Instrument(
        key=definition.key,
        version=definition.version,
        title=definition.title,
        definition=definition.model_dump(mode="json"),
        builtin=False,
        created_by_user_id=actor.user_id,
    )
    db.add(instrument)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="instrument.create",
        object_type="instrument",
        object_id=instrument.id,
        details={"key": definition.key, "version": definition.version},
    )
    return instrument

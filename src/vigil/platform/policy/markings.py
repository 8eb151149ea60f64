"""TLP 2.0 markings and the sharing rule every marked record obeys.

Used by the rules of every domain whose records carry a marking: a record is
owned by one agency, carries one TLP 2.0 marking, may be shared explicitly with
named agencies, and (for TLP:RED) names the users who may read it.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from sqlalchemy import and_, false, or_
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform.actor import Actor


class Tlp(StrEnum):
    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"


def marking_allows(
    actor: Actor,
    *,
    owner_agency_id: int,
    marking: Tlp | str,
    shared_agency_ids: Collection[int] = (),
    named_user_ids: Collection[int] = (),
) -> bool:
    """Whether the marking lets ``actor`` see a record (roles are checked separately)."""
    if not actor.is_user:
        return False
    tlp = Tlp(marking)
    if tlp is Tlp.RED:
        return actor.user_id in named_user_ids
    if tlp is Tlp.AMBER_STRICT:
        return actor.agency_id == owner_agency_id
    if tlp is Tlp.AMBER:
        return actor.agency_id == owner_agency_id or actor.agency_id in shared_agency_ids
    return True  # GREEN and CLEAR: every agency of this community


def marking_scope(
    actor: Actor,
    *,
    owner_agency_column: ColumnElement[int],
    marking_column: ColumnElement[str],
    shared_with_actor_agency: ColumnElement[bool],
    actor_is_named: ColumnElement[bool],
) -> ColumnElement[bool]:
    """The SQL form of ``marking_allows``; the caller supplies EXISTS clauses for shares."""
    if not actor.is_user:
        return false()
    own = owner_agency_column == actor.agency_id
    return or_(
        marking_column.in_([Tlp.CLEAR.value, Tlp.GREEN.value]),
        and_(marking_column == Tlp.AMBER.value, or_(own, shared_with_actor_agency)),
        and_(marking_column == Tlp.AMBER_STRICT.value, own),
        and_(marking_column == Tlp.RED.value, actor_is_named),
    )

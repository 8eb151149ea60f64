"""Policy rules for preparedness: the registry of protected sites and its risk register.

Sites are worked by an agency's analysts, supervisors, threat-assessment staff and
administrators (school-safety and emergency-management staff hold these roles in their
agencies). Each site carries a TLP 2.0 marking, TLP:AMBER by default: its owning
agency's staff read it, and other agencies' staff only when the owner marks it
TLP:GREEN or TLP:CLEAR. Only the owning agency's staff change a site.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.policy.markings import marking_allows, marking_scope
from vigil.platform.roles import Role

SITE_ROLES = frozenset({Role.ANALYST, Role.SUPERVISOR, Role.THREAT_ASSESSMENT, Role.AGENCY_ADMIN})


def _staff(actor: Actor) -> bool:
    return actor.is_user and bool(actor.roles & SITE_ROLES)


def site_rule(actor: Actor, action: str, site: Any) -> bool:
    """``site`` is a ProtectedSite the caller loaded (None for list and create)."""
    if not _staff(actor):
        return False
    if action in ("list", "create"):
        return True
    if site is None:
        return False
    readable = marking_allows(actor, owner_agency_id=site.owner_agency_id, marking=site.marking)
    if action == "read":
        return readable
    if action == "update":
        return readable and actor.agency_id == site.owner_agency_id
    return False


def site_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    from vigil.preparedness.models import ProtectedSite

    if not _staff(actor):
        return false()
    return marking_scope(
        actor,
        owner_agency_column=ProtectedSite.owner_agency_id.expression,
        marking_column=ProtectedSite.marking.expression,
        shared_with_actor_agency=false(),
        actor_is_named=false(),
    )


def install() -> None:
    policy.register("protected_site", rule=site_rule, scope_rule=site_scope)

"""Policy rules for the public incident catalogue, the decisions on its uncertain links,
and Vigil's own de-identified outcome figures.

The catalogue holds only what public sources published (incident data sets and Census
populations), so every signed-in user may read it, chart it and download it. Loading
or replacing it is the operator's job: the command line (shell access already grants
the database) or a system administrator.
"""

from __future__ import annotations

from typing import Any

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.roles import Role

READ_ACTIONS = frozenset({"read", "export"})


def catalog_rule(actor: Actor, action: str, obj: Any) -> bool:
    if action in READ_ACTIONS:
        return actor.is_user or actor.kind == "cli"
    if action == "load":
        return actor.kind == "cli" or (actor.is_user and Role.SYSTEM_ADMIN in actor.roles)
    return False


def link_decision_rule(actor: Actor, action: str, obj: Any) -> bool:
    """Confirming or rejecting an uncertain link changes the shared public catalogue:
    analysts and system administrators; anyone signed in may read the decisions."""
    if action == "read":
        return actor.is_user or actor.kind == "cli"
    if action == "decide":
        return actor.is_user and bool(actor.roles & {Role.ANALYST, Role.SYSTEM_ADMIN})
    return False


def outcomes_rule(actor: Actor, action: str, obj: Any) -> bool:
    """Vigil's own outcome figures (de-identified, suppressed) are for supervisors: their
    own agency's, and another agency's only where it shares them (obj: OutcomeScope)."""
    if not actor.is_user or Role.SUPERVISOR not in actor.roles:
        return False
    if action == "list":
        return True
    if action in READ_ACTIONS and obj is not None:
        return getattr(obj, "agency_id", None) == actor.agency_id or bool(
            getattr(obj, "shared", False)
        )
    return False


def outcome_sharing_rule(actor: Actor, action: str, obj: Any) -> bool:
    """Whether an agency shares its outcome figures is its own supervisors' choice."""
    return (
        action in {"read", "update"}
        and actor.is_user
        and Role.SUPERVISOR in actor.roles
        and obj is not None
        and obj == actor.agency_id
    )


def install() -> None:
    policy.register("analytics_catalog", rule=catalog_rule)
    policy.register("analytics_link_decision", rule=link_decision_rule)
    policy.register("analytics_outcomes", rule=outcomes_rule)
    policy.register("analytics_outcome_sharing", rule=outcome_sharing_rule)

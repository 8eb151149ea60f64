"""Policy rules for the public incident catalogue.

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


def install() -> None:
    policy.register("analytics_catalog", rule=catalog_rule)

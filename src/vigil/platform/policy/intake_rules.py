"""Policy rules for intake's supporting objects: users' notifications and the routing
rules that send tips about a place or a school to the agency responsible for it.

A notification belongs to one user: only they list it, read it or mark it read, and
only the system (the command line or the scheduler) creates one. A routing rule
belongs to one agency: its agency administrators manage it, and system
administrators of the operator agency manage every agency's rules.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, true
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.models import Notification
from vigil.platform.roles import Role
from vigil.reports.models import RoutingRule

NOTIFICATION_OWNER_ACTIONS = frozenset({"read", "mark_read"})
CLI_ACTIONS = {
    "notification": frozenset({"create"}),
    "routing_rule": frozenset({"list", "read", "create", "delete"}),
}


def notification_rule(actor: Actor, action: str, notification: Any) -> bool:
    if actor.kind == "cli":
        return action in CLI_ACTIONS["notification"]
    if not actor.is_user:
        return False
    if action == "list":
        return True
    if action in NOTIFICATION_OWNER_ACTIONS:
        return getattr(notification, "user_id", None) == actor.user_id
    return False


def notification_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    if not actor.is_user:
        return false()
    return Notification.user_id == actor.user_id


def _system_admin(actor: Actor) -> bool:
    return actor.has(Role.SYSTEM_ADMIN) and actor.agency_is_operator


def routing_rule_rule(actor: Actor, action: str, rule: Any) -> bool:
    """``rule`` is a RoutingRule, or anything with ``agency_id`` (a draft) for create."""
    if actor.kind == "cli":
        return action in CLI_ACTIONS["routing_rule"]
    if not actor.is_user:
        return False
    if action == "list":
        return _system_admin(actor) or actor.has(Role.AGENCY_ADMIN)
    if action in ("read", "create", "delete"):
        if _system_admin(actor):
            return True
        agency_id = getattr(rule, "agency_id", None)
        return (
            actor.has(Role.AGENCY_ADMIN)
            and agency_id is not None
            and (agency_id == actor.agency_id)
        )
    return False


def routing_rule_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    if actor.kind == "cli" or (actor.is_user and _system_admin(actor)):
        return true()
    if actor.is_user and actor.has(Role.AGENCY_ADMIN):
        return RoutingRule.agency_id == actor.agency_id
    return false()


def install() -> None:
    policy.register("notification", rule=notification_rule, scope_rule=notification_scope)
    policy.register("routing_rule", rule=routing_rule_rule, scope_rule=routing_rule_scope)

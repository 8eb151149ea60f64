"""The one policy decision point: may this actor do this action on this object?

Every read and write in Vigil (page, API, CLI, export, search, count) asks here.
Rules live in this package, one module per domain; ``decide`` answers for one
object, ``scope`` returns the SQL condition that limits a list to what the actor
may see, so lists are filtered inside the query, never after loading rows.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from vigil.platform.actor import Actor


class PermissionDenied(Exception):
    """The policy said no. Routes answer 403 (or 404 where existence is secret)."""

    def __init__(self, action: str, object_type: str, object_id: object = None) -> None:
        super().__init__(f"{action} on {object_type} denied")
        self.action = action
        self.object_type = object_type
        self.object_id = object_id


@dataclass(frozen=True)
class Decision:
    action: str
    object_type: str
    allowed: bool


Rule = Callable[[Actor, str, Any], bool]
ScopeRule = Callable[[Actor, str], ColumnElement[bool]]

_RULES: dict[str, Rule] = {}
_SCOPES: dict[str, ScopeRule] = {}
_decisions: ContextVar[list[Decision] | None] = ContextVar("policy_decisions", default=None)


def register(object_type: str, *, rule: Rule, scope_rule: ScopeRule | None = None) -> None:
    _RULES[object_type] = rule
    if scope_rule is not None:
        _SCOPES[object_type] = scope_rule


def start_recording() -> list[Decision]:
    """Begin collecting the decisions made in this context (one request)."""
    decisions: list[Decision] = []
    _decisions.set(decisions)
    return decisions


def _note(action: str, object_type: str, allowed: bool) -> None:
    decisions = _decisions.get()
    if decisions is not None:
        decisions.append(Decision(action, object_type, allowed))


def decide(actor: Actor, action: str, object_type: str, obj: Any = None) -> bool:
    """Answer whether ``actor`` may do ``action`` on ``obj`` (an instance or None)."""
    rule = _RULES.get(object_type)
    if rule is None:
        raise LookupError(f"no policy rule for object type {object_type!r}")
    allowed = bool(rule(actor, action, obj))
    _note(action, object_type, allowed)
    return allowed


def authorize(actor: Actor, action: str, object_type: str, obj: Any = None) -> None:
    """Raise PermissionDenied unless ``decide`` allows."""
    if not decide(actor, action, object_type, obj):
        raise PermissionDenied(action, object_type, getattr(obj, "id", None))


def scope(actor: Actor, action: str, object_type: str) -> ColumnElement[bool]:
    """The SQL condition selecting exactly the rows of ``object_type`` the actor may see."""
    scope_rule = _SCOPES.get(object_type)
    if scope_rule is None:
        raise LookupError(f"no policy scope for object type {object_type!r}")
    _note(action, object_type, True)
    return scope_rule(actor, action)


def _load_rules() -> None:
    from vigil.platform.policy import (
        alert_rules,
        analytics_rules,
        assessment_rules,
        incident_rules,
        intake_rules,
        linkage_rules,
        platform_rules,
        preparedness_rules,
        recovery_rules,
        report_rules,
        response_rules,
        sharing_rules,
        site_assessment_rules,
    )

    platform_rules.install()
    preparedness_rules.install()
    report_rules.install()
    intake_rules.install()
    linkage_rules.install()
    assessment_rules.install()
    analytics_rules.install()
    recovery_rules.install()
    sharing_rules.install()
    response_rules.install()
    incident_rules.install()
    alert_rules.install()
    site_assessment_rules.install()


_load_rules()

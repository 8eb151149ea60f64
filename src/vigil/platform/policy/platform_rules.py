"""Policy rules for the platform's own objects: agencies, users, roles, tokens, audit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, true
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.models import ApiToken, AuditEvent, User
from vigil.platform.roles import OPERATOR_ONLY_ROLES, Role

USER_ADMIN_ACTIONS = frozenset(
    {"create", "update", "disable", "enable", "unlock", "reset_mfa", "set_password", "grant_roles"}
)
# Whoever sets another user's password or resets their second factor can sign in as
# them, so these need the actor to hold every role the target holds (as granting does).
CREDENTIAL_ACTIONS = frozenset({"reset_mfa", "set_password"})
CLI_ACTIONS = {
    "agency": frozenset({"read", "create", "update"}),
    "user": frozenset({"read"}) | USER_ADMIN_ACTIONS,
    "audit_event": frozenset({"verify", "checkpoint", "export"}),
}


def _administers(actor: Actor, agency_id: int | None) -> bool:
    if actor.has(Role.SYSTEM_ADMIN) and actor.agency_is_operator:
        return True
    return actor.has(Role.AGENCY_ADMIN) and agency_id is not None and agency_id == actor.agency_id


def agency_rule(actor: Actor, action: str, agency: Any) -> bool:
    if actor.kind == "cli":
        return action in CLI_ACTIONS["agency"]
    if not actor.is_user:
        return False
    if action in ("read", "list"):
        return True
    if action in ("create", "update"):
        return actor.has(Role.SYSTEM_ADMIN) and actor.agency_is_operator
    return False


def agency_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    return true() if actor.is_user or actor.kind == "cli" else false()


def user_rule(actor: Actor, action: str, user: Any) -> bool:
    """``user`` is a User, or anything with ``agency_id`` (a draft) for create."""
    if actor.kind == "cli":
        return action in CLI_ACTIONS["user"]
    if not actor.is_user:
        return False
    agency_id = getattr(user, "agency_id", None)
    if action == "read":
        return getattr(user, "id", None) == actor.user_id or _administers(actor, agency_id)
    if action == "list":
        return actor.has(Role.AGENCY_ADMIN) or actor.has(Role.SYSTEM_ADMIN)
    if action in USER_ADMIN_ACTIONS:
        # Nobody administers their own account: no self-unlock, self-grant or self-disable.
        if getattr(user, "id", None) == actor.user_id and action != "create":
            return False
        if action in CREDENTIAL_ACTIONS and not _holds_all_roles_of(actor, user):
            return False
        return _administers(actor, agency_id)
    return False


def _holds_all_roles_of(actor: Actor, user: Any) -> bool:
    return frozenset(getattr(user, "roles", frozenset())) <= actor.roles


def user_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    if actor.kind == "cli" or (actor.has(Role.SYSTEM_ADMIN) and actor.agency_is_operator):
        return true()
    if not actor.is_user:
        return false()
    if actor.has(Role.AGENCY_ADMIN):
        return User.agency_id == actor.agency_id
    return User.id == actor.user_id


def role_grant_rule(actor: Actor, action: str, grant: Any) -> bool:
    """``grant`` is (target user or draft, role). One can grant only what one holds."""
    target, role = grant
    if actor.kind == "cli":
        return True
    if not actor.is_user or role not in actor.roles:
        return False
    if role in OPERATOR_ONLY_ROLES and not _target_in_operator_agency(target):
        return False
    return user_rule(actor, "grant_roles", target)


def _target_in_operator_agency(target: Any) -> bool:
    agency = getattr(target, "agency", None)
    return bool(
        getattr(agency, "is_operator", False) or getattr(target, "agency_is_operator", False)
    )


def account_rule(actor: Actor, action: str, user: Any) -> bool:
    """One's own account settings: password, MFA, API tokens, sessions."""
    return actor.is_user and getattr(user, "id", None) == actor.user_id


def api_token_rule(actor: Actor, action: str, token: Any) -> bool:
    if not actor.is_user:
        return False
    if action in ("create", "list"):
        return True
    return getattr(token, "user_id", None) == actor.user_id


def api_token_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    return ApiToken.user_id == actor.user_id if actor.is_user else false()


def audit_rule(actor: Actor, action: str, event: Any) -> bool:
    if actor.kind == "cli":
        return action in CLI_ACTIONS["audit_event"]
    if not (actor.is_user and actor.has(Role.AUDITOR)):
        return False
    if action in ("list", "export"):
        return True
    if action == "read":
        return actor.agency_is_operator or getattr(event, "agency_id", None) == actor.agency_id
    return False


def audit_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    if actor.kind == "cli":
        return true()
    if not (actor.is_user and actor.has(Role.AUDITOR)):
        return false()
    if actor.agency_is_operator:
        return true()
    return AuditEvent.agency_id == actor.agency_id


def dashboard_rule(actor: Actor, action: str, _obj: Any) -> bool:
    return actor.is_user and action == "view"


def install() -> None:
    policy.register("agency", rule=agency_rule, scope_rule=agency_scope)
    policy.register("user", rule=user_rule, scope_rule=user_scope)
    policy.register("role_grant", rule=role_grant_rule)
    policy.register("account", rule=account_rule)
    policy.register("api_token", rule=api_token_rule, scope_rule=api_token_scope)
    policy.register("audit_event", rule=audit_rule, scope_rule=audit_scope)
    policy.register("dashboard", rule=dashboard_rule)

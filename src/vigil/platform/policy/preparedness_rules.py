"""Policy rules for preparedness: the registry of protected sites and its risk register.

Sites are worked by an agency's analysts, supervisors, threat-assessment staff and
administrators (school-safety and emergency-management staff hold these roles in their
agencies). Each site carries a TLP 2.0 marking, TLP:AMBER by default: its owning
agency's staff read it, and other agencies' staff only when the owner marks it
TLP:GREEN or TLP:CLEAR. Only the owning agency's staff change a site.

Corrective actions, training records, exercises and capability targets belong to one
agency and stay inside it (they describe where a site or a jurisdiction falls short):
its site staff read and change them; a corrective action's owner reads and works it
even without a site role; capability targets are set by supervisors and agency
administrators. Reminders are sent by the scheduler or an operator at the shell.
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


def _own_staff(actor: Actor, agency_id: int | None) -> bool:
    return _staff(actor) and agency_id is not None and actor.agency_id == agency_id


def corrective_action_rule(actor: Actor, action: str, item: Any) -> bool:
    """``item`` is a CorrectiveAction (None for list and create)."""
    if action == "create":
        return _staff(actor)
    if action == "list":
        # Members without a site role list only the actions they own (the scope).
        return actor.is_user and actor.agency_id is not None
    if item is None or not actor.is_user:
        return False
    if action in ("read", "update", "add_evidence", "close"):
        if _own_staff(actor, item.owner_agency_id):
            return True
        # The person who owns the action works it (a facilities manager, a teacher).
        return (
            action != "close"
            and item.owner_user_id is not None
            and item.owner_user_id == actor.user_id
            and actor.agency_id == item.owner_agency_id
        )
    return False


def corrective_action_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    from vigil.preparedness.improvement_models import CorrectiveAction

    if not actor.is_user or actor.agency_id is None:
        return false()
    if _staff(actor):
        return CorrectiveAction.owner_agency_id == actor.agency_id
    return (CorrectiveAction.owner_agency_id == actor.agency_id) & (
        CorrectiveAction.owner_user_id == actor.user_id
    )


def _agency_record_rule(actor: Actor, action: str, item: Any) -> bool:
    """Training records and exercises: ``item`` carries ``owner_agency_id``."""
    if action in ("list", "create"):
        return _staff(actor)
    if item is None:
        return False
    if action == "read" and getattr(item, "owner_agency_id", 0) is None:
        return _staff(actor)  # seeded courses: every agency uses them
    return _own_staff(actor, item.owner_agency_id)


def training_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    from vigil.preparedness.improvement_models import TrainingSession

    if not _staff(actor):
        return false()
    return TrainingSession.owner_agency_id == actor.agency_id


def exercise_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    from vigil.preparedness.improvement_models import Exercise

    if not _staff(actor):
        return false()
    return Exercise.owner_agency_id == actor.agency_id


TARGET_SETTERS = frozenset({Role.SUPERVISOR, Role.AGENCY_ADMIN})


def capability_target_rule(actor: Actor, action: str, agency_id: Any) -> bool:
    """``agency_id`` is the jurisdiction whose targets are read or set."""
    if not _own_staff(actor, agency_id):
        return False
    if action == "read":
        return True
    return action == "update" and bool(actor.roles & TARGET_SETTERS)


def reminder_rule(actor: Actor, action: str, obj: Any) -> bool:
    return action == "send" and actor.kind == "cli"


def install() -> None:
    policy.register("protected_site", rule=site_rule, scope_rule=site_scope)
    policy.register(
        "corrective_action", rule=corrective_action_rule, scope_rule=corrective_action_scope
    )
    policy.register("training", rule=_agency_record_rule, scope_rule=training_scope)
    policy.register("exercise", rule=_agency_record_rule, scope_rule=exercise_scope)
    policy.register("capability_target", rule=capability_target_rule)
    policy.register("preparedness_reminder", rule=reminder_rule)

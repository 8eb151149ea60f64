"""Policy rules for threat-assessment cases, their instruments and dashboards.

A case is need-to-know: its team (members from any agency), the owning agency's
supervisors, and the case-working staff of an agency it has been shared with (a
dissemination, revocable at once). Nobody else learns that it exists. The team
does the work; a risk level is decided by team members who assess (threat-assessment
staff and supervisors); the case lead and the owning agency's supervisors manage
the team, share, close and reopen. Shared agencies read; they do not write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import false, or_, select, union
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.roles import Role

# Who works on cases at all: threat-assessment staff, supervisors, and analysts (who
# sit on teams, for example from a fusion center).
CASE_ROLES = frozenset({Role.THREAT_ASSESSMENT, Role.SUPERVISOR, Role.ANALYST})
OPENER_ROLES = frozenset({Role.THREAT_ASSESSMENT, Role.SUPERVISOR})
ASSESSOR_ROLES = frozenset({Role.THREAT_ASSESSMENT, Role.SUPERVISOR})


@dataclass(frozen=True)
class CaseFacts:
    """What the rule needs to know about one case."""

    owner_agency_id: int
    members: dict[int, str] = field(default_factory=dict)  # active user id -> team role
    shared_agency_ids: frozenset[int] = frozenset()


def _case_worker(actor: Actor) -> bool:
    return actor.is_user and bool(actor.roles & CASE_ROLES)


def _owner_supervisor(actor: Actor, facts: CaseFacts) -> bool:
    return (
        actor.is_user
        and actor.agency_id == facts.owner_agency_id
        and Role.SUPERVISOR in actor.roles
    )


def _member(actor: Actor, facts: CaseFacts) -> bool:
    return _case_worker(actor) and actor.user_id in facts.members


def case_rule(actor: Actor, action: str, facts: Any) -> bool:
    if action == "list":
        return _case_worker(actor)
    if action == "create":
        return actor.is_user and bool(actor.roles & OPENER_ROLES)
    if not isinstance(facts, CaseFacts):
        return False
    if action == "read":
        return (
            _member(actor, facts)
            or _owner_supervisor(actor, facts)
            or (_case_worker(actor) and actor.agency_id in facts.shared_agency_ids)
        )
    if action == "work":
        return _member(actor, facts) or _owner_supervisor(actor, facts)
    if action == "decide_risk":
        return _owner_supervisor(actor, facts) or (
            _member(actor, facts) and bool(actor.roles & ASSESSOR_ROLES)
        )
    if action == "manage":
        return _owner_supervisor(actor, facts) or (
            _member(actor, facts) and facts.members.get(actor.user_id or 0) == "lead"
        )
    return False


def case_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    """Cases the actor may read, as a condition on ``cases``."""
    from vigil.assessment.models import Case, CaseMember, CaseShare

    if not _case_worker(actor):
        return false()
    membership = select(CaseMember.case_id).where(
        CaseMember.user_id == actor.user_id, CaseMember.removed_at.is_(None)
    )
    shared = select(CaseShare.case_id).where(
        CaseShare.agency_id == actor.agency_id, CaseShare.revoked_at.is_(None)
    )
    # One IN over a union, not an OR of two INs: PostgreSQL cannot estimate an OR of
    # subqueries (it guessed 30,000 visible cases for a team member on 50), so it
    # filtered every case and every overdue intervention; over the union it knows how
    # few there are and looks them up by key.
    on_team_or_shared = Case.id.in_(union(membership, shared))
    if Role.SUPERVISOR in actor.roles:
        return or_(Case.owner_agency_id == actor.agency_id, on_team_or_shared)
    return on_team_or_shared


def instrument_rule(actor: Actor, action: str, obj: Any) -> bool:
    if action == "read":
        return _case_worker(actor) or actor.kind == "cli"
    if action == "create":
        return actor.kind == "cli" or (actor.is_user and bool(actor.roles & OPENER_ROLES))
    return False


def dashboard_rule(actor: Actor, action: str, obj: Any) -> bool:
    return action == "read" and _case_worker(actor)


def reminder_rule(actor: Actor, action: str, obj: Any) -> bool:
    # Reminders are sent by the scheduler (or an operator at the shell), never by a user.
    return action == "send" and actor.kind == "cli"


def install() -> None:
    policy.register("case", rule=case_rule, scope_rule=case_scope)
    policy.register("instrument", rule=instrument_rule)
    policy.register("assessment_dashboard", rule=dashboard_rule)
    policy.register("assessment_reminder", rule=reminder_rule)

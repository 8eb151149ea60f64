"""Policy rules for vulnerability assessments of protected sites.

An assessment carries a TLP 2.0 marking (TLP:AMBER unless its agency chooses otherwise):
the owning agency's site staff read it, other agencies' staff only when it is marked
TLP:GREEN or TLP:CLEAR. The owning agency's staff answer it while it is in progress;
its supervisors and administrators review and sign it off, but never one they started
or answered (four eyes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import false
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.policy.markings import marking_allows, marking_scope
from vigil.platform.policy.preparedness_rules import SITE_ROLES
from vigil.platform.roles import Role

REVIEWER_ROLES = frozenset({Role.SUPERVISOR, Role.AGENCY_ADMIN})


@dataclass(frozen=True)
class AssessmentFacts:
    """What the rule needs to know about one assessment."""

    owner_agency_id: int
    marking: str
    status: str
    # Who started it or recorded an answer: they may not sign it off.
    assessor_ids: frozenset[int] = field(default_factory=frozenset)


def _staff(actor: Actor) -> bool:
    return actor.is_user and bool(actor.roles & SITE_ROLES)


def assessment_rule(actor: Actor, action: str, facts: Any) -> bool:
    if not _staff(actor):
        return False
    if action in ("list", "create"):
        return True
    if not isinstance(facts, AssessmentFacts):
        return False
    if not marking_allows(actor, owner_agency_id=facts.owner_agency_id, marking=facts.marking):
        return False
    if action == "read":
        return True
    own = actor.agency_id == facts.owner_agency_id
    if action == "answer":
        return own and facts.status == "in_progress"
    if action == "submit":
        return own and facts.status == "in_progress"
    if action == "review":
        return (
            own
            and facts.status == "submitted"
            and bool(actor.roles & REVIEWER_ROLES)
            and actor.user_id not in facts.assessor_ids
        )
    if action == "act_on_findings":
        return own and facts.status == "signed_off"
    return False


def assessment_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    from vigil.preparedness.assessment_models import SiteAssessment

    if not _staff(actor):
        return false()
    return marking_scope(
        actor,
        owner_agency_column=SiteAssessment.owner_agency_id.expression,
        marking_column=SiteAssessment.marking.expression,
        shared_with_actor_agency=false(),
        actor_is_named=false(),
    )


def install() -> None:
    policy.register("site_assessment", rule=assessment_rule, scope_rule=assessment_scope)

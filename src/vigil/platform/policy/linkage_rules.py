"""Policy rules for linkage: persons, the review queue, pointers and access requests.

A person is only as visible as the reports about them: the service shows a person to
a reader who may read at least one report that mentions them, and of that person
only what those reports say. A report the reader may not read appears as a
*pointer* (holding agency, date, kind; nothing of its content) when its marking
lets its existence be known beyond its holders — TLP:CLEAR, GREEN or AMBER — and it
does not describe only protected activity. TLP:AMBER+STRICT stays inside its
agency and TLP:RED with its named recipients, so they leave no pointer.

Reviewing a possible match needs both reports readable; merging and splitting
persons is a supervisor's decision. The holding agency's analysts and supervisors
(those who may share its reports) decide access requests.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.policy.markings import Tlp
from vigil.platform.policy.report_rules import READER_ROLES, can_see, report_scope
from vigil.platform.roles import Role

REVIEWER_ROLES = frozenset({Role.ANALYST, Role.SUPERVISOR})
SUPERVISOR_ROLES = frozenset({Role.SUPERVISOR})
DECIDER_ROLES = frozenset({Role.ANALYST, Role.SUPERVISOR})  # as for sharing a report
POINTER_MARKINGS = (Tlp.CLEAR.value, Tlp.GREEN.value, Tlp.AMBER.value)


def _reader(actor: Actor) -> bool:
    return actor.is_user and bool(actor.roles & READER_ROLES)


def pointer_allowed(actor: Actor, report: Any) -> bool:
    """May ``actor`` learn that ``report`` exists (without reading it)?"""
    if not _reader(actor) or report.purged_at is not None:
        return False
    if can_see(actor, report):
        return False  # a reader gets the report itself, not a pointer
    return report.marking in POINTER_MARKINGS and not report.protected_activity_only


def person_rule(actor: Actor, action: str, reports: Any) -> bool:
    """ "read" is the role test; "view" also needs a readable report among ``reports``
    (the reports that mention the person)."""
    if action == "read":
        return _reader(actor)
    if action == "view":
        return _reader(actor) and any(can_see(actor, report) for report in reports or ())
    if action in ("merge", "split"):
        return actor.is_user and bool(actor.roles & SUPERVISOR_ROLES)
    return False


def match_rule(actor: Actor, action: str, reports: Any) -> bool:
    """``reports`` is the pair of reports behind a candidate (for "decide")."""
    if not actor.is_user or not actor.roles & REVIEWER_ROLES:
        return False
    if action == "list":
        return True
    if action == "decide":
        return reports is not None and all(can_see(actor, report) for report in reports)
    return False


def match_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    """Candidates whose two reports the actor may both read."""
    from vigil.linkage.models import MatchCandidate
    from vigil.reports.models import Mention, Report

    if not actor.is_user or not actor.roles & REVIEWER_ROLES:
        return false()
    readable = (
        select(Mention.id)
        .join(Report, Report.id == Mention.report_id)
        .where(report_scope(actor, "read"))
    )
    return and_(
        MatchCandidate.mention_a_id.in_(readable), MatchCandidate.mention_b_id.in_(readable)
    )


def pointer_rule(actor: Actor, action: str, report: Any) -> bool:
    if action == "see":
        return report is not None and pointer_allowed(actor, report)
    return False


def access_request_rule(actor: Actor, action: str, obj: Any) -> bool:
    """``obj`` is the report for "create", the request (with ``.report``) for "decide"."""
    if action == "create":
        return obj is not None and pointer_allowed(actor, obj)
    if action == "list":
        return _reader(actor)
    if action == "read":  # as access_request_scope: one's own, or addressed to one's agency
        if not _reader(actor) or obj is None:
            return False
        return obj.requester_user_id == actor.user_id or (
            bool(actor.roles & DECIDER_ROLES) and obj.holding_agency_id == actor.agency_id
        )
    if action == "decide":
        report = getattr(obj, "report", None)
        return (
            actor.is_user
            and report is not None
            and actor.agency_id == report.owner_agency_id
            and bool(actor.roles & DECIDER_ROLES)
        )
    return False


def access_request_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    """Requests an actor may list: their own, and, for those who decide them, the
    ones addressed to their agency."""
    from vigil.linkage.models import AccessRequest

    if not _reader(actor):
        return false()
    own = AccessRequest.requester_user_id == actor.user_id
    if actor.roles & DECIDER_ROLES:
        return or_(own, AccessRequest.holding_agency_id == actor.agency_id)
    return own


def link_run_rule(actor: Actor, action: str, run: Any) -> bool:
    if action == "run":
        return actor.kind == "cli"
    if action == "read":
        return actor.kind == "cli" or (actor.is_user and bool(actor.roles & REVIEWER_ROLES))
    return False


def link_run_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    return true() if link_run_rule(actor, "read", None) else false()


def install() -> None:
    policy.register("person", rule=person_rule)
    policy.register("match_candidate", rule=match_rule, scope_rule=match_scope)
    policy.register("report_pointer", rule=pointer_rule)
    policy.register("access_request", rule=access_request_rule, scope_rule=access_request_scope)
    policy.register("link_run", rule=link_run_rule, scope_rule=link_run_scope)

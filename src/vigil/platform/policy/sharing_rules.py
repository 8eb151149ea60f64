"""Policy rules for sharing: exporting and importing STIX, sharing groups and their
TAXII collections, and the dissemination log.

Exporting a report disseminates it, so it needs more than reading it: an analyst or
supervisor exports what their own agency owns (any marking the recipients may hold:
TLP:RED only if they are a named recipient), and another agency's report only when its
marking is community-wide (TLP:CLEAR or GREEN, never criminal intelligence). Analysts
and supervisors import partners' bundles into their own agency.

A sharing group belongs to one agency: its administrators and supervisors manage the
group and its members; its analysts and supervisors share reports with it. Members
(the staff of member agencies) read the group's TAXII collection and see who else is
in the group, unless the group hides its members (a bilateral arrangement), when only
the owning agency sees them.

Federation: an agency's analysts and supervisors subscribe it to a partner's TAXII
collection and pull it; what arrives is imported as they would import it.

Deconfliction: analysts and supervisors ask partner instances whether they hold
records on a person; a partner's account (an analyst's API token) has its queries
answered with the agencies holding live reports whose marking lets their existence be
known (TLP:CLEAR, GREEN, AMBER; not protected activity only), as linkage pointers.

A purge or correction of a report is told to everyone who received it by the
scheduler's retention run or by the owning agency's staff who made the change.

A dissemination record is seen in full by the agency that disseminated (its readers
and auditors); a recipient agency sees only the records addressed to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.policy.markings import Tlp
from vigil.platform.roles import Role

SHARER_ROLES = frozenset({Role.ANALYST, Role.SUPERVISOR})
GROUP_MANAGER_ROLES = frozenset({Role.AGENCY_ADMIN, Role.SUPERVISOR})
READER_ROLES = frozenset(
    {Role.ANALYST, Role.SUPERVISOR, Role.TIPLINE_OPERATOR, Role.THREAT_ASSESSMENT}
)
LOG_ROLES = READER_ROLES | {Role.AUDITOR, Role.AGENCY_ADMIN}
COMMUNITY = (Tlp.CLEAR.value, Tlp.GREEN.value)
POINTER_MARKINGS = (Tlp.CLEAR.value, Tlp.GREEN.value, Tlp.AMBER.value)


@dataclass(frozen=True)
class GroupFacts:
    """What the rule needs to know about one sharing group."""

    owner_agency_id: int
    member_agency_ids: frozenset[int]
    hide_members: bool


def _sharer(actor: Actor) -> bool:
    return actor.is_user and bool(actor.roles & SHARER_ROLES)


def report_export_rule(actor: Actor, action: str, report: Any) -> bool:
    """``report`` is a Report the caller loaded; reading it is checked here too."""
    if action != "export" or not _sharer(actor) or report is None:
        return False
    if not policy.decide(actor, "read", "report", report):
        return False
    if actor.agency_id == report.owner_agency_id:
        return True
    return report.marking in COMMUNITY and report.file_class != "intelligence"


def stix_import_rule(actor: Actor, action: str, report: Any) -> bool:
    """Importing; "update" applies a partner's correction to the agency's own copy;
    "read_status" reads the TAXII status of an import the agency sent."""
    if action == "update":
        return _sharer(actor) and actor.agency_id == getattr(report, "owner_agency_id", None)
    if action == "read_status":  # a TAXII add-objects status: ``report`` is the status row
        return _sharer(actor) and actor.agency_id == getattr(report, "agency_id", None)
    return action == "import" and _sharer(actor)


def group_rule(actor: Actor, action: str, facts: Any) -> bool:
    if not actor.is_user:
        return False
    if action == "list":
        return bool(actor.roles & (LOG_ROLES | GROUP_MANAGER_ROLES))
    if action == "create":
        return bool(actor.roles & GROUP_MANAGER_ROLES)
    if not isinstance(facts, GroupFacts):
        return False
    owner = actor.agency_id == facts.owner_agency_id
    member = actor.agency_id in facts.member_agency_ids
    if action == "read":
        return (owner and bool(actor.roles & (LOG_ROLES | GROUP_MANAGER_ROLES))) or (
            member and bool(actor.roles & READER_ROLES)
        )
    if action == "read_members":
        return group_rule(actor, "read", facts) and (owner or not facts.hide_members)
    if action == "manage":
        return owner and bool(actor.roles & GROUP_MANAGER_ROLES)
    if action == "share":
        return owner and _sharer(actor)
    if action == "read_collection":
        return (owner or member) and bool(actor.roles & READER_ROLES)
    if action == "write_collection":  # TAXII add-objects: imported into the actor's agency
        return (owner or member) and _sharer(actor)
    return False


def group_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    from vigil.sharing.models import SharingGroup, SharingGroupMember

    if not actor.is_user:
        return false()
    member_of = select(SharingGroupMember.group_id).where(
        SharingGroupMember.agency_id == actor.agency_id
    )
    clauses = []
    if actor.roles & (LOG_ROLES | GROUP_MANAGER_ROLES):
        clauses.append(SharingGroup.owner_agency_id == actor.agency_id)
    if actor.roles & READER_ROLES:
        clauses.append(SharingGroup.id.in_(member_of))
    return or_(*clauses) if clauses else false()


def dissemination_rule(actor: Actor, action: str, record: Any) -> bool:
    if action != "list" or not actor.is_user:
        return False
    return bool(actor.roles & LOG_ROLES)


def dissemination_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    from vigil.sharing.models import Dissemination

    if not actor.is_user or not actor.roles & LOG_ROLES:
        return false()
    return or_(
        Dissemination.by_agency_id == actor.agency_id,
        Dissemination.recipient_agency_id == actor.agency_id,
    )


def subscription_rule(actor: Actor, action: str, subscription: Any) -> bool:
    """An agency's analysts and supervisors subscribe it to partners' collections and
    pull them (what arrives is imported as they import)."""
    if not _sharer(actor):
        return False
    if action in ("create", "list"):
        return True
    if action in ("pull", "manage"):
        return getattr(subscription, "agency_id", None) == actor.agency_id
    return False


def deconfliction_rule(actor: Actor, action: str, _obj: Any) -> bool:
    """Analysts and supervisors ask partner instances; a partner's account (an
    analyst's API token on this instance) has queries answered."""
    return action in ("query", "answer") and _sharer(actor)


def deconfliction_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    """Reports a deconfliction answer may point at: live, and marked so that their
    existence may be known beyond their holders (as a linkage pointer)."""
    from vigil.reports.models import Report

    if action != "answer" or not _sharer(actor):
        return false()
    return and_(
        Report.purged_at.is_(None),
        Report.marking.in_(POINTER_MARKINGS),
        Report.protected_activity_only.is_(False),
    )


def record_change_rule(actor: Actor, action: str, report: Any) -> bool:
    """Telling a report's recipients of its purge or correction goes with the change:
    the scheduler's retention run, or staff of the agency that owns the report (whose
    purge or correction the report's own rules allowed)."""
    if action != "propagate" or report is None:
        return False
    if actor.kind == "cli":
        return True
    return actor.is_user and actor.agency_id == getattr(report, "owner_agency_id", None)


def withdrawn_copy_rule(actor: Actor, action: str, report: Any) -> bool:
    """A copy of a partner's report that the partner withdrew is purged by those who
    import into the holding agency (a federation pull, as its subscriber)."""
    if action != "purge" or report is None:
        return False
    return _sharer(actor) and actor.agency_id == getattr(report, "owner_agency_id", None)


def install() -> None:
    policy.register("report_export", rule=report_export_rule)
    policy.register("stix_import", rule=stix_import_rule)
    policy.register("sharing_group", rule=group_rule, scope_rule=group_scope)
    policy.register("dissemination", rule=dissemination_rule, scope_rule=dissemination_scope)
    policy.register("subscription", rule=subscription_rule)
    policy.register("deconfliction", rule=deconfliction_rule, scope_rule=deconfliction_scope)
    policy.register("record_change", rule=record_change_rule)
    policy.register("withdrawn_copy", rule=withdrawn_copy_rule)

"""Policy rules for reports: who may read, file, route, vet, promote and share them.

A report is visible to a reader-role user of its owning agency or of the agency it
is routed to, to agencies it is explicitly shared with (TLP:AMBER), to everyone in
the community (TLP:GREEN and CLEAR), and under TLP:RED only to named recipients.
Criminal intelligence (28 CFR Part 23) is never community-wide: whatever its
marking says, it reaches only its owner, its routed agency and explicit shares.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.policy.markings import Tlp
from vigil.platform.roles import Role
from vigil.reports.models import Report, ReportRecipient, ReportShare

READER_ROLES = frozenset(
    {Role.ANALYST, Role.SUPERVISOR, Role.TIPLINE_OPERATOR, Role.THREAT_ASSESSMENT}
)
FILER_ROLES = READER_ROLES
HANDLER_ROLES = frozenset({Role.ANALYST, Role.SUPERVISOR, Role.TIPLINE_OPERATOR})
# Actions on a visible report and the roles and agency relation they need.
RESPONSIBLE_ACTIONS = {
    "update": HANDLER_ROLES,
    "route": HANDLER_ROLES,
    "acknowledge": READER_ROLES,
    "dispose": READER_ROLES,
    "message_tipster": HANDLER_ROLES,
    "override_level": frozenset({Role.ANALYST, Role.SUPERVISOR}),
}
OWNER_ACTIONS = {
    "promote_sar": frozenset({Role.SUPERVISOR}),
    "promote_intelligence": frozenset({Role.SUPERVISOR}),
    "retention_review": frozenset({Role.SUPERVISOR}),
    "share": frozenset({Role.ANALYST, Role.SUPERVISOR}),
}
COMMUNITY_MARKINGS = (Tlp.CLEAR.value, Tlp.GREEN.value)


def _reader(actor: Actor) -> bool:
    return actor.is_user and bool(actor.roles & READER_ROLES)


def can_see(actor: Actor, report: Any) -> bool:
    """The marking and agency test alone (roles are checked by the caller)."""
    marking = report.marking
    if marking == Tlp.RED.value:
        return actor.user_id in report.named_user_ids
    if actor.agency_id in (report.owner_agency_id, report.routed_agency_id):
        return True
    if marking in COMMUNITY_MARKINGS and report.file_class != "intelligence":
        return True
    if marking in (Tlp.AMBER.value, *COMMUNITY_MARKINGS):
        return actor.agency_id in report.shared_agency_ids
    return False


def report_rule(actor: Actor, action: str, report: Any) -> bool:
    if actor.kind == "cli":
        return action in ("retention_run", "import")
    if not _reader(actor):
        return False
    if action in ("create", "list", "search", "import"):
        return bool(actor.roles & FILER_ROLES)
    if report is None or not can_see(actor, report):
        return False
    if action in ("read", "read_attachment"):
        return True
    responsible = actor.agency_id in (report.owner_agency_id, report.routed_agency_id)
    if action in RESPONSIBLE_ACTIONS:
        return responsible and bool(actor.roles & RESPONSIBLE_ACTIONS[action])
    if action in OWNER_ACTIONS:
        return actor.agency_id == report.owner_agency_id and bool(
            actor.roles & OWNER_ACTIONS[action]
        )
    return False


def report_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    if not _reader(actor):
        return false()
    agency = actor.agency_id
    named = exists(
        select(ReportRecipient.report_id).where(
            ReportRecipient.report_id == Report.id, ReportRecipient.user_id == actor.user_id
        )
    )
    shared = exists(
        select(ReportShare.report_id).where(
            ReportShare.report_id == Report.id, ReportShare.agency_id == agency
        )
    )
    responsible = or_(Report.owner_agency_id == agency, Report.routed_agency_id == agency)
    not_red = Report.marking != Tlp.RED.value
    return or_(
        and_(Report.marking == Tlp.RED.value, named),
        and_(not_red, responsible),
        and_(Report.marking.in_(COMMUNITY_MARKINGS), Report.file_class != "intelligence"),
        and_(Report.marking.in_((Tlp.AMBER.value, *COMMUNITY_MARKINGS)), shared),
    )


def install() -> None:
    policy.register("report", rule=report_rule, scope_rule=report_scope)

"""A reference model of who may read what, written from the rules as the README and
DESIGN.md state them, without importing or reading vigil.platform.policy. The tests
in this package compare every read path of the running app with it.

Reports ("Sharing and markings" in the README): a report is visible to a reader of its
owning agency and of the agency it is routed to; TLP:AMBER also to agencies it is
explicitly shared with; TLP:AMBER+STRICT stays with the owning and routed agencies
(shares do not extend it); TLP:RED only to named recipients; TLP:GREEN and CLEAR
community-wide, except criminal intelligence, which is always need-to-know (its owner,
its routed agency and explicit shares). Readers are the roles that work reports:
analysts, supervisors, tip-line operators and threat-assessment team members; agency
and system administrators and auditors administer or audit, they do not read reports.
"""

from __future__ import annotations

from dataclasses import dataclass

REPORT_READING_ROLES = frozenset({"analyst", "supervisor", "tipline_operator", "threat_assessment"})
COMMUNITY = frozenset({"CLEAR", "GREEN"})


@dataclass(frozen=True)
class ModelUser:
    key: int
    agency: int
    roles: frozenset[str]


@dataclass(frozen=True)
class ModelReport:
    key: int
    owner: int
    routed: int
    marking: str
    file_class: str
    shared_with: frozenset[int]
    recipients: frozenset[int]  # user keys


def reads_report(user: ModelUser, report: ModelReport) -> bool:
    if not user.roles & REPORT_READING_ROLES:
        return False
    if report.marking == "RED":
        return user.key in report.recipients
    responsible = user.agency in (report.owner, report.routed)
    if report.marking == "AMBER+STRICT":
        return responsible
    if report.file_class == "intelligence":
        # Need-to-know whatever the marking: owner, routed agency, explicit shares.
        return responsible or user.agency in report.shared_with
    if report.marking in COMMUNITY:
        return True
    # AMBER
    return responsible or user.agency in report.shared_with


# Threat-assessment cases ("Need-to-know" in the README's threat-assessment section): a
# case is seen by its team, by the owning agency's supervisors and by the case workers of
# an agency it was shared with (until the share is revoked); nobody else learns it
# exists. Case workers are threat-assessment staff, supervisors and analysts (who sit
# on teams); a removed team member is no longer on the team.
CASE_WORKING_ROLES = frozenset({"threat_assessment", "supervisor", "analyst"})
ACTIVE_CASE_STATUSES = frozenset({"open", "assessing", "managing", "monitoring"})


@dataclass(frozen=True)
class ModelCase:
    key: int
    owner: int
    status: str
    team: frozenset[int]  # user keys still on the team
    removed: frozenset[int]  # user keys taken off the team
    shared_with: frozenset[int]  # agencies with a live share
    revoked: frozenset[int]  # agencies whose share was revoked


def reads_case(user: ModelUser, case: ModelCase) -> bool:
    if not user.roles & CASE_WORKING_ROLES:
        return False
    if user.key in case.team:
        return True
    if "supervisor" in user.roles and user.agency == case.owner:
        return True
    return user.agency in case.shared_with


# Persons ("A person is only as visible as the reports about them" in the README's
# linkage section): the person page lists the reports about the person the viewer may
# read; each other report appears only as a pointer if its marking lets its existence
# be known (CLEAR, GREEN or AMBER) and it does not describe only protected activity.
# A viewer who may read none of the reports about a person does not learn the person.
POINTER_MARKINGS = frozenset({"CLEAR", "GREEN", "AMBER"})


def person_view(
    user: ModelUser, reports: list[ModelReport], protected_only: frozenset[int]
) -> tuple[frozenset[int], frozenset[int]] | None:
    """(readable report keys, pointer report keys), or None when the person stays hidden."""
    readable = frozenset(r.key for r in reports if reads_report(user, r))
    if not readable:
        return None
    pointers = frozenset(
        r.key
        for r in reports
        if r.key not in readable and r.marking in POINTER_MARKINGS and r.key not in protected_only
    )
    return readable, pointers


# The audit trail (README, "Running Vigil for real"): only auditors read it; the
# operator agency's auditors read the whole trail, other agencies' auditors their own
# agency's events.
def reads_audit_event(user: ModelUser, user_is_operator: bool, event_agency: int) -> bool:
    if "auditor" not in user.roles:
        return False
    return user_is_operator or event_agency == user.agency


# STIX export (README, "Information sharing"): an analyst or supervisor downloads a
# bundle, and only reports the user may export leave: their own agency's, or another
# agency's marked TLP:CLEAR or GREEN (never criminal intelligence). An export is a read
# that leaves the instance, so nothing the user may not read is exported.
EXPORTING_ROLES = frozenset({"analyst", "supervisor"})


def exports_report(user: ModelUser, report: ModelReport) -> bool:
    if not user.roles & EXPORTING_ROLES or not reads_report(user, report):
        return False
    if user.agency == report.owner:
        return True
    return report.marking in COMMUNITY and report.file_class != "intelligence"


# TAXII 2.1 (README, "Information sharing"): one read-only collection per sharing group,
# for the staff (the roles that read reports) of its owning and member agencies. It
# serves the reports shared with the group; a report re-marked TLP:RED or AMBER+STRICT,
# or whose share was revoked, is no longer served.
UNSERVED_MARKINGS = frozenset({"RED", "AMBER+STRICT"})


@dataclass(frozen=True)
class ModelGroup:
    key: int
    owner: int
    members: frozenset[int]  # agencies
    shared: frozenset[int]  # report keys with a live share
    revoked: frozenset[int]  # report keys whose share was revoked


def reads_collection(user: ModelUser, group: ModelGroup) -> bool:
    if not user.roles & REPORT_READING_ROLES:
        return False
    return user.agency == group.owner or user.agency in group.members


def collection_serves(group: ModelGroup, report: ModelReport) -> bool:
    return report.key in group.shared and report.marking not in UNSERVED_MARKINGS


# Intelligence bulletins (README, "Information sharing"): a draft is seen by its
# agency's analysts and supervisors only. Published, it reaches the analysts,
# supervisors, tip-line operators and threat-assessment members of the listed
# agencies, of the listed sharing groups' member agencies and of the author's agency;
# TLP:AMBER+STRICT stays inside the author's agency; TLP:RED goes only to the users
# named on it (and its author, who wrote it), draft or published, and only to those of
# them who hold a role that reads intelligence. Anyone who may read the published
# bulletin may export it; a draft never leaves. Publishing notifies every recipient in
# Vigil but the one who published (they did it).
BULLETIN_WRITING_ROLES = frozenset({"analyst", "supervisor"})


@dataclass(frozen=True)
class ModelBulletin:
    key: int
    owner: int
    author: int  # user key; the author also publishes
    marking: str
    published: bool
    agencies: frozenset[int]  # listed agencies
    groups: frozenset[int]  # listed group keys (groups of the owning agency)
    named: frozenset[int]  # user keys named on a RED bulletin


def bulletin_agencies(bulletin: ModelBulletin, groups: list[ModelGroup]) -> frozenset[int]:
    """The agencies a published bulletin reaches (not for TLP:RED)."""
    if bulletin.marking == "AMBER+STRICT":
        return frozenset({bulletin.owner})
    reached = {bulletin.owner, *bulletin.agencies}
    for group in groups:
        if group.key in bulletin.groups:
            reached |= group.members
    return frozenset(reached)


def reads_bulletin(user: ModelUser, bulletin: ModelBulletin, groups: list[ModelGroup]) -> bool:
    named = user.key in bulletin.named or user.key == bulletin.author
    if not bulletin.published:
        if bulletin.marking == "RED" and not named:
            return False
        return user.agency == bulletin.owner and bool(user.roles & BULLETIN_WRITING_ROLES)
    if not user.roles & REPORT_READING_ROLES:
        return False
    if bulletin.marking == "RED":
        return named
    return user.agency in bulletin_agencies(bulletin, groups)


def exports_bulletin(user: ModelUser, bulletin: ModelBulletin, groups: list[ModelGroup]) -> bool:
    return bulletin.published and reads_bulletin(user, bulletin, groups)


def notified_of_bulletin(
    user: ModelUser, bulletin: ModelBulletin, groups: list[ModelGroup]
) -> bool:
    return (
        bulletin.published
        and user.key != bulletin.author
        and reads_bulletin(user, bulletin, groups)
    )


# Notifications about reports (README, "Report intake": a report not acknowledged by
# its deadline notifies the supervisors of the agency it is routed to). A notification
# names a report by its receipt number and links to it, so it is a read of the report's
# existence: it goes only to those who may read the report (DESIGN.md: every
# notification asks the one policy module), as a TLP:RED report leaves no pointer.
def notified_of_escalation(user: ModelUser, report: ModelReport, overdue: bool) -> bool:
    return (
        overdue
        and "supervisor" in user.roles
        and user.agency == report.routed
        and reads_report(user, report)
    )


# The command line (README, "The command line"): commands run by the operator at the
# server's shell, audited as the operating-system user. `vigil audit export` writes the
# trail; the operator holds the server, its database and the checkpoint key, so the
# whole trail is theirs to read: no event is left out, whatever its agency.
def operator_exports_audit_event(event_agency: int) -> bool:
    return event_agency >= 0


# Case summaries (README, threat assessment): the printable summary holds only what the
# reader may see: linked reports they may not read are counted, not shown; a reader
# who may not read the case gets nothing.
def case_summary(
    user: ModelUser, case: ModelCase, linked: list[ModelReport]
) -> tuple[frozenset[int], int] | None:
    """(report keys shown, how many more are counted), or None when the case is hidden."""
    if not reads_case(user, case):
        return None
    shown = frozenset(r.key for r in linked if reads_report(user, r))
    return shown, len(linked) - len(shown)

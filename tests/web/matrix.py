"""The authorization matrix: what every role gets from every protected route, at a
target of its own agency and of another.

The table is the specification, written by hand from what each role is for, not
derived from the policy code. "ok" is a 2xx/3xx answer; 403 and 404 are refusals
(404 where even the existence of the target is not the actor's business).
"""

from __future__ import annotations

from tests.web.catalog import OTHER, OWN, SELF, RouteCase
from tests.web.catalog_alerts import ALERTS_MATRIX
from tests.web.catalog_analytics import ANALYTICS_MATRIX
from tests.web.catalog_ics import ICS_MATRIX
from tests.web.catalog_improvement import IMPROVEMENT_MATRIX
from tests.web.catalog_preparedness import PREPAREDNESS_MATRIX
from tests.web.catalog_recovery import RECOVERY_MATRIX, STAFF_ONLY
from tests.web.catalog_response import RESPONSE_MATRIX
from tests.web.catalog_sharing import SHARING_MATRIX
from tests.web.catalog_site_assessments import SITE_ASSESSMENT_MATRIX
from tests.web.conftest import ROLES
from vigil.platform.roles import Role

# Columns, in the order of ROLES.
HEADER = "an  su  tl  ta  aa  sa  au"
assert [c for c in HEADER.split()] == ["an", "su", "tl", "ta", "aa", "sa", "au"]

EVERYONE = "ok  ok  ok  ok  ok  ok  ok"
SYSADMIN_ONLY = "403 403 403 403 403 ok  403"
ADMINS_ONLY = "403 403 403 403 ok  ok  403"
AUDITOR_ONLY = "403 403 403 403 403 403 ok "
# Administering another user: own agency for its admin and for the system admin, other
# agencies for the system admin only; nobody administers their own account.
ADMINISTER = {
    SELF: "403 403 403 403 403 403 403",
    OWN: "404 404 404 404 ok  ok  404",
    OTHER: "404 404 404 404 404 ok  404",
}
# Reading a user: everyone may read themselves.
READ_USER = {
    SELF: EVERYONE,
    OWN: "404 404 404 404 ok  ok  404",
    OTHER: "404 404 404 404 404 ok  404",
}
# Granting one's own role: as ADMINISTER, but system_admin is for the operator agency only.
GRANT_OWN_ROLE = {
    SELF: "403 403 403 403 403 403 403",
    OWN: "404 404 404 404 ok  ok  404",
    OTHER: "404 404 404 404 404 403 404",
}
# Reports are for the roles that work on them (readers: an su tl ta); administrators
# and auditors do not see them at all. A TLP:AMBER report of another agency, not
# shared with the actor's, is hidden from everyone. On a visible report, what each
# role may do is a 403 when it may not.
READERS_ONLY = "ok  ok  ok  ok  403 403 403"
HIDDEN = "404 " * 7


def _on_own_report(line: str) -> dict[str, str]:
    return {OWN: line, OTHER: HIDDEN}


READ_REPORT = _on_own_report("ok  ok  ok  ok  404 404 404")
HANDLE_REPORT = _on_own_report("ok  ok  ok  403 404 404 404")  # route, ask the tipster
CHANGE_LEVEL = _on_own_report("ok  ok  403 403 404 404 404")
SHARE_REPORT = _on_own_report("ok  ok  403 403 404 404 404")
# Vetting as a SAR, keeping as criminal intelligence, deciding a retention review.
SUPERVISE_REPORT = _on_own_report("403 ok  403 403 404 404 404")
# Something that belongs to one user (a notification): theirs alone.
ONE_OWN = {SELF: EVERYONE, OWN: HIDDEN, OTHER: HIDDEN}
# Creating a user in the actor's own agency or in another one.
CREATE_USER = {OWN: ADMINS_ONLY, OTHER: SYSADMIN_ONLY}
# One's own API tokens only; other people's tokens are not even there.
OWN_TOKEN = {SELF: EVERYONE, OWN: "404 " * 7, OTHER: "404 " * 7}
ANY_AGENCY = {OWN: EVERYONE, OTHER: EVERYONE}
CHANGE_AGENCY = {OWN: SYSADMIN_ONLY, OTHER: SYSADMIN_ONLY}

# Linkage. A person: readers of a report about them; other roles are refused outright.
READ_PERSON = {OWN: "ok  ok  ok  ok  403 403 403", OTHER: "404 404 404 404 403 403 403"}
SUPERVISE_PERSON = {OWN: "403 ok  403 403 403 403 403", OTHER: "403 404 403 403 403 403 403"}
REVIEWERS = "ok  ok  403 403 403 403 403"
REVIEW_PAIR = {OWN: REVIEWERS, OTHER: "404 404 403 403 403 403 403"}
# A pointer (another agency's unshared TLP:AMBER report) may be asked about; one's own
# report is read, not requested.
REQUEST_ACCESS = {OWN: HIDDEN, OTHER: "ok  ok  ok  ok  404 404 404"}
# The holding agency's analysts and supervisors decide; nobody else even sees it.
DECIDE_ACCESS = {OWN: "ok  ok  404 404 404 404 404", OTHER: HIDDEN}

# Threat assessment. Case work is for analysts, supervisors and threat-assessment staff;
# the others are refused outright (403) or, for a case, never learn it exists (404). Own
# case: the threat-assessment member leads it, the analyst is on its team, the supervisor
# is the owning agency's. Other case: another agency's, shared with the actor's agency,
# so its case workers read it and may do nothing else.
CASE_WORKERS = "ok  ok  403 ok  403 403 403"
OPENERS = "403 ok  403 ok  403 403 403"
READ_CASE = {OWN: "ok  ok  404 ok  404 404 404", OTHER: "ok  ok  404 ok  404 404 404"}
WORK_CASE = {OWN: "ok  ok  404 ok  404 404 404", OTHER: "403 403 404 403 404 404 404"}
DECIDE_RISK = {OWN: "403 ok  404 ok  404 404 404", OTHER: "403 403 404 403 404 404 404"}
MANAGE_CASE = DECIDE_RISK  # the lead and the owning agency's supervisor
OPEN_CASE = {OWN: OPENERS, OTHER: "403 404 403 404 403 403 403"}

ASSESSMENT_MATRIX: dict[str, str | dict[str, str]] = {
    "GET /cases": CASE_WORKERS,
    "GET /assessment/dashboard": CASE_WORKERS,
    "GET /cases/new": OPENERS,
    "POST /cases": OPEN_CASE,
    "GET /cases/{case_id}": READ_CASE,
    "POST /cases/{case_id}/status": WORK_CASE,
    "POST /cases/{case_id}/settings": MANAGE_CASE,
    "POST /cases/{case_id}/members": MANAGE_CASE,
    "POST /cases/{case_id}/members/{member_id}/remove": MANAGE_CASE,
    "POST /cases/{case_id}/subjects": WORK_CASE,
    "POST /cases/{case_id}/risk": DECIDE_RISK,
    "POST /cases/{case_id}/interventions": WORK_CASE,
    "POST /cases/{case_id}/interventions/{intervention_id}": WORK_CASE,
    "POST /cases/{case_id}/reviews": WORK_CASE,
    "POST /cases/{case_id}/shares": MANAGE_CASE,
    "POST /cases/{case_id}/shares/{share_id}/revoke": MANAGE_CASE,
    "POST /cases/{case_id}/assessments": WORK_CASE,
    "GET /cases/{case_id}/assessments/{assessment_id}": READ_CASE,
    "POST /cases/{case_id}/assessments/{assessment_id}": WORK_CASE,
    "GET /cases/{case_id}/summary": READ_CASE,
    "GET /cases/{case_id}/summary.pdf": READ_CASE,
    "GET /assessment/instruments": CASE_WORKERS,
    "POST /assessment/instruments": OPENERS,
    "GET /assessment/instruments/{instrument_id}": CASE_WORKERS,
    "GET /api/v1/cases": CASE_WORKERS,
    "POST /api/v1/cases": OPEN_CASE,
    "GET /api/v1/cases/{case_id}": READ_CASE,
    "POST /api/v1/cases/{case_id}/status": WORK_CASE,
    "POST /api/v1/cases/{case_id}/members": MANAGE_CASE,
    "DELETE /api/v1/cases/{case_id}/members/{member_id}": MANAGE_CASE,
    "POST /api/v1/cases/{case_id}/assessments": WORK_CASE,
    "PATCH /api/v1/cases/{case_id}/assessments/{assessment_id}": WORK_CASE,
    "POST /api/v1/cases/{case_id}/risk": DECIDE_RISK,
    "POST /api/v1/cases/{case_id}/interventions": WORK_CASE,
    "PATCH /api/v1/cases/{case_id}/interventions/{intervention_id}": WORK_CASE,
    "POST /api/v1/cases/{case_id}/reviews": WORK_CASE,
    "POST /api/v1/cases/{case_id}/shares": MANAGE_CASE,
    "DELETE /api/v1/cases/{case_id}/shares/{share_id}": MANAGE_CASE,
    "GET /api/v1/assessment/dashboard": CASE_WORKERS,
    "GET /api/v1/instruments": CASE_WORKERS,
    "POST /api/v1/instruments": OPENERS,
}

MATRIX: dict[str, str | dict[str, str]] = {
    **ASSESSMENT_MATRIX,
    **RECOVERY_MATRIX,
    **RESPONSE_MATRIX,
    **ICS_MATRIX,
    **PREPAREDNESS_MATRIX,
    **SITE_ASSESSMENT_MATRIX,
    **IMPROVEMENT_MATRIX,
    **SHARING_MATRIX,
    **ANALYTICS_MATRIX,
    **ALERTS_MATRIX,
    "GET /persons/{person_id}": READ_PERSON,
    "POST /persons/{person_id}/merge": SUPERVISE_PERSON,
    "POST /persons/{person_id}/split": SUPERVISE_PERSON,
    "POST /reports/{report_id}/access-requests": REQUEST_ACCESS,
    "GET /linkage/review": REVIEWERS,
    "GET /linkage/review/{candidate_id}": REVIEW_PAIR,
    "POST /linkage/review/{candidate_id}": REVIEW_PAIR,
    "GET /linkage/access-requests": READERS_ONLY,
    "GET /linkage/access-requests/{request_id}": DECIDE_ACCESS,
    "POST /linkage/access-requests/{request_id}": DECIDE_ACCESS,
    "GET /linkage/runs": REVIEWERS,
    "GET /api/v1/persons/{person_id}": READ_PERSON,
    "GET /api/v1/linkage/review": REVIEWERS,
    "POST /api/v1/linkage/review/{candidate_id}": REVIEW_PAIR,
    "POST /api/v1/reports/{report_id}/access-requests": REQUEST_ACCESS,
    "GET /api/v1/linkage/access-requests": READERS_ONLY,
    "POST /api/v1/linkage/access-requests/{request_id}": DECIDE_ACCESS,
    # pages
    "GET /": EVERYONE,
    "GET /account": EVERYONE,
    "POST /account/password": EVERYONE,
    "POST /account/tokens": EVERYONE,
    "POST /account/tokens/{token_id}/revoke": OWN_TOKEN,
    "GET /admin/users": ADMINS_ONLY,
    "GET /admin/users/new": ADMINS_ONLY,
    "POST /admin/users": CREATE_USER,
    "GET /admin/users/{user_id}": READ_USER,
    "POST /admin/users/{user_id}": ADMINISTER,
    "POST /admin/users/{user_id}/roles": GRANT_OWN_ROLE,
    "POST /admin/users/{user_id}/password": ADMINISTER,
    "POST /admin/users/{user_id}/disable": ADMINISTER,
    "POST /admin/users/{user_id}/enable": ADMINISTER,
    "POST /admin/users/{user_id}/unlock": ADMINISTER,
    "POST /admin/users/{user_id}/reset-mfa": ADMINISTER,
    "GET /admin/agencies": EVERYONE,
    "POST /admin/agencies": SYSADMIN_ONLY,
    "GET /admin/agencies/{agency_id}": ANY_AGENCY,
    "POST /admin/agencies/{agency_id}": CHANGE_AGENCY,
    "GET /audit": AUDITOR_ONLY,
    # JSON API
    "GET /api/v1/me": EVERYONE,
    "GET /api/v1/agencies": EVERYONE,
    "POST /api/v1/agencies": SYSADMIN_ONLY,
    "GET /api/v1/agencies/{agency_id}": ANY_AGENCY,
    "PUT /api/v1/agencies/{agency_id}": CHANGE_AGENCY,
    "GET /api/v1/users": ADMINS_ONLY,
    "POST /api/v1/users": CREATE_USER,
    "GET /api/v1/users/{user_id}": READ_USER,
    "PUT /api/v1/users/{user_id}": ADMINISTER,
    "PUT /api/v1/users/{user_id}/roles": GRANT_OWN_ROLE,
    "POST /api/v1/users/{user_id}/disable": ADMINISTER,
    "POST /api/v1/users/{user_id}/enable": ADMINISTER,
    "POST /api/v1/users/{user_id}/unlock": ADMINISTER,
    "POST /api/v1/users/{user_id}/reset-mfa": ADMINISTER,
    "GET /api/v1/tokens": EVERYONE,
    "POST /api/v1/tokens": EVERYONE,
    "DELETE /api/v1/tokens/{token_id}": OWN_TOKEN,
    "GET /api/v1/audit/events": AUDITOR_ONLY,
    # reports: pages and API alike
    "GET /reports": READERS_ONLY,
    "GET /reports/new": READERS_ONLY,
    "POST /reports": READERS_ONLY,
    "GET /reports/retention": READERS_ONLY,
    "GET /reports/import": READERS_ONLY,
    "POST /reports/import": READERS_ONLY,
    "GET /reports/{report_id}": READ_REPORT,
    "POST /reports/{report_id}/acknowledge": READ_REPORT,
    "POST /reports/{report_id}/dispose": READ_REPORT,
    "POST /reports/{report_id}/route": HANDLE_REPORT,
    "POST /reports/{report_id}/level": CHANGE_LEVEL,
    "POST /reports/{report_id}/share": SHARE_REPORT,
    "POST /reports/{report_id}/promote-sar": SUPERVISE_REPORT,
    "POST /reports/{report_id}/promote-intelligence": SUPERVISE_REPORT,
    "POST /reports/{report_id}/retention-review": SUPERVISE_REPORT,
    "POST /reports/{report_id}/messages": HANDLE_REPORT,
    "GET /reports/{report_id}/attachments/{attachment_id}": READ_REPORT,
    "POST /api/v1/reports": READERS_ONLY,
    "GET /api/v1/reports": READERS_ONLY,
    "GET /api/v1/reports/{report_id}": READ_REPORT,
    "POST /api/v1/reports/{report_id}/acknowledge": READ_REPORT,
    "POST /api/v1/reports/{report_id}/disposition": READ_REPORT,
    "POST /api/v1/reports/{report_id}/route": HANDLE_REPORT,
    "POST /api/v1/reports/{report_id}/level": CHANGE_LEVEL,
    "POST /api/v1/reports/{report_id}/shares": SHARE_REPORT,
    "POST /api/v1/reports/{report_id}/promote-sar": SUPERVISE_REPORT,
    "POST /api/v1/reports/{report_id}/promote-intelligence": SUPERVISE_REPORT,
    "POST /api/v1/reports/{report_id}/retention-review": SUPERVISE_REPORT,
    "GET /api/v1/retention/queue": READERS_ONLY,
    "GET /search": READERS_ONLY,
    "GET /api/v1/search": READERS_ONLY,
    # notifications and routing rules
    "GET /notifications": EVERYONE,
    "POST /notifications/{notification_id}/read": ONE_OWN,
    "GET /admin/routing": ADMINS_ONLY,
    "POST /admin/routing": {OWN: ADMINS_ONLY, OTHER: SYSADMIN_ONLY},
    "POST /admin/routing/{rule_id}/delete": {
        OWN: "404 404 404 404 ok  ok  404",
        OTHER: "404 404 404 404 404 ok  404",
    },
}


def expected(
    label: str,
    target: str,
    *,
    matrix: dict[str, str | dict[str, str]] = MATRIX,
    roles: tuple[Role, ...] = ROLES,
) -> dict[str, str]:
    """The expected answer of each role (its column of ``matrix``), by role value."""
    row = matrix[label]
    line = row if isinstance(row, str) else row[target]
    answers = line.split()
    assert len(answers) == len(roles), (label, target)
    return {role.value: answer for role, answer in zip(roles, answers, strict=True)}


def allowed(case: RouteCase) -> tuple[Role, str]:
    """A role and a target kind the matrix lets through ``case``: the system
    administrator when it may, else the first such role; own targets first."""
    if case.public:
        return Role.SYSTEM_ADMIN, case.targets[0]
    if case.label in STAFF_ONLY:
        # Victim-services routes refuse every role here (none works at a provider): the
        # input and CSRF tests meet the refusal; tests/recovery/test_web.py sends them as
        # the provider's staff.
        return ROLES[0], case.targets[0]
    kinds = sorted(case.targets, key=lambda kind: (kind != OWN, kind != SELF))
    for kind in kinds:
        answers = expected(case.label, kind)
        for role in (Role.SYSTEM_ADMIN, *ROLES):
            if answers[role.value] == "ok":
                return role, kind
    raise AssertionError(f"the matrix lets nobody through {case.label}")

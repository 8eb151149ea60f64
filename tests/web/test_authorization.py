"""The authorization matrix: every protected route, as every role, at a target in the
actor's own agency and in another, gives exactly the answer written down here.

The table is the specification, written by hand from what each role is for, not
derived from the policy code. "ok" is a 2xx/3xx answer; 403 and 404 are refusals
(404 where even the existence of the target is not the actor's business). Refused
writes change nothing in the database and leave an audit event with outcome "denied".
"""

from __future__ import annotations

import json

import pytest

from tests.web.catalog import OTHER, OWN, PROTECTED, SELF
from tests.web.conftest import ROLES, Cell

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
# Creating a user in the actor's own agency or in another one.
CREATE_USER = {OWN: ADMINS_ONLY, OTHER: SYSADMIN_ONLY}
# One's own API tokens only; other people's tokens are not even there.
OWN_TOKEN = {SELF: EVERYONE, OWN: "404 " * 7, OTHER: "404 " * 7}
ANY_AGENCY = {OWN: EVERYONE, OTHER: EVERYONE}
CHANGE_AGENCY = {OWN: SYSADMIN_ONLY, OTHER: SYSADMIN_ONLY}

MATRIX: dict[str, str | dict[str, str]] = {
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
}


def expected(label: str, target: str) -> dict[str, str]:
    """The expected answer of each role, by role value."""
    row = MATRIX[label]
    line = row if isinstance(row, str) else row[target]
    answers = line.split()
    assert len(answers) == len(ROLES), (label, target)
    return {role.value: answer for role, answer in zip(ROLES, answers, strict=True)}


def protected_cells(walk: list[Cell]) -> list[Cell]:
    return [cell for cell in walk if not cell.public]


def test_matrix_has_a_row_for_every_protected_route_and_target() -> None:
    labels = {case.label for case in PROTECTED}
    assert labels == set(MATRIX), labels ^ set(MATRIX)
    for case in PROTECTED:
        row = MATRIX[case.label]
        if isinstance(row, dict):
            assert set(row) == set(case.targets), case.label
        else:
            assert case.targets == ("-",), f"{case.label} needs a row per target"


def test_every_role_gets_the_expected_answer(walk: list[Cell]) -> None:
    wrong = []
    for cell in protected_cells(walk):
        want = expected(cell.label, cell.target)[cell.role.value]
        if want == "ok":
            good = 200 <= cell.status < 400 and not cell.location.startswith("/login")
        else:
            good = cell.status == int(want)
        if not good:
            wrong.append(f"{cell}: expected {want}")
    assert not wrong, f"{len(wrong)} answers differ from the matrix:\n" + "\n".join(wrong)


def test_refusals_speak_the_callers_language(walk: list[Cell]) -> None:
    """Problem details under /api; an HTML page saying what happened elsewhere."""
    for cell in protected_cells(walk):
        if cell.status not in (403, 404):
            continue
        if cell.api:
            assert cell.content_type == "application/problem+json", str(cell)
            problem = json.loads(cell.text)
            assert problem["status"] == cell.status and problem["title"] and problem["type"]
        else:
            assert cell.content_type.startswith("text/html"), str(cell)
            title = "Not allowed" if cell.status == 403 else "Not found"
            assert title in cell.text, str(cell)


def test_refused_requests_change_nothing(walk: list[Cell]) -> None:
    changed = [str(cell) for cell in protected_cells(walk) if cell.status >= 400 and cell.changed]
    assert not changed, "refused requests changed the database:\n" + "\n".join(changed)


def test_refusals_are_audited_as_denied(walk: list[Cell]) -> None:
    silent = [
        str(cell)
        for cell in protected_cells(walk)
        if cell.status in (403, 404) and "denied" not in cell.audit_outcomes
    ]
    assert not silent, "refusals without a 'denied' audit event:\n" + "\n".join(silent)


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value)
def test_every_role_meets_refusals(walk: list[Cell], role: object) -> None:
    """A guard against a walk that somehow allows everything."""
    answers = {cell.status for cell in protected_cells(walk) if cell.role == role}
    assert answers & {403, 404}

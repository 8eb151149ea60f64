"""The authorization matrix (tests/web/matrix.py): every protected route, as every role,
at a target in the actor's own agency and in another, gives exactly the answer written
down there. Refused writes change nothing in the database and leave an audit event
with outcome "denied"."""

from __future__ import annotations

import json

import pytest

from tests.web.catalog import PROTECTED
from tests.web.conftest import ROLES, Cell, Site, WriteLog, bearer, rolled_back, snapshot
from tests.web.matrix import MATRIX, expected
from vigil.platform.roles import Role


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


def test_the_write_log_sees_a_change_and_ignores_a_read(site: Site) -> None:
    """The walk proves "nothing changed" with a WriteLog; it must not miss a change."""
    seed = snapshot(site.session_factory)
    writes = WriteLog(site.connection)
    admin = bearer(site.world.member(Role.SYSTEM_ADMIN).token)
    victim = site.world.plain[site.world.home].user_id
    try:
        with rolled_back(site.connection):
            assert site.api.get(f"/api/v1/users/{victim}", headers=admin).status_code == 200
            assert writes.unchanged_since(seed, site.session_factory)
            changed = site.api.put(
                f"/api/v1/users/{victim}", json={"display_name": "Changed"}, headers=admin
            )
            assert changed.status_code == 200
            assert not writes.unchanged_since(seed, site.session_factory)
    finally:
        writes.close()

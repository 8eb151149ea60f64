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


Matrix = dict[str, str | dict[str, str]]


def undecided(matrix: Matrix) -> list[str]:
    """Protected routes (and targets) ``matrix`` gives no answer for, and its rows that
    answer for no route."""
    labels = {case.label for case in PROTECTED}
    gaps = [f"no row for {label}" for label in sorted(labels - set(matrix))]
    gaps += [f"a row for no route: {label}" for label in sorted(set(matrix) - labels)]
    for case in PROTECTED:
        row = matrix.get(case.label)
        if isinstance(row, dict) and set(row) != set(case.targets):
            gaps.append(f"{case.label}: targets {sorted(row)}, not {sorted(case.targets)}")
        elif isinstance(row, str) and case.targets != ("-",):
            gaps.append(f"{case.label} needs a row per target")
    return gaps


def wrong_answers(walk: list[Cell], matrix: Matrix, roles: tuple[Role, ...]) -> list[str]:
    """The cells whose answer is not the one ``matrix`` gives (columns: ``roles``)."""
    wrong = []
    for cell in protected_cells(walk):
        if cell.label not in matrix:
            wrong.append(f"{cell}: the matrix has no row for it")
            continue
        want = expected(cell.label, cell.target, matrix=matrix, roles=roles)[cell.role.value]
        if want == "ok":
            good = 200 <= cell.status < 400 and not cell.location.startswith("/login")
        else:
            good = cell.status == int(want)
        if not good:
            wrong.append(f"{cell}: expected {want}")
    return wrong


def misspoken_refusals(walk: list[Cell]) -> list[str]:
    """Refusals that are not a problem document under /api, or an HTML page saying what
    happened elsewhere."""
    wrong = []
    for cell in protected_cells(walk):
        if cell.status not in (403, 404):
            continue
        if cell.api:
            problem = (
                json.loads(cell.text) if cell.content_type == "application/problem+json" else {}
            )
            if not (problem.get("status") == cell.status and problem["title"] and problem["type"]):
                wrong.append(str(cell))
        else:
            title = "Not allowed" if cell.status == 403 else "Not found"
            if not (cell.content_type.startswith("text/html") and title in cell.text):
                wrong.append(str(cell))
    return wrong


def changing_refusals(walk: list[Cell]) -> list[str]:
    return [str(cell) for cell in protected_cells(walk) if cell.status >= 400 and cell.changed]


def silent_refusals(walk: list[Cell]) -> list[str]:
    return [
        str(cell)
        for cell in protected_cells(walk)
        if cell.status in (403, 404) and "denied" not in cell.audit_outcomes
    ]


def test_matrix_has_a_row_for_every_protected_route_and_target() -> None:
    gaps = undecided(MATRIX)
    assert not gaps, "\n".join(gaps)


def test_every_role_gets_the_expected_answer(walk: list[Cell]) -> None:
    wrong = wrong_answers(walk, MATRIX, ROLES)
    assert not wrong, f"{len(wrong)} answers differ from the matrix:\n" + "\n".join(wrong)


def test_refusals_speak_the_callers_language(walk: list[Cell]) -> None:
    """Problem details under /api; an HTML page saying what happened elsewhere."""
    wrong = misspoken_refusals(walk)
    assert not wrong, "\n".join(wrong)


def test_refused_requests_change_nothing(walk: list[Cell]) -> None:
    changed = changing_refusals(walk)
    assert not changed, "refused requests changed the database:\n" + "\n".join(changed)


def test_refusals_are_audited_as_denied(walk: list[Cell]) -> None:
    silent = silent_refusals(walk)
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

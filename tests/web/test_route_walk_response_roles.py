"""The route walk as the response and recovery roles (incident-command staff,
reunification staff, victim advocate): every catalogued route, at a target of their own
agency and of another, gives exactly the answer of tests/web/matrix_response_roles.py,
with the walk's other guarantees (no server error, every success decided by the policy
module, refusals that change nothing, are audited and speak the caller's language)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from tests.web.catalog import OWN
from tests.web.conftest import RESPONSE_ROLES, Cell, walk_as
from tests.web.matrix_response_roles import RESPONSE_ROLE_MATRIX
from tests.web.test_authorization import (
    changing_refusals,
    misspoken_refusals,
    protected_cells,
    silent_refusals,
    undecided,
    wrong_answers,
)
from tests.web.test_route_walk import server_errors, undecided_successes, unwalked
from vigil.platform.roles import Role
from vigil.platform.settings import Settings


@pytest.fixture(scope="session")
def response_walk(engine: Any, database_settings: Settings) -> list[Cell]:
    """The walk as the three roles, computed once per backend."""
    return walk_as(engine, database_settings, RESPONSE_ROLES)


def test_matrix_decides_every_protected_route_for_the_response_roles() -> None:
    gaps = undecided(RESPONSE_ROLE_MATRIX)
    assert not gaps, "decide these in tests/web/matrix_response_roles.py:\n" + "\n".join(gaps)


def test_walk_covers_every_route_as_every_response_role(response_walk: list[Cell]) -> None:
    assert not unwalked(response_walk, RESPONSE_ROLES)


# What the walk shows of every cell, as for the roles of the matrix
# (tests/web/test_authorization.py, tests/web/test_route_walk.py), by name.
GUARANTEES: dict[str, Callable[[list[Cell]], list[str]]] = {
    "answers as the matrix says": partial(
        wrong_answers, matrix=RESPONSE_ROLE_MATRIX, roles=RESPONSE_ROLES
    ),
    "no server error": server_errors,
    "every success decided by the policy module": undecided_successes,
    "refusals speak the caller's language": misspoken_refusals,
    "refused requests change nothing": changing_refusals,
    "refusals audited as denied": silent_refusals,
}


@pytest.mark.parametrize("guarantee", GUARANTEES)
def test_the_walk_as_the_response_roles_holds(response_walk: list[Cell], guarantee: str) -> None:
    failures = GUARANTEES[guarantee](response_walk)
    assert not failures, f"{guarantee}: {len(failures)} cells fail:\n" + "\n".join(failures)


# Paths of the records these roles work: an incident, its reunification data, a case.
FIELD = ("/incidents/{incident_id}", "/reunification/", "/recovery/cases/{survivor_case_id}")


@pytest.mark.parametrize("role", RESPONSE_ROLES, ids=lambda role: role.value)
def test_each_role_is_refused_and_let_through(response_walk: list[Cell], role: Role) -> None:
    """A guard against a walk that allows, or refuses, everything: each role meets
    refusals and reaches a record of its own field (an incident, a disclosed case)."""
    cells = [cell for cell in protected_cells(response_walk) if cell.role == role]
    assert {cell.status for cell in cells} & {403, 404}
    reached = [
        cell
        for cell in cells
        if cell.status < 400 and cell.target == OWN and any(p in cell.label for p in FIELD)
    ]
    assert reached, f"{role.value} reaches no incident or case at all"

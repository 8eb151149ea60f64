"""The route walk: every route, every method, as every role. A protected route that
answers 2xx/3xx must have asked the policy module; a route the catalog does not know
fails the walk, so new routes are covered from the day they appear."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount, Route

from tests.web.catalog import MOUNTS, ROUTES, Target
from tests.web.conftest import ROLES, Cell, Site, rolled_back
from vigil.platform.roles import Role
from vigil.web.app import PUBLIC_ROUTES


def is_public(path: str) -> bool:
    return path in PUBLIC_ROUTES or path.startswith("/static/")


def declared_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves; mounts as ("MOUNT", path)."""
    found = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            found.add(("MOUNT", str(context.path)))
        elif isinstance(route, APIRoute | Route):
            found.update((method, str(context.path)) for method in context.methods or ())
        else:
            raise AssertionError(f"the walk cannot handle route {route!r}")
    return found


def catalogued_routes() -> set[tuple[str, str]]:
    found = {(case.method, case.template) for case in ROUTES if case not in MOUNTS.values()}
    return found | {("MOUNT", path) for path in MOUNTS}


def test_catalog_describes_exactly_the_routes_of_the_app(site: Site) -> None:
    declared = declared_routes(site.app)
    unknown = declared - catalogued_routes()
    assert not unknown, (
        f"routes the walk does not know how to call: {sorted(unknown)}; describe them in "
        "tests/web/catalog.py and give them rows in the authorization matrix"
    )
    gone = catalogued_routes() - declared
    assert not gone, f"catalogued routes the app no longer serves: {sorted(gone)}"


def test_catalog_public_flags_match_public_routes() -> None:
    for case in ROUTES:
        assert case.public == is_public(case.template), case.label
    for path in PUBLIC_ROUTES:
        walked = [c for c in ROUTES if c.template == path or c.template.startswith(path + "/")]
        assert walked, f"public route {path} is not walked"


def unwalked(walk: list[Cell], roles: tuple[Role, ...]) -> list[tuple[str, Role]]:
    """The (route, role) pairs the walk did not try."""
    walked = {(cell.label, cell.role) for cell in walk}
    return [
        (case.label, role) for case in ROUTES for role in roles if (case.label, role) not in walked
    ]


def server_errors(walk: list[Cell]) -> list[str]:
    return [str(cell) for cell in walk if cell.status >= 500]


def undecided_successes(walk: list[Cell]) -> list[str]:
    """Protected routes that answered 2xx/3xx without asking the policy module."""
    return [
        f"{cell} without any policy decision"
        for cell in walk
        if not cell.public and cell.status < 400 and not cell.decisions
    ]


def test_walk_covers_every_route_as_every_role(walk: list[Cell]) -> None:
    assert not unwalked(walk, ROLES)


def test_no_route_fails_with_a_server_error(walk: list[Cell]) -> None:
    failures = server_errors(walk)
    assert not failures, "\n".join(failures)


def test_every_protected_success_was_decided_by_policy(walk: list[Cell]) -> None:
    failures = undecided_successes(walk)
    assert not failures, "\n".join(failures)


def test_every_protected_route_needs_sign_in(site: Site) -> None:
    """Anonymous callers get 401 under /api and are sent to sign in elsewhere."""
    anonymous = site.browser()
    actor = site.world.member(ROLES[0])
    for case in ROUTES:
        if case.public:
            continue
        for kind in case.targets:
            path = case.path(Target(site.world, actor, kind))
            with rolled_back(site.connection):
                if case.api:
                    response = site.api.request(
                        case.method,
                        path,
                        json=case.payload(Target(site.world, actor, kind)) if case.body else None,
                    )
                elif case.method == "POST":
                    response = anonymous.post(path, case.payload(Target(site.world, actor, kind)))
                else:
                    response = anonymous.get(path)
            where = f"{case.label} [{kind}] -> {response.status_code}"
            if case.api:
                assert response.status_code == 401, where
                assert response.headers["www-authenticate"] == "Bearer", where
                assert response.headers["content-type"] == "application/problem+json", where
            else:
                assert response.status_code == 303, where
                assert response.headers["location"].startswith("/login?next=%2F"), where

"""The OpenAPI document lists every /api/v1 route, and API errors are problem details."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi.routing import APIRoute, iter_route_contexts

from tests.web.conftest import Site, bearer
from vigil.platform.roles import Role
from vigil.web.app import PUBLIC_ROUTES

PROBLEM = "application/problem+json"


def api_operations(site: Site) -> set[tuple[str, str]]:
    found = set()
    for context in iter_route_contexts(site.app.routes):
        if isinstance(context.original_route, APIRoute) and str(context.path).startswith("/api/"):
            found.update((m.lower(), str(context.path)) for m in context.methods or ())
    return found


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [node["$ref"]] if "$ref" in node else [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for item in node for r in refs(item)]
    return []


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert isinstance(problem["title"], str) and problem["title"]
    assert problem["type"] == "about:blank" or problem["type"].startswith("https://")
    return problem


def test_the_document_lists_every_api_route(site: Site) -> None:
    response = site.api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Vigil" and document["info"]["version"]
    listed = {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    }
    # Every API route, and besides them only the health check (for monitoring); no pages.
    assert listed == api_operations(site) | {("get", "/health")}
    for ref in refs(document):
        assert resolve(document, ref) is not None, ref
    for path, item in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            answers = operation["responses"]
            # The document says what the API does: every error is a problem document,
            # and anything not public may answer 401 and 403.
            expected = {"422"} if path in PUBLIC_ROUTES else {"401", "403", "422"}
            assert expected <= set(answers), (method, path, sorted(answers))
            for status, answer in answers.items():
                if status.startswith("4"):
                    assert PROBLEM in answer.get("content", {}), (method, path, status)


def test_unknown_routes_and_methods_are_problems(site: Site) -> None:
    token = bearer(site.world.member(Role.ANALYST).token)
    assert_problem(site.api.get("/api/v1/no-such-thing", headers=token), 404)
    assert_problem(site.api.get("/api/v2/me", headers=token), 404)
    problem = assert_problem(site.api.patch("/api/v1/me", headers=token), 405)
    assert problem["title"] == "Method not allowed"


def test_sign_in_and_permission_errors_are_problems(site: Site) -> None:
    assert_problem(site.api.get("/api/v1/me"), 401)
    analyst = bearer(site.world.member(Role.ANALYST).token)
    assert_problem(site.api.get("/api/v1/audit/events", headers=analyst), 403)
    stranger = site.world.plain[site.world.other].user_id
    assert_problem(site.api.get(f"/api/v1/users/{stranger}", headers=analyst), 404)
    assert_problem(site.api.get("/api/v1/users/999999999", headers=analyst), 404)


def test_validation_and_conflict_errors_are_problems(site: Site) -> None:
    admin = bearer(site.world.member(Role.SYSTEM_ADMIN).token)
    problem = assert_problem(
        site.api.post("/api/v1/agencies", json={"name": "", "kind": "nope"}, headers=admin), 422
    )
    assert problem["type"].endswith("/invalid-input")
    assert {error["field"] for error in problem["errors"]} == {"name", "kind"}
    taken = site.api.get(f"/api/v1/agencies/{site.world.home}", headers=admin).json()["name"]
    problem = assert_problem(
        site.api.post("/api/v1/agencies", json={"name": taken, "kind": "other"}, headers=admin),
        409,
    )
    assert problem["type"].endswith("/conflict") and problem["errors"][0]["field"] == "name"


def test_problems_carry_the_request_id(site: Site) -> None:
    response = site.api.get("/api/v1/me")
    assert response.json()["request_id"] == response.headers["x-request-id"]
    assert response.json()["instance"] == "/api/v1/me"

"""Same decision on every channel: each protected route of the catalog is replayed,
as a role the matrix refuses and as one it lets through, with forwarded and "internal"
headers, method-override headers, every Accept variant, every other HTTP method, and a
form body sent as JSON (or JSON as a form). A refusal stays a refusal and changes
nothing; an allowed read stays allowed; an undeclared method is never served."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.web.catalog import OTHER, PROTECTED, RouteCase, Target, uploads
from tests.web.conftest import ROLES, Site, WriteLog, bearer, rolled_back, snapshot
from tests.web.matrix import allowed, expected
from vigil.platform.roles import Role

HEADER_VARIANTS: dict[str, dict[str, str]] = {
    "forwarded-for": {"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"},
    "forwarded": {"Forwarded": "for=127.0.0.1;proto=https;host=localhost"},
    "forwarded-host": {"X-Forwarded-Host": "localhost", "X-Forwarded-Proto": "https"},
    "rewrite": {"X-Original-URL": "/health", "X-Rewrite-URL": "/health"},
    "method-override": {
        "X-HTTP-Method-Override": "GET",
        "X-HTTP-Method": "GET",
        "X-Method-Override": "GET",
    },
    "internal": {
        "X-Internal": "true",
        "X-Remote-User": "sysadmin",
        "X-Forwarded-User": "sysadmin",
        "X-Auth-Request-User": "sysadmin",
    },
    "accept-json": {"Accept": "application/json"},
    "accept-html": {"Accept": "text/html"},
    "accept-any": {"Accept": "*/*"},
    "accept-xml": {"Accept": "application/xml"},
}
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@dataclass
class Replay:
    site: Site
    case: RouteCase
    target: Target

    def send(
        self,
        *,
        headers: dict[str, str] | None = None,
        method: str | None = None,
        body_format: str | None = None,
    ) -> httpx.Response:
        case, target = self.case, self.target
        path = case.path(target)
        body = case.payload(target)
        method = method or case.method
        fmt = body_format or case.body
        sending: dict[str, Any] = {}
        if case.body and method in ("POST", "PUT", "PATCH", "DELETE"):
            if fmt == "json":
                sending["json"] = body
            else:
                sending["data"] = body
        if case.api:
            response: httpx.Response = self.site.api.request(
                method, path, headers={**bearer(target.actor.token), **(headers or {})}, **sending
            )
            return response
        assert target.actor.role is not None
        browser = self.site.browsers[target.actor.role]
        browser.restore()
        if "data" in sending:
            sending["data"] = {"csrf_token": browser.csrf, **sending["data"]}
            if case.upload and fmt == case.body:
                sending["files"] = uploads(case)
        answer: httpx.Response = browser.client.request(
            method, path, headers={"X-CSRF-Token": browser.csrf, **(headers or {})}, **sending
        )
        return answer


def refused_actor(case: RouteCase) -> tuple[Role, str] | None:
    kinds = sorted(case.targets, key=lambda kind: kind != OTHER)
    for kind in kinds:
        answers = expected(case.label, kind)
        for role in ROLES:
            if answers[role.value] != "ok":
                return role, kind
    return None


def declared_methods() -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for case in PROTECTED:
        found[case.template].add(case.method)
    return found


def test_every_channel_gives_the_same_decision(
    site: Site, proof_figure: Callable[[str], None]
) -> None:
    seed = snapshot(site.session_factory)
    writes = WriteLog(site.connection)
    methods = declared_methods()
    wrong: list[str] = []
    sent = 0

    def replay(label: str, replay: Replay, *, refused: bool, **how: Any) -> None:
        nonlocal sent
        with rolled_back(site.connection):
            writes.statements.clear()
            response = replay.send(**how)
            sent += 1
            status = response.status_code
            served = status < 400 and not response.headers.get("location", "").startswith("/login")
            if refused and served:
                wrong.append(f"{label} {how}: answered {status} where the matrix refuses")
            if refused and not writes.unchanged_since(seed, site.session_factory):
                wrong.append(f"{label} {how}: a refused request changed the database")
            # 406: the route cannot answer in the format asked for, whoever asks (TAXII
            # speaks only JSON); content negotiation, not an authorization decision.
            negotiated = status == 406 and "Accept" in how.get("headers", {})
            if not refused and not served and not negotiated:
                wrong.append(f"{label} {how}: answered {status} where the matrix allows")

    for case in PROTECTED:
        undeclared = [m for m in METHODS if m not in methods[case.template] and m != "HEAD"]
        picked = refused_actor(case)
        if picked is not None:
            role, kind = picked
            replayed = Replay(site, case, Target(site.world, site.world.member(role), kind))
            label = f"{case.label} [{kind}] as {role.value}"
            for name, headers in HEADER_VARIANTS.items():
                replay(f"{label} {name}", replayed, refused=True, headers=headers)
            for method in undeclared:
                replay(label, replayed, refused=True, method=method)
            if case.body in ("json", "form"):
                swapped = "form" if case.body == "json" else "json"
                replay(label, replayed, refused=True, body_format=swapped)
        role, kind = allowed(case)
        if expected(case.label, kind)[role.value] != "ok":
            continue  # nobody the walk signs in may use it (staff of a victim-services provider)
        replayed = Replay(site, case, Target(site.world, site.world.member(role), kind))
        label = f"{case.label} [{kind}] as {role.value}"
        for method in undeclared:
            replay(label, replayed, refused=True, method=method)
        if case.method == "GET":
            for name, headers in HEADER_VARIANTS.items():
                replay(f"{label} {name}", replayed, refused=False, headers=headers)
    writes.close()
    proof_figure(
        f"channels: {len(PROTECTED)} protected routes, {sent} replayed requests, "
        f"{len(wrong)} decisions changed"
    )
    assert sent > len(PROTECTED) * 10
    assert not wrong, f"{len(wrong)} decisions changed:\n" + "\n".join(wrong[:60])

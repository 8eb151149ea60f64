"""CSRF: every state-changing request that cookies authenticate needs the token of the
browser's own CSRF cookie; without it (or with another's) the answer is 403 and nothing
changes. Bearer-token requests carry no ambient authority and need no token."""

from __future__ import annotations

import httpx

from tests.web.catalog import ROUTES, RouteCase, Target, uploads
from tests.web.catalog_recovery import STAFF_ONLY
from tests.web.conftest import Browser, Site, WriteLog, bearer, rolled_back, snapshot
from tests.web.matrix import allowed
from vigil.platform.roles import Role

UNSAFE = [case for case in ROUTES if case.method in ("POST", "PUT", "DELETE")]


def _target(site: Site, case: RouteCase) -> Target:
    """A target the matrix lets a role act on, so that a refusal can only be the token's
    doing."""
    role, kind = allowed(case)
    return Target(site.world, site.world.member(role), kind)


def _send(browser: Browser, case: RouteCase, target: Target, token: str | None) -> httpx.Response:
    """The route's request from a signed-in browser, with ``token`` (or none)."""
    browser.restore()
    body = case.payload(target)
    path = case.path(target)
    if case.body == "json":
        headers = {"X-CSRF-Token": token} if token is not None else {}
        return browser.client.request(case.method, path, json=body, headers=headers)
    form = {**body, **({"csrf_token": token} if token is not None else {})}
    return browser.client.request(case.method, path, data=form, files=uploads(case))


def test_every_unsafe_route_is_listed() -> None:
    assert len(UNSAFE) >= 25
    assert {case.method for case in UNSAFE} == {"POST", "PUT", "DELETE"}


def test_unsafe_cookie_requests_without_the_right_token_are_refused(site: Site) -> None:
    before = snapshot(site.session_factory, with_audit=True)
    writes = WriteLog(site.connection, with_audit=True)
    failures = []
    for case in UNSAFE:
        target = _target(site, case)
        role = target.actor.role
        assert role is not None
        browser = site.browsers[role]
        # A valid token, but for another browser's cookie.
        stranger = site.browsers[Role.AUDITOR if role is not Role.AUDITOR else Role.ANALYST]
        for token in (None, "", "0" * 64, stranger.csrf, browser.csrf[:-1]):
            response = _send(browser, case, target, token)
            said = response.json()["title"] if case.api else response.text
            if response.status_code != 403 or "Form expired" not in said:
                failures.append(f"{case.label} with token {token!r}: {response.status_code}")
            if not writes.unchanged_since(before, site.session_factory):
                failures.append(f"{case.label} with token {token!r} changed the database")
                break
        # The same request with the browser's own token gets past the check.
        with rolled_back(site.connection):
            accepted = _send(browser, case, target, browser.csrf)
        writes.statements.clear()
        if accepted.status_code == 403:
            failures.append(f"{case.label} refused even with the right token")
    writes.close()
    assert not failures, "\n".join(failures)


def test_token_travels_in_a_multipart_form_too(site: Site) -> None:
    browser = site.browsers[Role.ANALYST]
    fields = {"name": (None, "multipart token"), "days": (None, "7")}
    refused = browser.client.post("/account/tokens", files=fields)
    assert refused.status_code == 403
    accepted = browser.client.post(
        "/account/tokens", files={**fields, "csrf_token": (None, browser.csrf)}
    )
    assert accepted.status_code == 200 and "Token created" in accepted.text


def test_logout_without_the_token_keeps_the_session(site: Site) -> None:
    browser = site.browsers[Role.ANALYST]
    assert browser.client.post("/logout").status_code == 403
    assert browser.get("/").status_code == 200


def test_bearer_requests_need_no_token(site: Site) -> None:
    client = site.client()  # no cookies at all, so no CSRF cookie either
    for case in UNSAFE:
        # Victim-services staff routes refuse everyone the walk signs in (404);
        # tests/recovery/test_assistance_web.py sends them with a staff token and no
        # CSRF token.
        if not case.api or case.label in STAFF_ONLY:
            continue
        target = _target(site, case)
        with rolled_back(site.connection):
            response = client.request(
                case.method,
                case.path(target),
                json=case.payload(target) if case.body else None,
                headers=bearer(target.actor.token),
            )
        assert 200 <= response.status_code < 300, (case.label, response.text[:300])


def test_a_bogus_bearer_header_does_not_borrow_the_cookie(site: Site) -> None:
    """Any Authorization header skips the CSRF check, so it must also stop the cookie
    from authenticating: the request is anonymous and changes nothing."""
    browser = site.browsers[Role.AGENCY_ADMIN]
    victim = site.world.plain[site.world.home].user_id
    before = snapshot(site.session_factory, with_audit=True)
    for path in (f"/api/v1/users/{victim}/disable", f"/admin/users/{victim}/disable"):
        response = browser.client.post(path, headers={"Authorization": "Bearer nonsense"})
        assert response.status_code in (303, 401), path
        if response.status_code == 303:
            assert response.headers["location"].startswith("/login")
    assert snapshot(site.session_factory, with_audit=True) == before

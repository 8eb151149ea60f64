"""Sessions and API tokens through HTTP: sign-out, disabling an account, the idle and
absolute session limits, expired and revoked tokens."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from tests.web.conftest import Site, bearer
from vigil.platform import sessions
from vigil.platform.models import Agency, ApiToken, User, WebSession
from vigil.platform.roles import Role
from vigil.platform.types import utcnow


def assert_sent_to_sign_in(response: httpx.Response) -> None:
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def assert_token_refused(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 401 and problem["title"] == "Sign-in required"
    assert problem["type"] == "about:blank"


def session_row(site: Site, raw: str) -> WebSession | None:
    with site.db() as db:
        found: WebSession | None = db.execute(
            select(WebSession).where(WebSession.token_hash == sessions.digest(raw))
        ).scalar_one_or_none()
        return found


def set_session_times(site: Site, raw: str, *, age: timedelta, idle: timedelta) -> None:
    now = utcnow()
    with site.db() as db:
        db.execute(
            update(WebSession)
            .where(WebSession.token_hash == sessions.digest(raw))
            .values(created_at=now - age, last_seen_at=now - idle)
        )
        db.commit()


def test_logout_ends_the_session(site: Site) -> None:
    member = site.world.member(Role.ANALYST)
    browser = site.browsers[Role.ANALYST]
    assert browser.get("/").status_code == 200
    response = browser.post("/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert (
        'vigil_session=""' in response.headers["set-cookie"]
        or "Max-Age=0" in (response.headers["set-cookie"])
    )
    assert session_row(site, member.session) is None
    browser.restore()  # a browser that kept the old cookie gets nothing for it
    assert_sent_to_sign_in(browser.get("/"))
    assert browser.send("GET", "/api/v1/me").status_code == 401


def test_logout_leaves_other_sessions_of_the_user_alone(site: Site) -> None:
    member = site.world.member(Role.ANALYST)
    second = site.sign_in(member.user_id)
    site.browsers[Role.ANALYST].post("/logout")
    assert second.get("/").status_code == 200


def test_disabling_a_user_ends_their_cookie_and_token_at_once(site: Site) -> None:
    victim = site.world.plain[site.world.home]
    browser = site.browser(victim.session)
    assert browser.get("/").status_code == 200
    assert site.api.get("/api/v1/me", headers=bearer(victim.token)).status_code == 200

    admin = site.world.member(Role.AGENCY_ADMIN)
    disabled = site.api.post(f"/api/v1/users/{victim.user_id}/disable", headers=bearer(admin.token))
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True

    assert_sent_to_sign_in(browser.get("/"))
    assert_token_refused(site.api.get("/api/v1/me", headers=bearer(victim.token)))
    # Enabling the account again does not bring the old session or token back.
    enabled = site.api.post(f"/api/v1/users/{victim.user_id}/enable", headers=bearer(admin.token))
    assert enabled.status_code == 200
    browser.restore()
    assert_sent_to_sign_in(browser.get("/"))
    assert_token_refused(site.api.get("/api/v1/me", headers=bearer(victim.token)))


def test_a_disabled_user_is_refused_even_with_a_session_row_left_over(site: Site) -> None:
    """Belt and braces: the account's state is checked on every request, not only the
    session row's existence."""
    victim = site.world.plain[site.world.home]
    with site.db() as db:
        user = db.get(User, victim.user_id)
        assert user is not None
        user.disabled_at = utcnow()
        db.commit()
    assert_sent_to_sign_in(site.browser(victim.session).get("/"))
    assert_token_refused(site.api.get("/api/v1/me", headers=bearer(victim.token)))


def test_deactivating_an_agency_locks_out_its_users(site: Site) -> None:
    victim = site.world.plain[site.world.other]
    browser = site.browser(victim.session)
    assert browser.get("/").status_code == 200
    admin = site.world.member(Role.SYSTEM_ADMIN)
    with site.db() as db:
        agency = db.get(Agency, site.world.other)
        assert agency is not None
        name, kind = agency.name, agency.kind
    response = site.api.put(
        f"/api/v1/agencies/{site.world.other}",
        json={"name": name, "kind": kind, "active": False},
        headers=bearer(admin.token),
    )
    assert response.status_code == 200
    assert_sent_to_sign_in(browser.get("/"))
    assert_token_refused(site.api.get("/api/v1/me", headers=bearer(victim.token)))


@pytest.mark.parametrize(
    ("idle", "allowed"), [(timedelta(minutes=29), True), (timedelta(minutes=31), False)]
)
def test_idle_limit(site: Site, idle: timedelta, allowed: bool) -> None:
    assert site.settings.session_idle_minutes == 30
    member = site.world.member(Role.SUPERVISOR)
    set_session_times(site, member.session, age=idle, idle=idle)
    response = site.browsers[Role.SUPERVISOR].get("/")
    if allowed:
        assert response.status_code == 200
        row = session_row(site, member.session)
        assert row is not None and utcnow() - row.last_seen_at < timedelta(minutes=1)
    else:
        assert_sent_to_sign_in(response)
        assert session_row(site, member.session) is None


@pytest.mark.parametrize(
    ("age", "allowed"),
    [(timedelta(hours=11, minutes=59), True), (timedelta(hours=12, minutes=1), False)],
)
def test_absolute_limit(site: Site, age: timedelta, allowed: bool) -> None:
    """Activity does not extend a session past 12 hours from sign-in."""
    assert site.settings.session_absolute_hours == 12
    member = site.world.member(Role.SUPERVISOR)
    set_session_times(site, member.session, age=age, idle=timedelta(seconds=5))
    response = site.browsers[Role.SUPERVISOR].get("/")
    if allowed:
        assert response.status_code == 200
    else:
        assert_sent_to_sign_in(response)
        assert session_row(site, member.session) is None


def test_an_expired_session_is_refused_by_the_api_too(site: Site) -> None:
    member = site.world.member(Role.ANALYST)
    set_session_times(site, member.session, age=timedelta(hours=1), idle=timedelta(hours=1))
    response = site.browsers[Role.ANALYST].send("GET", "/api/v1/me")
    assert_token_refused(response)


def test_a_session_short_of_mfa_opens_nothing(site: Site) -> None:
    member = site.world.plain[site.world.home]
    with site.db() as db:
        user = db.get(User, member.user_id)
        assert user is not None
        raw, _ = sessions.start_session(db, user=user, mfa_verified=False)
        db.commit()
    browser = site.browser(raw)
    assert_sent_to_sign_in(browser.get("/"))
    assert_sent_to_sign_in(browser.get("/account"))
    assert browser.send("GET", "/api/v1/me").status_code == 401


def test_an_expired_token_is_refused(site: Site) -> None:
    member = site.world.member(Role.ANALYST)
    assert site.api.get("/api/v1/me", headers=bearer(member.token)).status_code == 200
    with site.db() as db:
        db.execute(
            update(ApiToken)
            .where(ApiToken.id == member.token_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.commit()
    assert_token_refused(site.api.get("/api/v1/me", headers=bearer(member.token)))
    assert_token_refused(site.api.get("/api/v1/tokens", headers=bearer(member.token)))


def test_a_revoked_token_is_refused(site: Site) -> None:
    member = site.world.member(Role.ANALYST)
    created = site.api.post(
        "/api/v1/tokens", json={"name": "to revoke", "days": 1}, headers=bearer(member.token)
    )
    assert created.status_code == 201
    raw, token_id = created.json()["token"], created.json()["id"]
    assert site.api.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    revoked = site.api.delete(f"/api/v1/tokens/{token_id}", headers=bearer(member.token))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert_token_refused(site.api.get("/api/v1/me", headers=bearer(raw)))
    # A token can revoke itself, and is dead from that moment.
    assert site.api.delete(f"/api/v1/tokens/{member.token_id}", headers=bearer(member.token))
    assert_token_refused(site.api.get("/api/v1/me", headers=bearer(member.token)))


def test_revoking_on_the_account_page_ends_the_token(site: Site) -> None:
    member = site.world.member(Role.ANALYST)
    response = site.browsers[Role.ANALYST].post(f"/account/tokens/{member.token_id}/revoke")
    assert response.status_code == 303
    assert_token_refused(site.api.get("/api/v1/me", headers=bearer(member.token)))


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer ",
        "Bearer vgl_",
        "Bearer vgl_not-a-real-token",
        "Bearer not-even-the-prefix",
        "Bearer " + "vgl_" + "x" * 5000,
        "Basic dXNlcjpwYXNz",
        "bearer\tvgl_x",
    ],
)
def test_nonsense_tokens_are_refused(site: Site, authorization: str) -> None:
    response = site.api.get("/api/v1/me", headers={"Authorization": authorization})
    assert_token_refused(response)

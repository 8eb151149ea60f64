"""Signing in in a real browser: MFA enrolment, one-time codes, lockout and unlock,
and the keyboard alone."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Browsing
from tests.e2e.forms import submit
from tests.e2e.live_server import LiveServer
from tests.e2e.sign_in import (
    DASHBOARD_URL,
    ENROL_URL,
    LOGIN_URL,
    MFA_URL,
    Authenticator,
    enter_mfa_code,
    enter_password,
    sign_in,
    sign_out,
)
from vigil.platform.authentication import BAD_CODE_MESSAGE, FAILED_MESSAGE, LOCKED_MESSAGE
from vigil.platform.mfa import TOTP_INTERVAL_SECONDS
from vigil.web.deps import SESSION_COOKIE

pytestmark = pytest.mark.e2e


def test_new_user_enrols_then_each_code_signs_in_only_once(
    browse: Browsing, live_server: LiveServer
) -> None:
    user = live_server.user("new-officer")
    page = browse.page()

    enter_password(page, user.username, user.password)
    expect(page).to_have_url(ENROL_URL)
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    key = page.locator("#setup-key").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", key), key
    authenticator = Authenticator(key)  # its first code is pyotp.TOTP(key).now()
    page.locator("#code").fill(authenticator.code())
    submit(page, "Turn on two-step verification")
    expect(page).to_have_url(DASHBOARD_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Nia Newcomer")

    sign_out(page)
    enter_password(page, user.username, user.password)
    expect(page).to_have_url(MFA_URL)  # enrolled now: a code, not the setup page
    code = authenticator.code()
    enter_mfa_code(page, code)
    expect(page).to_have_url(DASHBOARD_URL)

    old_cookie = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    sign_out(page)
    page.context.add_cookies(old_cookie)  # type: ignore[arg-type]
    page.goto("/")
    expect(page).to_have_url(LOGIN_URL)  # the server ended the session, not just the cookie
    enter_password(page, user.username, user.password)
    reused_at = time.time()
    enter_mfa_code(page, code)
    expect(page.locator("#error-summary")).to_have_text(BAD_CODE_MESSAGE)
    expect(page).to_have_url(MFA_URL)
    # Refused for having been used, not for its age: Vigil accepts a code until the
    # end of the step after its own, and the reuse came before that.
    assert authenticator.last_step is not None
    assert reused_at < (authenticator.last_step + 2) * TOTP_INTERVAL_SECONDS
    page.goto("/")
    expect(page).to_have_url(LOGIN_URL)


def _attempt(page: Page, username: str, password: str) -> str:
    # A refused sign-in answers with the sign-in form again: try again from there.
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    submit(page, "Sign in")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()  # announced to screen readers
    return summary.inner_text().strip()


def test_lockout_is_the_same_for_unknown_users_and_an_admin_unlocks(
    browse: Browsing, live_server: LiveServer
) -> None:
    user = live_server.user("lockout-user")
    page = browse.page()
    page.goto("/login")

    seen = [_attempt(page, user.username, f"not the password {n}") for n in range(5)]
    seen.append(_attempt(page, user.username, user.password))
    assert seen[:4] == [FAILED_MESSAGE] * 4
    assert seen[4:] == [LOCKED_MESSAGE, LOCKED_MESSAGE]

    stranger = [_attempt(page, "nobody-by-this-name", f"a guess {n}") for n in range(5)]
    stranger.append(_attempt(page, "nobody-by-this-name", user.password))
    assert stranger == seen  # the page does not reveal who has an account

    admin = browse.page("metro-admin")
    admin.goto("/admin/users")
    row = admin.get_by_role("row").filter(has_text=user.username)
    expect(row.get_by_text("Locked", exact=True)).to_be_visible()
    row.get_by_role("link", name=user.username).click()
    status = admin.locator("dt:text-is('Status') + dd")
    expect(status).to_have_text("Locked after failed sign-ins")
    submit(admin, "Unlock account")
    expect(admin.get_by_role("status")).to_have_text("The account was unlocked.")
    expect(status).to_have_text("Active")

    assert user.authenticator is not None
    sign_in(page, user.username, user.password, user.authenticator)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Lee Lockout")


def _focused(page: Page) -> dict[str, str]:
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            return {id: e.id, tag: e.tagName.toLowerCase(), text: e.textContent.trim(),
                    className: e.className};
        }"""
    )


def _skip_to_main(page: Page) -> None:
    page.keyboard.press("Tab")
    focused = _focused(page)
    assert focused["text"] == "Skip to main content", focused
    assert "usa-skipnav" in focused["className"]
    # USWDS slides the focused link into view.
    page.wait_for_function("() => document.activeElement.getBoundingClientRect().top >= 0")
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == "main-content"


@pytest.mark.parametrize(("username", "path"), [(None, "/login"), ("metro-analyst", "/")])
def test_skip_link_is_the_first_stop_and_moves_focus_to_main(
    browse: Browsing, username: str | None, path: str
) -> None:
    page = browse.page(username)
    page.goto(path)
    _skip_to_main(page)


def test_sign_in_with_the_keyboard_alone(browse: Browsing, live_server: LiveServer) -> None:
    user = live_server.user("keyboard-user")
    assert user.authenticator is not None
    page = browse.page()
    page.goto("/login")

    _skip_to_main(page)
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == "username"
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == "password"
    page.keyboard.type(user.password)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page).to_have_url(MFA_URL)
    _skip_to_main(page)
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == "code"
    page.keyboard.type(user.authenticator.code())
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(DASHBOARD_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Kim Keyboard")

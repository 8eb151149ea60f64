"""Signing in through the browser, with a stand-in for the user's authenticator app."""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import Page, expect

from tests.e2e.forms import submit
from vigil.platform.mfa import TOTP_INTERVAL_SECONDS

MFA_URL = re.compile(r"/login/mfa(\?|$)")
ENROL_URL = re.compile(r"/login/enrol(\?|$)")
LOGIN_URL = re.compile(r"/login(\?|$)")
DASHBOARD_URL = re.compile(r"^http://[^/]+/$")


def _current_step() -> int:
    return int(time.time()) // TOTP_INTERVAL_SECONDS


class Authenticator:
    """A user's authenticator app.

    Vigil accepts each 30-second code once, and codes up to one step ahead of its
    clock (phones drift). So each call hands out the code of a step not used yet:
    the current one, else the next, else it waits for the clock.
    """

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.last_step: int | None = None

    def code(self) -> str:
        step = _current_step()
        if self.last_step is not None:
            step = max(step, self.last_step + 1)
        while step > _current_step() + 1:
            time.sleep(0.25)
        self.last_step = step
        return pyotp.TOTP(self.secret, interval=TOTP_INTERVAL_SECONDS).at(
            step * TOTP_INTERVAL_SECONDS
        )


def enter_password(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    submit(page, "Sign in")


def enter_mfa_code(page: Page, code: str) -> None:
    expect(page).to_have_url(MFA_URL)
    page.locator("#code").fill(code)
    submit(page, "Verify")


def sign_in(page: Page, username: str, password: str, authenticator: Authenticator) -> None:
    """Password, then the current code, then the dashboard."""
    enter_password(page, username, password)
    enter_mfa_code(page, authenticator.code())
    expect(page).to_have_url(DASHBOARD_URL)


def enrol(page: Page) -> Authenticator:
    """On the enrolment page: read the setup key, confirm a code, reach the dashboard."""
    expect(page).to_have_url(ENROL_URL)
    authenticator = Authenticator(page.locator("#setup-key").inner_text().strip())
    page.locator("#code").fill(authenticator.code())
    submit(page, "Turn on two-step verification")
    expect(page).to_have_url(DASHBOARD_URL)
    return authenticator


def sign_out(page: Page) -> None:
    submit(page, "Sign out")
    expect(page).to_have_url(LOGIN_URL)

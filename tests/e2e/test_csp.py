"""The Content Security Policy in a real browser: Vigil's own scripts (htmx, USWDS,
vigil.js) run under it without a single violation, and injected script is refused.

Every other browser test also fails on a CSP report in the console (see ``browse``);
this module makes the check explicit for every page.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Response, expect

from tests.e2e.axe import AXE_SCRIPT
from tests.e2e.conftest import Browsing
from tests.e2e.live_server import LiveServer
from tests.e2e.pages import PHONE, visits_by_user
from tests.e2e.sign_in import ENROL_URL, MFA_URL, enter_password

pytestmark = pytest.mark.e2e

SCRIPTS_STATE = """() => ({
    htmx: typeof window.htmx === "object" ? window.htmx.version : null,
    htmxAllowsEval: window.htmx ? window.htmx.config.allowEval : null,
    uswds: window.uswdsPresent === true,
    uswdsInitDone: !document.documentElement.classList.contains("usa-js-loading"),
})"""


def _assert_enforced_and_scripts_ran(page: Page, response: Response | None) -> None:
    assert response is not None
    policy = response.headers.get("content-security-policy", "")
    assert re.search(r"script-src 'self' 'nonce-[\w-]+'", policy), (page.url, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, policy
    state = page.evaluate(SCRIPTS_STATE)
    assert state["htmx"] is not None and state["htmx"].startswith("2."), (page.url, state)
    # htmx read its config from the meta tag: it will not eval, as the CSP demands.
    assert state["htmxAllowsEval"] is False, (page.url, state)
    assert state["uswds"] and state["uswdsInitDone"], (page.url, state)


def test_every_page_runs_its_scripts_without_csp_reports(
    browse: Browsing, live_server: LiveServer
) -> None:
    for username, visits in visits_by_user():
        context, log = browse.context(username)
        page = context.new_page()
        for name, visit in visits:
            response = page.goto(live_server.path(visit.path))
            assert response is not None and response.status == visit.status, name
            _assert_enforced_and_scripts_ran(page, response)
            assert log.csp_reports() == [], name

    # The sign-in steps between password and dashboard.
    for username, url in (("pending-enrol", ENROL_URL), ("mfa-page-user", MFA_URL)):
        context, log = browse.context()
        page = context.new_page()
        user = live_server.user(username)
        enter_password(page, user.username, user.password)
        expect(page).to_have_url(url)
        _assert_enforced_and_scripts_ran(page, page.reload())
        assert log.csp_reports() == [], username


VIOLATION = """source => new Promise(resolve => {
    document.addEventListener(
        "securitypolicyviolation", event => resolve(event.effectiveDirective), {once: true});
    const script = document.createElement("script");
    if (source.startsWith("http")) { script.src = source; } else { script.textContent = source; }
    document.body.append(script);
})"""


def test_injected_scripts_are_refused(browse: Browsing) -> None:
    context, log = browse.context(check_console=False)
    page = context.new_page()
    page.goto("/login")

    assert page.evaluate(VIOLATION, "window.injected = true") == "script-src-elem"
    assert page.evaluate("() => window.injected") is None
    assert page.evaluate(VIOLATION, "http://elsewhere.invalid/x.js") == "script-src-elem"
    with pytest.raises(PlaywrightError, match="Content Security Policy"):
        page.add_script_tag(path=AXE_SCRIPT)
    assert page.evaluate("() => typeof window.axe") == "undefined"
    assert len(log.csp_reports()) >= 2, log.messages


def test_uswds_mobile_menu_works_under_the_csp(browse: Browsing) -> None:
    page = browse.page("metro-admin")
    page.set_viewport_size(PHONE)
    page.goto("/")
    nav = page.get_by_role("navigation", name="Primary navigation")
    expect(nav).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="Administration")).to_be_visible()
    nav.get_by_role("button", name="Close").click()
    expect(nav).to_be_hidden()

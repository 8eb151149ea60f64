"""axe-core on every page, as the role that uses it, in normal and error states: no
violation of impact serious or critical."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import assert_accessible, describe, serious_violations
from tests.e2e.conftest import Browsing
from tests.e2e.forms import submit
from tests.e2e.live_server import LiveServer
from tests.e2e.pages import PHONE, visits_by_user
from tests.e2e.sign_in import ENROL_URL, MFA_URL, enter_password

pytestmark = pytest.mark.e2e


def test_every_page_as_its_user(browse: Browsing, live_server: LiveServer) -> None:
    reports = []
    for username, visits in visits_by_user():
        page = browse.page(username, bypass_csp=True)
        for name, visit in visits:
            response = page.goto(live_server.path(visit.path))
            assert response is not None and response.status == visit.status, name
            violations = serious_violations(page)
            if violations:
                reports.append(describe(f"{name} ({page.url})", violations))
    print("\n".join(reports))
    assert not reports, "\n".join(reports)


def _submit_code(page: Page, button: str) -> None:
    page.locator("#code").fill("000000")
    submit(page, button)
    expect(page.locator("#error-summary")).to_be_focused()


def test_sign_in_failure(browse: Browsing) -> None:
    page = browse.page(bypass_csp=True)
    enter_password(page, "nobody-for-axe", "not a password at all")
    expect(page.locator("#error-summary")).to_contain_text("Sign-in failed")
    assert_accessible(page)


def test_enrolment_and_its_error(browse: Browsing, live_server: LiveServer) -> None:
    user = live_server.user("pending-enrol")
    page = browse.page(bypass_csp=True)
    enter_password(page, user.username, user.password)
    expect(page).to_have_url(ENROL_URL)
    assert_accessible(page)
    _submit_code(page, "Turn on two-step verification")
    assert_accessible(page)


def test_verification_code_and_its_error(browse: Browsing, live_server: LiveServer) -> None:
    user = live_server.user("mfa-page-user")
    page = browse.page(bypass_csp=True)
    enter_password(page, user.username, user.password)
    expect(page).to_have_url(MFA_URL)
    assert_accessible(page)
    _submit_code(page, "Verify")
    assert_accessible(page)


def _bad_new_user(page: Page) -> None:
    page.goto("/admin/users/new")
    page.locator("#username").fill("Not A Valid Name!")
    page.locator("#display_name").fill("Valid Name")
    page.locator("#password").fill("short")
    submit(page, "Create user")


def _bad_admin_password(page: Page) -> None:
    page.goto("/admin/users")
    page.get_by_role("link", name="metro-analyst").click()
    page.locator("#password").fill("short")
    submit(page, "Set password")


def _bad_agency(page: Page) -> None:
    page.goto("/admin/agencies")
    page.locator("#name").fill("x")
    submit(page, "Add agency")


def _mismatched_passwords(page: Page) -> None:
    page.goto("/account")
    page.locator("#current_password").fill("whatever it is")
    page.locator("#new_password").fill("one new passphrase here")
    page.locator("#confirm_password").fill("another passphrase there")
    submit(page, "Change password")


INVALID_FORMS = [
    pytest.param("metro-admin", _bad_new_user, id="new-user"),
    pytest.param("metro-admin", _bad_admin_password, id="admin-sets-password"),
    pytest.param("sysadmin", _bad_agency, id="new-agency"),
    pytest.param("metro-analyst", _mismatched_passwords, id="own-password"),
]


@pytest.mark.parametrize(("username", "submit"), INVALID_FORMS)
def test_form_with_validation_errors(
    browse: Browsing, username: str, submit: Callable[[Page], None]
) -> None:
    page = browse.page(username, bypass_csp=True)
    submit(page)
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Please correct")
    expect(page.locator("[aria-invalid=true]")).not_to_have_count(0)
    assert_accessible(page)


def test_new_api_token(browse: Browsing) -> None:
    page = browse.page("metro-analyst", bypass_csp=True)
    page.goto("/account")
    page.locator("#name").fill("nightly export")
    submit(page, "Create token")
    expect(page.locator("#new-token")).not_to_be_empty()
    expect(page.get_by_role("row").filter(has_text="nightly export")).to_contain_text("Active")
    assert_accessible(page)


def test_open_mobile_menu(browse: Browsing) -> None:
    page = browse.page("metro-admin", bypass_csp=True)
    page.set_viewport_size(PHONE)
    page.goto("/")
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("navigation", name="Primary navigation")).to_be_visible()
    assert_accessible(page)

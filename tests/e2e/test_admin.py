"""Administration in a real browser: an agency admin manages a user of its agency end
to end; a system admin adds an agency."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Dialog, expect

from tests.e2e.conftest import Browsing
from tests.e2e.forms import submit
from tests.e2e.live_server import METRO, PASSWORD
from tests.e2e.sign_in import LOGIN_URL, enrol, enter_password

pytestmark = pytest.mark.e2e


def test_agency_admin_creates_edits_and_disables_a_user(browse: Browsing) -> None:
    admin = browse.page("metro-admin")
    admin.goto("/admin/users")
    admin.get_by_role("link", name="Create a user").click()
    expect(admin).to_have_url(re.compile(r"/admin/users/new$"))

    # Only the admin's own agency, and only the roles the admin holds, are offered.
    agencies = admin.locator("#agency_id option")
    expect(agencies).to_have_text([METRO])
    expect(admin.locator("input[name=roles] + label")).to_have_text(
        ["Agency administrator", "Analyst"]
    )
    roles = admin.locator("input[name=roles]")
    assert sorted(roles.evaluate_all("inputs => inputs.map(i => i.value)")) == [
        "agency_admin",
        "analyst",
    ]

    admin.locator("#username").fill("patrol-officer")
    admin.locator("#display_name").fill("Pat Patrol")
    admin.locator("#email").fill("pat.patrol@metro.example")
    admin.locator("#password").fill(PASSWORD)
    admin.locator("label[for=role-analyst]").click()  # USWDS hides the box behind its label
    expect(admin.locator("#role-analyst")).to_be_checked()
    submit(admin, "Create user")

    expect(admin).to_have_url(re.compile(r"/admin/users/\d+\?done=created$"))
    expect(admin.get_by_role("status")).to_have_text("The account was created.")
    expect(admin.locator("dt:text-is('Roles') + dd")).to_have_text("Analyst")
    expect(admin.locator("dt:text-is('Agency') + dd")).to_contain_text(METRO)
    user_page = admin.url.split("?")[0]

    admin.locator("#display_name").fill("Patricia Patrol")
    submit(admin, "Save details")
    expect(admin.get_by_role("status")).to_have_text("The changes were saved.")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("Patricia Patrol")

    # The new user signs in (and sets up two-step verification) in a browser of their own.
    officer = browse.page()
    enter_password(officer, "patrol-officer", PASSWORD)
    enrol(officer)
    expect(officer.get_by_role("heading", level=1)).to_have_text("Welcome, Patricia Patrol")

    # Declining the confirmation leaves the account as it was.
    questions: list[str] = []

    def answer(accept: bool) -> None:
        def respond(dialog: Dialog) -> None:
            questions.append(dialog.message)
            if accept:
                dialog.accept()
            else:
                dialog.dismiss()

        admin.once("dialog", respond)

    status = admin.locator("dt:text-is('Status') + dd")
    answer(accept=False)
    admin.get_by_role("button", name="Disable account").click()
    assert admin.url.startswith(user_page)
    admin.reload()
    expect(status).to_have_text("Active")
    answer(accept=True)
    admin.get_by_role("button", name="Disable account").click()
    expect(admin.get_by_role("status")).to_have_text(
        "The account was disabled; its sessions and API tokens ended."
    )
    expect(status).to_have_text("Disabled")
    assert len(questions) == 2
    assert questions[0].startswith("Disable this account?")

    # The officer's open session ended with the account.
    officer.goto("/account")
    expect(officer).to_have_url(re.compile(r"/login\?next=%2Faccount$"))
    enter_password(officer, "patrol-officer", PASSWORD)
    expect(officer).to_have_url(LOGIN_URL)
    expect(officer.locator("#error-summary")).to_contain_text("Sign-in failed")

    admin.goto("/admin/users")
    row = admin.get_by_role("row").filter(has_text="patrol-officer")
    expect(row).to_contain_text("Patricia Patrol")
    expect(row.get_by_text("Disabled", exact=True)).to_be_visible()


def test_only_a_system_admin_adds_an_agency(browse: Browsing) -> None:
    agency_admin = browse.page("metro-admin")
    agency_admin.goto("/admin/agencies")
    expect(agency_admin.get_by_role("row").filter(has_text=METRO)).to_be_visible()
    expect(agency_admin.get_by_role("button", name="Add agency")).to_have_count(0)

    admin = browse.page("sysadmin")
    admin.goto("/admin/agencies")
    admin.locator("#name").fill("County Office of Emergency Management")
    admin.locator("#kind").select_option(label="Emergency management")
    submit(admin, "Add agency")

    expect(admin).to_have_url(re.compile(r"/admin/agencies\?done=agency$"))
    expect(admin.get_by_role("status")).to_have_text("The agency was saved.")
    row = admin.get_by_role("row").filter(has_text="County Office of Emergency Management")
    expect(row).to_contain_text("Emergency management")
    expect(row).to_contain_text("Active")

    # The new agency is at once a place to create accounts in.
    admin.goto("/admin/users/new")
    expect(admin.locator("#agency_id option")).to_contain_text(
        ["County Office of Emergency Management"]
    )

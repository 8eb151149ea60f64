"""Submitting forms in the browser under test."""

from __future__ import annotations

from playwright.sync_api import Page


def submit(page: Page, button: str) -> None:
    """Press a form's submit button and wait until the page that answers has loaded.

    Without the wait, an assertion could pass on the old page before it is replaced
    (a refused sign-in answers with the same form and a similar message).
    """
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()

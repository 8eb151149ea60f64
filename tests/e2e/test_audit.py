"""The audit viewer in a real browser: only auditors see it, and its filters work."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Browsing
from tests.e2e.forms import submit

pytestmark = pytest.mark.e2e


def _column(page: Page, index: int) -> list[str]:
    cells = page.locator(f"table tbody tr > :nth-child({index})")
    return [text.strip() for text in cells.all_inner_texts()]


def test_auditor_filters_events_and_others_are_refused(browse: Browsing) -> None:
    analyst = browse.page("metro-analyst")
    analyst.goto("/")
    expect(analyst.get_by_role("link", name=re.compile("audit trail", re.I))).to_have_count(0)
    response = analyst.goto("/audit")
    assert response is not None and response.status == 403
    expect(analyst.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(analyst.locator("table")).to_have_count(0)

    auditor = browse.page("auditor")
    auditor.goto("/")
    nav = auditor.get_by_role("navigation", name="Primary navigation")
    nav.get_by_role("link", name="Audit trail").click()
    expect(auditor).to_have_url(re.compile(r"/audit$"))
    expect(auditor.locator("table caption")).to_have_text(re.compile(r"^\d+ events"))
    expect(auditor.locator("table tbody tr")).not_to_have_count(0)

    auditor.locator("#action").fill("auth.login")
    submit(auditor, "Filter")
    expect(auditor).to_have_url(re.compile(r"[?&]action=auth\.login(&|$)"))
    expect(auditor.locator("#action")).to_have_value("auth.login")
    assert set(_column(auditor, 4)) == {"auth.login"}
    assert "auditor" in _column(auditor, 3)  # this auditor's own sign-in

    auditor.locator("#action").fill("user.create")
    submit(auditor, "Filter")
    expect(auditor.locator("#action")).to_have_value("user.create")
    assert set(_column(auditor, 4)) == {"user.create"}
    assert len(_column(auditor, 4)) >= 9  # the seeded accounts

    # The analyst's refusal is itself on the record.
    auditor.goto("/audit")
    auditor.locator("#outcome").select_option("denied")
    auditor.locator("#actor_name").fill("metro-analyst")
    submit(auditor, "Filter")
    expect(auditor.locator("table tbody tr").first).to_contain_text("metro-analyst")
    assert set(_column(auditor, 6)) == {"denied"}
    assert "audit_event.list" in _column(auditor, 4)

    auditor.get_by_role("link", name="Clear").click()
    expect(auditor).to_have_url(re.compile(r"/audit$"))
    expect(auditor.locator("#outcome")).to_have_value("")

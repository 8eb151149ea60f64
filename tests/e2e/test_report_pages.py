"""The agency side of report intake in a browser: filing a report with a person in it,
its validation errors, the report page's highlighted triage words and actions, the
queue's filters, search, and the pages around them, each checked with axe-core."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import Browsing
from tests.e2e.forms import submit

pytestmark = pytest.mark.e2e

REPORT_URL = re.compile(r"/reports/(\d+)\?done=filed$")
NARRATIVE = "Jordan Quill told classmates he will shoot up the school on Friday."


def file_report(page: Page, *, date_of_birth: str = "2008-04-01") -> str:
    """Fill the filing form with one person named in it and send it."""
    page.goto("/reports/new")
    page.locator("#narrative").fill(NARRATIVE)
    page.locator("#m0_role").select_option("subject")
    page.locator("#m0_given_name").fill("Jordan")
    page.locator("#m0_family_name").fill("Quill")
    page.locator("#m0_aliases").fill("Quillster")
    page.locator("#m0_date_of_birth").fill(date_of_birth)
    submit(page, "File report")
    return page.url


def receipt_of(page: Page) -> str:
    heading = page.get_by_role("heading", level=1).inner_text()
    return heading.removeprefix("Report ").strip()


def queue_rows(page: Page, query: str) -> list[str]:
    page.goto(f"/reports?{query}")
    return page.locator("table tbody th[scope=row]").all_inner_texts()


def test_file_handle_and_find_a_report(browse: Browsing) -> None:
    page = browse.page("metro-analyst")

    # A date of birth that is not a date: the summary is focused and names the field.
    file_report(page, date_of_birth="last spring")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Please correct 1 problem")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#m0_date_of_birth")
    expect(page.locator("#m0_family_name")).to_have_value("Quill")  # kept for the fix

    page.locator("#m0_date_of_birth").fill("2008-04-01")
    submit(page, "File report")
    expect(page).to_have_url(REPORT_URL)
    expect(page.locator(".usa-alert")).to_contain_text("The report was filed.")
    receipt, report_url = receipt_of(page), page.url
    marks = page.locator("#narrative mark")
    expect(marks.filter(has_text="told")).to_have_count(1)
    expect(marks.filter(has_text="shoot").first).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Jordan Quill")).to_contain_text("Quillster")
    level = page.locator(".usa-intro .usa-tag").inner_text().strip().lower()

    submit(page, "Acknowledge")
    expect(page.locator(".usa-alert")).to_contain_text("The report was acknowledged.")
    assert receipt in queue_rows(page, f"level={level}")
    other = "low" if level != "low" else "high"
    assert receipt not in queue_rows(page, f"level={other}")

    page.goto(report_url)
    page.locator("#disposition").select_option("referred_to_threat_assessment")
    page.locator("#outcome").fill("Referred to the school's threat-assessment team.")
    submit(page, "Record disposition")
    expect(page.locator(".usa-alert")).to_contain_text("The disposition was recorded")
    expect(page.locator(".vigil-facts").first).to_contain_text("threat-assessment team")

    # Disposed reports leave the queue unless the filter asks for them.
    assert receipt not in queue_rows(page, "")
    page.locator("label[for=include_disposed]").click()  # USWDS hides the box itself
    page.locator("#level").select_option(level)
    submit(page, "Filter")
    expect(page).to_have_url(re.compile(rf"level={level}.*include_disposed=true"))
    expect(page.get_by_role("link", name=receipt, exact=True)).to_be_visible()

    page.goto("/search")
    page.locator("#q").fill("Quill")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    result = page.locator(".vigil-search-results li").filter(has_text=receipt)
    expect(result.locator("mark").first).to_have_text(re.compile("quill", re.IGNORECASE))
    # An alias written only on the person, not in the narrative, finds it too.
    page.goto("/search?q=Quillster")
    expect(page.get_by_role("link", name=receipt, exact=True)).to_be_visible()


def test_routing_rules_as_agency_admin(browse: Browsing) -> None:
    page = browse.page("metro-admin", bypass_csp=True)
    page.goto("/admin/routing")
    assert_accessible(page)
    page.locator("#match_kind").select_option("school")
    page.locator("#value").fill("Lincoln High School")
    submit(page, "Add rule")
    expect(page.locator(".usa-alert")).to_contain_text("The routing rule was added.")
    expect(page.get_by_role("row").filter(has_text="Lincoln High School")).to_contain_text(
        "Metro Police Department"
    )
    # The same rule again is refused with the error summary.
    page.locator("#value").fill("lincoln  high school")
    submit(page, "Add rule")
    expect(page.locator("#error-summary")).to_be_focused()
    assert_accessible(page)


def _filed(page: Page) -> None:
    file_report(page)
    expect(page).to_have_url(REPORT_URL)


def _filing_errors(page: Page) -> None:
    file_report(page, date_of_birth="2008-13-45")
    expect(page.locator("#error-summary")).to_be_focused()


def _search_results(page: Page) -> None:
    file_report(page)
    page.goto("/search?q=Quill")
    expect(page.locator(".vigil-search-results mark").first).to_be_visible()


def _visit(path: str) -> Callable[[Page], None]:
    def go(page: Page) -> None:
        response = page.goto(path)
        assert response is not None and response.status == 200, path

    return go


PAGES = [
    pytest.param("metro-analyst", _visit("/reports"), id="queue"),
    pytest.param(
        "metro-analyst", _visit("/reports?level=high&include_disposed=true"), id="queue-filtered"
    ),
    pytest.param("metro-analyst", _visit("/reports/new"), id="new-report"),
    pytest.param("metro-analyst", _filing_errors, id="new-report-errors"),
    pytest.param("metro-analyst", _filed, id="report-page"),
    pytest.param("metro-analyst", _search_results, id="search-results"),
    pytest.param("metro-analyst", _visit("/search"), id="search"),
    pytest.param("metro-supervisor", _visit("/notifications"), id="notifications"),
    pytest.param("metro-supervisor", _visit("/reports/retention"), id="retention"),
]


@pytest.mark.parametrize(("username", "reach"), PAGES)
def test_intake_page_is_accessible(
    browse: Browsing, username: str, reach: Callable[[Page], None]
) -> None:
    page = browse.page(username, bypass_csp=True)
    reach(page)
    assert_accessible(page)

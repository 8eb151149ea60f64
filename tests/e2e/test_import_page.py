"""Browser test of the bulk-import page (lands with the import feature)."""

from __future__ import annotations

# imports as in test_report_pages.py
from tests.e2e.test_report_pages import Browsing, assert_accessible, expect, submit


def test_report_import(browse: Browsing) -> None:
    page = browse.page("metro-analyst", bypass_csp=True)
    page.goto("/reports/import")
    assert_accessible(page)
    page.set_input_files(
        "#file",
        files=[
            {
                "name": "reports.csv",
                "mimeType": "text/csv",
                "buffer": b"narrative,location_text\n,Main Street\n",
            }
        ],
    )
    submit(page, "Import")
    expect(page.get_by_role("alert").filter(has_text="Nothing was imported")).to_be_visible()
    assert_accessible(page)

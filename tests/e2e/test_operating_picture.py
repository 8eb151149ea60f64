"""The operating picture in a real browser: the page updates itself without a reload
when a hospital list is uploaded elsewhere (the served script polls the live fragment,
under the strict CSP), announces the update to screen readers, and passes axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import Browsing
from tests.e2e.live_server import METRO, LiveServer
from vigil.platform.actor import command_line
from vigil.platform.database import make_engine, make_sessionmaker, transaction
from vigil.response.person_links import find_row
from vigil.response.reunification import create_incident, upload_list
from vigil.response.reunification_sites import add_location, open_site

HEADER = "id,list,full_name,dob,age,sex,description\n"
ROSTER = HEADER + 's1,roster,"GARCIA, ANA",2010-03-04,,F,\ns2,roster,"LEE, SAM",2011-07-01,,M,\n'
HOSPITAL = HEADER + "h1,hospital,Unknown Male,,about 16,M,red hoodie\n"


def _upload(server: LiveServer, incident_id: int, text: str, name: str) -> None:
    engine = make_engine(server.settings)
    try:
        with transaction(make_sessionmaker(engine)) as db:
            stored = upload_list(
                db,
                actor=command_line("e2e"),
                incident_id=incident_id,
                data=text.encode(),
                source_name=name,
                today=date(2026, 11, 26),
            )
            assert stored.stored, stored
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def incident_id(live_server: LiveServer) -> Iterator[int]:
    engine = make_engine(live_server.settings)
    shell = command_line("e2e")
    try:
        with transaction(make_sessionmaker(engine)) as db:
            incident = create_incident(
                db,
                actor=shell,
                name="Metro High shooting",
                kind="school_shooting",
                place="Metro High",
                started_at=datetime(2026, 11, 26, 8, tzinfo=UTC),
                lead_agency_id=live_server.agency_ids[METRO],
                agencies={},
            )
            add_location(
                db,
                actor=shell,
                incident_id=incident.id,
                kind="incident",
                name="Metro High",
                position=(39.74, -104.99),
            )
            ident = incident.id
    finally:
        engine.dispose()
    _upload(live_server, ident, ROSTER, "roster.csv")
    yield ident


def test_the_picture_updates_without_a_reload(
    browse: Browsing, live_server: LiveServer, incident_id: int
) -> None:
    page = browse.page("metro-supervisor")
    page.goto(f"/incidents/{incident_id}/picture")
    people = page.locator("#people-table")
    expect(people).to_contain_text("Unaccounted for")
    expect(people).not_to_contain_text("At a hospital")
    expect(page.locator("#places-table")).to_contain_text("Metro High")
    page.evaluate("window.vigilNotReloaded = true")
    _upload(live_server, incident_id, HOSPITAL, "metro-general.csv")
    # Under the strict CSP (this page does not bypass it): the served script updates it.
    expect(people).to_contain_text("At a hospital", timeout=15_000)
    expect(page.locator("#picture-status")).to_contain_text("Updated at")
    assert page.evaluate("window.vigilNotReloaded === true")
    # axe-core is injected as an inline script, so its page bypasses the CSP.
    checked = browse.page("metro-supervisor", bypass_csp=True)
    checked.goto(f"/incidents/{incident_id}/picture")
    expect(checked.locator("#people-table")).to_contain_text("At a hospital")
    assert_accessible(checked)


def test_reunification_pages_are_accessible(
    browse: Browsing, live_server: LiveServer, incident_id: int
) -> None:
    engine = make_engine(live_server.settings)
    try:
        with transaction(make_sessionmaker(engine)) as db:
            site_id = open_site(
                db,
                actor=command_line("e2e"),
                incident_id=incident_id,
                name="Metro gym",
                address="1 Gym St",
                position=None,
            ).id
    finally:
        engine.dispose()
    page = browse.page("metro-supervisor", bypass_csp=True)
    base = f"/reunification/incidents/{incident_id}"
    for path in (f"{base}/upload", f"{base}/sites", f"{base}/sites/{site_id}"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)
    # An error state: a check-in naming nobody on the lists.
    page.locator("#checkin-person").fill("nobody")
    page.locator("#checkin-presented_name").fill("Pat Jones")
    page.get_by_role("button", name="Verify against the guardian list").click()
    expect(page.locator("#error-summary")).to_be_focused()
    assert_accessible(page)


def test_a_listed_persons_page_is_accessible(
    browse: Browsing, live_server: LiveServer, incident_id: int
) -> None:
    page = browse.page("metro-supervisor", bypass_csp=True)
    engine = make_engine(live_server.settings)
    try:
        with transaction(make_sessionmaker(engine)) as db:
            person_id = find_row(db, incident_id, row_id="s1").id
    finally:
        engine.dispose()
    page.goto(f"/incidents/{incident_id}/people/{person_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Listed person s1")
    assert_accessible(page)
    # The "same person as" form, used from the keyboard, and its error state.
    field = page.get_by_label("List id of the other row")
    field.focus()
    field.fill("nobody")
    page.keyboard.press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#link-same_as")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    # Linked by mistake to another student, then the link removed from the keyboard:
    # the reason is required (its error under the field), then kept in the history.
    page.get_by_label("List id of the other row").fill("s2")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("linked as the same person")
    reason = page.get_by_label("Why s2 is not this person")
    reason.focus()
    page.keyboard.press("Enter")  # the browser keeps an empty required field back
    expect(page.get_by_role("status")).to_contain_text("linked as the same person")
    reason.fill(" ")
    page.keyboard.press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.get_by_label("Why s2 is not this person")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.get_by_label("Why s2 is not this person").fill("Two students, not one")
    page.get_by_role("button", name="Remove the link to s2").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("The link is removed")
    expect(page.locator("#link-history")).to_contain_text("Two students, not one")
    assert_accessible(page)

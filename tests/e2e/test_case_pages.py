"""A threat-assessment case through its whole life in a browser, as a threat-assessment
user of the report's agency: opened from a report by keyboard, a team member from
another agency, a TRAP-18 assessment autosaved as it is typed (nothing lost on a
reload, an impossible date refused, completion with items missing refused), the risk
decision, an extreme risk protection order through its court steps, a review, a share
and its revocation, the statuses to closing, the printable summary and its PDF, the
dashboard and the case list; every page and error state checked with axe-core, and the
same pages and autosave under the enforced Content Security Policy."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Dialog, Locator, Page, Response, expect

from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import Browsing
from tests.e2e.forms import submit
from tests.e2e.live_server import METRO, OPERATOR, LiveServer
from vigil.platform.database import make_engine, make_sessionmaker, transaction
from vigil.platform.types import utcnow
from vigil.reports.models import Mention, Report
from vigil.reports.numbers import new_receipt_number

pytestmark = pytest.mark.e2e

LEAD = "metro-assessor"  # threat-assessment staff of the report's agency
MEMBER = "fusion-analyst"  # an analyst of another agency, on the team
SUPERVISOR = "metro-supervisor"  # sees every case of the agency without being on it
SUBJECT = "Casey Morgan"
# The machine running these may be busy: an autosave waits 1.5 s after the last key,
# then the server answers; these waits end as soon as the page shows the result.
AUTOSAVE_MS = 30_000
PAGE_MS = 30_000
CASE_URL = re.compile(r"/cases/(\d+)\?done=opened$")
ASSESSMENT_URL = re.compile(r"/cases/\d+/assessments/\d+$")


@pytest.fixture(scope="module")
def report_id(live_server: LiveServer) -> int:
    """A report of the lead's agency naming one subject (the cases' origin)."""
    engine = make_engine(live_server.settings)
    try:
        with transaction(make_sessionmaker(engine)) as db:
            agency_id = live_server.agency_ids[METRO]
            given, family = SUBJECT.split()
            report = Report(
                receipt_number=new_receipt_number(),
                kind="agency_report",
                source="web",
                narrative=f"{SUBJECT} posted in a group chat about bringing a gun to school.",
                marking="AMBER",
                owner_agency_id=agency_id,
                routed_agency_id=agency_id,
                reported_at=utcnow(),
                mentions=[Mention(role="subject", given_name=given, family_name=family)],
            )
            db.add(report)
            db.flush()
            return report.id
    finally:
        engine.dispose()


def _today() -> date:
    return utcnow().date()  # the server's date, which the forms check against


def _days(offset: int) -> str:
    return (_today() + timedelta(days=offset)).isoformat()


def _field(page: Page, item: str, suffix: str) -> Locator:
    # Assessment fields are named "<item>.<suffix>": a dot, which CSS would read as a class.
    return page.locator(f'[id="{item}.{suffix}"]')


def _fact(page: Page, name: str) -> Locator:
    """A fact about the case from the list under its heading (Status, Risk level...)."""
    return page.locator("dl.vigil-facts").first.locator(f"dt:text-is('{name}') + dd")


def _flash(page: Page) -> Locator:
    return page.locator(".usa-alert--success")


def _open_case_by_keyboard(page: Page, report_id: int, title: str) -> int:
    page.goto(f"/cases/new?report_id={report_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a threat-assessment case")
    assert_accessible(page)
    page.get_by_label("Case title").focus()
    page.keyboard.type(title)
    page.keyboard.press("Tab")  # into the regime radios, on the checked one
    expect(page.get_by_label("Threat-assessment record", exact=True)).to_be_focused()
    page.keyboard.press("ArrowDown")
    school = page.get_by_label("School threat-assessment record", exact=False)
    expect(school).to_be_focused()
    expect(school).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Days between reviews")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.type("No access to firearms and a safety plan in place for a semester.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Open the case")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    found = CASE_URL.search(page.url)
    assert found, page.url
    return int(found.group(1))


def _answer(page: Page, item: str, value: str) -> None:
    page.locator(f"label[for='{item}-{value}']").click()


def _autosaved(page: Page, text: str) -> AbstractContextManager[Any]:
    """Wait for the autosave whose draft holds ``text`` (and so all typed before it)."""

    def holds(response: Response) -> bool:
        request = response.request
        return (
            request.method == "POST"
            and request.headers.get("x-vigil-autosave") == "1"
            and text in (request.post_data or "")
        )

    return page.expect_response(holds, timeout=AUTOSAVE_MS)


def _assess(page: Page) -> None:
    """Type a TRAP-18 assessment: draft, reload, refused date, refused completion, done."""
    status = page.locator("#autosave-status")
    expect(status).to_have_attribute("aria-live", "polite")
    # Fixation, by keyboard: the radio, its sources, the date and notes.
    page.locator("[id='fixation-present']").focus()
    page.keyboard.press("Space")
    expect(page.locator("[id='fixation-present']")).to_be_checked()
    sketchbook = "Sketchbook seen by the art teacher; drawings of the cafeteria."
    _field(page, "fixation", "sources").fill(sketchbook)
    _field(page, "fixation", "observed_on").fill(_days(-3))
    with _autosaved(page, "Weeks of drawings"):
        _field(page, "fixation", "notes").fill("Weeks of drawings, the same room each time.")
    expect(status).to_contain_text("Draft saved at", timeout=AUTOSAVE_MS)
    expect(status).not_to_contain_text("not taken")

    page.reload()
    expect(page.locator("[id='fixation-present']")).to_be_checked()
    expect(_field(page, "fixation", "sources")).to_have_value(sketchbook)
    expect(_field(page, "fixation", "observed_on")).to_have_value(_days(-3))
    expect(_field(page, "fixation", "notes")).to_have_value(
        "Weeks of drawings, the same room each time."
    )
    expect(status).to_be_empty()

    # A date in the future is not taken; the notes typed with it are.
    leakage_notes = "Told two friends it would happen before the spring break."
    _field(page, "leakage", "notes").fill(leakage_notes)
    with _autosaved(page, _days(30)):
        _field(page, "leakage", "observed_on").fill(_days(30))
    expect(status).to_contain_text("1 field(s) not taken", timeout=AUTOSAVE_MS)
    expect(status).to_contain_text("not in the future")
    page.reload()
    expect(_field(page, "leakage", "notes")).to_have_value(leakage_notes)
    expect(_field(page, "leakage", "observed_on")).to_have_value("")
    expect(_field(page, "fixation", "sources")).to_have_value(sketchbook)

    # Completing with items missing: the summary, focused, links to each field.
    submit(page, "Complete the assessment")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Answer “Pathway”.")
    expect(summary).not_to_contain_text("Fixation")  # answered in full
    assert_accessible(page)
    link = summary.get_by_role("link", name="Answer “Leakage”.")
    expect(link).to_have_attribute("href", "#leakage.answer")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("[id='leakage.answer']")).to_be_focused()
    expect(page.locator("[id='leakage.answer-error']")).to_have_text("Answer “Leakage”.")
    expect(_field(page, "leakage", "notes")).to_have_value(leakage_notes)  # nothing lost
    expect(_field(page, "fixation", "sources")).to_have_value(sketchbook)

    # Every item: two proximal warning behaviors present, everything else absent.
    keys = page.locator("fieldset.vigil-item").evaluate_all(
        "items => items.map(item => item.id.slice('item-'.length))"
    )
    assert len(keys) == 18, keys
    for key in keys:
        _answer(page, key, "present" if key in ("fixation", "leakage") else "absent")
        sources = _field(page, key, "sources")
        if not sources.input_value():
            sources.fill("Interviews with the school counselor and two teachers.")
        _field(page, key, "observed_on").fill(_days(-2))
    submit(page, "Complete the assessment")
    expect(page).to_have_url(re.compile(r"\?done=completed$"))
    expect(_flash(page)).to_have_text("The assessment is complete.")
    expect(page.locator("form[data-autosave]")).to_have_count(0)
    expect(page.locator("#item-fixation")).to_contain_text(sketchbook)
    assert_accessible(page)


def _intervention(page: Page) -> Locator:
    return page.locator("section.vigil-intervention").filter(
        has=page.get_by_role("heading", name="Extreme risk protection order petition")
    )


def _update_petition(page: Page, fields: dict[str, str], step: str | None = None) -> Locator:
    section = _intervention(page)
    details = section.locator("details")
    if details.get_attribute("open") is None:
        section.locator("summary").click()
    if step is not None:
        section.get_by_label("Petition step").select_option(label=step)
    for label, value in fields.items():
        section.get_by_label(label, exact=True).fill(value)
    submit(page, "Save the update")
    return _intervention(page)


def _move(page: Page, to: str, **fields: str) -> None:
    page.locator("#status-status").select_option(label=to)
    for name, value in fields.items():
        page.locator(f"#status-{name}").fill(value)
    submit(page, "Change status")


def test_case_life_cycle(browse: Browsing, report_id: int) -> None:
    page = browse.page(LEAD, bypass_csp=True)
    page.set_default_timeout(PAGE_MS)

    # 1. Opened from the report, by keyboard, as a school record.
    case_id = _open_case_by_keyboard(page, report_id, "Threats in a group chat")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Threats in a group chat")
    number = heading.inner_text().split(":")[0].removeprefix("Case ")
    expect(_flash(page)).to_have_text("The case is open and you lead its team.")
    expect(page.get_by_role("region", name="Record regime")).to_contain_text(
        "also a student education record"
    )
    expect(page.locator("#subjects + ul")).to_contain_text(SUBJECT)
    expect(page.locator("main")).to_contain_text("Closure criteria: No access to firearms")
    assert_accessible(page)
    _move(page, "Assessing", note="Assessment started the day of the report.")
    expect(_flash(page)).to_have_text("The case status changed.")

    # 2. A team member from another agency, then the assessment.
    page.get_by_label("Add a member by username").fill(MEMBER)
    submit(page, "Add to the team")
    expect(_flash(page)).to_have_text("The team member was added.")
    member = page.get_by_role("row").filter(has_text="Frankie Fusion")
    expect(member).to_contain_text(OPERATOR)
    expect(member).to_contain_text("Team member")
    page.get_by_label("Instrument").select_option(label="TRAP-18 (version 1)")
    submit(page, "Start an assessment")
    expect(page).to_have_url(ASSESSMENT_URL)
    expect(page.get_by_role("heading", level=1)).to_contain_text("TRAP-18")
    assert_accessible(page)
    _assess(page)
    page.get_by_role("link", name="Back to the case").click()
    suggested = page.get_by_role("region", name=re.compile("^Suggested level"))
    expect(suggested).to_contain_text("Suggested level: High")
    expect(suggested).to_contain_text("Two or more proximal warning behaviors present")
    expect(suggested).to_contain_text("Fixation, Leakage")
    expect(page.locator("#assessments + ul")).to_contain_text("complete")

    # 3. The team's level: a rationale too short first (said beside it, text kept).
    page.get_by_label("High", exact=True).focus()
    page.keyboard.press("Space")
    page.get_by_label("Rationale").fill("Leakage")
    submit(page, "Record the risk level")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#risk-rationale-error")).to_have_text("Write at least 20 characters.")
    expect(page.get_by_label("Rationale")).to_have_value("Leakage")
    expect(page.get_by_label("Rationale")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("High", exact=True)).to_be_checked()
    assert_accessible(page)
    page.get_by_label("Rationale").fill("Leakage to two friends and weeks of fixation on one room.")
    submit(page, "Record the risk level")
    expect(_flash(page)).to_have_text("The risk level was recorded with its rationale.")
    expect(_fact(page, "Risk level")).to_contain_text("High")
    _move(page, "Managing")

    # 4. The plan: a protection-order petition through its court steps.
    page.get_by_label("Kind").select_option(label="Extreme risk protection order petition")
    page.get_by_label("What is to be done").fill("Petition the court; the father owns guns.")
    page.get_by_label("Due on").fill(_days(14))
    submit(page, "Add to the plan")
    expect(_flash(page)).to_have_text("The intervention was added to the plan.")
    expect(_intervention(page)).to_contain_text("Not filed yet")
    section = _update_petition(page, {"Date of that step": _days(-10)}, "Petition filed")
    expect(_flash(page)).to_have_text("The intervention was updated.")
    expect(section).to_contain_text(f"Petition filed; filed {_days(-10)}")
    # An impossible step: an order expires only once granted.
    section = _update_petition(page, {"Date of that step": _days(-5)}, "Order expired")
    expect(section.locator(".usa-error-message")).to_have_text(
        "The petition's last step is “petition filed”: it cannot become order expired next; "
        "only order granted or petition denied can come next."
    )
    expect(section.get_by_label("Petition step")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-summary")).to_be_focused()
    assert_accessible(page)
    # An impossible date: expiring before it was granted; the dates typed are kept.
    section = _update_petition(
        page, {"Date of that step": _days(-5), "Order expires on": _days(-6)}, "Order granted"
    )
    expect(section.get_by_text("An order expires after it is granted.")).to_be_visible()
    expect(section.get_by_label("Date of that step")).to_have_value(_days(-5))
    expect(section.get_by_label("Order expires on")).to_have_value(_days(-6))
    expect(section.get_by_label("Petition step")).to_have_value("granted")
    section = _update_petition(page, {"Order expires on": _days(360)})
    expect(_flash(page)).to_have_text("The intervention was updated.")
    expect(section).to_contain_text(f"Order granted; filed {_days(-10)}; decided {_days(-5)}")
    expect(section).to_contain_text(f"expires {_days(360)}")
    section = _update_petition(
        page,
        {"Firearms known": "3", "Firearms relinquished": "3", "Relinquished on": _days(-4)},
    )
    expect(section).to_contain_text(f"3 relinquished of 3 known, on {_days(-4)}")

    # A review, then a share with the other agency, revoked.
    page.get_by_label("Summary of the review").fill("The order is in force; supports go on.")
    submit(page, "Record the review")
    expect(_flash(page)).to_have_text("The review was recorded; the next one is scheduled.")
    expect(page.locator("#reviews + ul")).to_contain_text("The order is in force")
    page.get_by_label("Share with").select_option(label=OPERATOR)
    page.get_by_label("Why they need to know").fill("Their analyst tracks the online posts.")
    submit(page, "Share the case")
    expect(_flash(page)).to_have_text("The case was shared; the dissemination is recorded.")
    questions: list[str] = []

    def accept(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    submit(page, f"Revoke the share with {OPERATOR}")
    assert questions and questions[0].startswith("Revoke this share?")
    expect(_flash(page)).to_have_text("The share was revoked; that agency no longer sees the case.")
    expect(page.locator("#sharing + ul")).to_contain_text(f"revoked {_today().isoformat()}")

    # The statuses to closing: a stale page cannot make an impossible move.
    stale = page.context.new_page()
    stale.set_default_timeout(PAGE_MS)
    stale.goto(f"/cases/{case_id}")
    _move(page, "Monitoring", note="Order in force; monthly check-ins.")
    expect(_fact(page, "Status")).to_contain_text("Monitoring")
    _move(stale, "Monitoring")
    expect(stale.locator("#error-summary")).to_be_focused()
    expect(stale.locator("#status-status-error")).to_have_text(
        "A case that is monitoring can move to: Assessing, Managing, Closed."
    )
    assert_accessible(stale)
    stale.close()
    page.reload()
    _move(page, "Closed", note="Closing after the order.")
    expect(page.locator("#status-closing_summary-error")).to_have_text("This is required.")
    expect(page.locator("#status-note")).to_have_value("Closing after the order.")
    closing = "The order is in force, the guns are relinquished and the student is supported."
    _move(page, "Closed", closing_summary=closing)
    expect(_flash(page)).to_have_text("The case status changed.")
    expect(_fact(page, "Status")).to_contain_text("Closed")
    expect(page.locator("#history + ul")).to_contain_text("Monitoring → Closed")
    assert_accessible(page)

    # 5. The printable summary and its PDF.
    page.get_by_role("link", name="Printable summary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Case {number}: Threats in a group chat"
    )
    article = page.locator("article")
    for shown in (closing, "Two or more proximal warning behaviors present", "(revoked"):
        expect(article).to_contain_text(shown)
    assert_accessible(page)
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download as PDF").click()
    download = downloading.value
    assert download.suggested_filename == f"{number}.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    # 6. The dashboard and the case list, for the lead and for the agency's supervisor.
    page.goto("/assessment/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Threat-assessment dashboard")
    expect(page.locator("main")).not_to_contain_text("No case has a completed assessment yet")
    assert_accessible(page)
    page.goto("/cases")
    assert_accessible(page)
    page.get_by_label("Status").select_option(label="Closed")
    submit(page, "Show cases")
    expect(page.get_by_role("row").filter(has_text=number)).to_contain_text("High")
    assert_accessible(page)
    supervisor = browse.page(SUPERVISOR, bypass_csp=True)
    supervisor.set_default_timeout(PAGE_MS)
    supervisor.goto("/cases?status=closed")
    supervisor.get_by_role("link", name=number).click()
    expect(supervisor.get_by_role("heading", level=1)).to_contain_text(number)
    assert_accessible(supervisor)


def test_case_pages_under_the_content_security_policy(browse: Browsing, report_id: int) -> None:
    context, log = browse.context(LEAD)
    page = context.new_page()
    page.set_default_timeout(PAGE_MS)
    page.goto(f"/cases/new?report_id={report_id}")
    page.get_by_label("Case title").fill("Posts about the school")
    submit(page, "Open the case")
    case_url = page.url.split("?")[0]
    page.get_by_label("Instrument").select_option(label="TRAP-18 (version 1)")
    submit(page, "Start an assessment")
    expect(page).to_have_url(ASSESSMENT_URL)
    # The autosave's fetch runs under the policy.
    with _autosaved(page, "Screenshots"):
        _field(page, "pathway", "sources").fill("Screenshots sent by a parent")
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at", timeout=AUTOSAVE_MS)
    page.reload()
    expect(_field(page, "pathway", "sources")).to_have_value("Screenshots sent by a parent")
    # Reloaded before the autosave's moment: the beacon saves the text as the page goes
    # (it may reach the server after the new page was drawn, with the older copy); what
    # is typed next on that page does not overwrite it with the older copy.
    _field(page, "pathway", "notes").fill("Typed just before the reload")
    page.reload()
    with _autosaved(page, "Typed after the reload"):
        _field(page, "fixation", "notes").fill("Typed after the reload")
    page.reload()
    expect(_field(page, "pathway", "notes")).to_have_value("Typed just before the reload")
    expect(_field(page, "fixation", "notes")).to_have_value("Typed after the reload")
    expect(_field(page, "pathway", "sources")).to_have_value("Screenshots sent by a parent")
    for path in (case_url, f"{case_url}/summary", "/cases", "/assessment/dashboard"):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
    assert log.csp_reports() == [], log.messages
    assert log.page_errors == [], log.page_errors

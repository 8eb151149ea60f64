"""Linkage in a browser: a person's timeline with a pointer to another agency's report,
an access request by keyboard and its grant, and the review of a possible match, each
page checked with axe-core."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import Browsing
from tests.e2e.forms import submit
from tests.e2e.live_server import METRO, OPERATOR, LiveServer
from vigil.linkage import membership
from vigil.linkage.models import MatchCandidate
from vigil.platform.database import make_engine, make_sessionmaker, transaction
from vigil.platform.models import Agency
from vigil.platform.types import utcnow
from vigil.reports.models import Mention, Report
from vigil.reports.numbers import new_receipt_number

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Seeded:
    person_id: int
    candidate_id: int
    held_receipt: str


def _report(db: object, agency_id: int, name: str) -> Report:
    given, family = name.split()
    report = Report(
        receipt_number=new_receipt_number(),
        kind="agency_report",
        source="web",
        narrative=f"{name} told a classmate about a plan for Friday.",
        marking="AMBER",
        owner_agency_id=agency_id,
        routed_agency_id=agency_id,
        reported_at=utcnow(),
        mentions=[Mention(role="subject", given_name=given, family_name=family)],
    )
    db.add(report)  # type: ignore[attr-defined]
    db.flush()  # type: ignore[attr-defined]
    return report


def _seed(server: LiveServer) -> Seeded:
    engine = make_engine(server.settings)
    try:
        with transaction(make_sessionmaker(engine)) as db:
            metro = db.get_one(Agency, server.agency_ids[METRO])
            operator = db.get_one(Agency, server.agency_ids[OPERATOR])
            own = _report(db, metro.id, "Rowan Pike")
            held = _report(db, operator.id, "Rowan Pike")
            maybe = _report(db, metro.id, "Rowen Pike")
            person = membership.place(db, own.mentions[0].id, None, linked_by="run")
            membership.place(db, held.mentions[0].id, person, linked_by="run")
            membership.place(db, maybe.mentions[0].id, None, linked_by="run")
            a, b = membership.ordered(own.mentions[0].id, maybe.mentions[0].id)
            candidate = MatchCandidate(
                mention_a_id=a,
                mention_b_id=b,
                match_weight=4.2,
                match_probability=0.95,
                explanation=[
                    {"comparison": "surname", "level": "exact", "weight": 6.1},
                    {"comparison": "first_name", "level": "jaro-winkler >= 0.9", "weight": 2.0},
                ],
                found_by="run",
            )
            db.add(candidate)
            db.flush()
            return Seeded(person, candidate.id, held.receipt_number)
    finally:
        engine.dispose()


def test_person_pointer_access_request_and_review(browse: Browsing) -> None:
    seeded = _seed(browse.server)
    page = browse.page("metro-analyst", bypass_csp=True)
    page.goto(f"/persons/{seeded.person_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Person {seeded.person_id}")
    assert_accessible(page)
    pointers = page.locator("section, ul").filter(has_text="holds a")
    expect(pointers.first).to_contain_text(OPERATOR)
    expect(page.locator("body")).not_to_contain_text(seeded.held_receipt)

    # Ask for access by keyboard: an empty reason first, then a real one.
    reason = page.get_by_label("Why you need to know")
    reason.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Request access")).to_be_focused()
    reason.fill("Same student appears in our threat case; need to assess.")
    with page.expect_navigation():
        page.get_by_role("button", name="Request access").press("Enter")
    expect(page.locator(".usa-alert")).to_contain_text("Your request was sent")
    assert_accessible(page)

    holder = browse.page("fusion-analyst", bypass_csp=True)
    holder.goto("/linkage/access-requests")
    assert_accessible(holder)
    holder.get_by_role("link", name="Request").first.click()
    assert_accessible(holder)
    holder.get_by_label("Grant: share the report").focus()  # USWDS radios: by keyboard
    holder.keyboard.press("Space")
    expect(holder.get_by_label("Grant: share the report")).to_be_checked()
    holder.get_by_label("Reason").fill("Need to know confirmed with the requester.")
    submit(holder, "Record the decision")
    expect(holder.locator(".usa-alert")).to_contain_text("Access granted")

    page.goto(f"/persons/{seeded.person_id}")
    expect(page.locator("table").first).to_contain_text(seeded.held_receipt)

    reviewer = browse.page("metro-supervisor", bypass_csp=True)
    reviewer.goto(f"/linkage/review/{seeded.candidate_id}")
    assert_accessible(reviewer)
    expect(reviewer.get_by_role("table")).to_contain_text("surname")
    reviewer.get_by_label("Not the same person").focus()
    reviewer.keyboard.press("Space")
    expect(reviewer.get_by_label("Not the same person")).to_be_checked()
    submit(reviewer, "Record the decision")
    expect(reviewer.locator(".usa-alert")).to_contain_text("Recorded: not the same person")
    assert_accessible(reviewer)

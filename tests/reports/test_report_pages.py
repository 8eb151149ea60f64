"""The report pages through the real HTTP stack: the triage queue and its filters, the
filing form (inline errors, nothing stored on error, hostile text made inert), the
report page and every action form on it; every view of a report is audited."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import make_agency, make_user
from tests.reports.factories import make_report
from vigil.platform import sessions
from vigil.platform.models import AuditEvent, User
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.reports.models import FileClassChange, Mention, Report
from vigil.web.app import create_app
from vigil.web.csrf import CSRF_COOKIE
from vigil.web.deps import SESSION_COOKIE

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
ROW_LINK = re.compile(r'<a class="usa-link" href="/reports/(\d+)">')
NEXUS = "Photographed every entrance and asked staff when the doors are unlocked."
PREDICATE = "Bought a rifle through a straw purchaser, a federal felony, per two sources."
JUSTIFICATION = "The purchase receipt and both statements corroborate the plan he posted."


class Browser:
    """A client with its own cookies, signed in as one user, posting with CSRF."""

    def __init__(self, client: TestClient, session_raw: str) -> None:
        self.client = client
        client.cookies.set(SESSION_COOKIE, session_raw)
        page = client.get("/login")
        found = CSRF_INPUT.search(page.text)
        assert found and client.cookies.get(CSRF_COOKIE)
        self.csrf = found.group(1)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None) -> httpx.Response:
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})})


class Site:
    def __init__(self, settings: Settings, factory: sessionmaker[Session], db: Session) -> None:
        self.app = create_app(settings, session_factory=factory)
        self.factory = factory
        self.db = db
        self.home = make_agency(db, name="Riverside Police")
        self.partner = make_agency(db, name="Riverside Schools")
        self.other = make_agency(db, name="Hill County")
        self.analyst = make_user(db, agency=self.home, roles={Role.ANALYST})
        self.supervisor = make_user(db, agency=self.home, roles={Role.SUPERVISOR})
        self.stranger = make_user(db, agency=self.other, roles={Role.SUPERVISOR})
        db.commit()
        self.clients: list[TestClient] = []

    def browser(self, user: User) -> Browser:
        raw, _ = sessions.start_session(self.db, user=user, mfa_verified=True)
        self.db.commit()
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        self.clients.append(client)
        return Browser(client, raw)

    def fresh(self) -> Session:
        return self.factory()


@pytest.fixture()
def site(settings: Settings, session_factory: sessionmaker[Session], db: Session) -> Iterator[Site]:
    built = Site(settings, session_factory, db)
    yield built
    for client in built.clients:
        client.close()


def reads_of(site: Site, report_id: int) -> int:
    with site.fresh() as fresh:
        return fresh.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == "report.read",
                AuditEvent.object_id == str(report_id),
                AuditEvent.outcome == "success",
            )
        ).scalar_one()


def stored(site: Site, report_id: int) -> Report:
    with site.fresh() as fresh:
        report = fresh.get(Report, report_id)
        assert report is not None
        _ = report.mentions, report.shares
        fresh.expunge_all()
        return report


def listed(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [int(found) for found in ROW_LINK.findall(response.text)]


# --- the queue ----------------------------------------------------------------------------


def test_the_queue_puts_the_most_urgent_first_and_hides_what_it_must(site):
    db, home = site.db, site.home
    low = make_report(db, agency=home, level="low", score=5)
    high_late = make_report(db, agency=home, level="high", score=50)
    high_strong = make_report(db, agency=home, level="high", score=60)
    overridden = make_report(db, agency=home, level="low", score=0)
    overridden.level_override = "imminent"
    moderate = make_report(db, agency=home, level="moderate", score=30)
    disposed = make_report(db, agency=home, level="imminent", score=90, disposed=True)
    hidden = make_report(db, agency=site.other, level="imminent", score=99)
    strict_elsewhere = make_report(db, agency=site.other, marking="AMBER+STRICT")
    db.commit()
    browser = site.browser(site.analyst)

    rows = listed(browser.get("/reports"))
    assert rows == [overridden.id, high_strong.id, high_late.id, moderate.id, low.id]
    assert "5 reports" in browser.get("/reports").text
    with_disposed = listed(browser.get("/reports", params={"include_disposed": "true"}))
    assert with_disposed[0] == disposed.id and len(with_disposed) == 6
    assert hidden.id not in with_disposed and strict_elsewhere.id not in with_disposed


def test_the_queue_filters(site):
    db, home, partner = site.db, site.home, site.partner
    day = datetime(2026, 3, 10, 12, tzinfo=UTC)
    tip = make_report(db, agency=home, kind="tip", reported_at=day, behaviors=["photography"])
    sar = make_report(
        db, agency=home, kind="sar", level="high", reported_at=day + timedelta(days=2)
    )
    routed = make_report(
        db,
        agency=home,
        routed_to=partner,
        kind="agency_report",
        reported_at=day + timedelta(days=5),
        behaviors=["cyberattack"],
    )
    db.commit()
    browser = site.browser(site.analyst)

    def rows(**params: str) -> set[int]:
        return set(listed(browser.get("/reports", params=params)))

    assert rows() == {tip.id, sar.id, routed.id}
    assert rows(kind="sar") == {sar.id}
    assert rows(behavior="photography") == {tip.id}
    assert rows(behavior="cyberattack") == {routed.id}
    assert rows(level="high") == {sar.id}
    assert rows(agency_id=str(partner.id)) == {routed.id}
    assert rows(agency_id=str(home.id)) == {tip.id, sar.id}
    assert rows(since="2026-03-11") == {sar.id, routed.id}
    assert rows(until="2026-03-12") == {tip.id, sar.id}
    assert rows(since="2026-03-11", until="2026-03-12") == {sar.id}
    for odd in ("²", "٣", "999999999999", "-1"):  # not an agency: no filter, no crash
        assert rows(agency_id=odd) == {tip.id, sar.id, routed.id}, odd
    refused = browser.get("/reports", params={"since": "2026-13-45"})
    assert refused.status_code == 422 and "YYYY-MM-DD" in refused.text


def test_the_next_page_keeps_the_filters(site):
    for _ in range(51):
        make_report(site.db, agency=site.home, kind="sar")
    make_report(site.db, agency=site.home, kind="tip")
    site.db.commit()
    browser = site.browser(site.analyst)
    first = browser.get("/reports", params={"kind": "sar"})
    assert "51 reports, page 1 of 2" in first.text
    link = re.search(r'href="([^"]*page=2[^"]*)"', first.text)
    assert link, first.text
    second = browser.get("/reports" + html.unescape(link.group(1)))
    assert len(listed(second)) == 1
    assert "51 reports, page 2 of 2" in second.text


# --- the filing form ---------------------------------------------------------------------------

FORM: dict[str, Any] = {
    "kind": "tip",
    "narrative": "He said he will shoot everyone at Lincoln High tomorrow.",
    "occurred_at": "2026-05-01T14:30",
    "location_text": "Lincoln High School",
    "latitude": "39.78",
    "longitude": "-89.65",
    "behaviors": ["expressed_or_implied_threat", "photography"],
    "weapons": "rifle, handgun",
    "target_types": ["school"],
    "target_name": "Lincoln High",
    "marking": "AMBER",
    "m0_role": "subject",
    "m0_given_name": "Jordan",
    "m0_middle_name": "Lee",
    "m0_family_name": "Pike",
    "m0_aliases": "JP, Jordy",
    "m0_date_of_birth": "2009-03-14",
    "m0_sex": "male",
    "m0_phones": "555-0100",
    "m0_emails": "jp@example.org",
    "m0_handles": "@jpike09",
    "m0_addresses": "12 Elm Street\n9 Oak Road, Apt 4",
    "m0_school_or_employer": "Lincoln High",
    "m0_description": "Tall, black hoodie",
    "m1_role": "witness",
    "m1_description": "A classmate",
    "m1_age_min": "15",
    "m1_age_max": "17",
}


def count_filed(site: Site) -> tuple[int, int, int]:
    with site.fresh() as fresh:
        return (
            fresh.execute(select(func.count()).select_from(Report)).scalar_one(),
            fresh.execute(select(func.count()).select_from(Mention)).scalar_one(),
            fresh.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "report.create")
            ).scalar_one(),
        )


def test_filing_through_the_form(site):
    browser = site.browser(site.analyst)
    assert browser.get("/reports/new").status_code == 200
    before = count_filed(site)
    response = browser.post("/reports", FORM)
    assert response.status_code == 303
    report_id = int(response.headers["location"].split("/")[2].split("?")[0])
    report = stored(site, report_id)
    assert report.kind == "tip" and report.source == "web"
    assert report.occurred_at == datetime(2026, 5, 1, 14, 30, tzinfo=UTC)
    assert (report.latitude, report.longitude) == (39.78, -89.65)
    assert report.behaviors == ["expressed_or_implied_threat", "photography"]
    assert report.weapons == ["rifle", "handgun"]
    assert report.urgency_level == "imminent"
    subject, witness = report.mentions
    assert subject.aliases == ["JP", "Jordy"]
    assert subject.addresses == ["12 Elm Street", "9 Oak Road, Apt 4"]
    assert str(subject.date_of_birth) == "2009-03-14" and subject.sex == "male"
    assert (witness.role, witness.age_min, witness.age_max) == ("witness", 15, 17)
    assert count_filed(site) == tuple(n + added for n, added in zip(before, (1, 2, 1), strict=True))


def test_a_form_sent_twice_files_one_report(site):
    browser = site.browser(site.analyst)
    page = browser.get("/reports/new")
    found = re.search(r'name="submission_id" value="([0-9a-f]+)"', page.text)
    assert found, "the filing form carries a one-time submission id"
    before = count_filed(site)
    first = browser.post("/reports", {**FORM, "submission_id": found.group(1)})
    again = browser.post("/reports", {**FORM, "submission_id": found.group(1)})
    assert first.status_code == again.status_code == 303
    assert first.headers["location"].split("?")[0] == again.headers["location"].split("?")[0]
    assert count_filed(site)[0] == before[0] + 1


def test_a_time_with_an_offset_keeps_its_offset(site):
    browser = site.browser(site.analyst)
    response = browser.post("/reports", {**FORM, "occurred_at": "2026-05-01T14:30-05:00"})
    assert response.status_code == 303
    report = stored(site, int(response.headers["location"].split("/")[2].split("?")[0]))
    assert report.occurred_at == datetime(2026, 5, 1, 19, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"narrative": "   "}, "narrative"),
        ({"occurred_at": "yesterday-ish"}, "occurred_at"),
        ({"latitude": "39.78", "longitude": ""}, "latitude"),
        ({"latitude": "north"}, "latitude"),
        ({"longitude": "-200"}, "longitude"),
        ({"location_text": "x" * 501}, "location_text"),
        ({"target_name": "x" * 301}, "target_name"),
        ({"kind": "rumour"}, "kind"),
        ({"marking": "PURPLE"}, "marking"),
        ({"m0_date_of_birth": "14/03/2009"}, "m0_date_of_birth"),
        ({"m0_date_of_birth": "2999-01-01"}, "m0_date_of_birth"),
        ({"m1_age_min": "18", "m1_age_max": "16"}, "m1_age_min"),
        ({"m2_role": "witness", "m2_sex": "female", "m2_age_min": "30"}, "m2_given_name"),
        ({"m1_age_max": "old"}, "m1_age_max"),
        ({"m0_given_name": "x" * 201}, "m0_given_name"),
        ({"m0_description": "x" * 2001}, "m0_description"),
        (
            {"m0_phones": ", ".join(["555-0100"] * 5 + [f"555-01{n:02}" for n in range(20)])},
            "m0_phones",
        ),
    ],
)
def test_errors_are_shown_at_their_field_and_nothing_is_stored(site, changes, field):
    browser = site.browser(site.analyst)
    before = count_filed(site)
    response = browser.post("/reports", {**FORM, **changes})
    assert response.status_code == 422
    page = response.text
    assert f'<a href="#{field}">' in page  # the error summary links to the field
    inline = re.search(rf'<span class="usa-error-message" id="{field}-error"[^>]*>([^<]+)<', page)
    assert inline, f"no inline message for {field}"
    assert count_filed(site) == before
    # What was typed comes back, so nothing has to be typed again.
    assert "Lincoln High" in page


HOSTILE = '<script>alert("{}")</script><img src=x onerror=alert(1)>'
TEXT_FIELDS = ("narrative", "location_text", "target_name", "weapons")
MENTION_FIELDS = (
    "given_name",
    "middle_name",
    "family_name",
    "aliases",
    "phones",
    "emails",
    "handles",
    "addresses",
    "school_or_employer",
    "description",
)


def test_hostile_text_in_every_field_is_shown_inert(site):
    browser = site.browser(site.analyst)
    form = {**FORM}
    for name in TEXT_FIELDS:
        form[name] = HOSTILE.format(name)
    form["narrative"] += " He said he will shoot <b>everyone</b> tomorrow."
    for name in MENTION_FIELDS:
        form[f"m0_{name}"] = HOSTILE.format(name)
    response = browser.post("/reports", form)
    assert response.status_code == 303, response.text
    page = browser.get(response.headers["location"]).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "<mark" in page  # triage words are still highlighted around the escaped text
    for name in (*TEXT_FIELDS, *MENTION_FIELDS):
        assert str(escape(f'<script>alert("{name}")</script>')) in page, name
    # And on the form shown again after an error.
    again = browser.post("/reports", {**form, "latitude": "north"})
    assert again.status_code == 422
    assert "<script>alert" not in again.text and "<img src=x" not in again.text


# --- the report page --------------------------------------------------------------------------


def test_the_report_page_shows_the_whole_report_and_every_view_is_audited(site):
    browser = site.browser(site.analyst)
    filed = browser.post("/reports", FORM)
    url = filed.headers["location"]
    report_id = int(url.split("/")[2].split("?")[0])
    before = reads_of(site, report_id)
    page = browser.get(url).text
    assert reads_of(site, report_id) == before + 1
    browser.get(url)
    assert reads_of(site, report_id) == before + 2

    narrative = re.search(r'<div class="vigil-narrative" id="narrative">(.*?)</div>', page, re.S)
    assert narrative
    marked = dict(
        (words, title)
        for title, words in re.findall(r'<mark title="([^"]+)">([^<]+)<', narrative.group(1))
    )
    assert "Explicit threat of violence" in marked["will shoot"]
    assert "Stated time within days" in marked["tomorrow"]
    assert "Stated place or target" in marked["Lincoln High"]
    for shown in (
        "Jordan Lee Pike",
        "JP, Jordy",
        "2009-03-14",
        "555-0100",
        "jp@example.org",
        "@jpike09",
        "12 Elm Street",
        "9 Oak Road, Apt 4",
        "Tall, black hoodie",
        "15–17",
        "witness",
    ):
        assert shown in page, shown


def test_a_report_one_may_not_read_is_not_found(site):
    report = make_report(site.db, agency=site.home)
    site.db.commit()
    browser = site.browser(site.stranger)
    assert browser.get(f"/reports/{report.id}").status_code == 404
    assert browser.get("/reports/99999999999").status_code in (404, 422)
    assert reads_of(site, report.id) == 0


def action_form(page: str, action: str) -> bool:
    return f'action="{action}"' in page


def test_every_action_form_works_and_lands_in_the_history(site):
    report = make_report(site.db, agency=site.home, level="moderate")
    site.db.commit()
    url = f"/reports/{report.id}"
    supervisor = site.browser(site.supervisor)
    page = supervisor.get(url).text
    for action in (
        "acknowledge",
        "dispose",
        "level",
        "route",
        "share",
        "promote-sar",
        "promote-intelligence",
    ):
        assert action_form(page, f"{url}/{action}"), action

    def act(action: str, data: dict[str, Any] | None = None) -> None:
        response = supervisor.post(f"{url}/{action}", data)
        assert response.status_code == 303, (action, response.text)

    act("acknowledge")
    act("level", {"level": "high", "reason": "He has access to his father's rifle."})
    act("share", {"agency_ids": [str(site.partner.id)], "reason": "He attends their school."})
    act("promote-sar", {"behavior": "photography", "nexus": NEXUS})
    act("promote-intelligence", {"predicate": PREDICATE, "justification": JUSTIFICATION})
    act("route", {"agency_id": str(site.partner.id), "reason": "Their school resource officer."})
    act("dispose", {"disposition": "referred_to_law_enforcement", "outcome": "Case opened."})

    after = stored(site, report.id)
    assert after.effective_level == "high" and after.file_class == "intelligence"
    assert after.routed_agency_id == site.partner.id and after.shared_agency_ids == {
        site.partner.id
    }
    assert after.disposition == "referred_to_law_enforcement"
    page = supervisor.get(url).text
    history = page[page.index("<h2>History</h2>") :]
    for seen in (
        "Acknowledged",
        "Level moderate → high",
        "Routed to Riverside Schools",
        "Their school resource officer",
        "Case opened",
        "Tip/lead (unvetted) → SAR",
        "Nexus: " + NEXUS,
        "Criminal predicate: " + PREDICATE,
        "Justification: " + JUSTIFICATION,
    ):
        assert seen in history, seen
    log = history[history.index("Dissemination log") :]
    assert "He attends their school" in log and str(site.partner.id) in log
    assert not action_form(page, f"{url}/dispose")  # disposed: no second disposition


@pytest.mark.parametrize(
    "action, data, message",
    [
        ("dispose", {"disposition": "welfare_check", "outcome": "ok"}, "outcome"),
        ("dispose", {"disposition": "made_up", "outcome": "Checked on him."}, "disposition"),
        ("level", {"level": "urgent", "reason": "Because I say so."}, "level"),
        ("route", {"agency_id": "", "reason": "Their case."}, "agency_id"),
        ("share", {"reason": "Need to know."}, "agency_ids"),
        ("share", {"agency_ids": "²", "reason": "Need to know."}, "agency_ids"),
        ("share", {"agency_ids": str(2**40), "reason": "Need to know."}, "agency_ids"),
        ("route", {"agency_id": "٣", "reason": "Their case."}, "agency_id"),
        ("promote-sar", {"behavior": "loitering", "nexus": NEXUS}, "behavior"),
        ("promote-sar", {"behavior": "photography", "nexus": "odd"}, "nexus"),
        (
            "promote-intelligence",
            {"predicate": "bad guy", "justification": JUSTIFICATION},
            "predicate",
        ),
        ("promote-intelligence", {"predicate": PREDICATE, "justification": ""}, "justification"),
    ],
)
def test_a_bad_action_shows_the_page_again_with_the_error(site, action, data, message):
    report = make_report(site.db, agency=site.home)
    site.db.commit()
    before = reads_of(site, report.id)
    supervisor = site.browser(site.supervisor)
    response = supervisor.post(f"/reports/{report.id}/{action}", data)
    assert response.status_code == 422
    assert f'<a href="#{message}">' in response.text
    assert reads_of(site, report.id) == before + 1  # the page shown again is a read too
    after = stored(site, report.id)
    assert (after.file_class, after.disposition, after.level_override) == ("tip_lead", None, None)
    assert after.shared_agency_ids == frozenset()


def test_protected_activity_can_never_become_intelligence_on_the_page(site):
    report = make_report(site.db, agency=site.home, protected_activity_only=True)
    site.db.commit()
    supervisor = site.browser(site.supervisor)
    url = f"/reports/{report.id}"
    page = supervisor.get(url).text
    assert not action_form(page, f"{url}/promote-intelligence")
    assert "never intelligence" in page
    response = supervisor.post(
        f"{url}/promote-intelligence", {"predicate": PREDICATE, "justification": JUSTIFICATION}
    )
    assert response.status_code == 422
    assert "protected activity" in response.text
    assert stored(site, report.id).file_class == "tip_lead"
    with site.fresh() as fresh:
        assert fresh.execute(select(FileClassChange)).first() is None


@pytest.mark.parametrize("who, status", [("analyst", 403), ("stranger", 404)])
def test_vetting_needs_a_supervisor_of_the_owner(site, who, status):
    report = make_report(site.db, agency=site.home)
    site.db.commit()
    browser = site.browser(getattr(site, who))
    url = f"/reports/{report.id}"
    if who == "analyst":
        assert not action_form(browser.get(url).text, f"{url}/promote-sar")
    response = browser.post(f"{url}/promote-sar", {"behavior": "photography", "nexus": NEXUS})
    assert response.status_code == status
    assert stored(site, report.id).file_class == "tip_lead"


def test_a_form_without_its_token_is_refused(site):
    report = make_report(site.db, agency=site.home)
    site.db.commit()
    browser = site.browser(site.supervisor)
    response = browser.client.post(f"/reports/{report.id}/acknowledge", data={})
    assert response.status_code == 403
    assert stored(site, report.id).acknowledged_at is None


def test_routing_to_a_closed_agency_is_refused_with_a_message(site):
    report = make_report(site.db, agency=site.home)
    inactive = make_agency(site.db, name="Closed Precinct")
    inactive.active = False
    site.db.commit()
    browser = site.browser(site.analyst)
    response = browser.post(
        f"/reports/{report.id}/route", {"agency_id": str(inactive.id), "reason": "Theirs now."}
    )
    assert response.status_code == 422 and "active agency" in response.text
    assert stored(site, report.id).routed_agency_id == site.home.id


def test_the_report_page_shows_a_tipsters_contact_details_to_its_readers(site):
    report = make_report(site.db, agency=site.home)
    report.tipster_contact = {"name": "A <b>worried</b> parent", "phone": "555-0100"}
    site.db.commit()
    page = site.browser(site.analyst).get(f"/reports/{report.id}")
    assert page.status_code == 200
    assert "555-0100" in page.text and "A &lt;b&gt;worried&lt;/b&gt; parent" in page.text
    assert site.browser(site.stranger).get(f"/reports/{report.id}").status_code == 404

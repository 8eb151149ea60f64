"""The case pages through the real HTTP stack: opening a case from a report, the case
page and its forms (errors beside the field, nothing lost), the autosaved assessment
form, the printable summary and PDF with only what the reader may see, instruments."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.assessment.case_factories import Staff, make_staff
from tests.reports.factories import make_report
from vigil.assessment import assessments as assessing
from vigil.assessment.models import Assessment, Case, Instrument
from vigil.platform import sessions
from vigil.platform.models import User
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.web.app import create_app
from vigil.web.csrf import CSRF_COOKIE
from vigil.web.deps import SESSION_COOKIE

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET_NARRATIVE = "The police informant said the brother keeps a shotgun under the bed."


class Browser:
    def __init__(self, client: TestClient, session_raw: str) -> None:
        self.client = client
        client.cookies.set(SESSION_COOKIE, session_raw)
        page = client.get("/login")
        found = CSRF_INPUT.search(page.text)
        assert found and client.cookies.get(CSRF_COOKIE)
        self.csrf = found.group(1)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


class Site:
    def __init__(self, settings: Settings, factory: sessionmaker[Session], db: Session) -> None:
        self.app = create_app(settings, session_factory=factory)
        self.factory = factory
        self.db = db
        self.staff: Staff = make_staff(db)
        db.commit()
        self.clients: list[TestClient] = []

    def browser(self, user: User) -> Browser:
        raw, _ = sessions.start_session(self.db, user=user, mfa_verified=True)
        self.db.commit()
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        self.clients.append(client)
        return Browser(client, raw)


@pytest.fixture()
def site(settings: Settings, session_factory: sessionmaker[Session], db: Session) -> Iterator[Site]:
    built = Site(settings, session_factory, db)
    yield built
    for client in built.clients:
        client.close()


def _open(site: Site, browser: Browser) -> int:
    report = make_report(
        site.db,
        agency=site.staff.school,
        mentions=[{"given_name": "Jordan", "family_name": "Reyes"}],
    )
    site.db.commit()
    shown = browser.get(f"/reports/{report.id}")
    assert f'href="/cases/new?report_id={report.id}"' in shown.text
    form = browser.get(f"/cases/new?report_id={report.id}")
    assert form.status_code == 200 and "Open the case" in form.text
    opened = browser.post(
        "/cases",
        {"report_id": str(report.id), "title": "Drawings in art class", "regime": "school_record"},
    )
    assert opened.status_code == 303, opened.text
    return int(opened.headers["location"].split("/")[2].split("?")[0])


def test_opening_a_case_and_working_it_through_its_page(site):
    lead = site.browser(site.staff.lead)
    case_id = _open(site, lead)
    page = lead.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "Jordan Reyes" in page.text and "also a student education record" in page.text
    # A form with a mistake: the page again, the error beside the field, the text kept.
    bad = lead.post(f"/cases/{case_id}/risk", {"level": "high", "rationale": "Too short"})
    assert bad.status_code == 422
    assert 'id="risk-rationale-error"' in bad.text and "Too short</textarea>" in bad.text
    good = lead.post(
        f"/cases/{case_id}/risk",
        {"level": "high", "rationale": "Leakage to two friends and a plan drawn in detail."},
    )
    assert good.status_code == 303 and good.headers["location"].endswith("done=risk#risk")
    due = (utcnow().date() - timedelta(days=1)).isoformat()
    assert (
        lead.post(
            f"/cases/{case_id}/interventions",
            {
                "kind": "mental_health_referral",
                "description": "Referral to the county crisis team",
                "owner_user_id": str(site.staff.lead.id),
                "due_on": due,
            },
        ).status_code
        == 303
    )
    page = lead.get(f"/cases/{case_id}")
    assert "overdue" in page.text and "Mental-health referral" in page.text
    board = lead.get("/assessment/dashboard")
    assert board.status_code == 200 and "1 overdue" in board.text
    listed = lead.get("/cases?level=high")
    assert f'href="/cases/{case_id}"' in listed.text


def test_the_assessment_form_autosaves_and_never_loses_text(site):
    lead = site.browser(site.staff.lead)
    case_id = _open(site, lead)
    trap = site.db.execute(select(Instrument.id).where(Instrument.key == "trap18")).scalar_one()
    started = lead.post(f"/cases/{case_id}/assessments", {"instrument_id": str(trap)})
    assert started.status_code == 303
    form_url = started.headers["location"]
    page = lead.get(form_url)
    assert page.status_code == 200 and 'data-autosave="true"' in page.text
    assert page.text.count('type="radio"') == 18 * 3
    saved = lead.post(
        form_url,
        {
            "fixation.answer": "present",
            "fixation.sources": "Sketchbook seen by the art teacher",
            "leakage.observed_on": "2999-01-01",
            "leakage.notes": "Told two friends; notes typed before the date was fixed",
        },
        headers={"X-Vigil-Autosave": "1"},
    )
    assert saved.status_code == 422 and saved.json()["saved"] is True
    assert "leakage.observed_on" in saved.json()["errors"]
    with site.factory() as fresh:
        assessment_id = int(form_url.rsplit("/", 1)[1])
        answers = assessing.answers_of(fresh, assessment_id)
        assert answers["fixation"].sources == "Sketchbook seen by the art teacher"
        assert answers["leakage"].notes.startswith("Told two friends")
    # The browser posts the whole form again, as the page now shows it.
    incomplete = lead.post(
        form_url,
        {
            "fixation.answer": "present",
            "fixation.sources": "Sketchbook seen by the art teacher",
            "leakage.notes": "Told two friends; notes typed before the date was fixed",
            "action": "complete",
        },
    )
    assert incomplete.status_code == 422 and "Please correct" in incomplete.text
    assert "Sketchbook seen by the art teacher" in incomplete.text  # still there
    assert "Told two friends" in incomplete.text
    with site.factory() as fresh:
        assert fresh.get(Assessment, assessment_id).status == "draft"
    data: dict[str, str] = {"action": "complete"}
    definition = site.db.get(Instrument, trap).definition
    for section in definition["sections"]:
        for item in section["items"]:
            data[f"{item['key']}.answer"] = "absent"
            data[f"{item['key']}.sources"] = "School file"
            data[f"{item['key']}.observed_on"] = utcnow().date().isoformat()
    done = lead.post(form_url, data)
    assert done.status_code == 303 and done.headers["location"].endswith("done=completed")
    final = lead.get(form_url)
    assert "data-autosave" not in final.text and "Complete" in final.text
    late = lead.post(form_url, {"fixation.answer": "present"}, headers={"X-Vigil-Autosave": "1"})
    assert late.status_code == 409 and late.json()["saved"] is False


def test_the_summary_and_pdf_show_only_what_the_reader_may_see(site):
    staff = site.staff
    lead = site.browser(staff.lead)
    case_id = _open(site, lead)
    case = site.db.get(Case, case_id)
    # A police report about the same subject, linked to the case: the school's team
    # reads it only if shared; the police reader (case shared with them) sees a count.
    police_report = make_report(
        site.db, agency=staff.police, narrative=SECRET_NARRATIVE, shared_with=[staff.school]
    )
    from vigil.assessment.models import CaseReport

    site.db.add(CaseReport(case_id=case.id, report_id=police_report.id, added_at=utcnow()))
    site.db.commit()
    shared = lead.post(
        f"/cases/{case_id}/shares",
        {"agency_id": str(staff.police.id), "reason": "The school resource officer's team."},
    )
    assert shared.status_code == 303
    officer = site.browser(staff.officer)
    summary = officer.get(f"/cases/{case_id}/summary")
    assert summary.status_code == 200 and case.number in summary.text
    assert police_report.receipt_number in summary.text  # the police may read their own
    school_report_line = "further linked report you may not read"
    assert school_report_line in summary.text  # the school's report: a count only
    pdf = officer.get(f"/cases/{case_id}/summary.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    colleague = site.browser(staff.colleague)
    assert colleague.get(f"/cases/{case_id}/summary").status_code == 404
    assert colleague.get(f"/cases/{case_id}/summary.pdf").status_code == 404


def test_instruments_are_uploaded_as_json_with_every_problem_named(site):
    lead = site.browser(site.staff.lead)
    broken = {"key": "x", "version": 1, "title": "X", "scales": {}, "sections": []}
    refused = lead.client.post(
        "/assessment/instruments",
        data={"csrf_token": lead.csrf},
        files={"file": ("x.json", json.dumps(broken).encode(), "application/json")},
    )
    assert refused.status_code == 422 and "scales" in refused.text and "sections" in refused.text
    good = {
        "key": "wavr_lite",
        "version": 1,
        "title": "Workplace screen",
        "scales": {"yn": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]},
        "sections": [
            {"key": "s", "title": "Screen", "items": [{"key": "q", "label": "Q", "scale": "yn"}]}
        ],
    }
    added = lead.client.post(
        "/assessment/instruments",
        data={"csrf_token": lead.csrf},
        files={"file": ("w.json", json.dumps(good).encode(), "application/json")},
    )
    assert added.status_code == 303
    shown = lead.get(added.headers["location"])
    assert shown.status_code == 200 and "Workplace screen" in shown.text

"""The victim-services pages and JSON API as the provider's staff (the shared route walk
only meets their refusals: nobody it signs in works at a provider), and the outside
routes under consent: success paths, bad input, CSRF, refusals audited, revocation at
once, statistics that identify no one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

# The catalog first: the web world's seeding imports the domain catalogs, which import it.
import tests.web.catalog  # noqa: F401
from tests.recovery.factories import People, make_people
from tests.web.conftest import Browser, Site, bearer, fast_password_hashing, open_site
from vigil.platform import sessions
from vigil.platform.models import AuditEvent, User
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.recovery.models import Consent, Referral, SurvivorCase

TODAY = utcnow().date()


@pytest.fixture()
def site(
    settings: Settings, session_factory: sessionmaker[Session], connection: Any
) -> Iterator[Site]:
    with fast_password_hashing(), open_site(settings, session_factory, connection) as found:
        yield found


@pytest.fixture()
def people(site: Site) -> People:
    with site.db() as db:
        made = make_people(db)
        db.commit()
        return made


def _token(site: Site, user: User) -> dict[str, str]:
    with site.db() as db:
        raw, _ = sessions.create_api_token(db, user=db.get_one(User, user.id), name="t", days=1)
        db.commit()
    return bearer(raw)


def _open(browser: Browser, **form: str) -> int:
    response = browser.post(
        "/recovery/cases", {"kind": "family", "display_name": "Okafor family", **form}
    )
    assert response.status_code == 303, response.text
    found = re.search(r"/recovery/cases/(\d+)", response.headers["location"])
    assert found
    return int(found.group(1))


def test_an_advocate_works_a_case_through_the_pages(site: Site, people: People) -> None:
    advocate = site.sign_in(people.advocate.id)
    case_id = _open(advocate, preferred_language="Igbo", notes="Needs a counsellor")
    assessed = advocate.post(
        f"/recovery/cases/{case_id}/needs", {"safety": "2", "housing": "1", "legal": ""}
    )
    assert assessed.status_code == 303, assessed.text
    assert advocate.post(f"/recovery/cases/{case_id}/needs", {"safety": "9"}).status_code == 422
    planned = advocate.post(
        f"/recovery/cases/{case_id}/plan", {"need": "housing", "goal": "A safe lease"}
    )
    assert planned.status_code == 303, planned.text
    page = advocate.get(f"/recovery/cases/{case_id}?done=opened")
    assert "A safe lease" in page.text and "In crisis" in page.text
    assert (
        page.status_code == 200
        and "Okafor family" in page.text
        and "you are its advocate" in page.text
    )
    assert advocate.get("/recovery/cases").text.count(f"/recovery/cases/{case_id}") == 1
    referred = advocate.post(
        f"/recovery/cases/{case_id}/referrals",
        {"service_kind": "counselling", "provider_name": "Valley Counselling"},
    )
    assert referred.status_code == 303
    with site.db() as db:
        referral = db.execute(select(Referral).where(Referral.case_id == case_id)).scalar_one()
    for status in ("accepted", "in_service"):
        done = advocate.post(
            f"/recovery/cases/{case_id}/referrals/{referral.id}", {"status": status, "note": ""}
        )
        assert done.status_code == 303, done.text
    dated = advocate.post(
        f"/recovery/cases/{case_id}/dates",
        {
            "kind": "anniversary",
            "label": "Anniversary",
            "on_date": TODAY.isoformat(),
            "remind_days_before": "7",
            "yearly": "yes",
        },
    )
    assert dated.status_code == 303
    consent = advocate.post(
        f"/recovery/cases/{case_id}/consents",
        {
            "recipient_agency_id": str(people.police.id),
            "purpose": "victim_witness_notification",
            "document_reference": "Form 3",
            "signed_on": TODAY.isoformat(),
            "expires_on": (TODAY + timedelta(days=30)).isoformat(),
            "written_on_file": "yes",
        },
    )
    assert consent.status_code == 303, consent.text
    shown = advocate.get(f"/recovery/cases/{case_id}").text
    assert "In service" in shown and "Anniversary" in shown and "Valid" in shown
    export = advocate.get(f"/recovery/cases/{case_id}/export.json")
    assert export.status_code == 200 and export.json()["case"]["display_name"] == "Okafor family"
    assert export.headers["cache-control"] == "no-store"
    # The supervisor reassigns and closes; the advocate may do neither.
    assert advocate.post(f"/recovery/cases/{case_id}/close").status_code == 403
    supervisor = site.sign_in(people.supervisor.id)
    assert (
        supervisor.post(
            f"/recovery/cases/{case_id}/assign", {"advocate_user_id": str(people.colleague.id)}
        ).status_code
        == 303
    )
    assert supervisor.post(f"/recovery/cases/{case_id}/close").status_code == 303
    assert supervisor.post(f"/recovery/cases/{case_id}/close").status_code == 409
    assert advocate.get(f"/recovery/cases/{case_id}").status_code == 404


def test_bad_forms_get_the_page_back_with_the_errors(site: Site, people: People) -> None:
    advocate = site.sign_in(people.advocate.id)
    refused = advocate.post("/recovery/cases", {"kind": "x", "display_name": " "})
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    assert "Choose survivor or family." in refused.text
    for odd, says in (("abc", "Give the incident"), ("99999", "No incident has this")):
        refused = advocate.post(
            "/recovery/cases", {"kind": "survivor", "display_name": "A", "incident_id": odd}
        )
        assert refused.status_code == 422 and says in refused.text
    case_id = _open(advocate)
    cases = [
        ("consents", {"recipient_agency_id": "abc", "purpose": "x"}, "Choose the agency it names"),
        (
            "consents",
            {
                "recipient_agency_id": str(people.police.id),
                "purpose": "spying",
                "document_reference": "",
                "signed_on": "2026-02-30",
                "expires_on": "",
            },
            "Give a date as YYYY-MM-DD.",
        ),
        (
            "consents",
            {
                "recipient_agency_id": str(people.police.id),
                "purpose": "legal_assistance",
                "document_reference": "F",
                "signed_on": TODAY.isoformat(),
                "expires_on": TODAY.isoformat(),
            },
            "written consent on file",
        ),
        ("referrals", {"service_kind": "x", "provider_name": "y" * 300}, "at most 200"),
        (
            "dates",
            {"kind": "x", "label": "", "on_date": "soon", "remind_days_before": "3"},
            "Give a date",
        ),
        (
            "dates",
            {
                "kind": "other",
                "label": "x",
                "on_date": TODAY.isoformat(),
                "remind_days_before": "²",
            },
            "whole number of days",
        ),
    ]
    for path, form, says in cases:
        response = advocate.post(f"/recovery/cases/{case_id}/{path}", form)
        assert response.status_code == 422, (path, form, response.status_code)
        assert says in response.text, (path, says)
        assert 'role="alert"' in response.text
    with site.db() as db:
        assert db.execute(select(Consent).where(Consent.case_id == case_id)).first() is None


def test_csrf_is_required_for_the_staff_forms(site: Site, people: People) -> None:
    advocate = site.sign_in(people.advocate.id)
    advocate.restore()
    response = advocate.client.post(
        "/recovery/cases", data={"kind": "survivor", "display_name": "No token"}
    )
    assert response.status_code == 403 and "Form expired" in response.text
    with site.db() as db:
        assert (
            db.execute(select(SurvivorCase).where(SurvivorCase.display_name == "No token")).first()
            is None
        )


def test_the_api_for_staff_and_the_disclosure_for_others(site: Site, people: People) -> None:
    advocate = site.sign_in(people.advocate.id)
    case_id = _open(advocate, display_name="Lee")
    assert (
        advocate.post(
            f"/recovery/cases/{case_id}/referrals",
            {"service_kind": "compensation", "provider_name": "State Compensation"},
        ).status_code
        == 303
    )
    assert (
        advocate.post(
            f"/recovery/cases/{case_id}/consents",
            {
                "recipient_agency_id": str(people.police.id),
                "purpose": "law_enforcement_investigation",
                "document_reference": "Form 8",
                "signed_on": TODAY.isoformat(),
                "expires_on": (TODAY + timedelta(days=10)).isoformat(),
                "written_on_file": "yes",
            },
        ).status_code
        == 303
    )
    staff = _token(site, people.advocate)
    read = site.api.get(f"/api/v1/recovery/cases/{case_id}", headers=staff).json()
    assert read["referrals"][0]["status"] == "referred" and read["consents"][0]["state"] == "valid"
    assert [
        c["id"] for c in site.api.get("/api/v1/recovery/cases", headers=staff).json()["cases"]
    ] == [case_id]
    consent_id = read["consents"][0]["id"]

    police = _token(site, people.outsiders["police:analyst"])
    fusion = _token(site, people.outsiders["fusion:analyst"])
    for headers in (police, fusion):
        assert site.api.get(f"/api/v1/recovery/cases/{case_id}", headers=headers).status_code == 404
        assert site.api.get("/api/v1/recovery/cases", headers=headers).status_code == 404
        assert (
            site.api.get(f"/api/v1/recovery/cases/{case_id}/export", headers=headers).status_code
            == 404
        )
    url = f"/api/v1/recovery/cases/{case_id}/disclosure?purpose=law_enforcement_investigation"
    seen = site.api.get(url, headers=police)
    assert seen.status_code == 200 and seen.json()["referrals"][0]["service_kind"] == "compensation"
    assert "contact" not in seen.json() and "notes" not in seen.json()
    assert site.api.get(url, headers=fusion).status_code == 404
    assert [
        d["case_id"] for d in site.api.get("/api/v1/recovery/disclosed", headers=police).json()
    ] == [case_id]
    # Revoked: the very next read is refused.
    revoked = advocate.post(f"/recovery/cases/{case_id}/consents/{consent_id}/revoke")
    assert revoked.status_code == 303
    assert site.api.get(url, headers=police).status_code == 404
    assert site.api.get("/api/v1/recovery/disclosed", headers=police).json() == []
    with site.db() as db:
        denied = (
            db.execute(
                select(AuditEvent).where(
                    AuditEvent.object_type == "survivor_case",
                    AuditEvent.object_id == str(case_id),
                    AuditEvent.outcome == "denied",
                )
            )
            .scalars()
            .all()
        )
    # Each outsider's case read and export, the fusion center's disclosure, the revoked one.
    assert len(denied) == 2 * 2 + 1 + 1


def test_statistics_hide_small_cells(site: Site, people: People) -> None:
    advocate = site.sign_in(people.advocate.id)
    for i in range(15):
        _open(advocate, kind="survivor" if i < 3 else "family", display_name=f"F{i}")
    reader = _token(site, people.outsiders["school:auditor"])
    figures = site.api.get("/api/v1/recovery/statistics", headers=reader).json()
    clients = {cell["key"]: cell["count"] for cell in figures["clients"]["cells"]}
    # With the walk's world's 3 family cases: 15 families and 3 survivors. The 3 is
    # hidden, and so is the 15 (else 18 - 15 would give the 3 away).
    assert figures["threshold"] == 11 and figures["clients"]["total"] == 18
    assert clients == {"survivor": None, "family": None}
    # Only the world's 3 referrals, under the threshold: the whole table is hidden.
    assert figures["services"]["total"] is None
    assert all(cell["count"] is None for cell in figures["services"]["cells"])
    assert (
        site.api.get("/api/v1/recovery/statistics?threshold=5", headers=reader).status_code == 422
    )
    page = site.sign_in(people.outsiders["school:auditor"].id).get("/recovery/statistics")
    assert page.status_code == 200 and "Suppressed" in page.text

"""The reunification work pages and the operating picture through the real HTTP stack:
uploads with their row report (nothing stored on a bad row), the phone-bank form, the
site desk (refused and verified check-ins, release), and the picture with its live
fragment (204 when unchanged, the new figures after a change), filtered per viewer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import make_agency, make_user
from tests.response.test_pages import Web
from vigil.platform.actor import command_line
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.settings import Settings
from vigil.response.models import IncidentAgency, Inquiry, ListedPerson
from vigil.response.reunification_sites import add_location
from vigil.response.site_models import GuardianCheckIn, Release

ROSTER = (
    "id,list,full_name,dob,age,sex,description\n"
    's1,roster,"GARCIA, ANA",2010-03-04,,F,\n'
    's2,roster,"LEE, SAM",2011-07-01,,M,\n'
)
BAD_ROSTER = (
    "id,list,full_name,dob,age,sex,description\n"
    "s3,roster,Kim Poe,2010-02-30,,F,\n"
    "s4,gym,Al Poe,,300,M,\n"
    "s5,roster,Bo Poe,,,,\n"
)


@pytest.fixture()
def web(settings: Settings, session_factory: sessionmaker[Session], db: Session) -> Iterator[Web]:
    built = Web(settings, session_factory, db)
    yield built
    for client in built.clients:
        client.close()


def _count(db: Session, model: type) -> int:
    return int(db.execute(select(func.count()).select_from(model)).scalar_one())


def test_upload_report_and_phone_bank(web: Web) -> None:
    lead = web.browser(web.lead)
    base = f"/reunification/incidents/{web.incident_id}"
    page = lead.get(f"{base}/upload")
    assert page.status_code == 200 and 'type="file"' in page.text
    before = _count(web.db, ListedPerson)
    bad = lead.client.post(
        "/reunification/upload/list",
        data={"csrf_token": lead.csrf, "incident_id": str(web.incident_id)},
        files={"file": ("bad.csv", BAD_ROSTER.encode(), "text/csv")},
    )
    assert bad.status_code == 422
    assert "Nothing was stored" in bad.text and "is not a calendar date" in bad.text
    assert "&#39;gym&#39; is not one of" in bad.text and "age 300 is impossible" in bad.text
    assert _count(web.db, ListedPerson) == before
    good = lead.client.post(
        "/reunification/upload/list",
        data={"csrf_token": lead.csrf, "incident_id": str(web.incident_id)},
        files={"file": ("roster.csv", ROSTER.encode(), "text/csv")},
    )
    assert good.status_code == 200 and "Stored 2 rows" in good.text
    assert _count(web.db, ListedPerson) == before + 2
    missing = lead.client.post(
        "/reunification/upload/guardians",
        data={"csrf_token": lead.csrf, "incident_id": str(web.incident_id)},
    )
    assert missing.status_code == 422 and "Choose a CSV file" in missing.text
    refused = lead.post(f"{base}/inquiries", {"call-full_name": "Ana Garcia", "call-dob": "x"})
    assert refused.status_code == 422
    assert "is not YYYY-MM-DD" in refused.text and "reach the family" in refused.text
    assert 'value="Ana Garcia"' in refused.text
    taken = lead.post(
        f"{base}/inquiries",
        {
            "call-full_name": "Ana Garcia",
            "call-dob": "03/04/2010",
            "call-relationship": "mother",
            "call-contact": "555-0100",
        },
    )
    assert taken.status_code == 303 and taken.headers["location"].endswith("done=inquiry")
    assert (
        web.db.execute(
            select(Inquiry.full_name).where(Inquiry.reference == "PB-00003")
        ).scalar_one()
        == "Ana Garcia"
    )
    matched = lead.post(f"{base}/match", {})
    assert matched.status_code == 303
    queue = lead.get(base)
    assert "PB-00003" in queue.text and "s1" in queue.text


def test_site_desk_refuses_then_releases(web: Web) -> None:
    lead = web.browser(web.lead)
    base = f"/reunification/incidents/{web.incident_id}"
    bad_site = lead.post(f"{base}/sites", {"site-name": "", "site-latitude": "99"})
    assert bad_site.status_code == 422 and "give the site a name" in bad_site.text
    opened = lead.post(
        f"{base}/sites",
        {
            "site-name": "Gym",
            "site-address": "1 Oak St",
            "site-latitude": "43.0",
            "site-longitude": "-108.4",
        },
    )
    assert opened.status_code == 303
    again = lead.post(f"{base}/sites", {"site-name": "Gym", "site-address": "1 Oak St"})
    assert again.status_code == 409 and "already has a site" in again.text
    sites = lead.get(f"{base}/sites")
    site_path = re.search(rf'href="({base}/sites/\d+)"', sites.text)
    assert site_path
    desk = site_path.group(1)
    guardian = lead.post(
        f"{base}/guardians",
        {"guardian-person": "r1", "guardian-guardian_name": "Wanda Smith"},
    )
    assert guardian.status_code == 303
    hospital_row = lead.post(
        f"{base}/guardians", {"guardian-person": "h1", "guardian-guardian_name": "Al Poe"}
    )
    assert hospital_row.status_code == 422 and "roster or an attendee list" in hospital_row.text
    stranger = lead.post(
        f"{desk}/checkins",
        {
            "checkin-person": "r1",
            "checkin-presented_name": "Pat Jones",
            "checkin-id_document": "passport",
            "checkin-identity_verified": "yes",
        },
    )
    assert stranger.headers["location"].endswith("done=refused")
    verified = lead.post(
        f"{desk}/checkins",
        {
            "checkin-person": "r1",
            "checkin-presented_name": "SMITH, WANDA",
            "checkin-id_document": "drivers_license",
            "checkin-identity_verified": "yes",
        },
    )
    assert verified.headers["location"].endswith("done=verified")
    page = lead.get(f"{desk}?done=verified")
    assert "Not on the student&#39;s authorised-guardian list" in page.text
    checkins = web.db.execute(
        select(GuardianCheckIn.id, GuardianCheckIn.outcome).order_by(GuardianCheckIn.id)
    ).all()
    verified_id = checkins[-1][0]
    early = lead.post(f"{desk}/releases", {"checkin_id": str(verified_id)})
    assert early.status_code == 409 and "arrival" in early.text
    assert lead.post(f"{desk}/arrivals", {"arrival-person": "r1"}).status_code == 303
    refused_release = lead.post(f"{desk}/releases", {"checkin_id": str(checkins[0][0])})
    assert refused_release.status_code == 409
    done = lead.post(f"{desk}/releases", {"checkin_id": str(verified_id)})
    assert done.headers["location"].endswith("done=released")
    assert _count(web.db, Release) == 1
    analyst = web.browser(web.analyst)
    assert analyst.get(desk).status_code == 403


def test_operating_picture_updates_and_is_filtered(web: Web, db: Session) -> None:
    police = make_agency(db, kind=AgencyKind.LAW_ENFORCEMENT)
    db.add(IncidentAgency(incident_id=web.incident_id, agency_id=police.id, role="law_enforcement"))
    officer = make_user(db, agency=police, roles={Role.SUPERVISOR})
    outsider = make_user(db, agency=make_agency(db), roles={Role.SUPERVISOR})
    add_location(
        db,
        actor=command_line("test"),
        incident_id=web.incident_id,
        kind="incident",
        name="Lincoln High",
        position=(43.02, -108.38),
    )
    db.commit()
    lead = web.browser(web.lead)
    path = f"/incidents/{web.incident_id}/picture"
    page = lead.get(path)
    assert page.status_code == 200
    assert 'src="/static/operating-picture.js"' in page.text and "<svg" in page.text
    assert "People on the incident's lists by status" in page.text
    assert "Places on the map" in page.text and "Lincoln High" in page.text
    version = re.search(r'data-version="([0-9a-f]+)"', page.text)
    assert version
    unchanged = lead.get(f"{path}/live?v={version.group(1)}")
    assert unchanged.status_code == 204
    web.db.execute(
        ListedPerson.__table__.update()
        .where(ListedPerson.row_id == "r1")
        .values(status="accounted_for")
    )
    web.db.commit()
    changed = lead.get(f"{path}/live?v={version.group(1)}")
    assert changed.status_code == 200 and "Accounted for" in changed.text
    assert changed.headers["X-Picture-Version"] != version.group(1)
    police_view = web.browser(officer).get(path)
    assert police_view.status_code == 200
    assert "Reunification figures are limited" in police_view.text
    assert "people-table" not in police_view.text
    assert web.browser(outsider).get(path).status_code == 404
    assert web.browser(web.analyst).get(f"{path}/live").status_code == 404
    started = datetime(2026, 11, 25, 14, tzinfo=UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert started in page.text

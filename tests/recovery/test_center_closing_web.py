"""Closing an assistance center and disclosing its records under a covering consent,
through the pages and the JSON API as the provider's staff and an outside agency, on
both databases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import tests.web.catalog  # noqa: F401  (the web world's seeding imports the catalogs)
from tests.recovery.factories import People, make_people
from tests.recovery.incident_world import open_incident
from tests.web.conftest import Site, bearer, fast_password_hashing, open_site
from vigil.platform import sessions
from vigil.platform.models import User
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.recovery.assistance_models import AssistanceCenter, CenterRegistration

TODAY = utcnow().date()
PURPOSE = "crime_victim_compensation"


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


def _id(response: Any, pattern: str) -> int:
    assert response.status_code == 303, response.text
    found = re.search(pattern, response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def test_a_center_closes_and_its_records_go_out_only_under_a_covering_consent(
    site: Site, people: People, settings: Settings
) -> None:
    with site.db() as db:
        incident = open_incident(db, people.police)
        db.commit()
    supervisor = site.sign_in(people.supervisor.id)
    advocate = site.sign_in(people.advocate.id)
    center = _id(
        supervisor.post(
            "/recovery/centers",
            {"incident_id": str(incident), "name": "Valley FAC", "place": "Hall B"},
        ),
        r"/recovery/centers/(\d+)",
    )
    registered = advocate.post(
        f"/recovery/centers/{center}/registrations",
        {"kind": "family", "display_name": "Nguyen family", "people_count": "3"},
    )
    assert registered.status_code == 303, registered.text
    with site.db() as db:
        registration = db.execute(
            select(CenterRegistration.id).where(CenterRegistration.center_id == center)
        ).scalar_one()
    visit = advocate.post(
        f"/recovery/centers/{center}/visits",
        {"registration_id": str(registration), "services": "counselling"},
    )
    assert visit.status_code == 303, visit.text
    case_id = _id(
        advocate.post(f"/recovery/centers/{center}/registrations/{registration}/case"),
        r"/recovery/cases/(\d+)",
    )

    # The survivor signs a consent that covers the center's records too.
    consented = advocate.post(
        f"/recovery/cases/{case_id}/consents",
        {
            "recipient_agency_id": str(people.other_provider.id),
            "purpose": PURPOSE,
            "document_reference": "Form 12",
            "signed_on": TODAY.isoformat(),
            "expires_on": (TODAY + timedelta(days=30)).isoformat(),
            "written_on_file": "yes",
            "covers_center_records": "yes",
        },
    )
    assert consented.status_code == 303, consented.text
    assert "with the family assistance center" in advocate.get(f"/recovery/cases/{case_id}").text
    url = f"/recovery/cases/{case_id}/disclosure?purpose={PURPOSE}"
    reader = site.sign_in(people.outsiders["other_provider:supervisor"].id)
    page = reader.get(url)
    assert page.status_code == 200 and "At the family assistance center" in page.text
    assert "Nguyen family" in page.text and "Counselling" in page.text
    title = page.text[page.text.index("<title>") : page.text.index("</title>")]
    assert "Nguyen" not in title  # in the page's content, not its title
    assert page.text.index("At the family assistance center") > page.text.index("<h1>Case")
    with site.db() as db:
        outsider = db.get_one(User, people.outsiders["other_provider:supervisor"].id)
        raw, _ = sessions.create_api_token(db, user=outsider, name="t", days=1)
        db.commit()
    api = site.api.get(f"/api/v1{url}", headers=bearer(raw))
    assert api.status_code == 200
    [record] = api.json()["center_records"]
    assert record["display_name"] == "Nguyen family" and record["visits"][0]["services"] == [
        "counselling"
    ]
    police = site.sign_in(people.outsiders["police:analyst"].id)
    assert police.get(url).status_code == 404

    # Closing: the supervisor only, on a day that has been, then no more work there.
    assert advocate.post(f"/recovery/centers/{center}/close", {}).status_code == 403
    future = (TODAY + timedelta(days=1)).isoformat()
    refused = supervisor.post(f"/recovery/centers/{center}/close", {"closed_on": future})
    assert refused.status_code == 422 and 'id="close-closed_on"' in refused.text
    closed = supervisor.post(f"/recovery/centers/{center}/close", {})
    assert closed.status_code == 303, closed.text
    shown = supervisor.get(closed.headers["location"])
    assert "The center is closed" in shown.text and f"Closed on {TODAY.isoformat()}" in shown.text
    with site.db() as db:
        found = db.get_one(AssistanceCenter, center)
        assert found.retain_until == TODAY + timedelta(
            days=settings.assistance_center_retention_days
        )
    again = advocate.post(
        f"/recovery/centers/{center}/registrations", {"kind": "family", "display_name": "Late"}
    )
    assert again.status_code == 409

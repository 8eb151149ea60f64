"""The assistance-center, fund and resiliency-center pages and JSON API as the provider's
staff (the shared route walk only meets their refusals), on both databases: success
paths, bad input answered with the field named and nothing stored, CSRF, the public
report and input file for everyone signed in, refusals to everyone else."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import tests.web.catalog  # noqa: F401  (the web world's seeding imports the catalogs)
from tests.recovery.factories import People, make_people
from tests.recovery.incident_world import open_incident
from tests.web.conftest import Site, bearer, fast_password_hashing, open_site
from vigil.platform import sessions
from vigil.platform.models import User
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.recovery import funds
from vigil.recovery.assistance_models import CenterRegistration, FundClaim
from vigil.recovery.funds import TierSpec

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


@pytest.fixture()
def incident_id(site: Site, people: People) -> int:
    with site.db() as db:
        found = open_incident(db, people.police)
        db.commit()
        return found


def _token(site: Site, user_id: int) -> dict[str, str]:
    with site.db() as db:
        raw, _ = sessions.create_api_token(db, user=db.get_one(User, user_id), name="t", days=1)
        db.commit()
    return bearer(raw)


def _id(response: Any, pattern: str) -> int:
    assert response.status_code == 303, response.text
    found = re.search(pattern, response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def test_the_center_through_its_pages(site: Site, people: People, incident_id: int) -> None:
    supervisor = site.sign_in(people.supervisor.id)
    advocate = site.sign_in(people.advocate.id)
    assert (
        advocate.post(
            "/recovery/centers", {"incident_id": str(incident_id), "name": "X", "place": "Y"}
        ).status_code
        == 403
    )
    refused = supervisor.post("/recovery/centers", {"incident_id": "abc", "name": "", "place": ""})
    assert refused.status_code == 422 and 'id="center-incident_id"' in refused.text
    center = _id(
        supervisor.post(
            "/recovery/centers",
            {"incident_id": str(incident_id), "name": "Valley FAC", "place": "Hall B"},
        ),
        r"/recovery/centers/(\d+)",
    )
    page = advocate.get(f"/recovery/centers/{center}?done=opened")
    assert page.status_code == 200 and "Valley FAC" in page.text and "you lead it" in page.text
    done = advocate.post(
        f"/recovery/centers/{center}/registrations",
        {"kind": "family", "display_name": "Nguyen family", "people_count": "3",
         "preferred_language": "Vietnamese", "reunification_record": "h1"},
    )  # fmt: skip
    assert done.status_code == 303, done.text
    bad = advocate.post(
        f"/recovery/centers/{center}/registrations",
        {"kind": "family", "display_name": "Ghost", "reunification_record": "nobody"},
    )
    assert bad.status_code == 422 and "reunification lists" in bad.text
    with site.db() as db:
        registration = db.execute(
            select(CenterRegistration).where(CenterRegistration.center_id == center)
        ).scalar_one()
    for path, form in (
        ("services", {"kind": "interpreter", "provider_name": "Language Line",
                      "languages": "Somali"}),
        ("briefings", {"scheduled_at": f"{TODAY.isoformat()}T10:00", "topic": "Update",
                       "presenter": "Command"}),
        ("visits", {"registration_id": str(registration.id), "services": "counselling"}),
    ):  # fmt: skip
        response = advocate.post(f"/recovery/centers/{center}/{path}", form)
        assert response.status_code == 303, (path, response.text)
    assert (
        advocate.post(
            f"/recovery/centers/{center}/briefings",
            {"scheduled_at": "soon", "topic": "T", "presenter": "P"},
        ).status_code
        == 422
    )
    with site.db() as db:
        from vigil.recovery.assistance_models import CenterBriefing

        briefing = db.execute(select(CenterBriefing.id)).scalar_one()
    attended = advocate.post(
        f"/recovery/centers/{center}/attendance",
        {"briefing_id": str(briefing), "registration_id": str(registration.id), "attendees": "2"},
    )
    assert attended.status_code == 303, attended.text
    summary = supervisor.get(f"/recovery/centers/{center}/summary?day={TODAY.isoformat()}")
    assert summary.status_code == 200 and "Vietnamese" in summary.text
    assert "No interpreter on offer for: Vietnamese" in summary.text
    opened = advocate.post(f"/recovery/centers/{center}/registrations/{registration.id}/case")
    case_id = _id(opened, r"/recovery/cases/(\d+)")
    assert "Nguyen family" in advocate.get(f"/recovery/cases/{case_id}").text
    # A client list: one bad row, nothing imported, the row named.
    csv_text = "kind,display_name\nfamily,Abebe family\ncousin,Bad row\n"
    imported = advocate.client.post(
        f"/recovery/centers/{center}/import",
        data={"csrf_token": advocate.csrf},
        files={"file": ("clients.csv", io.BytesIO(csv_text.encode()), "text/csv")},
    )
    assert imported.status_code == 422 and "Nothing was imported" in imported.text
    assert "kind: Choose survivor or family." in imported.text
    good = advocate.client.post(
        f"/recovery/centers/{center}/import",
        data={"csrf_token": advocate.csrf},
        files={"file": ("c.csv", io.BytesIO(b"kind,display_name\nfamily,Abebe family\n"),
                        "text/csv")},
    )  # fmt: skip
    assert good.status_code == 200 and "1 family imported" in good.text
    # Nobody outside the provider, and no form without its token.
    police = site.sign_in(people.outsiders["police:supervisor"].id)
    assert police.get(f"/recovery/centers/{center}").status_code == 404
    assert police.get("/recovery/centers").status_code == 404
    advocate.restore()
    no_token = advocate.client.post(
        f"/recovery/centers/{center}/registrations", data={"kind": "family", "display_name": "T"}
    )
    assert no_token.status_code == 403
    with site.db() as db:
        count = db.execute(
            select(func.count()).where(CenterRegistration.center_id == center)
        ).scalar_one()
    assert count == 2


def test_the_api_writes_for_staff(site: Site, people: People, incident_id: int) -> None:
    supervisor = site.sign_in(people.supervisor.id)
    center = _id(
        supervisor.post(
            "/recovery/centers",
            {"incident_id": str(incident_id), "name": "Valley FAC", "place": "Hall B"},
        ),
        r"/recovery/centers/(\d+)",
    )
    staff = _token(site, people.advocate.id)
    made = site.api.post(
        f"/api/v1/recovery/centers/{center}/registrations",
        json={"kind": "survivor", "display_name": "Jordan Lee", "reunification_record": "r1"},
        headers=staff,
    )
    assert made.status_code == 201, made.text
    registration = made.json()["id"]
    assert (
        site.api.post(
            f"/api/v1/recovery/centers/{center}/registrations",
            json={"kind": "survivor", "display_name": "X", "reunification_record": "nobody"},
            headers=staff,
        ).status_code
        == 422
    )
    visit = site.api.post(
        f"/api/v1/recovery/registrations/{registration}/visits",
        json={"services": ["legal"]},
        headers=staff,
    )
    assert visit.status_code == 201 and visit.json()["services"] == ["legal"]
    summary = site.api.get(f"/api/v1/recovery/centers/{center}/summary", headers=staff).json()
    assert summary["families_registered"] == 1 and summary["services_used"] == {"legal": 1}
    offer = site.api.post(
        "/api/v1/recovery/community/offers",
        json={"offer_kind": "volunteer", "kind": "meals", "offered_by": "J.", "quantity": 2},
        headers=staff,
    )
    assert offer.status_code == 201
    police = _token(site, people.outsiders["police:analyst"].id)
    assert (
        site.api.post(
            f"/api/v1/recovery/registrations/{registration}/visits", json={}, headers=police
        ).status_code
        == 404
    )
    assert (
        site.api.get(f"/api/v1/recovery/centers/{center}/summary", headers=police).status_code
        == 404
    )


def test_the_fund_through_its_pages_and_what_it_publishes(
    site: Site, people: People, incident_id: int
) -> None:
    supervisor = site.sign_in(people.supervisor.id)
    advocate = site.sign_in(people.advocate.id)
    fund = _id(
        supervisor.post(
            "/recovery/funds", {"incident_id": str(incident_id), "name": "Valley Fund"}
        ),
        r"/recovery/funds/(\d+)",
    )
    tiers = (
        "killed | Killed | killed | 4\n"
        "hosp | Hospitalised | hospitalised | 2 | 1 |\n"
        "present | Present | present | 0.5"
    )
    bad = supervisor.post(
        f"/recovery/funds/{fund}/protocols",
        {"stage": "final", "fund_dollars": "100000", "tiers": tiers},
    )
    assert bad.status_code == 422 and "draft for comment" in bad.text
    draft = supervisor.post(
        f"/recovery/funds/{fund}/protocols",
        {"stage": "draft", "fund_dollars": "100,000.01", "tiers": tiers,
         "comment_until": (TODAY + timedelta(days=7)).isoformat()},
    )  # fmt: skip
    assert draft.status_code == 303, draft.text
    assert advocate.post(f"/recovery/funds/{fund}/comments", {"body": "Fair"}).status_code == 303
    claim = advocate.post(
        f"/recovery/funds/{fund}/claims",
        {"claimant_name": "Estate of A", "harm": "killed", "evidence_record": "me1"},
    )
    assert claim.status_code == 303
    assert (
        advocate.post(
            f"/recovery/funds/{fund}/claims", {"claimant_name": "B", "harm": "killed"}
        ).status_code
        == 422
    )
    api_claim = site.api.post(
        f"/api/v1/recovery/funds/{fund}/claims",
        json={"claimant_name": "C Person", "harm": "hospitalised", "nights": 3,
              "evidence_record": "h1"},
        headers=_token(site, people.advocate.id),
    )  # fmt: skip
    assert api_claim.status_code == 201 and api_claim.json()["evidence_check"] == "matched"
    # The final protocol, once the comment period is over (the service takes the day).
    with site.db() as db:
        funds.publish_protocol(
            db,
            actor=people.actor(db.get_one(User, people.supervisor.id)),
            fund_id=fund,
            stage="final",
            fund_cents=100_000_01,
            tiers=[
                TierSpec("killed", "Killed", "killed", "4"),
                TierSpec("hosp", "Hospitalised", "hospitalised", "2", 1, None),
                TierSpec("present", "Present", "present", "0.5"),
            ],
            today=TODAY + timedelta(days=8),
        )
        claim_ids = list(
            db.execute(
                select(FundClaim.id).where(FundClaim.fund_id == fund).order_by(FundClaim.id)
            ).scalars()
        )
        db.commit()
    assert (
        advocate.post(
            f"/recovery/funds/{fund}/claims/{claim_ids[0]}/decision", {"decision": "approve"}
        ).status_code
        == 403
    )
    for claim_id in claim_ids:
        decided = supervisor.post(
            f"/recovery/funds/{fund}/claims/{claim_id}/decision", {"decision": "approve"}
        )
        assert decided.status_code == 303, decided.text
    assert supervisor.post(f"/recovery/funds/{fund}/calculate").status_code == 303
    page = supervisor.get(f"/recovery/funds/{fund}")
    assert page.status_code == 200 and "$100,000.01" in page.text
    # Everyone signed in reads the report and the input file; neither names anyone.
    police = site.sign_in(people.outsiders["police:analyst"].id)
    report = police.get(f"/recovery/funds/{fund}/report")
    assert report.status_code == 200 and "Estate of A" not in report.text
    assert "vigil recover distribute" in report.text
    document = police.get(f"/recovery/funds/{fund}/protocol.json")
    assert document.status_code == 200 and document.json()["fund_cents"] == 100_000_01
    assert "Estate" not in document.text
    api_report = site.api.get(
        f"/api/v1/recovery/funds/{fund}/report",
        headers=_token(site, people.outsiders["fusion:analyst"].id),
    ).json()
    assert api_report["distributed_cents"] == 100_000_01
    assert police.get(f"/recovery/funds/{fund}").status_code == 404


def test_the_resiliency_center_through_its_page(site: Site, people: People) -> None:
    advocate = site.sign_in(people.advocate.id)
    for path, form in (
        ("needs", {"kind": "meals", "description": "Dinners", "quantity": "3"}),
        ("offers", {"offer_kind": "in_kind", "kind": "meals", "offered_by": "Diner",
                    "quantity": "3"}),
        ("providers", {"name": "Counselling Co", "kind": "mental_health", "capacity": "5",
                       "languages": "Spanish"}),
        ("events", {"kind": "event", "title": "Vigil", "starts_at": f"{TODAY.isoformat()}T18:00",
                    "place": "Square"}),
        ("match", {}),
    ):  # fmt: skip
        response = advocate.post(f"/recovery/community/{path}", form)
        assert response.status_code == 303, (path, response.text)
    page = advocate.get("/recovery/community?language=spanish")
    assert page.status_code == 200 and "Counselling Co" in page.text and "3 of 3" in page.text
    bad = advocate.post(
        "/recovery/community/needs", {"kind": "yachts", "description": "", "quantity": "x"}
    )
    assert bad.status_code == 422 and 'id="need-quantity"' in bad.text
    police = site.sign_in(people.outsiders["police:supervisor"].id)
    assert police.get("/recovery/community").status_code == 404

"""A listed person's page through the real HTTP stack: reached from the queue, their
rows, status, the "same person as" link (and its refusals), the release and the
in-person notification queue; refused to analysts and other agencies, audited."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.factories import make_agency, make_user
from tests.response.test_pages import Web, web  # noqa: F401  (the fixture)
from vigil.platform.models import AuditEvent
from vigil.platform.roles import Role
from vigil.response.models import ListedPerson


def _person(web: Web, row_id: str) -> int:  # noqa: F811
    return web.db.execute(
        select(ListedPerson.id).where(
            ListedPerson.incident_id == web.incident_id, ListedPerson.row_id == row_id
        )
    ).scalar_one()


def test_the_queue_links_to_each_person_and_staff_link_rows(web: Web) -> None:  # noqa: F811
    lead = web.browser(web.lead)
    queue = lead.get(f"/reunification/incidents/{web.incident_id}")
    r1, h1, me1 = _person(web, "r1"), _person(web, "h1"), _person(web, "me1")
    page_path = f"/incidents/{web.incident_id}/people/{r1}"
    assert f'href="{page_path}"' in queue.text
    page = lead.get(page_path)
    assert page.status_code == 200
    assert "<h1>Listed person r1</h1>" in page.text and "SMITH, WILLIAM J" in page.text
    assert re.search(r'id="person-status">Unaccounted for<', page.text)
    assert "Not released." in page.text and 'for="link-same_as"' in page.text
    # The hospital's unknown male is Billy Smith: staff link the rows.
    linked = lead.post(f"{page_path}/same-as", {"link-same_as": "h1"})
    assert linked.status_code == 303 and linked.headers["location"].endswith("done=linked")
    page = lead.get(linked.headers["location"])
    assert "The rows are linked as the same person." in page.text
    assert re.search(r'id="person-status">At a hospital<', page.text)
    assert f'href="/incidents/{web.incident_id}/people/{h1}">h1</a>' in page.text
    again = lead.post(f"{page_path}/same-as", {"link-same_as": "h1"})
    assert again.status_code == 409 and "already linked" in again.text
    tries = (("", "Give the list id"), ("h99", "is on this incident"), ("r1", "another"))
    for value, message in tries:
        refused = lead.post(f"{page_path}/same-as", {"link-same_as": value})
        assert refused.status_code == 422 and message in refused.text
        assert 'aria-invalid="true"' in refused.text and 'href="#link-same_as"' in refused.text
    # The medical examiner's row, with a family queued to be told in person.
    confirm = lead.post(
        f"/reunification/incidents/{web.incident_id}/confirm", {"inquiry": "q2", "person": "me1"}
    )
    assert confirm.headers["location"].endswith("done=notify")
    dead = lead.get(f"/incidents/{web.incident_id}/people/{me1}")
    assert "Waiting for designated staff" in dead.text and "q2" in dead.text
    reads = web.db.execute(
        select(AuditEvent.details).where(AuditEvent.action == "reunification.person_read")
    ).scalars()
    assert {d["listed_person_id"] for d in reads if d} >= {r1, me1}


def test_the_page_is_refused_outside_the_regime(web: Web) -> None:  # noqa: F811
    r1 = _person(web, "r1")
    path = f"/incidents/{web.incident_id}/people/{r1}"
    analyst = web.browser(web.analyst)
    assert analyst.get(path).status_code == 403
    assert analyst.post(f"{path}/same-as", {"link-same_as": "h1"}).status_code == 403
    stranger = make_user(web.db, agency=make_agency(web.db), roles={Role.SUPERVISOR})
    web.db.commit()
    assert web.browser(stranger).get(path).status_code == 403
    lead = web.browser(web.lead)
    assert lead.get(f"/incidents/{web.incident_id}/people/{r1 + 999}").status_code == 404
    assert lead.get(f"/incidents/{web.incident_id + 999}/people/{r1}").status_code == 404
    denied = web.db.execute(
        select(AuditEvent.outcome).where(AuditEvent.action == "reunification.person_read")
    ).scalars()
    assert "denied" in set(denied)

"""The protective-patrol page: exact coverage explained, overrides with their cost shown,
warned above 5% and recorded, and the days exported as CSV and iCalendar."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from tests.preparedness.test_site_pages import Web, web  # noqa: F401  (the fixture)
from vigil.platform.models import AuditEvent

PLACE = {"defender_covered": 0, "attacker_covered": -1}
GAME = {
    "resources": 1,
    "targets": [
        {"id": "Mall", **PLACE, "defender_uncovered": -10, "attacker_uncovered": 10},
        {"id": "Stadium", **PLACE, "defender_uncovered": -5, "attacker_uncovered": 5},
        {
            "id": "=Park",
            "defender_covered": 0,
            "defender_uncovered": -1,
            "attacker_covered": 0,
            "attacker_uncovered": 1,
        },
    ],
}


def test_plan_override_and_export(web: Web) -> None:  # noqa: F811
    officer = web.browser(web.officer)
    assert "Plan the patrols" in officer.get("/preparedness/patrols").text
    form = {"game": json.dumps(GAME), "schedules": "200", "seed": "5", "start": "2026-12-05"}
    page = officer.post("/preparedness/patrols", form)
    assert page.status_code == 200, page.text
    # Water level 49/17: the attacker is indifferent between mall and stadium and the
    # defender loses less at the stadium.
    assert "best response is <strong>Stadium</strong>" in page.text
    assert "0.647" in page.text and "0.353" in page.text
    assert "2026-12-05:" in page.text
    # Taking coverage off the mall raises the attacker's utility: warned and recorded.
    overridden = officer.post("/preparedness/patrols", {**form, "override-0": "0.2"})
    assert overridden.status_code == 200
    assert "more than 5%" in overridden.text and "recorded in the audit trail" in overridden.text
    events = (
        web.db.execute(
            select(AuditEvent.details).where(AuditEvent.action == "patrol_plan.override")
        )
        .scalars()
        .all()
    )
    assert len(events) == 1 and events[0]["warning"] is True and events[0]["overrides"] == 1
    too_much = officer.post("/preparedness/patrols", {**form, "override-2": "0.9"})
    assert too_much.status_code == 422 and "units" in too_much.text
    exported = officer.post("/preparedness/patrols/export", {**form, "format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["day", "date", "place"] and len({r[0] for r in rows[1:]}) <= 200
    assert {r[2] for r in rows[1:]} <= {"Mall", "Stadium", "'=Park"}
    mall = sum(r[2] == "Mall" for r in rows[1:]) / 200
    assert abs(mall - (10 - 49 / 17) / 11) <= 0.02
    again = officer.post("/preparedness/patrols/export", {**form, "format": "csv"})
    assert again.text == exported.text  # the seed reproduces the days
    ics = officer.post("/preparedness/patrols/export", {**form, "format": "ics"})
    assert ics.status_code == 200 and ics.text.startswith("BEGIN:VCALENDAR\r\n")
    assert "DTSTART;VALUE=DATE:20261205" in ics.text and ics.text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in ics.text.split("\r\n"))


def test_bad_patrol_input_is_refused_on_the_page(web: Web) -> None:  # noqa: F811
    officer = web.browser(web.officer)
    for change in (
        {"game": "{not json"},
        {"game": json.dumps({**GAME, "resources": 1.5})},
        {"game": json.dumps({**GAME, "targets": []})},
        {"schedules": "0"},
        {"schedules": "many"},
        {"seed": "-1"},
        {"start": "tomorrow"},
        {"override-0": "2"},
        {"override-x": "0.5"},
    ):
        form = {"game": json.dumps(GAME), "schedules": "10", **change}
        refused = officer.post("/preparedness/patrols", form)
        assert refused.status_code == 422, change
        assert 'id="error-summary"' in refused.text
    no_seed = officer.post(
        "/preparedness/patrols/export", {"game": json.dumps(GAME), "format": "csv"}
    )
    assert no_seed.status_code == 422
    outsider = web.browser(web.outsider)
    assert outsider.get("/preparedness/patrols").status_code == 200  # any agency's staff

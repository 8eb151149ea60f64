"""Vigil's own outcomes: counted for one agency only, small cells and their complements
suppressed, figures over too few cases withheld, the disparity report by recorded sex
and age; supervisors only, another agency's figures only where it shares them (a
setting in the database, changed by its own supervisor); page, CSV and JSON agree."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import tests.web.catalog  # noqa: F401  (imported first: the catalogue modules import each other)
from tests.factories import actor_for, make_agency, make_user
from tests.web.conftest import Site, fast_password_hashing, open_site
from vigil.analytics import outcomes
from vigil.analytics.suppression import determined
from vigil.assessment.models import Case, Intervention
from vigil.platform import policy
from vigil.platform.errors import InvalidInput
from vigil.platform.models import Agency, AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports.models import Mention, Report

NUMBERS = count(1)
TODAY = utcnow().date()
THIS_MONTH = f"{TODAY.year}-{TODAY.month:02d}"
LAST = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=15)
LAST_MONTH = f"{LAST.year}-{LAST.month:02d}"


def _report(db: Session, agency: Agency, **values: Any) -> Report:
    number = next(NUMBERS)
    mentions = values.pop("mentions", [])
    report = Report(
        receipt_number=f"T-OUT-{number:06d}",
        kind=values.pop("kind", "tip"),
        source="web",
        narrative="synthetic",
        owner_agency_id=agency.id,
        routed_agency_id=agency.id,
        **values,
    )
    report.mentions = [Mention(role="subject", **m) for m in mentions]
    db.add(report)
    return report


def _case(db: Session, agency: Agency, **values: Any) -> Case:
    number = next(NUMBERS)
    case = Case(
        number=f"C-OUT-{number:06d}",
        title="synthetic",
        owner_agency_id=agency.id,
        regime="threat_assessment",
        status=values.pop("status", "managing"),
        **values,
    )
    db.add(case)
    db.flush()
    return case


def _world(db: Session) -> tuple[Agency, Agency]:
    """Agency A with known figures this month; agency B with reports A must not count."""
    a, b = make_agency(db, name="Agency A"), make_agency(db, name="Agency B")
    now = utcnow()
    for index in range(30):
        _report(
            db,
            a,
            kind="tip",
            behaviors=["expressed_or_implied_threat"],
            reported_at=now - timedelta(hours=3),
            acknowledged_at=now - timedelta(hours=1) if index < 15 else None,
            disposition="unfounded" if index < 12 else ("duplicate" if index < 15 else None),
            mentions=[{"sex": "male", "age_min": 16, "age_max": 17}],
            file_class="sar" if index < 12 else "tip_lead",
        )
    for _ in range(5):
        _report(
            db,
            a,
            kind="sar",
            reported_at=now - timedelta(hours=2),
            mentions=[{"sex": "female", "date_of_birth": date(1990, 1, 1)}],
        )
    last_month = datetime.combine(LAST, time(12), tzinfo=UTC)
    for kind, number in (("tip", 20), ("sar", 14)):
        for _ in range(number):
            _report(db, a, kind=kind, reported_at=last_month)
    for _ in range(40):
        _report(db, b, kind="tip", reported_at=now - timedelta(hours=2))
    cases = [_case(db, a, opened_at=now) for _ in range(12)]
    for index, case in enumerate(cases):
        db.add(
            Intervention(
                case_id=case.id,
                kind="mental_health_referral" if index < 11 else "erpo_petition",
                description="synthetic",
                due_on=TODAY,
                status="done",
                completed_at=now,
                erpo_status="granted" if index >= 10 else None,
                erpo_decided_on=TODAY if index >= 10 else None,
                firearms_relinquished=2 if index >= 10 else None,
                relinquished_on=TODAY if index >= 10 else None,
            )
        )
    db.flush()
    return a, b


def _table(found: outcomes.AgencyOutcomes, key: str) -> Any:
    every = [*found.reports, *found.cases, *found.reunification, *found.recovery]
    return next(item for item in every if item.key == key)


def test_one_agencys_figures_are_counted_and_suppressed(db: Session) -> None:
    a, _ = _world(db)
    supervisor = make_user(db, agency=a, roles={Role.SUPERVISOR})
    found = outcomes.agency_outcomes(
        db, actor=actor_for(supervisor), agency_id=a.id, query=outcomes.OutcomeQuery(months=6)
    )
    grid = _table(found, "reports_by_month").grid
    # This month: 30 tips and 5 SARs; last month: 20 tips and 14 SARs. The 5 is hidden,
    # and with it the three cells that would give it away through the totals (a
    # rectangle); the totals stay. Agency B's 40 tips are not counted.
    assert grid.cells[("sar", THIS_MONTH)] is None
    assert [grid.cells[(k, m)] for k in ("tip", "sar") for m in (LAST_MONTH, THIS_MONTH)] == [
        None
    ] * 4
    assert (grid.row_totals["tip"], grid.row_totals["sar"], grid.total) == (50, 19, 69)
    assert (grid.column_totals[LAST_MONTH], grid.column_totals[THIS_MONTH]) == (34, 35)
    assert grid.cells[("agency_report", THIS_MONTH)] == 0
    # Nothing shown is small, and no hidden entry follows from what is shown.
    shown = [*grid.cells.values(), *grid.row_totals.values(), *grid.column_totals.values()]
    assert all(value is None or not 0 < value < 11 for value in shown)
    behaviors = _table(found, "behaviors")
    assert behaviors.cells["expressed_or_implied_threat"] == 30 and not behaviors.has_total
    dispositions = _table(found, "dispositions")
    assert dispositions.cells["unfounded"] == 12 and dispositions.cells["duplicate"] is None
    assert dispositions.total == 15
    # The one hidden disposition beside a shown total took a partner (a shown zero).
    assert sum(value is None for value in dispositions.cells.values()) >= 2
    triage = {figure.key: figure for figure in found.triage}
    assert triage["time_to_triage_median"].value == 2.0
    assert triage["time_to_triage_median"].basis == 15
    management = _table(found, "management")
    assert management.cells["referrals_completed"] == 11
    assert management.cells["protective_orders_granted"] is None  # 2 cases
    firearms = next(f for f in found.management if f.key == "firearms_relinquished")
    assert firearms.value is None and firearms.basis is None  # over 2 cases only
    cases = _table(found, "cases_by_month").grid
    assert cases.cells[("opened", THIS_MONTH)] == 12
    sex = next(d for d in found.disparities if d.key == "sex")
    male = next(row for row in sex.rows if row.group == "male")
    assert (male.reported, male.vetted, male.rate(male.vetted)) == (30, 12, 40.0)
    female = next(row for row in sex.rows if row.group == "female")
    assert female.reported is None  # 5 people
    age = next(d for d in found.disparities if d.key == "age")
    assert next(row for row in age.rows if row.group == "under 18").reported == 30
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "analytics.outcomes_read")
    ).all()
    assert [e.details for e in events] == [{"months": 6, "threshold": 11}]


def test_a_higher_threshold_hides_more(db: Session) -> None:
    a, _ = _world(db)
    actor = actor_for(make_user(db, agency=a, roles={Role.SUPERVISOR}))
    strict = outcomes.agency_outcomes(
        db, actor=actor, agency_id=a.id, query=outcomes.OutcomeQuery(months=6, threshold=36)
    )
    usual = outcomes.agency_outcomes(
        db, actor=actor, agency_id=a.id, query=outcomes.OutcomeQuery(months=6)
    )
    grid = _table(strict, "reports_by_month").grid
    assert grid.column_totals[THIS_MONTH] is None and grid.total == 69  # 35 < 36 <= 69
    assert grid.suppressed > _table(usual, "reports_by_month").grid.suppressed
    with pytest.raises(InvalidInput):
        outcomes.agency_outcomes(
            db, actor=actor, agency_id=a.id, query=outcomes.OutcomeQuery(months=5)
        )


def test_only_supervisors_and_only_shared_figures_of_others(db: Session) -> None:
    a, b = _world(db)
    analyst = actor_for(make_user(db, agency=a, roles={Role.ANALYST}))
    supervisor_a = actor_for(make_user(db, agency=a, roles={Role.SUPERVISOR}))
    supervisor_b = actor_for(make_user(db, agency=b, roles={Role.SUPERVISOR}))
    query = outcomes.OutcomeQuery()
    with pytest.raises(PermissionDenied):
        outcomes.agency_outcomes(db, actor=analyst, agency_id=a.id, query=query)
    with pytest.raises(PermissionDenied):
        outcomes.agency_outcomes(db, actor=supervisor_b, agency_id=a.id, query=query)
    assert (a.id, a.name) not in outcomes.visible_agencies(db, actor=supervisor_b)
    outcomes.set_sharing(db, actor=supervisor_a, shared=True)
    assert (a.id, a.name) in outcomes.visible_agencies(db, actor=supervisor_b)
    seen = outcomes.agency_outcomes(db, actor=supervisor_b, agency_id=a.id, query=query)
    assert seen.shared and _table(seen, "reports_by_month").grid.total == 69
    # Only A's own supervisors choose for A (set_sharing acts on the actor's agency).
    assert not policy.decide(supervisor_b, "update", "analytics_outcome_sharing", a.id)
    with pytest.raises(PermissionDenied):
        outcomes.set_sharing(db, actor=analyst, shared=False)
    outcomes.set_sharing(db, actor=supervisor_a, shared=False)
    with pytest.raises(PermissionDenied):
        outcomes.agency_outcomes(db, actor=supervisor_b, agency_id=a.id, query=query)
    changes = db.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "analytics.outcomes_sharing_changed")
    ).all()
    assert changes == [{"shared": True}, {"shared": False}]


def test_every_two_way_table_leaves_nothing_to_work_out(db: Session) -> None:
    a, _ = _world(db)
    actor = actor_for(make_user(db, agency=a, roles={Role.SUPERVISOR}))
    found = outcomes.agency_outcomes(db, actor=actor, agency_id=a.id, query=outcomes.OutcomeQuery())
    for item in [*found.reports, *found.cases]:
        if not hasattr(item, "grid"):
            continue
        grid = item.grid
        hidden = [("cell", r, c) for (r, c), v in grid.cells.items() if v is None]
        hidden += [("row", r, "") for r, v in grid.row_totals.items() if v is None]
        hidden += [("col", "", c) for c, v in grid.column_totals.items() if v is None]
        hidden += [("all", "", "")] if grid.total is None else []
        rows, columns = grid.rows, grid.columns
        sums = [[*((("cell", r, c), 1) for c in columns), (("row", r, ""), -1)] for r in rows] + [
            [*((("cell", r, c), 1) for r in rows), (("col", "", c), -1)] for c in columns
        ]
        sums.append([*((("row", r, ""), 1) for r in rows), (("all", "", ""), -1)])
        sums.append([*((("col", "", c), 1) for c in columns), (("all", "", ""), -1)])
        assert determined(hidden, sums) == set()


@pytest.fixture()
def site(
    settings: Settings, session_factory: sessionmaker[Session], connection: Any
) -> Iterator[Site]:
    with fast_password_hashing(), open_site(settings, session_factory, connection) as found:
        yield found


def test_the_page_csv_and_json_for_a_supervisor(site: Site) -> None:
    supervisor = site.browsers[Role.SUPERVISOR]
    page = supervisor.client.get("/analytics/outcomes")
    assert page.status_code == 200
    assert "Our outcomes:" in page.text and "Who is reported, vetted and referred" in page.text
    assert "<caption>Reports received, by kind and month" in page.text
    assert "Share our figures with other agencies" in page.text
    assert 'name="csrf_token"' in page.text
    response = supervisor.client.get("/analytics/outcomes.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["section", "table", "row", "column", "value"]
    values = {row[4] for row in rows[1:] if len(row) == 5}
    assert all(v == "suppressed" or not 0 < float(v) < 11 for v in values)
    api = supervisor.client.get("/api/v1/analytics/outcomes")
    assert api.status_code == 200
    body = api.json()
    assert body["threshold"] == 11 and body["agency_id"] == site.world.home
    assert {t["key"] for t in body["reports"]} == {"reports_by_month", "behaviors", "dispositions"}
    # One published view: a chosen threshold or period is not taken from the query.
    assert "<caption>" in supervisor.client.get("/analytics/outcomes?threshold=2").text
    assert supervisor.client.get("/api/v1/analytics/outcomes?threshold=2").json() == body
    bad = supervisor.client.get("/analytics/outcomes?agency=abc")
    assert bad.status_code == 400 and 'id="error-summary"' in bad.text
    assert "Choose an agency from the list." in bad.text
    assert supervisor.client.get("/api/v1/analytics/outcomes?agency_id=abc").status_code == 422


def test_others_see_an_agencys_figures_only_once_it_shares(site: Site) -> None:
    with site.db() as db:
        other = db.get(Agency, site.world.other)
        assert other is not None
        outsider = make_user(db, agency=other, roles={Role.SUPERVISOR})
        db.commit()
        outsider_id = outsider.id
    outside = site.sign_in(outsider_id)
    home = site.world.home
    assert outside.client.get(f"/analytics/outcomes?agency={home}").status_code == 403
    assert outside.client.get(f"/api/v1/analytics/outcomes?agency_id={home}").status_code == 403
    supervisor = site.browsers[Role.SUPERVISOR]
    shared = supervisor.post("/analytics/outcomes/sharing", {"shared": "on"})
    assert shared.status_code == 303
    assert "Stop sharing our figures" in supervisor.client.get("/analytics/outcomes").text
    page = outside.client.get(f"/analytics/outcomes?agency={home}")
    assert page.status_code == 200 and f'<option value="{home}" selected>' in page.text
    assert "Sharing with other agencies" not in page.text  # not theirs to change
    assert site.browsers[Role.ANALYST].client.get("/analytics/outcomes").status_code == 403
    assert 'href="/analytics/outcomes"' in supervisor.client.get("/analytics").text
    assert (
        'href="/analytics/outcomes"'
        not in site.browsers[Role.ANALYST].client.get("/analytics").text
    )
    refused = supervisor.post("/analytics/outcomes/sharing", {"shared": "maybe"})
    assert refused.status_code in (400, 422)

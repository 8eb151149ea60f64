"""The protected-site registry and risk register, on SQLite and PostgreSQL: markings
through the policy module, audited changes and reads, ranking, refused input."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import AgencyKind, Role
from vigil.preparedness import sites


def school(**changes: Any) -> sites.SiteInput:
    values: dict[str, Any] = {
        "name": "Lincoln High School",
        "kind": "k12_school",
        "address": "1 School Lane, Springfield",
        "capacity": 1200,
        "threat": 0.1,
        "threat_reason": "A threat posted online last month.",
        "vulnerability": 0.6,
        "contacts": "Principal: 555-0100",
    }
    values.update(changes)
    return sites.SiteInput(**values)


def test_a_site_is_amber_by_default_and_only_its_agency_reads_it(db: Session) -> None:
    district = make_agency(db, kind=AgencyKind.SCHOOL_OR_CAMPUS)
    police = make_agency(db)
    officer = actor_for(make_user(db, agency=district, roles={Role.THREAT_ASSESSMENT}))
    outsider = actor_for(make_user(db, agency=police, roles={Role.ANALYST}))
    clerk = actor_for(make_user(db, agency=district))  # no role
    site = sites.register_site(db, actor=officer, data=school())
    assert site.marking == "AMBER" and site.owner_agency_id == district.id
    _, risk = sites.read_site(db, actor=officer, site_id=site.id)
    assert risk.value == pytest.approx(0.1 * 0.6 * 1200)
    assert risk.threat.reason == "A threat posted online last month."
    with pytest.raises(NotFound):
        sites.read_site(db, actor=outsider, site_id=site.id)
    with pytest.raises(NotFound):
        sites.read_site(db, actor=clerk, site_id=site.id)
    with pytest.raises(PermissionDenied):
        sites.risk_register(db, actor=clerk)
    assert sites.risk_register(db, actor=outsider).total == 0
    # Marked GREEN, other agencies' staff read it but still cannot change it.
    sites.update_site(db, actor=officer, site_id=site.id, data=school(marking="GREEN"))
    assert sites.read_site(db, actor=outsider, site_id=site.id)[0].id == site.id
    assert sites.risk_register(db, actor=outsider).total == 1
    with pytest.raises(PermissionDenied):
        sites.update_site(db, actor=outsider, site_id=site.id, data=school(capacity=1))
    events = db.execute(
        select(AuditEvent.action, AuditEvent.details)
        .where(AuditEvent.object_type == "protected_site")
        .order_by(AuditEvent.seq)
    ).all()
    actions = [action for action, _ in events]
    assert actions[:3] == ["protected_site.create", "protected_site.read", "protected_site.update"]
    assert actions.count("protected_site.read") == 2
    # No address, contacts or reasons in the trail: ids, kinds and field names only.
    text = repr(events)
    for secret in ("School Lane", "555-0100", "posted online", "Lincoln"):
        assert secret not in text
    assert ("protected_site.update", {"fields": ["marking"]}) in [tuple(e) for e in events]


def test_the_register_ranks_by_risk_across_pages(db: Session, monkeypatch: Any) -> None:
    agency = make_agency(db, kind=AgencyKind.EMERGENCY_MANAGEMENT)
    planner = actor_for(make_user(db, agency=agency, roles={Role.ANALYST}))
    risks = {}
    for n in range(7):
        threat = 0.05 * (n % 4 + 1)
        data = school(name=f"Site {n}", threat=threat, vulnerability=0.5, capacity=100 * (n + 1))
        risks[f"Site {n}"] = threat * 0.5 * 100 * (n + 1)
        sites.register_site(db, actor=planner, data=data)
    monkeypatch.setattr(sites, "PAGE_SIZE", 3)
    names = []
    for page in (1, 2, 3):
        register = sites.risk_register(db, actor=planner, page=page)
        assert register.pages == 3 and register.total == 7
        assert register.total_risk == pytest.approx(sum(risks.values()))
        names += [row.site.name for row in register.rows]
        assert [row.rank for row in register.rows] == list(
            range((page - 1) * 3 + 1, (page - 1) * 3 + 1 + len(register.rows))
        )
    assert names == sorted(risks, key=lambda name: (-risks[name], name))
    assert sites.risk_register(db, actor=planner, kind="house_of_worship").total == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"kind": "castle"}, "kind"),
        ({"marking": "RED"}, "marking"),
        ({"address": ""}, "address"),
        ({"capacity": None}, "capacity"),
        ({"capacity": -1}, "capacity"),
        ({"capacity": 10**9}, "capacity"),
        ({"threat": 1.5}, "threat"),
        ({"threat": None}, "threat"),
        ({"threat": float("nan")}, "threat"),
        ({"vulnerability": 0}, "vulnerability"),
        ({"vulnerability": 1.01}, "vulnerability"),
        ({"latitude": 91.0, "longitude": 0.0}, "latitude"),
        ({"latitude": 10.0}, "longitude"),
        ({"name": "x" * 201}, "name"),
        ({"contacts": "x" * 2001}, "contacts"),
    ],
)
def test_bad_site_input_is_refused_and_nothing_is_kept(
    db: Session, changes: dict[str, Any], field: str
) -> None:
    agency = make_agency(db)
    analyst = actor_for(make_user(db, agency=agency, roles={Role.ANALYST}))
    with pytest.raises(InvalidInput) as refused:
        sites.register_site(db, actor=analyst, data=school(**changes))
    assert field in refused.value.errors
    assert sites.risk_register(db, actor=analyst).total == 0

"""Routing-rule administration: agency administrators manage their own agency's rules,
system administrators every agency's, nobody else any; every change is audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import actor_for
from tests.reports.intake_support import World, build_world, make_app, sign_in
from vigil.platform.actor import command_line
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.settings import Settings
from vigil.reports import routing_rules
from vigil.reports.models import RoutingRule


@pytest.fixture()
def world(db: Session) -> World:
    built = build_world(db)
    db.commit()
    return built


def add(db: Session, user: Any, agency_id: int, value: str, kind: str = "school") -> RoutingRule:
    return routing_rules.add_rule(
        db, actor=actor_for(user), agency_id=agency_id, match_kind=kind, value=value
    )


def test_values_are_stored_case_folded_with_single_spaces() -> None:
    assert routing_rules.normalized_value("  Lincoln   HIGH School ") == "lincoln high school"


def test_agency_admins_manage_their_own_agencys_rules_only(db: Session, world: World) -> None:
    mine = add(db, world.agency_admin, world.home.id, "Lincoln High School")
    theirs = add(db, world.other_admin, world.other.id, "Maple Street Park", kind="place")
    assert mine.value == "lincoln high school"

    assert routing_rules.list_rules(db, actor=actor_for(world.agency_admin)) == [mine]
    with pytest.raises(PermissionDenied):
        add(db, world.agency_admin, world.other.id, "Oak Elementary")
    with pytest.raises(NotFound):
        routing_rules.remove_rule(db, actor=actor_for(world.agency_admin), rule_id=theirs.id)
    routing_rules.remove_rule(db, actor=actor_for(world.agency_admin), rule_id=mine.id)
    db.flush()
    assert db.get(RoutingRule, mine.id) is None

    actions = [
        (event.action, event.agency_id, event.details)
        for event in db.execute(
            select(AuditEvent)
            .where(AuditEvent.object_type == "routing_rule")
            .order_by(AuditEvent.seq)
        ).scalars()
    ]
    assert actions == [
        (
            "routing_rule.create",
            world.home.id,
            {"match_kind": "school", "value": "lincoln high school"},
        ),
        (
            "routing_rule.create",
            world.other.id,
            {"match_kind": "place", "value": "maple street park"},
        ),
        (
            "routing_rule.delete",
            world.home.id,
            {"match_kind": "school", "value": "lincoln high school"},
        ),
    ]


def test_system_admins_manage_every_agencys_rules(db: Session, world: World) -> None:
    first = add(db, world.system_admin, world.home.id, "Lincoln High School")
    second = add(db, world.system_admin, world.other.id, "Riverside Mall", kind="place")
    assert routing_rules.list_rules(db, actor=actor_for(world.system_admin)) == [first, second]
    routing_rules.remove_rule(db, actor=actor_for(world.system_admin), rule_id=second.id)


def test_other_roles_manage_nothing(db: Session, world: World) -> None:
    for user in (world.analyst, world.supervisor):
        with pytest.raises(PermissionDenied):
            routing_rules.list_rules(db, actor=actor_for(user))
        with pytest.raises(PermissionDenied):
            add(db, user, world.home.id, "Lincoln High School")
    assert routing_rules.list_rules(db, actor=command_line("operator")) == []


def test_bad_and_duplicate_rules_are_refused(db: Session, world: World) -> None:
    add(db, world.agency_admin, world.home.id, "Lincoln High School")
    with pytest.raises(Conflict):
        add(db, world.other_admin, world.other.id, "lincoln  high school")
    with pytest.raises(InvalidInput) as invalid:
        add(db, world.agency_admin, world.home.id, "x", kind="planet")
    assert set(invalid.value.errors) == {"match_kind", "value"}


# --- the page ----------------------------------------------------------------------


def test_the_page_adds_lists_and_removes_rules(
    db: Session, settings: Settings, session_factory: Any, world: World
) -> None:
    theirs = add(db, world.other_admin, world.other.id, "Maple Street Park", kind="place")
    db.commit()
    app = make_app(settings, session_factory)
    admin = sign_in(app, settings, session_factory, world.agency_admin.id)

    page = admin.get("/admin/routing")
    assert page.status_code == 200 and "maple street park" not in page.text
    added = admin.post(
        "/admin/routing",
        {"agency_id": str(world.home.id), "match_kind": "school", "value": "Lincoln High School"},
    )
    assert added.status_code == 303 and added.headers["location"] == "/admin/routing?done=added"
    page = admin.get("/admin/routing?done=added")
    assert "lincoln high school" in page.text and "The routing rule was added." in page.text

    duplicate = admin.post(
        "/admin/routing",
        {"agency_id": str(world.home.id), "match_kind": "school", "value": "LINCOLN high school"},
    )
    assert duplicate.status_code == 409 and "already route" in duplicate.text
    invalid = admin.post(
        "/admin/routing", {"agency_id": str(world.home.id), "match_kind": "school", "value": ""}
    )
    assert invalid.status_code == 422
    elsewhere = admin.post(
        "/admin/routing",
        {"agency_id": str(world.other.id), "match_kind": "school", "value": "Oak Elementary"},
    )
    assert elsewhere.status_code == 403
    assert admin.post(f"/admin/routing/{theirs.id}/delete").status_code == 404

    with session_factory() as check:
        [rule] = check.execute(
            select(RoutingRule).where(RoutingRule.agency_id == world.home.id)
        ).scalars()
    removed = admin.post(f"/admin/routing/{rule.id}/delete")
    assert removed.status_code == 303
    with session_factory() as check:
        assert check.get(RoutingRule, rule.id) is None
        assert check.get(RoutingRule, theirs.id) is not None


def test_the_page_is_for_administrators_only(
    settings: Settings, session_factory: Any, world: World
) -> None:
    app = make_app(settings, session_factory)
    for user in (world.analyst, world.supervisor):
        client = sign_in(app, settings, session_factory, user.id)
        assert client.get("/admin/routing").status_code == 403
        refused = client.post(
            "/admin/routing",
            {"agency_id": str(world.home.id), "match_kind": "school", "value": "Oak School"},
        )
        assert refused.status_code == 403
    system = sign_in(app, settings, session_factory, world.system_admin.id)
    page = system.get("/admin/routing")
    assert page.status_code == 200
    assert f'<option value="{world.other.id}"' in page.text
    assert f'<option value="{world.home.id}"' in page.text

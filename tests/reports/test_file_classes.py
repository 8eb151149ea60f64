"""Civil liberties as code: who may vet a tip/lead as a SAR or keep it as criminal
intelligence, what each needs in writing, retention per class, and the report about
protected activity alone that can never become intelligence."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.models import Agency, AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import file_classes, handling, service
from vigil.reports.models import FileClassChange, Report, ReportEvent
from vigil.reports.schemas import ReportCreate
from vigil.reports.vocabulary import Behavior

NEXUS = "Photographed the entrances and asked about the guard rotation twice this week."
PREDICATE = "He bought a rifle illegally through a straw purchaser (18 U.S.C. 922(a)(6))."
JUSTIFICATION = "Two sources and a receipt corroborate the purchase and his stated plan."
DAY = timedelta(days=1)


class World:
    def __init__(self, db: Session) -> None:
        self.home = make_agency(db, name="County Sheriff")
        self.routed = make_agency(db, name="City Police")
        self.other = make_agency(db, name="State Patrol")
        self.supervisor = self.member(db, self.home, Role.SUPERVISOR)
        self.analyst = self.member(db, self.home, Role.ANALYST)
        self.routed_supervisor = self.member(db, self.routed, Role.SUPERVISOR)
        self.other_supervisor = self.member(db, self.other, Role.SUPERVISOR)

    @staticmethod
    def member(db: Session, agency: Agency, role: Role) -> Actor:
        return actor_for(make_user(db, agency=agency, roles={role}))


@pytest.fixture()
def world(db: Session) -> World:
    return World(db)


def filed(db: Session, world: World, settings: Settings, **changes: Any) -> Report:
    body: dict[str, Any] = {
        "kind": "tip",
        "narrative": "A man photographed the entrances of the county courthouse.",
        "marking": "AMBER",
        "behaviors": ["photography"],
        **changes,
    }
    if body["marking"] == "RED":  # the supervisor must be named to see it at all
        body["recipient_user_ids"] = [world.supervisor.user_id]
    report, _ = service.create_report(
        db, actor=world.analyst, settings=settings, data=ReportCreate.model_validate(body)
    )
    return report


def sar(db: Session, actor: Actor, settings: Settings, report: Report, **kw: Any) -> Report:
    values: dict[str, Any] = {"behavior": Behavior.PHOTOGRAPHY, "nexus": NEXUS, **kw}
    return file_classes.promote_to_sar(
        db, actor=actor, settings=settings, report_id=report.id, **values
    )


def intelligence(
    db: Session, actor: Actor, settings: Settings, report: Report, **kw: Any
) -> Report:
    values = {"predicate": PREDICATE, "justification": JUSTIFICATION, **kw}
    return file_classes.promote_to_intelligence(
        db, actor=actor, settings=settings, report_id=report.id, **values
    )


def changes_of(db: Session, report: Report) -> list[FileClassChange]:
    statement = select(FileClassChange).where(FileClassChange.report_id == report.id)
    return list(db.execute(statement.order_by(FileClassChange.id)).scalars())


def audited(db: Session, report: Report, action: str) -> list[AuditEvent]:
    statement = select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.object_id == str(report.id)
    )
    return list(db.execute(statement).scalars())


def close(moment: datetime | None, expected: datetime, slack: timedelta = timedelta(minutes=1)):
    assert moment is not None
    assert abs(moment - expected) < slack, (moment, expected)


# --- retention dates from the settings ------------------------------------------------------


def test_a_tip_lead_is_purged_after_a_year(db, world, settings):
    report = filed(db, world, settings)
    assert report.file_class == "tip_lead"
    assert report.review_due_at is None
    assert report.purge_due_at == report.reported_at + 365 * DAY


def test_retention_follows_the_settings(db, world, settings):
    custom = settings.model_copy(
        update={
            "tip_lead_retention_days": 30,
            "sar_retention_days": 400,
            "intelligence_retention_days": 900,
            "intelligence_review_notice_days": 45,
        }
    )
    report = filed(db, world, custom)
    assert report.purge_due_at == report.reported_at + 30 * DAY
    sar(db, world.supervisor, custom, report)
    close(report.purge_due_at, utcnow() + 400 * DAY)
    assert report.review_due_at is None
    intelligence(db, world.supervisor, custom, report)
    close(report.purge_due_at, utcnow() + 900 * DAY)
    close(report.review_due_at, utcnow() + (900 - 45) * DAY)


# --- vetting as a SAR -----------------------------------------------------------------------


def test_a_supervisor_vets_a_tip_lead_as_a_sar(db, world, settings):
    report = filed(db, world, settings, behaviors=[])
    sar(db, world.supervisor, settings, report, behavior=Behavior.OBSERVATION_SURVEILLANCE)

    assert report.file_class == "sar"
    assert "observation_surveillance" in report.behaviors
    assert report.review_due_at is None
    close(report.purge_due_at, utcnow() + 1826 * DAY)  # five years
    (change,) = changes_of(db, report)
    assert (change.from_class, change.to_class) == ("tip_lead", "sar")
    assert change.user_id == world.supervisor.user_id
    assert change.behavior == "observation_surveillance"
    assert change.nexus == NEXUS
    (event,) = audited(db, report, "report.promote_sar")
    assert event.actor_id == world.supervisor.user_id
    assert event.details == {"from": "tip_lead", "to": "sar"}
    kinds = db.execute(select(ReportEvent.kind).where(ReportEvent.report_id == report.id)).scalars()
    assert "file_class" in set(kinds)


@pytest.mark.parametrize(
    "who, refusal",
    [
        ("analyst", PermissionDenied),  # the owning agency, but not a supervisor
        ("routed_supervisor", PermissionDenied),  # sees it, does not own it
        ("other_supervisor", NotFound),  # may not even know it exists
    ],
)
def test_only_a_supervisor_of_the_owning_agency_vets(db, world, settings, who, refusal):
    report = filed(db, world, settings)
    handling.route_report(
        db,
        actor=world.analyst,
        settings=settings,
        report_id=report.id,
        agency_id=world.routed.id,
        reason="Happened in the city.",
    )
    with pytest.raises(refusal):
        sar(db, getattr(world, who), settings, report)
    assert report.file_class == "tip_lead"
    assert changes_of(db, report) == []


def test_a_supervisor_elsewhere_cannot_vet_a_community_wide_report(db, world, settings):
    report = filed(db, world, settings, marking="GREEN")
    with pytest.raises(PermissionDenied):
        sar(db, world.other_supervisor, settings, report)


@pytest.mark.parametrize("nexus", ["", "suspicious", "  looks   odd   to me  "])
def test_the_nexus_must_be_written_out(db, world, settings, nexus):
    report = filed(db, world, settings)
    with pytest.raises(InvalidInput) as refused:
        sar(db, world.supervisor, settings, report, nexus=nexus)
    assert "nexus" in refused.value.errors
    assert report.file_class == "tip_lead" and changes_of(db, report) == []


def test_only_a_tip_lead_is_vetted(db, world, settings):
    report = filed(db, world, settings)
    sar(db, world.supervisor, settings, report)
    with pytest.raises(InvalidInput):
        sar(db, world.supervisor, settings, report)
    intelligence(db, world.supervisor, settings, report)
    with pytest.raises(InvalidInput):
        sar(db, world.supervisor, settings, report)
    assert len(changes_of(db, report)) == 2


# --- criminal intelligence ------------------------------------------------------------------


@pytest.mark.parametrize("start", ["tip_lead", "sar"])
def test_a_supervisor_keeps_a_report_as_intelligence(db, world, settings, start):
    report = filed(db, world, settings)
    if start == "sar":
        sar(db, world.supervisor, settings, report)
    intelligence(db, world.supervisor, settings, report)

    assert report.file_class == "intelligence"
    close(report.purge_due_at, utcnow() + 1826 * DAY)
    close(report.review_due_at, utcnow() + (1826 - 60) * DAY)
    assert report.review_due_at < report.purge_due_at  # type: ignore[operator]
    change = changes_of(db, report)[-1]
    assert (change.from_class, change.to_class) == (start, "intelligence")
    assert (change.predicate, change.justification) == (PREDICATE, JUSTIFICATION)
    assert change.user_id == world.supervisor.user_id
    (event,) = audited(db, report, "report.promote_intelligence")
    assert event.details == {"from": start, "to": "intelligence"}


@pytest.mark.parametrize("who", ["analyst", "routed_supervisor"])
def test_only_a_supervisor_of_the_owner_keeps_intelligence(db, world, settings, who):
    report = filed(db, world, settings, marking="GREEN")
    with pytest.raises(PermissionDenied):
        intelligence(db, getattr(world, who), settings, report)
    with pytest.raises(PermissionDenied):
        intelligence(db, world.other_supervisor, settings, report)
    assert report.file_class == "tip_lead"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"predicate": ""}, "predicate"),
        ({"predicate": "He is a suspect."}, "predicate"),
        ({"justification": ""}, "justification"),
        ({"justification": "Seems right."}, "justification"),
    ],
)
def test_intelligence_needs_a_predicate_and_a_justification(db, world, settings, changes, field):
    report = filed(db, world, settings)
    with pytest.raises(InvalidInput) as refused:
        intelligence(db, world.supervisor, settings, report, **changes)
    assert field in refused.value.errors
    assert report.file_class == "tip_lead" and changes_of(db, report) == []


@pytest.mark.parametrize(
    "marking, kept_as",
    [
        ("CLEAR", "AMBER"),
        ("GREEN", "AMBER"),
        ("AMBER", "AMBER"),
        ("AMBER+STRICT", "AMBER+STRICT"),
        ("RED", "RED"),
    ],
)
def test_intelligence_is_never_community_wide(db, world, settings, marking, kept_as):
    report = filed(db, world, settings, marking=marking)
    intelligence(db, world.supervisor, settings, report)
    assert report.marking == kept_as


def test_intelligence_cannot_be_promoted_again(db, world, settings):
    report = filed(db, world, settings)
    intelligence(db, world.supervisor, settings, report)
    with pytest.raises(InvalidInput):
        intelligence(db, world.supervisor, settings, report)
    assert len(changes_of(db, report)) == 1


# --- protected activity alone ----------------------------------------------------------------


@pytest.mark.parametrize("start", ["tip_lead", "sar"])
def test_protected_activity_never_becomes_intelligence(db, world, settings, start):
    report = filed(db, world, settings, protected_activity_only=True)
    if start == "sar":
        sar(db, world.supervisor, settings, report)
    with pytest.raises(InvalidInput) as refused:
        intelligence(db, world.supervisor, settings, report)
    assert "protected_activity_only" in refused.value.errors
    assert report.file_class == start
    assert audited(db, report, "report.promote_intelligence") == []


def test_protected_activity_keeps_the_tip_lead_purge_date_as_a_sar(
    db, world, settings, monkeypatch
):
    report = filed(db, world, settings, protected_activity_only=True)
    tip_limit = report.reported_at + 365 * DAY
    assert report.purge_due_at == tip_limit
    # Vetted ten months after it came in: it must still go at the tip/lead limit, not
    # a year (or five) after the vetting.
    later = utcnow() + 300 * DAY
    monkeypatch.setattr(file_classes, "utcnow", lambda: later)
    sar(db, world.supervisor, settings, report)
    assert report.file_class == "sar"
    assert report.purge_due_at == tip_limit
    assert report.review_due_at is None

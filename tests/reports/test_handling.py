"""Working a report: routing (a manual override that restarts the clock), acknowledging,
disposing (it leaves the queue), overriding the level, sharing with agencies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from tests.reports.factories import make_report
from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.models import Agency, AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role
from vigil.platform.types import utcnow
from vigil.reports import handling, service
from vigil.reports.models import Report, ReportEvent, ReportShare

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


class World:
    def __init__(self, db: Session) -> None:
        self.home = make_agency(db, name="Metro Police")
        self.partner = make_agency(db, name="Metro Schools")
        self.other = make_agency(db, name="Far County")
        self.analyst = self.member(db, self.home, Role.ANALYST)
        self.assessor = self.member(db, self.home, Role.THREAT_ASSESSMENT)
        self.partner_analyst = self.member(db, self.partner, Role.ANALYST)
        self.other_analyst = self.member(db, self.other, Role.ANALYST)

    @staticmethod
    def member(db: Session, agency: Agency, role: Role) -> Actor:
        return actor_for(make_user(db, agency=agency, roles={role}))


@pytest.fixture()
def world(db: Session) -> World:
    return World(db)


def events(db: Session, report: Report, kind: str) -> list[ReportEvent]:
    statement = select(ReportEvent).where(ReportEvent.report_id == report.id)
    return [e for e in db.execute(statement.order_by(ReportEvent.id)).scalars() if e.kind == kind]


def audited(db: Session, report: Report, action: str) -> list[AuditEvent]:
    statement = select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.object_id == str(report.id)
    )
    return list(db.execute(statement).scalars())


def queue(db: Session, actor: Actor, **filters: Any) -> list[int]:
    rows, _ = service.list_reports(db, actor=actor, filters=service.QueueFilter(**filters))
    return [row.id for row in rows]


# --- routing ---------------------------------------------------------------------------


def test_routing_hands_the_report_over_and_restarts_the_clock(db, world, settings):
    report = make_report(db, agency=world.home, level="high")
    report.ack_due_at = report.reported_at + timedelta(hours=4)
    handling.acknowledge_report(db, actor=world.analyst, report_id=report.id)
    report.escalated_at = utcnow()

    handling.route_report(
        db,
        actor=world.analyst,
        settings=settings,
        report_id=report.id,
        agency_id=world.partner.id,
        reason="The student attends a district school.",
    )
    assert report.routed_agency_id == world.partner.id
    assert report.acknowledged_at is None and report.escalated_at is None
    assert abs(report.ack_due_at - (utcnow() + timedelta(minutes=240))) < MINUTE  # type: ignore[operator]
    (routed,) = events(db, report, "routed")
    assert routed.data == {"from_agency": world.home.id, "to_agency": world.partner.id}
    assert "district school" in (routed.summary or "")
    (event,) = audited(db, report, "report.route")
    assert event.details == {"from_agency": world.home.id, "to_agency": world.partner.id}
    # Now it is the partner's to acknowledge, and in the partner's queue.
    assert report.id in queue(db, world.partner_analyst, agency_id=world.partner.id)
    handling.acknowledge_report(db, actor=world.partner_analyst, report_id=report.id)
    assert report.acknowledged_at is not None


def test_routing_follows_an_overridden_level(db, world, settings):
    report = make_report(db, agency=world.home, level="low")
    report.level_override = "imminent"
    handling.route_report(
        db,
        actor=world.analyst,
        settings=settings,
        report_id=report.id,
        agency_id=world.partner.id,
        reason="Their campus, their officers.",
    )
    assert abs(report.ack_due_at - (utcnow() + timedelta(minutes=15))) < MINUTE  # type: ignore[operator]


def test_a_level_override_after_routing_counts_from_the_routing(db, world, settings):
    report = make_report(db, agency=world.home, level="low", reported_at=utcnow() - 3 * DAY)
    handling.route_report(
        db,
        actor=world.analyst,
        settings=settings,
        report_id=report.id,
        agency_id=world.partner.id,
        reason="The student attends a district school.",
    )
    routed_at = utcnow()
    handling.override_level(
        db,
        actor=world.partner_analyst,
        settings=settings,
        report_id=report.id,
        level="high",
        reason="Their counsellor says he has a plan.",
    )
    # Four hours from the routing, not from the filing three days ago (already overdue).
    assert abs(report.ack_due_at - (routed_at + timedelta(hours=4))) < MINUTE  # type: ignore[operator]


@pytest.mark.parametrize(
    "agency, reason, field",
    [
        ("inactive", "A good reason.", "agency_id"),
        ("missing", "A good reason.", "agency_id"),
        ("partner", "no", "reason"),
    ],
)
def test_routing_needs_an_active_agency_and_a_reason(db, world, settings, agency, reason, field):
    inactive = make_agency(db, name="Closed Office")
    inactive.active = False
    target = {"inactive": inactive.id, "missing": 999_999, "partner": world.partner.id}[agency]
    report = make_report(db, agency=world.home)
    with pytest.raises(InvalidInput) as refused:
        handling.route_report(
            db,
            actor=world.analyst,
            settings=settings,
            report_id=report.id,
            agency_id=target,
            reason=reason,
        )
    assert field in refused.value.errors
    assert report.routed_agency_id == world.home.id


def test_routing_needs_a_handler_of_a_responsible_agency(db, world, settings):
    report = make_report(db, agency=world.home, marking="GREEN")
    arguments = {"settings": settings, "agency_id": world.partner.id, "reason": "Their case."}
    with pytest.raises(PermissionDenied):  # threat assessment works cases, not the queue
        handling.route_report(db, actor=world.assessor, report_id=report.id, **arguments)
    with pytest.raises(PermissionDenied):  # sees it (GREEN) but is not responsible
        handling.route_report(db, actor=world.other_analyst, report_id=report.id, **arguments)
    hidden = make_report(db, agency=world.home, marking="AMBER")
    with pytest.raises(NotFound):
        handling.route_report(db, actor=world.other_analyst, report_id=hidden.id, **arguments)


# --- acknowledging --------------------------------------------------------------------------


def test_acknowledging_is_recorded_once(db, world):
    report = make_report(db, agency=world.home)
    handling.acknowledge_report(db, actor=world.assessor, report_id=report.id)
    first = report.acknowledged_at
    assert first is not None
    handling.acknowledge_report(db, actor=world.analyst, report_id=report.id)
    assert report.acknowledged_at == first
    assert len(events(db, report, "acknowledged")) == 1
    assert len(audited(db, report, "report.acknowledge")) == 1


def test_a_reader_outside_the_responsible_agencies_cannot_acknowledge(db, world):
    report = make_report(db, agency=world.home, marking="GREEN")
    with pytest.raises(PermissionDenied):
        handling.acknowledge_report(db, actor=world.other_analyst, report_id=report.id)
    assert report.acknowledged_at is None


# --- disposing --------------------------------------------------------------------------


def test_a_disposition_takes_the_report_out_of_the_queue(db, world):
    report = make_report(db, agency=world.home)
    assert report.id in queue(db, world.analyst)
    handling.dispose_report(
        db,
        actor=world.analyst,
        report_id=report.id,
        disposition="referred_to_threat_assessment",
        outcome="The school's team opened a case and met the family.",
    )
    assert report.disposition == "referred_to_threat_assessment"
    assert report.disposed_at is not None and report.acknowledged_at is not None
    (event,) = events(db, report, "disposition")
    assert event.data == {"disposition": "referred_to_threat_assessment"}
    assert "met the family" in (event.summary or "")
    (audit_event,) = audited(db, report, "report.dispose")
    assert audit_event.details == {"disposition": "referred_to_threat_assessment"}
    assert report.id not in queue(db, world.analyst)
    assert report.id in queue(db, world.analyst, unassessed_only=False)


@pytest.mark.parametrize(
    "disposition, outcome, field",
    [
        ("", "Checked on him, all fine.", "disposition"),
        ("arrested_everyone", "Checked on him, all fine.", "disposition"),
        ("welfare_check", "", "outcome"),
        ("welfare_check", "ok", "outcome"),
        ("welfare_check", "x" * 2001, "outcome"),
    ],
)
def test_a_disposition_needs_a_listed_choice_and_an_outcome(db, world, disposition, outcome, field):
    report = make_report(db, agency=world.home)
    with pytest.raises(InvalidInput) as refused:
        handling.dispose_report(
            db, actor=world.analyst, report_id=report.id, disposition=disposition, outcome=outcome
        )
    assert field in refused.value.errors
    assert report.disposed_at is None and report.id in queue(db, world.analyst)


# --- overriding the level ---------------------------------------------------------------


def test_overriding_the_level_needs_a_reason_and_is_audited(db, world, settings):
    report = make_report(db, agency=world.home, level="low")
    report.ack_due_at = report.reported_at + timedelta(days=7)
    handling.override_level(
        db,
        actor=world.analyst,
        settings=settings,
        report_id=report.id,
        level="high",
        reason="His brother confirmed he has a gun at home.",
    )
    assert report.urgency_level == "low" and report.effective_level == "high"
    assert report.ack_due_at == report.reported_at + timedelta(hours=4)
    (event,) = events(db, report, "level_override")
    assert event.data == {"previous": "low", "level": "high"}
    assert "brother confirmed" in (event.summary or "")
    (audit_event,) = audited(db, report, "report.override_level")
    assert audit_event.details == {"previous": "low", "level": "high"}
    # Back to the computed level: the override is gone.
    handling.override_level(
        db,
        actor=world.analyst,
        settings=settings,
        report_id=report.id,
        level="low",
        reason="The gun turned out to be a toy.",
    )
    assert report.level_override is None and report.effective_level == "low"
    assert len(audited(db, report, "report.override_level")) == 2


@pytest.mark.parametrize(
    "level, reason, field", [("urgent", "Reason enough.", "level"), ("high", "no", "reason")]
)
def test_an_override_needs_a_known_level_and_a_reason(db, world, settings, level, reason, field):
    report = make_report(db, agency=world.home, level="low")
    with pytest.raises(InvalidInput) as refused:
        handling.override_level(
            db,
            actor=world.analyst,
            settings=settings,
            report_id=report.id,
            level=level,
            reason=reason,
        )
    assert field in refused.value.errors
    assert report.level_override is None


def test_only_analysts_and_supervisors_override(db, world, settings):
    report = make_report(db, agency=world.home)
    with pytest.raises(PermissionDenied):
        handling.override_level(
            db,
            actor=world.assessor,
            settings=settings,
            report_id=report.id,
            level="high",
            reason="I think it is worse.",
        )


# --- sharing ------------------------------------------------------------------------------


def share(db: Session, world: World, report: Report, *agencies: Agency) -> Report:
    return handling.share_report(
        db,
        actor=world.analyst,
        report_id=report.id,
        agency_ids=[a.id for a in agencies],
        reason="The subject attends their school.",
    )


def test_sharing_is_recorded_and_audited(db, world):
    report = make_report(db, agency=world.home)
    share(db, world, report, world.partner)
    rows = db.execute(select(ReportShare).where(ReportShare.report_id == report.id)).scalars()
    (row,) = rows
    assert (row.agency_id, row.shared_by_user_id) == (world.partner.id, world.analyst.user_id)
    (event,) = events(db, report, "shared")
    assert event.data == {"agencies": [world.partner.id]}
    assert "attends their school" in (event.summary or "")
    (audit_event,) = audited(db, report, "report.share")
    assert audit_event.details == {"agencies": [world.partner.id]}
    # Sharing again with the same agency disseminates nothing new.
    share(db, world, report, world.partner)
    assert len(audited(db, report, "report.share")) == 1


@pytest.mark.parametrize(
    "marking, partner_reads",
    [("AMBER", True), ("AMBER+STRICT", False), ("RED", False)],
)
def test_what_a_shared_agency_may_read(db, world, marking, partner_reads):
    named = make_user(db, agency=world.home, roles={Role.ANALYST})
    report = make_report(db, agency=world.home, marking=marking, recipients=[named])
    world.analyst = actor_for(named)
    assert not policy.decide(world.partner_analyst, "read", "report", report)
    if partner_reads:
        share(db, world, report, world.partner)
    else:  # a share that would give no access is refused, not logged as a dissemination
        with pytest.raises(InvalidInput, match="does not reach other agencies"):
            share(db, world, report, world.partner)
        assert not report.shares
    assert policy.decide(world.partner_analyst, "read", "report", report) is partner_reads
    assert (report.id in queue(db, world.partner_analyst)) is partner_reads
    assert not policy.decide(world.other_analyst, "read", "report", report)
    if not partner_reads:
        with pytest.raises(NotFound):
            service.get_report(db, actor=world.partner_analyst, report_id=report.id)


def test_sharing_needs_existing_agencies_and_a_reason(db, world):
    report = make_report(db, agency=world.home)
    for agency_ids, reason in (
        ([], "Need to know."),
        ([999_999], "Need to know."),
        ([world.partner.id], ""),
    ):
        with pytest.raises(InvalidInput):
            handling.share_report(
                db, actor=world.analyst, report_id=report.id, agency_ids=agency_ids, reason=reason
            )
    assert report.shared_agency_ids == frozenset()


def test_only_the_owning_agency_shares(db, world):
    report = make_report(db, agency=world.home, routed_to=world.partner)
    with pytest.raises(PermissionDenied):
        handling.share_report(
            db,
            actor=world.partner_analyst,
            report_id=report.id,
            agency_ids=[world.other.id],
            reason="They might want it.",
        )
    with pytest.raises(PermissionDenied):
        handling.share_report(
            db,
            actor=world.assessor,
            report_id=report.id,
            agency_ids=[world.other.id],
            reason="They might want it.",
        )


def test_a_red_report_cannot_be_routed_to_another_agencys_queue(db, world, settings):
    named = make_user(db, agency=world.home, roles={Role.ANALYST})
    report = make_report(db, agency=world.home, marking="RED", recipients=[named])
    with pytest.raises(InvalidInput, match="cannot be routed"):
        handling.route_report(
            db,
            actor=actor_for(named),
            settings=settings,
            report_id=report.id,
            agency_id=world.partner.id,
            reason="Their jurisdiction.",
        )
    assert report.routed_agency_id == world.home.id

"""Cases through their services on both databases: opening, who sees and does what,
the life cycle, the team, sharing and revoking, and what the audit trail records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.assessment.case_factories import Staff, make_staff, open_case
from tests.reports.factories import make_report
from vigil.assessment import cases, shares
from vigil.assessment.models import CaseMember, CaseStatusChange
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied


@pytest.fixture()
def staff(db) -> Staff:
    return make_staff(db)


def _events(db, action: str) -> list[AuditEvent]:
    return list(db.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())


def test_opening_a_case_from_a_report(db, staff):
    case = open_case(db, staff)
    assert case.number.startswith("TA-") and case.number.endswith(f"{case.id:06d}")
    assert case.status == "open" and case.owner_agency_id == staff.school.id
    assert case.next_review_on == (case.opened_at + timedelta(days=30)).date()
    subjects = cases.subjects(db, case)
    assert [s.display_name for s in subjects] == ["Jordan Reyes"]  # not the reporting party
    team = cases.members(db, case)
    assert [(m.user_id, m.team_role) for m in team] == [(staff.lead.id, "lead")]
    assert [h.to_status for h in cases.status_history(db, case)] == ["open"]
    opened = _events(db, "case.open")
    assert len(opened) == 1 and "Jordan" not in str(opened[0].details)


def test_opening_needs_a_case_role_a_readable_report_and_a_subject(db, staff):
    report = make_report(db, agency=staff.school, mentions=[{"given_name": "Sam"}])
    with pytest.raises(PermissionDenied):
        cases.open_case(db, actor=staff.actor(staff.analyst), title="Analyst", report_id=report.id)
    with pytest.raises(NotFound):  # another agency's unshared report
        cases.open_case(db, actor=staff.actor(staff.officer), title="Police", report_id=report.id)
    bare = make_report(db, agency=staff.school, mentions=[{"role": "witness", "given_name": "W"}])
    with pytest.raises(InvalidInput) as problem:
        cases.open_case(db, actor=staff.actor(staff.lead), title="No subject", report_id=bare.id)
    assert "origin" in problem.value.errors
    with pytest.raises(InvalidInput) as problem:
        cases.open_case(
            db, actor=staff.actor(staff.lead), title="x", report_id=report.id, regime="other"
        )
    assert {"title", "regime"} <= set(problem.value.errors)
    with pytest.raises(InvalidInput) as problem:
        cases.open_case(
            db,
            actor=staff.actor(staff.lead),
            title="Interval",
            report_id=report.id,
            review_interval_days=0,
        )
    assert "review_interval_days" in problem.value.errors


def test_who_reads_works_and_manages_a_case(db, staff):
    case = open_case(db, staff)
    lead, colleague = staff.actor(staff.lead), staff.actor(staff.colleague)
    supervisor, officer = staff.actor(staff.supervisor), staff.actor(staff.officer)
    assert cases.load_case(db, actor=lead, case_id=case.id, action="manage") is case
    assert cases.load_case(db, actor=supervisor, case_id=case.id, action="manage") is case
    for outsider in (colleague, officer, staff.actor(staff.police_supervisor)):
        with pytest.raises(NotFound):  # not on the team: the case does not exist for them
            cases.load_case(db, actor=outsider, case_id=case.id)
    with pytest.raises(NotFound):
        cases.load_case(db, actor=staff.actor(staff.admin), case_id=case.id)

    cases.add_member(db, actor=lead, case_id=case.id, username=staff.officer.username)
    assert cases.load_case(db, actor=officer, case_id=case.id, action="work") is case
    with pytest.raises(PermissionDenied):  # a member is not the lead
        cases.load_case(db, actor=officer, case_id=case.id, action="manage")


def test_lists_hold_exactly_the_cases_one_may_read(db, staff):
    mine = open_case(db, staff, title="Mine")
    other = cases.open_case(
        db,
        actor=staff.actor(staff.officer),
        title="Police case",
        report_id=make_report(db, agency=staff.police, mentions=[{"given_name": "Al"}]).id,
    )

    def listed(user):
        rows, total = cases.list_cases(db, actor=staff.actor(user), filters=cases.CaseFilter())
        assert total == len(rows)
        return {case.id for case in rows}

    assert listed(staff.lead) == {mine.id}
    assert listed(staff.supervisor) == {mine.id}  # the owning agency's supervisor
    assert listed(staff.colleague) == set()
    assert listed(staff.officer) == {other.id}
    shares.share_case(
        db,
        actor=staff.actor(staff.lead),
        case_id=mine.id,
        agency_id=staff.police.id,
        reason="The subject lives in the police department's district.",
    )
    assert listed(staff.officer) == {mine.id, other.id}
    with pytest.raises(PermissionDenied):
        cases.list_cases(db, actor=staff.actor(staff.admin))


def test_a_shared_agency_reads_but_does_not_write_and_revoking_is_immediate(db, staff):
    case = open_case(db, staff)
    lead, officer = staff.actor(staff.lead), staff.actor(staff.officer)
    share = shares.share_case(
        db,
        actor=lead,
        case_id=case.id,
        agency_id=staff.police.id,
        reason="School resource officer needs to know.",
    )
    assert cases.load_case(db, actor=officer, case_id=case.id) is case
    with pytest.raises(PermissionDenied):
        cases.change_status(db, actor=officer, case_id=case.id, to_status="assessing")
    with pytest.raises(Conflict):
        shares.share_case(
            db, actor=lead, case_id=case.id, agency_id=staff.police.id, reason="Again, twice."
        )
    shares.revoke_share(db, actor=lead, case_id=case.id, share_id=share.id, reason="Moved away")
    with pytest.raises(NotFound):
        cases.load_case(db, actor=officer, case_id=case.id)
    shared, revoked = _events(db, "case.share"), _events(db, "case.share.revoke")
    assert len(shared) == 1 and shared[0].details["to_agency_id"] == staff.police.id
    assert len(revoked) == 1
    with pytest.raises(InvalidInput) as problem:
        shares.share_case(db, actor=lead, case_id=case.id, agency_id=staff.school.id, reason="x")
    assert {"agency_id", "reason"} <= set(problem.value.errors)


def test_the_life_cycle_and_its_rules(db, staff):
    case = open_case(db, staff)
    lead = staff.actor(staff.lead)
    with pytest.raises(InvalidInput) as problem:
        cases.change_status(db, actor=lead, case_id=case.id, to_status="monitoring")
    assert "Assessing" in problem.value.errors["status"]
    for status in ("assessing", "managing", "monitoring"):
        cases.change_status(db, actor=lead, case_id=case.id, to_status=status, note="next")
    with pytest.raises(InvalidInput) as problem:
        cases.change_status(db, actor=lead, case_id=case.id, to_status="closed")
    assert "closing_summary" in problem.value.errors
    cases.change_status(
        db,
        actor=lead,
        case_id=case.id,
        to_status="closed",
        closing_summary="Supports in place for a semester; no further concerning behavior.",
    )
    assert case.status == "closed" and case.closed_at is not None and case.next_review_on is None
    cases.change_status(db, actor=lead, case_id=case.id, to_status="assessing", note="New tip")
    assert case.closed_at is None and case.next_review_on is not None
    history = [(h.from_status, h.to_status) for h in cases.status_history(db, case)]
    assert history == [
        (None, "open"),
        ("open", "assessing"),
        ("assessing", "managing"),
        ("managing", "monitoring"),
        ("monitoring", "closed"),
        ("closed", "assessing"),
    ]
    assert len(_events(db, "case.status")) == 5


def test_only_the_lead_or_a_supervisor_closes(db, staff):
    case = open_case(db, staff)
    cases.add_member(
        db, actor=staff.actor(staff.lead), case_id=case.id, username=staff.colleague.username
    )
    with pytest.raises(PermissionDenied):
        cases.change_status(
            db,
            actor=staff.actor(staff.colleague),
            case_id=case.id,
            to_status="closed",
            closing_summary="A member may not close the case on their own.",
        )
    cases.change_status(
        db,
        actor=staff.actor(staff.supervisor),
        case_id=case.id,
        to_status="closed",
        closing_summary="Closed by the supervisor after the team's review.",
    )
    assert case.status == "closed"


def test_team_changes_are_checked_kept_and_audited(db, staff):
    case = open_case(db, staff)
    lead = staff.actor(staff.lead)
    with pytest.raises(InvalidInput):
        cases.add_member(db, actor=lead, case_id=case.id, username=staff.admin.username)
    with pytest.raises(InvalidInput):
        cases.add_member(db, actor=lead, case_id=case.id, username="nobody-here")
    member = cases.add_member(db, actor=lead, case_id=case.id, username=staff.officer.username)
    assert member.agency_id == staff.police.id
    with pytest.raises(Conflict):
        cases.add_member(db, actor=lead, case_id=case.id, username=staff.officer.username)
    lead_row = db.execute(
        select(CaseMember).where(CaseMember.case_id == case.id, CaseMember.team_role == "lead")
    ).scalar_one()
    with pytest.raises(Conflict):  # the only lead stays
        cases.remove_member(db, actor=lead, case_id=case.id, member_id=lead_row.id)
    cases.remove_member(db, actor=lead, case_id=case.id, member_id=member.id)
    assert member.removed_at is not None
    assert [m.id for m in cases.members(db, case, include_removed=True)] == [lead_row.id, member.id]
    with pytest.raises(NotFound):
        cases.load_case(db, actor=staff.actor(staff.officer), case_id=case.id)
    added, removed = _events(db, "case.member.add"), _events(db, "case.member.remove")
    assert added[0].details["user_id"] == staff.officer.id and len(removed) == 1


def test_settings_move_the_next_review(db, staff):
    case = open_case(db, staff)
    due = case.next_review_on
    cases.update_settings(
        db,
        actor=staff.actor(staff.lead),
        case_id=case.id,
        review_interval_days=14,
        closure_criteria="Three months without concerning behavior.",
    )
    assert case.next_review_on == due - timedelta(days=16)
    assert case.closure_criteria.startswith("Three months")
    with pytest.raises(InvalidInput):
        cases.update_settings(
            db,
            actor=staff.actor(staff.lead),
            case_id=case.id,
            review_interval_days=400,
            closure_criteria=None,
        )
    history = (
        db.execute(select(CaseStatusChange).where(CaseStatusChange.case_id == case.id))
        .scalars()
        .all()
    )
    assert len(history) == 1


def test_opening_a_case_from_a_person_takes_the_reports_the_opener_may_read(db, staff):
    from vigil.linkage import membership

    own = make_report(
        db, agency=staff.school, mentions=[{"given_name": "Kai", "family_name": "Moss"}]
    )
    held = make_report(
        db, agency=staff.police, mentions=[{"given_name": "Kai", "family_name": "Moss"}]
    )
    person = membership.place(db, own.mentions[0].id, None, linked_by="run")
    membership.place(db, held.mentions[0].id, person, linked_by="run")
    case = cases.open_case(db, actor=staff.actor(staff.lead), title="Kai's posts", person_id=person)
    assert [s.person_id for s in cases.subjects(db, case)] == [person]
    assert cases.report_ids(db, case) == [own.id]  # not the police report it may not read
    assert case.origin_reported_at == own.reported_at
    with pytest.raises(NotFound):  # a person the opener may not view
        lonely = membership.place(db, held.mentions[0].id, None, linked_by="supervisor")
        cases.open_case(db, actor=staff.actor(staff.lead), title="Police only", person_id=lonely)
    with pytest.raises(InvalidInput) as problem:
        cases.open_case(
            db, actor=staff.actor(staff.lead), title="Both", report_id=own.id, person_id=person
        )
    assert "report_id" in problem.value.errors


def test_the_list_orders_alike_on_both_databases(db, staff):
    lead = staff.actor(staff.lead)
    closed = open_case(db, staff, title="Closed one")
    cases.change_status(
        db,
        actor=lead,
        case_id=closed.id,
        to_status="closed",
        closing_summary="Resolved after the first meeting with the family.",
    )
    active = open_case(db, staff, title="Active one")
    rows, _ = cases.list_cases(db, actor=lead, filters=cases.CaseFilter())
    assert [case.id for case in rows] == [active.id, closed.id]  # no review date: last

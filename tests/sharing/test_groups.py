"""Sharing groups and dissemination records through the services on both databases:
who manages a group, who sees its members, what a share writes, revoking, and the
dissemination log each reader sees."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import make_agency, make_user
from tests.reports.factories import make_report
from tests.sharing.factories import Partners, make_partners
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role
from vigil.reports.models import ReportShare
from vigil.sharing import disseminations, groups
from vigil.sharing.models import Dissemination

REASON = "Regional school-safety partners need to know"


@pytest.fixture()
def staff(db) -> Partners:
    return make_partners(db)


def _group(db, staff: Partners, *, hide: bool = False):
    return groups.create_group(
        db,
        actor=staff.actor(staff.admin),
        name="School safety partners",
        hide_members=hide,
        agency_ids=[staff.partner.id, staff.other.id],
    )


def test_an_agency_defines_a_group_and_manages_its_members(db, staff):
    group = _group(db, staff)
    assert group.owner_agency_id == staff.home.id and len(group.collection_id) == 36
    names = [a.id for a in groups.members(db, actor=staff.actor(staff.admin), group=group)]
    assert sorted(names) == sorted([staff.partner.id, staff.other.id])
    with pytest.raises(Conflict):
        _group(db, staff)
    with pytest.raises(PermissionDenied):  # analysts share, they do not define groups
        groups.create_group(db, actor=staff.actor(staff.analyst), name="Mine")
    with pytest.raises(InvalidInput):
        groups.create_group(db, actor=staff.actor(staff.admin), name="x")
    with pytest.raises(InvalidInput):  # not a real agency
        groups.create_group(db, actor=staff.actor(staff.admin), name="Ghosts", agency_ids=[999999])
    groups.remove_member(
        db, actor=staff.actor(staff.admin), group_id=group.id, agency_id=staff.other.id
    )
    assert groups.member_ids(db, group.id) == {staff.partner.id}
    with pytest.raises(NotFound):  # a member agency does not manage the group
        groups.remove_member(
            db,
            actor=staff.actor(staff.other_analyst),
            group_id=group.id,
            agency_id=staff.partner.id,
        )
    with pytest.raises(PermissionDenied):
        groups.remove_member(
            db,
            actor=staff.actor(staff.partner_analyst),
            group_id=group.id,
            agency_id=staff.partner.id,
        )


def test_a_group_can_hide_its_members_from_its_members(db, staff):
    open_group, hidden = (
        _group(db, staff),
        groups.create_group(
            db,
            actor=staff.actor(staff.admin),
            name="Bilateral",
            hide_members=True,
            agency_ids=[staff.partner.id, staff.other.id],
        ),
    )
    partner = staff.actor(staff.partner_analyst)
    assert len(groups.members(db, actor=partner, group=open_group)) == 2
    with pytest.raises(PermissionDenied):
        groups.members(db, actor=partner, group=hidden)
    assert {g.id for g in groups.list_groups(db, actor=partner)} == {open_group.id, hidden.id}
    outsider = make_user(db, agency=make_agency(db), roles={Role.ANALYST})
    assert groups.list_groups(db, actor=staff.actor(outsider)) == []
    with pytest.raises(NotFound):
        groups.load_group(db, actor=staff.actor(outsider), group_id=hidden.id)


def test_a_share_is_a_dissemination_to_every_member_and_revocable(db, staff):
    group = _group(db, staff, hide=True)
    report = make_report(db, agency=staff.home, marking="AMBER")
    analyst = staff.actor(staff.analyst)
    share = groups.share_report(
        db, actor=analyst, group_id=group.id, report_id=report.id, reason=REASON
    )
    again = groups.share_report(
        db, actor=analyst, group_id=group.id, report_id=report.id, reason=REASON
    )
    assert again.id == share.id
    records = (
        db.execute(select(Dissemination).order_by(Dissemination.recipient_agency_id))
        .scalars()
        .all()
    )
    assert [(r.recipient_agency_id, r.channel, r.reason) for r in records] == [
        (staff.partner.id, "group", REASON),
        (staff.other.id, "group", REASON),
    ]
    # The owner sees every recipient; a member of a hidden group only itself.
    own_log = disseminations.for_report(db, actor=analyst, report_id=report.id)
    assert len(own_log) == 2
    # The partner reads the report through a direct share as well.
    report.shares.append(ReportShare(agency_id=staff.partner.id))
    db.flush()
    partner_log = disseminations.for_report(
        db, actor=staff.actor(staff.partner_analyst), report_id=report.id
    )
    assert [line.recipient.startswith(staff.partner.name) for line in partner_log] == [True]
    groups.revoke_share(db, actor=analyst, group_id=group.id, report_id=report.id)
    assert all(r.revoked_at is not None for r in db.execute(select(Dissemination)).scalars())
    with pytest.raises(NotFound):
        groups.revoke_share(db, actor=analyst, group_id=group.id, report_id=report.id)
    actions = [e.action for e in db.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]
    assert actions.count("report.share_group") == 1 and "report.revoke_group_share" in actions


def test_red_strict_and_unreadable_reports_are_not_shared(db, staff):
    group = _group(db, staff)
    analyst = staff.actor(staff.analyst)
    for marking in ("RED", "AMBER+STRICT"):
        report = make_report(db, agency=staff.home, marking=marking, recipients=[staff.analyst])
        with pytest.raises(InvalidInput):
            groups.share_report(
                db, actor=analyst, group_id=group.id, report_id=report.id, reason=REASON
            )
    foreign = make_report(db, agency=staff.partner, marking="AMBER")
    with pytest.raises(NotFound):
        groups.share_report(
            db, actor=analyst, group_id=group.id, report_id=foreign.id, reason=REASON
        )
    community = make_report(db, agency=staff.partner, marking="GREEN")
    with pytest.raises(PermissionDenied):  # only the owning agency shares its report
        groups.share_report(
            db, actor=analyst, group_id=group.id, report_id=community.id, reason=REASON
        )
    assert db.execute(select(Dissemination)).first() is None


def test_a_new_member_receives_what_the_group_already_has(db, staff):
    group = groups.create_group(
        db, actor=staff.actor(staff.admin), name="Grows", agency_ids=[staff.partner.id]
    )
    report = make_report(db, agency=staff.home, marking="GREEN")
    groups.share_report(
        db, actor=staff.actor(staff.analyst), group_id=group.id, report_id=report.id, reason=REASON
    )
    groups.add_member(
        db,
        actor=staff.actor(staff.admin),
        group_id=group.id,
        agency_id=staff.other.id,
        reason=REASON,
    )
    recipients = db.execute(select(Dissemination.recipient_agency_id)).scalars().all()
    assert sorted(recipients) == sorted([staff.partner.id, staff.other.id])

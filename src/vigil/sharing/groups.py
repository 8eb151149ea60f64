"""Sharing groups: an agency's partner agencies, the reports shared with them (the
group's TAXII collection) and the dissemination record each share writes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Agency
from vigil.platform.policy.markings import Tlp
from vigil.platform.policy.sharing_rules import GroupFacts
from vigil.platform.types import utcnow
from vigil.reports.models import Report
from vigil.sharing.models import Dissemination, GroupShare, SharingGroup, SharingGroupMember
from vigil.sharing.stix_export import load_values

# A share the group's members could not hold: TLP:RED names people, AMBER+STRICT stays
# inside the owning agency.
UNSHAREABLE = (Tlp.RED.value, Tlp.AMBER_STRICT.value)


def _text(value: str, field: str, minimum: int, maximum: int) -> str:
    value = " ".join((value or "").split())
    if not minimum <= len(value) <= maximum:
        raise InvalidInput({field: f"Write {minimum} to {maximum} characters."})
    return value


def member_ids(db: Session, group_id: int) -> frozenset[int]:
    return frozenset(
        db.execute(
            select(SharingGroupMember.agency_id).where(SharingGroupMember.group_id == group_id)
        ).scalars()
    )


def facts(db: Session, group: SharingGroup) -> GroupFacts:
    return GroupFacts(
        owner_agency_id=group.owner_agency_id,
        member_agency_ids=member_ids(db, group.id),
        hide_members=group.hide_members,
    )


def load_group(db: Session, *, actor: Actor, group_id: int, action: str = "read") -> SharingGroup:
    """The group if the actor may do ``action`` on it; NotFound when they may not even
    read it (its existence is not their business), PermissionDenied otherwise."""
    group = db.get(SharingGroup, group_id)
    if group is None:
        raise NotFound("sharing_group")
    known = facts(db, group)
    if not policy.decide(actor, "read", "sharing_group", known):
        raise NotFound("sharing_group")
    if action != "read":
        policy.authorize(actor, action, "sharing_group", known)
    return group


def load_by_collection(db: Session, *, actor: Actor, collection_id: str) -> SharingGroup:
    """The group behind a TAXII collection, if the actor may read the collection."""
    group = db.execute(
        select(SharingGroup).where(SharingGroup.collection_id == collection_id)
    ).scalar_one_or_none()
    if group is None or not policy.decide(
        actor, "read_collection", "sharing_group", facts(db, group)
    ):
        raise NotFound("sharing_group")
    return group


def list_groups(db: Session, *, actor: Actor) -> list[SharingGroup]:
    policy.authorize(actor, "list", "sharing_group")
    statement = (
        select(SharingGroup)
        .where(policy.scope(actor, "list", "sharing_group"))
        .order_by(SharingGroup.name, SharingGroup.id)
    )
    return list(db.execute(statement).scalars())


def _agencies(db: Session, agency_ids: Sequence[int], owner_id: int | None) -> list[int]:
    wanted = sorted(set(agency_ids) - {owner_id})
    found = set(
        db.execute(
            select(Agency.id).where(Agency.id.in_(wanted), Agency.active.is_(True))
        ).scalars()
    )
    if found != set(wanted):
        raise InvalidInput({"agency_ids": "Choose active agencies other than your own."})
    return wanted


def create_group(
    db: Session,
    *,
    actor: Actor,
    name: str,
    description: str = "",
    hide_members: bool = False,
    agency_ids: Sequence[int] = (),
) -> SharingGroup:
    """A new group of the actor's agency, with its first members."""
    policy.authorize(actor, "create", "sharing_group")
    _, own_agency_id = actor.member_ids()
    name = _text(name, "name", 3, 200)
    description = " ".join((description or "").split())[:2000]
    members = _agencies(db, agency_ids, own_agency_id)
    taken = db.execute(
        select(SharingGroup.id).where(
            SharingGroup.owner_agency_id == own_agency_id, SharingGroup.name == name
        )
    ).first()
    if taken:
        raise Conflict("Your agency already has a sharing group of that name.", field="name")
    group = SharingGroup(
        collection_id=str(uuid.uuid4()),
        owner_agency_id=own_agency_id,
        name=name,
        description=description,
        hide_members=hide_members,
        created_by_user_id=actor.user_id,
        created_at=utcnow(),
    )
    db.add(group)
    db.flush()
    for agency_id in members:
        db.add(
            SharingGroupMember(
                group_id=group.id, agency_id=agency_id, added_by_user_id=actor.user_id
            )
        )
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="sharing_group.create",
        object_type="sharing_group",
        object_id=group.id,
        agency_id=own_agency_id,
        details={"members": members, "hide_members": hide_members},
    )
    return group


def members(db: Session, *, actor: Actor, group: SharingGroup) -> list[Agency]:
    """The member agencies, for those the group lets see them."""
    policy.authorize(actor, "read_members", "sharing_group", facts(db, group))
    statement = (
        select(Agency)
        .join(SharingGroupMember, SharingGroupMember.agency_id == Agency.id)
        .where(SharingGroupMember.group_id == group.id)
        .order_by(Agency.name)
    )
    return list(db.execute(statement).scalars())


def _active_shares(db: Session, group_id: int) -> list[GroupShare]:
    return list(
        db.execute(
            select(GroupShare).where(
                GroupShare.group_id == group_id, GroupShare.revoked_at.is_(None)
            )
        ).scalars()
    )


def _record(
    db: Session,
    *,
    actor: Actor,
    group: SharingGroup,
    reports: Sequence[Report],
    agency_ids: Sequence[int],
    reason: str,
    at: datetime,
) -> list[Dissemination]:
    """One dissemination record per report and member agency."""
    names = dict(
        (row.id, row.name)
        for row in db.execute(select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids)))
    )
    records = []
    for report, values in zip(reports, load_values(db, reports), strict=True):
        for agency_id in agency_ids:
            records.append(
                Dissemination(
                    report_id=report.id,
                    stix_id=values.stix_id,
                    receipt_number=report.receipt_number,
                    channel="group",
                    recipient_agency_id=agency_id,
                    recipient_group_id=group.id,
                    recipient_label=f"{names[agency_id]} (sharing group {group.name})"[:200],
                    marking=report.marking,
                    by_user_id=actor.user_id,
                    by_agency_id=actor.agency_id,
                    reason=reason,
                    at=at,
                )
            )
    db.add_all(records)
    db.flush()
    return records


def add_member(
    db: Session, *, actor: Actor, group_id: int, agency_id: int, reason: str
) -> SharingGroup:
    """Add a partner agency. It receives the reports already shared with the group, so
    each of them is a dissemination to it."""
    group = load_group(db, actor=actor, group_id=group_id, action="manage")
    reason = _text(reason, "reason", 5, 2000)
    if agency_id == group.owner_agency_id or not _agencies(db, [agency_id], None):
        raise InvalidInput({"agency_id": "Choose an active agency other than your own."})
    if agency_id in member_ids(db, group.id):
        return group
    db.add(
        SharingGroupMember(group_id=group.id, agency_id=agency_id, added_by_user_id=actor.user_id)
    )
    reports = [db.get_one(Report, share.report_id) for share in _active_shares(db, group.id)]
    _record(
        db,
        actor=actor,
        group=group,
        reports=reports,
        agency_ids=[agency_id],
        reason=reason,
        at=utcnow(),
    )
    audit.record(
        db,
        actor=actor,
        action="sharing_group.add_member",
        object_type="sharing_group",
        object_id=group.id,
        agency_id=group.owner_agency_id,
        details={"agency": agency_id, "reports": len(reports)},
    )
    return group


def remove_member(db: Session, *, actor: Actor, group_id: int, agency_id: int) -> SharingGroup:
    """Remove a partner agency: it receives nothing more from the group."""
    group = load_group(db, actor=actor, group_id=group_id, action="manage")
    membership = db.get(SharingGroupMember, (group.id, agency_id))
    if membership is None:
        raise NotFound("sharing_group_member")
    db.delete(membership)
    audit.record(
        db,
        actor=actor,
        action="sharing_group.remove_member",
        object_type="sharing_group",
        object_id=group.id,
        agency_id=group.owner_agency_id,
        details={"agency": agency_id},
    )
    return group


def share_report(
    db: Session, *, actor: Actor, group_id: int, report_id: int, reason: str
) -> GroupShare:
    """Share a report with every member of the group (and publish it in the group's
    TAXII collection): one dissemination record per member agency."""
    group = load_group(db, actor=actor, group_id=group_id, action="share")
    report = db.get(Report, report_id)
    if report is None or not policy.decide(actor, "read", "report", report):
        raise NotFound("report")
    policy.authorize(actor, "share", "report", report)
    if report.marking in UNSHAREABLE:
        raise InvalidInput(
            {
                "report_id": f"TLP:{report.marking} does not reach other agencies. Change "
                "the marking to TLP:AMBER first if the group needs to know."
            }
        )
    reason = _text(reason, "reason", 5, 2000)
    now = utcnow()
    share = db.execute(
        select(GroupShare).where(GroupShare.group_id == group.id, GroupShare.report_id == report.id)
    ).scalar_one_or_none()
    if share is not None and share.revoked_at is None:
        return share
    if share is None:
        share = GroupShare(group_id=group.id, report_id=report.id)
        db.add(share)
    share.reason, share.shared_by_user_id, share.shared_at = reason, actor.user_id, now
    share.revoked_at = share.revoked_by_user_id = None
    db.flush()
    recipients = sorted(member_ids(db, group.id))
    records = _record(
        db, actor=actor, group=group, reports=[report], agency_ids=recipients, reason=reason, at=now
    )
    audit.record(
        db,
        actor=actor,
        action="report.share_group",
        object_type="report",
        object_id=report.id,
        agency_id=report.owner_agency_id,
        details={"group": group.id, "agencies": recipients, "disseminations": len(records)},
    )
    return share


def revoke_share(db: Session, *, actor: Actor, group_id: int, report_id: int) -> GroupShare:
    """Stop sharing a report with the group: its collection no longer serves it."""
    group = load_group(db, actor=actor, group_id=group_id, action="share")
    share = db.execute(
        select(GroupShare).where(GroupShare.group_id == group.id, GroupShare.report_id == report_id)
    ).scalar_one_or_none()
    if share is None or share.revoked_at is not None:
        raise NotFound("group_share")
    now = utcnow()
    share.revoked_at, share.revoked_by_user_id = now, actor.user_id
    for record in db.execute(
        select(Dissemination).where(
            Dissemination.report_id == report_id,
            Dissemination.recipient_group_id == group.id,
            Dissemination.revoked_at.is_(None),
        )
    ).scalars():
        record.revoked_at = now
    audit.record(
        db,
        actor=actor,
        action="report.revoke_group_share",
        object_type="report",
        object_id=report_id,
        agency_id=group.owner_agency_id,
        details={"group": group.id},
    )
    return share


def shared_reports(db: Session, *, actor: Actor, group: SharingGroup) -> list[GroupShare]:
    """The group's shares (active first, newest first), for the owning agency."""
    policy.authorize(actor, "share", "sharing_group", facts(db, group))
    statement = (
        select(GroupShare)
        .where(GroupShare.group_id == group.id)
        .order_by(GroupShare.revoked_at.is_not(None), GroupShare.shared_at.desc())
        .limit(500)
    )
    return list(db.execute(statement).scalars())

"""Corrections and purges travel to everyone who received the record (28 CFR
23.20(h)): the agencies named in its dissemination records are notified in Vigil, and
partner instances learn it from the sharing groups' TAXII collections, where a purged
report is served again as a revoked STIX object and a corrected one as its new
version. A federation pull applies both (``apply_revocations`` and the importer's
update of a newer version).

A notice names the report by its receipt number and says what happened, never its
content. Recipients outside Vigil (a bundle exported by hand) cannot be told by Vigil:
the disseminating agency's supervisors are told how many there were, so that they
tell them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.models import Agency, Notification, User, UserRole
from vigil.platform.policy.markings import Tlp
from vigil.platform.roles import Role
from vigil.platform.types import utcnow
from vigil.reports.models import Report
from vigil.sharing.groups import UNSHAREABLE
from vigil.sharing.models import Dissemination, FeedEvent, GroupShare, ImportedReport
from vigil.sharing.stix_export import load_values
from vigil.sharing.stix_mapping import report_objects, stix_time
from vigil.sharing.stix_markings import TLP2_IDS

# Who is told in a receiving agency: those who hold and act on shared reports.
NOTIFIED_ROLES = (Role.SUPERVISOR.value, Role.ANALYST.value)
KINDS = {"purge": "purged", "correction": "corrected"}


def _staff(db: Session, agency_ids: Iterable[int]) -> list[int]:
    wanted = sorted(set(agency_ids))
    if not wanted:
        return []
    return list(
        db.execute(
            select(User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .join(Agency, Agency.id == User.agency_id)
            .where(
                User.agency_id.in_(wanted),
                User.disabled_at.is_(None),
                Agency.active.is_(True),
                UserRole.role.in_(NOTIFIED_ROLES),
            )
            .distinct()
            .order_by(User.id)
        ).scalars()
    )


def _notify(
    db: Session, user_ids: list[int], *, kind: str, subject: str, stix_id: str, at: datetime
) -> None:
    for user_id in user_ids:
        db.add(
            Notification(
                user_id=user_id,
                kind=kind,
                subject=subject[:300],
                link=None,
                object_type="disseminated_report",
                object_id=stix_id[:80],
                created_at=at,
            )
        )


def _feed_events(
    db: Session, report: Report, kind: str, at: datetime, values: Any
) -> list[FeedEvent]:
    """One event per group the report is shared with now."""
    (first, *_) = [o for o in report_objects(values) if o["type"] == "report"]
    events = []
    for share in db.execute(
        select(GroupShare).where(GroupShare.report_id == report.id, GroupShare.revoked_at.is_(None))
    ).scalars():
        event = FeedEvent(
            group_id=share.group_id,
            report_id=report.id,
            kind=kind,
            stix_id=first["id"],
            name=str(first["name"])[:300],
            author_ref=first["created_by_ref"],
            marking=report.marking,
            stix_created=first["created"],
            stix_published=first["published"],
            at=at,
        )
        db.add(event)
        events.append(event)
    return events


def propagate(db: Session, *, actor: Actor, report: Report, change: str) -> dict[str, int]:
    """Tell every recipient of ``report`` that it was purged or corrected (``change``);
    call it in the transaction that makes the change, before a purge deletes the row."""
    if change not in KINDS:
        raise ValueError(f"unknown change {change}")
    policy.authorize(actor, "propagate", "record_change", report)
    # TAXII dates have milliseconds: a finer date would come again after the cursor.
    now = utcnow()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    (values,) = load_values(db, [report])
    records = list(
        db.execute(select(Dissemination).where(Dissemination.report_id == report.id)).scalars()
    )
    inside = {r.recipient_agency_id for r in records if r.recipient_agency_id is not None}
    inside.discard(report.owner_agency_id)
    outside = Counter(r.by_agency_id for r in records if r.recipient_agency_id is None)
    what = KINDS[change]
    agency = db.get(Agency, report.owner_agency_id)
    source = agency.name if agency else "its owner"
    _notify(
        db,
        _staff(db, inside),
        kind=f"shared_report_{what}",
        subject=f"Report {report.receipt_number} that {source} shared with you was {what} "
        f"(28 CFR 23.20(h)): "
        + ("purge every copy you made." if change == "purge" else "update your copies."),
        stix_id=values.stix_id,
        at=now,
    )
    for by_agency_id, count in outside.items():
        if by_agency_id is None:
            continue
        _notify(
            db,
            _staff(db, [by_agency_id]),
            kind=f"exported_report_{what}",
            subject=f"Report {report.receipt_number} was {what}; {count} recipient"
            f"{'s' if count != 1 else ''} outside Vigil received it by export: tell them.",
            stix_id=values.stix_id,
            at=now,
        )
    kind = "revoked" if change == "purge" or report.marking in UNSHAREABLE else "modified"
    events = _feed_events(db, report, kind, now, values)
    db.flush()
    counts = {
        "agencies": len(inside),
        "outside": sum(outside.values()),
        "groups": len(events),
    }
    audit.record(
        db,
        actor=actor,
        action=f"report.{change}_propagated",
        object_type="report",
        object_id=report.id,
        agency_id=report.owner_agency_id,
        details={"receipt_number": report.receipt_number, **counts},
    )
    return counts


def feed_object(event: FeedEvent, current: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """What a group's collection serves for an event: a revoked report (nothing of its
    content, with its marking), or the corrected report's objects as they now stand."""
    if event.kind == "modified" and current is not None:
        return current
    tlp = Tlp(event.marking)
    return [
        {
            "type": "report",
            "spec_version": "2.1",
            "id": event.stix_id,
            "created": event.stix_created,
            "modified": stix_time(event.at),
            "created_by_ref": event.author_ref,
            "name": event.name,
            "published": event.stix_published,
            "report_types": ["threat-report"],
            "object_refs": [event.author_ref],
            "object_marking_refs": [TLP2_IDS[tlp]],
            "revoked": True,
        }
    ]


def revoked_copies(
    db: Session, *, holder_agency_id: int, objects: Iterable[Any]
) -> list[tuple[int, str]]:
    """(report id, receipt number) of the holder's copies of reports the partner revoked:
    a revoked report object whose author is the source the copy was received from."""
    wanted: dict[str, str] = {}
    for obj in objects:
        if (
            isinstance(obj, dict)
            and obj.get("type") == "report"
            and obj.get("revoked") is True
            and isinstance(obj.get("id"), str)
            and isinstance(obj.get("created_by_ref"), str)
        ):
            wanted[obj["id"]] = obj["created_by_ref"]
    if not wanted:
        return []
    found = db.execute(
        select(
            ImportedReport.report_id,
            ImportedReport.stix_id,
            ImportedReport.source_identity_id,
            Report.receipt_number,
        )
        .join(Report, Report.id == ImportedReport.report_id)
        .where(
            ImportedReport.stix_id.in_(list(wanted)),
            ImportedReport.holder_agency_id == holder_agency_id,
        )
    ).all()
    return [
        (row.report_id, row.receipt_number)
        for row in found
        if row.source_identity_id is not None and wanted[row.stix_id] == row.source_identity_id
    ]

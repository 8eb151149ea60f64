"""A sharing group's TAXII 2.1 collection as pages of STIX objects: the reports shared
with the group (not revoked, and still marked so that other agencies may hold them),
with the filters and pagination TAXII defines.

Each shared report contributes a fixed list of objects (its own, its TLP marking
definition, Vigil's extension definition and identity), all added when the report
was shared. Pages walk shares in (date added, share id) order; a page's ``next``
names the share and the position in its list where the following page begins, so
paging is stable while new shares arrive. Objects common to many reports appear once
per page; a consumer may meet them again on a later page, unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from vigil.platform import audit
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.platform.policy.markings import Tlp
from vigil.reports.models import Report
from vigil.sharing.groups import UNSHAREABLE
from vigil.sharing.models import FeedEvent, GroupShare, SharingGroup
from vigil.sharing.propagation import feed_object
from vigil.sharing.stix_export import load_values
from vigil.sharing.stix_mapping import common_objects, marking_object, report_objects, stix_time

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
SHARES_PER_BATCH = 50
MAX_EVENTS = 10_000
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"


@dataclass(frozen=True)
class Filters:
    added_after: datetime | None = None
    ids: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    versions: frozenset[str] = frozenset()  # "last", "first", "all" or timestamps

    def accepts(self, obj: dict[str, Any]) -> bool:
        if self.ids and obj["id"] not in self.ids:
            return False
        if self.types and obj["type"] not in self.types:
            return False
        named = self.versions - {"last", "first", "all"}
        return not named or version_of(obj, None) in named


@dataclass
class Page:
    objects: list[dict[str, Any]] = field(default_factory=list)
    added: list[datetime] = field(default_factory=list)  # date_added of each object
    more: bool = False
    next: str | None = None
    reports: int = 0


def version_of(obj: dict[str, Any], added: datetime | None) -> str:
    """An object's version for TAXII: modified, else created, else date added."""
    return str(obj.get("modified") or obj.get("created") or (stix_time(added) if added else ""))


def parse_cursor(value: str | None) -> tuple[str, int, int] | None:
    """A page's ``next`` back into (kind, id, position): "<share id>.<position>" for a
    share, "e<event id>.<position>" for a purge or correction event."""
    if not value:
        return None
    kind = "share"
    if value.startswith("e"):
        kind, value = "event", value[1:]
    share, _, position = value.partition(".")
    if not (share.isascii() and share.isdigit() and position.isascii() and position.isdigit()):
        raise InvalidInput({"next": "Use the 'next' value of the previous page."})
    if len(share) > 10 or len(position) > 6:
        raise InvalidInput({"next": "Use the 'next' value of the previous page."})
    return kind, int(share), int(position)


def _shares(
    db: Session, group: SharingGroup, filters: Filters, after: tuple[datetime, int] | None
) -> Iterator[list[GroupShare]]:
    """Active shares of servable reports whose (date added, id) follows ``after``, in
    batches."""
    servable = (
        select(Report.id)
        .where(Report.id == GroupShare.report_id, Report.marking.not_in(UNSHAREABLE))
        .exists()
    )
    base = select(GroupShare).where(
        GroupShare.group_id == group.id, GroupShare.revoked_at.is_(None), servable
    )
    if filters.added_after is not None:
        base = base.where(GroupShare.shared_at > filters.added_after)
    while True:
        statement = base
        if after is not None:
            statement = statement.where(
                or_(
                    GroupShare.shared_at > after[0],
                    and_(GroupShare.shared_at == after[0], GroupShare.id > after[1]),
                )
            )
        batch = list(
            db.execute(
                statement.order_by(GroupShare.shared_at, GroupShare.id).limit(SHARES_PER_BATCH)
            ).scalars()
        )
        if not batch:
            return
        yield batch
        after = (batch[-1].shared_at, batch[-1].id)


def _events(
    db: Session, group: SharingGroup, filters: Filters, start: tuple[datetime, int, int] | None
) -> list[FeedEvent]:
    """The group's purge and correction events from the key ``start`` (date, rank,
    id; a share ranks 0, an event 1) on, oldest first. They are few: a purge or a
    correction of a shared report."""
    statement = select(FeedEvent).where(FeedEvent.group_id == group.id)
    if filters.added_after is not None:
        statement = statement.where(FeedEvent.at > filters.added_after)
    if start is not None:
        at, rank, first = start
        same = FeedEvent.id >= first if rank == 1 else FeedEvent.id > 0
        statement = statement.where(or_(FeedEvent.at > at, and_(FeedEvent.at == at, same)))
    return list(
        db.execute(statement.order_by(FeedEvent.at, FeedEvent.id).limit(MAX_EVENTS)).scalars()
    )


def share_objects(db: Session, shares: list[GroupShare]) -> dict[int, list[dict[str, Any]]]:
    """Each share's fixed list of STIX objects (as JSON), by share id."""
    reports = {
        r.id: r
        for r in db.execute(
            select(Report)
            .where(Report.id.in_([s.report_id for s in shares]))
            .options(selectinload(Report.mentions))
        ).scalars()
    }
    ordered = [reports[s.report_id] for s in shares]
    common = common_objects()
    lists: dict[int, list[dict[str, Any]]] = {}
    for share, values in zip(shares, load_values(db, ordered), strict=True):
        marking = marking_object(Tlp(values.marking))
        lists[share.id] = [*report_objects(values), marking, *common]
    return lists


def event_objects(db: Session, event: FeedEvent) -> list[dict[str, Any]]:
    """A purge's revoked report (with its marking definition), or a correction's report
    as it now stands while it is still shared with the group (else nothing)."""
    if event.kind != "modified":
        return [*feed_object(event, None), marking_object(Tlp(event.marking))]
    share = db.execute(
        select(GroupShare).where(
            GroupShare.group_id == event.group_id,
            GroupShare.report_id == event.report_id,
            GroupShare.revoked_at.is_(None),
        )
    ).scalar_one_or_none()
    report = db.get(Report, event.report_id) if event.report_id is not None else None
    if share is None or report is None or report.marking in UNSHAREABLE:
        return []
    return share_objects(db, [share])[share.id]


def _start(
    db: Session, group: SharingGroup, cursor: tuple[str, int, int] | None
) -> tuple[tuple[datetime, int, int] | None, tuple[datetime, int] | None]:
    """Where a page starts: the (date, rank, id) key for events, the (date, id) after
    which shares follow."""
    if cursor is None:
        return None, None
    kind, row_id, _ = cursor
    refused = InvalidInput({"next": "Use the 'next' value of the previous page."})
    if kind == "share":
        share = db.get(GroupShare, row_id)
        if share is None or share.group_id != group.id:
            raise refused
        # The cursor's own share comes again (from its position).
        return (share.shared_at, 0, share.id), (share.shared_at, share.id - 1)
    event = db.get(FeedEvent, row_id)
    if event is None or event.group_id != group.id:
        raise refused
    return (event.at, 1, event.id), (event.at, 2**31 - 1)  # every share at that date


def _entries(
    db: Session, group: SharingGroup, filters: Filters, cursor: tuple[str, int, int] | None
) -> Iterator[tuple[str, int, datetime, list[dict[str, Any]]]]:
    """(kind, id, date added, objects) of shares and events in date-added order."""
    event_start, share_after = _start(db, group, cursor)
    events = _events(db, group, filters, event_start)
    position = 0
    for batch in _shares(db, group, filters, share_after):
        lists = share_objects(db, batch)
        for share in batch:
            while position < len(events) and (events[position].at, 1) < (share.shared_at, 0):
                event = events[position]
                position += 1
                yield "event", event.id, event.at, event_objects(db, event)
            yield "share", share.id, share.shared_at, lists[share.id]
    for event in events[position:]:
        yield "event", event.id, event.at, event_objects(db, event)


def read_page(
    db: Session,
    group: SharingGroup,
    *,
    filters: Filters,
    limit: int,
    cursor: tuple[str, int, int] | None,
) -> Page:
    """One page of the collection (the caller has checked the actor may read it)."""
    page, seen = Page(), set()
    for kind, row_id, added, objects in _entries(db, group, filters, cursor):
        at_cursor = cursor is not None and (kind, row_id) == cursor[:2]
        position = cursor[2] if at_cursor and cursor else 0
        counted = False
        while position < len(objects):
            if len(page.objects) >= limit:
                prefix = "e" if kind == "event" else ""
                page.more, page.next = True, f"{prefix}{row_id}.{position}"
                return page
            obj = objects[position]
            position += 1
            # A revoked or corrected report comes again under its id: a new version.
            key = (obj["id"], version_of(obj, None))
            if key in seen or not filters.accepts(obj):
                continue
            seen.add(key)
            page.objects.append(obj)
            page.added.append(added)
            if not counted:
                page.reports, counted = page.reports + 1, True
    return page


def audit_read(db: Session, *, actor: Actor, group: SharingGroup, page: Page, action: str) -> None:
    """A page of a collection carries personal data: every read is audited."""
    audit.record(
        db,
        actor=actor,
        action=f"taxii.{action}",
        object_type="sharing_group",
        object_id=group.id,
        agency_id=group.owner_agency_id,
        details={"objects": len(page.objects), "reports": page.reports},
    )

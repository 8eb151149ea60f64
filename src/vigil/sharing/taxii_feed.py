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
from vigil.sharing.models import GroupShare, SharingGroup
from vigil.sharing.stix_export import load_values
from vigil.sharing.stix_mapping import common_objects, marking_object, report_objects, stix_time

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
SHARES_PER_BATCH = 50
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


def parse_cursor(value: str | None) -> tuple[int, int] | None:
    """A page's ``next`` ("<share id>.<position>") back into numbers."""
    if not value:
        return None
    share, _, position = value.partition(".")
    if not (share.isascii() and share.isdigit() and position.isascii() and position.isdigit()):
        raise InvalidInput({"next": "Use the 'next' value of the previous page."})
    if len(share) > 10 or len(position) > 6:
        raise InvalidInput({"next": "Use the 'next' value of the previous page."})
    return int(share), int(position)


def _shares(
    db: Session, group: SharingGroup, filters: Filters, cursor: tuple[int, int] | None
) -> Iterator[list[GroupShare]]:
    """Active shares of servable reports after the cursor, in batches."""
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
    after: tuple[datetime, int] | None = None
    if cursor is not None:
        start = db.get(GroupShare, cursor[0])
        if start is None or start.group_id != group.id:
            raise InvalidInput({"next": "Use the 'next' value of the previous page."})
        after = (start.shared_at, start.id - 1)  # the cursor's own share comes again
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


def read_page(
    db: Session,
    group: SharingGroup,
    *,
    filters: Filters,
    limit: int,
    cursor: tuple[int, int] | None,
) -> Page:
    """One page of the collection (the caller has checked the actor may read it)."""
    page, seen = Page(), set()
    skip = cursor[1] if cursor else 0
    for batch in _shares(db, group, filters, cursor):
        lists = share_objects(db, batch)
        for share in batch:
            objects = lists[share.id]
            position = skip if cursor and share.id == cursor[0] else 0
            counted = False
            while position < len(objects):
                if len(page.objects) >= limit:
                    page.more, page.next = True, f"{share.id}.{position}"
                    return page
                obj = objects[position]
                position += 1
                if obj["id"] in seen or not filters.accepts(obj):
                    continue
                seen.add(obj["id"])
                page.objects.append(obj)
                page.added.append(share.shared_at)
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

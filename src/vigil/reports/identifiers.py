"""Subjects' identifiers as filing compares them: the folding rule and its indexed table.

Each filing counts the agency's earlier reports about the same person (same full name,
or a shared phone, e-mail or handle of a subject; case-folded, so for any script). The
values are kept, folded, in ``mention_identifiers`` by every writer of mentions (filing,
the bulk import, the migration for older rows), so the count is an index lookup and
does not grow with the agency's history.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from sqlalchemy import Table, and_, func, insert, or_, select
from sqlalchemy.orm import Session

from vigil.reports.models import MentionIdentifier, Report
from vigil.reports.schemas import MentionIn
from vigil.reports.vocabulary import MentionRole

NAME = "name"
CONTACT = "contact"

Identifier = tuple[str, str]  # (kind, folded value)


def folded(
    given: str | None,
    family: str | None,
    phones: Iterable[str] | None,
    emails: Iterable[str] | None,
    handles: Iterable[str] | None,
) -> set[Identifier]:
    """A subject's full name (when both parts are given) and contacts, case-folded."""
    found = {
        (CONTACT, value.casefold())
        for value in (*(phones or ()), *(emails or ()), *(handles or ()))
    }
    if given and family:
        found.add((NAME, f"{given} {family}".casefold()))
    return found


def of_subjects(mentions: Iterable[MentionIn]) -> set[Identifier]:
    """The identifiers of the subjects among ``mentions``. Only subjects count: a witness
    or reporting party named in a report is not who it is about."""
    found: set[Identifier] = set()
    for mention in mentions:
        if mention.role == MentionRole.SUBJECT:
            found |= folded(
                mention.given_name,
                mention.family_name,
                mention.phones,
                mention.emails,
                mention.handles,
            )
    return found


def rows(report_id: int, identifiers: Iterable[Identifier]) -> list[dict[str, object]]:
    return [
        {"report_id": report_id, "kind": kind, "value": value}
        for kind, value in sorted(identifiers)
    ]


_TABLE = cast(Table, MentionIdentifier.__table__)


def store(db: Session, report_id: int, identifiers: set[Identifier]) -> None:
    """Write a new report's identifiers in the caller's transaction."""
    if identifiers:
        # The table, not the entity: a plain executemany, without the ORM's bulk machinery.
        db.execute(insert(_TABLE), rows(report_id, identifiers))


def count_reports(db: Session, agency_id: int, identifiers: set[Identifier]) -> int:
    """Reports owned by or routed to the agency that share any of ``identifiers``."""
    if not identifiers:
        return 0
    by_kind = {
        kind: sorted(value for k, value in identifiers if k == kind) for kind in (NAME, CONTACT)
    }
    matches = [
        and_(MentionIdentifier.kind == kind, MentionIdentifier.value.in_(values))
        for kind, values in by_kind.items()
        if values
    ]
    return int(
        db.execute(
            select(func.count(func.distinct(MentionIdentifier.report_id)))
            .join(Report, Report.id == MentionIdentifier.report_id)
            .where(
                or_(*matches),
                or_(Report.owner_agency_id == agency_id, Report.routed_agency_id == agency_id),
            )
        ).scalar_one()
    )

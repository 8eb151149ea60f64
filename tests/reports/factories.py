"""A factory that stores a report directly (no triage, no audit), for tests that need
reports to exist rather than tests of filing itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from vigil.platform.models import Agency, User
from vigil.platform.types import utcnow
from vigil.reports import numbers, search
from vigil.reports.models import Mention, Report, ReportRecipient, ReportShare


def make_report(
    db: Session,
    *,
    agency: Agency,
    routed_to: Agency | None = None,
    kind: str = "tip",
    narrative: str = "A neighbour reported a man photographing the school entrance.",
    marking: str = "AMBER",
    file_class: str = "tip_lead",
    shared_with: Iterable[Agency] = (),
    recipients: Iterable[User] = (),
    mentions: Iterable[Mapping[str, Any]] = (),
    behaviors: Iterable[str] = (),
    level: str = "low",
    score: int = 0,
    reported_at: datetime | None = None,
    disposed: bool = False,
    protected_activity_only: bool = False,
    created_by: User | None = None,
) -> Report:
    """A stored report owned by ``agency`` (routed there too unless ``routed_to``).

    ``mentions`` are keyword dicts for Mention (role defaults to "subject")."""
    now = reported_at or utcnow()
    report = Report(
        receipt_number=numbers.new_receipt_number(),
        kind=kind,
        file_class=file_class,
        source="web",
        narrative=narrative,
        reported_at=now,
        behaviors=list(behaviors),
        weapons=[],
        target_types=[],
        marking=marking,
        owner_agency_id=agency.id,
        routed_agency_id=(routed_to or agency).id,
        created_by_user_id=created_by.id if created_by else None,
        protected_activity_only=protected_activity_only,
        urgency_score=score,
        urgency_level=level,
        urgency_rules=[],
        disposition="information_only" if disposed else None,
        disposed_at=now if disposed else None,
        created_at=now,
        updated_at=now,
    )
    report.mentions = [Mention(**{"role": "subject", **dict(given)}) for given in mentions]
    report.shares = [ReportShare(agency_id=shared.id) for shared in shared_with]
    report.recipients = [ReportRecipient(user_id=user.id) for user in recipients]
    db.add(report)
    db.flush()
    search.index_report(db, report)
    return report

"""What a fund publishes, naming no one: its protocols (the draft put out for comment and
the final one), the calculation's input file (the `vigil recover distribute` format,
claimants by anonymous id and tier only) and the public report.

The published input necessarily shows how many claimants each tier has (anyone must be
able to re-run the calculation), as the compassion funds after past shootings
published them. What it does not show is suppressed in the report as in the service
statistics: the claims refused, by harm, appear only where no cell is small.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import NotFound
from vigil.recovery import incident_records
from vigil.recovery.assistance_models import (
    Fund,
    FundClaim,
    FundDistribution,
    FundPayment,
    FundProtocol,
    ProtocolComment,
)
from vigil.recovery.funds import TierSpec, protocols, tiers_from
from vigil.recovery.statistics import DEFAULT_THRESHOLD, Table, _table
from vigil.recovery.vocabulary import CLAIM_STATUSES, HARMS, ROUNDING_RULE


@dataclass(frozen=True)
class PublishedProtocol:
    version: int
    stage: str
    fund_cents: int
    tiers: list[TierSpec]
    comment_until: date | None
    published_at: datetime
    comments_received: int


@dataclass(frozen=True)
class TierResult:
    tier: TierSpec
    claimants: int
    smallest_cents: int
    largest_cents: int
    total_cents: int


@dataclass(frozen=True)
class PublicReport:
    fund_id: int
    name: str
    incident_name: str | None
    status: str
    rounding_rule: str
    protocols: list[PublishedProtocol]
    results: list[TierResult]
    distributed_cents: int
    input_sha256: str | None
    payments_made: int
    payments_due: int
    decisions: Table  # claims by decision, small cells suppressed
    refused_by_harm: Table


def _published_fund(db: Session, actor: Actor, fund_id: int) -> tuple[Fund, list[FundProtocol]]:
    policy.authorize(actor, "read", "fund_publication")
    fund = db.get(Fund, fund_id)
    published = protocols(db, fund_id) if fund is not None else []
    if fund is None or not published:
        raise NotFound("fund")
    return fund, published


def public_report(
    db: Session, *, actor: Actor, fund_id: int, threshold: int = DEFAULT_THRESHOLD
) -> PublicReport:
    """The fund's public report: protocols, results by tier, payments made; no names."""
    fund, published = _published_fund(db, actor, fund_id)
    counted = dict(
        db.execute(
            select(ProtocolComment.protocol_id, func.count())
            .where(ProtocolComment.protocol_id.in_([p.id for p in published]))
            .group_by(ProtocolComment.protocol_id)
        ).all()
    )
    distribution = db.execute(
        select(FundDistribution).where(FundDistribution.fund_id == fund.id)
    ).scalar_one_or_none()
    results: list[TierResult] = []
    made = due = 0
    if distribution is not None:
        final = next(p for p in published if p.id == distribution.protocol_id)
        rows = db.execute(
            select(FundPayment.tier, FundPayment.amount_cents, FundPayment.paid_on).where(
                FundPayment.distribution_id == distribution.id
            )
        ).all()
        for tier in tiers_from(final.tiers):
            amounts = [amount for tier_id, amount, _ in rows if tier_id == tier.id]
            if amounts:
                results.append(
                    TierResult(tier, len(amounts), min(amounts), max(amounts), sum(amounts))
                )
        made = sum(1 for *_, paid in rows if paid is not None)
        due = len(rows) - made
    decided = dict(
        db.execute(
            select(FundClaim.status, func.count())
            .where(FundClaim.fund_id == fund.id)
            .group_by(FundClaim.status)
        ).all()
    )
    refused = dict(
        db.execute(
            select(FundClaim.harm, func.count())
            .where(FundClaim.fund_id == fund.id, FundClaim.status == "refused")
            .group_by(FundClaim.harm)
        ).all()
    )
    audit.record(
        db,
        actor=actor,
        action="fund.public_report",
        object_type="fund",
        object_id=fund.id,
    )
    return PublicReport(
        fund_id=fund.id,
        name=fund.name,
        incident_name=incident_records.incident_name(db, fund.incident_id),
        status=fund.status,
        rounding_rule=ROUNDING_RULE,
        protocols=[
            PublishedProtocol(
                p.version,
                p.stage,
                p.fund_cents,
                tiers_from(p.tiers),
                p.comment_until,
                p.published_at,
                counted.get(p.id, 0),
            )
            for p in published
        ],
        results=results,
        distributed_cents=sum(r.total_cents for r in results),
        input_sha256=distribution.input_sha256 if distribution else None,
        payments_made=made,
        payments_due=due,
        decisions=_table("Claims, by decision", CLAIM_STATUSES, decided, threshold),
        refused_by_harm=_table("Claims refused, by harm claimed", HARMS, refused, threshold),
    )


def input_document(db: Session, *, actor: Actor, fund_id: int) -> tuple[str, str]:
    """(file name, text) of the calculation's input, as published."""
    fund, _ = _published_fund(db, actor, fund_id)
    distribution = db.execute(
        select(FundDistribution).where(FundDistribution.fund_id == fund.id)
    ).scalar_one_or_none()
    if distribution is None:
        raise NotFound("fund distribution")
    audit.record(
        db, actor=actor, action="fund.input_download", object_type="fund", object_id=fund.id
    )
    return f"fund-{fund.id}-protocol.json", distribution.input_json

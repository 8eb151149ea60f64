"""When the victim-services records outside a survivor case go: the retention purge of
closed family assistance centers, of the claims of a fund paid out, and of the
resiliency center's offers and volunteers, beside the purge of closed survivor cases.

Each purge deletes what names or reaches a person. The audit trail keeps ids, counts
and the reason, nothing else. What a fund published (its protocols, the anonymised
calculation input, the public report's counts) names no one and stays: a claim past
retention keeps its harm, decision and payment, and loses its claimant's name, nights
in hospital, evidence and reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.recovery.assistance_models import (
    AssistanceCenter,
    BriefingAttendance,
    CenterBriefing,
    CenterRegistration,
    CenterService,
    CenterVisit,
    CommunityNeed,
    CommunityOffer,
    Fund,
    FundClaim,
)
from vigil.recovery.export import purge_expired

REASON = "retention period ended"
CHUNK = 500


@dataclass(frozen=True)
class RetentionPeriods:
    """Days a fund's claims and the community's offers are kept once their clock starts
    (platform settings). A center's keeping date is fixed when it closes
    (``assistance.close_center``), as a survivor case's is."""

    fund_claim_days: int
    community_offer_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPeriods:
        return cls(
            fund_claim_days=settings.fund_claim_retention_days,
            community_offer_days=settings.community_offer_retention_days,
        )


@dataclass(frozen=True)
class PurgeResult:
    cases: list[int]
    centers: list[int]
    registrations: int
    funds: list[int]
    claims: int
    offers: int

    @property
    def total(self) -> int:
        return len(self.cases) + len(self.centers) + self.claims + self.offers


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]


def _count(db: Session, model: type, *conditions: ColumnElement[bool]) -> int:
    return int(db.execute(select(func.count()).select_from(model).where(*conditions)).scalar_one())


def purge_centers(db: Session, *, actor: Actor, today: date) -> tuple[list[int], int]:
    """Delete closed centers past ``retain_until`` with their services, registrations,
    visits, briefings and attendance; (center ids, registrations deleted)."""
    due = list(
        db.execute(
            select(AssistanceCenter.id, AssistanceCenter.provider_agency_id)
            .where(AssistanceCenter.status == "closed", AssistanceCenter.retain_until < today)
            .order_by(AssistanceCenter.id)
        ).all()
    )
    ids = [center_id for center_id, _ in due]
    counts: dict[int, dict[str, int]] = {}
    for chunk in _chunks(ids):
        for center_id in chunk:
            registrations = select(CenterRegistration.id).where(
                CenterRegistration.center_id == center_id
            )
            counts[center_id] = {
                "registrations": _count(
                    db, CenterRegistration, CenterRegistration.center_id == center_id
                ),
                "visits": _count(db, CenterVisit, CenterVisit.center_id == center_id),
                "briefings": _count(db, CenterBriefing, CenterBriefing.center_id == center_id),
                "attendance": _count(
                    db, BriefingAttendance, BriefingAttendance.registration_id.in_(registrations)
                ),
            }
        # Children first, explicitly: SQLite enforces ON DELETE CASCADE only with its
        # foreign-key pragma, and a purge must not depend on a connection setting.
        registrations = select(CenterRegistration.id).where(CenterRegistration.center_id.in_(chunk))
        briefings = select(CenterBriefing.id).where(CenterBriefing.center_id.in_(chunk))
        db.execute(
            delete(BriefingAttendance).where(
                or_(
                    BriefingAttendance.registration_id.in_(registrations),
                    BriefingAttendance.briefing_id.in_(briefings),
                )
            )
        )
        db.execute(delete(CenterVisit).where(CenterVisit.center_id.in_(chunk)))
        db.execute(delete(CenterBriefing).where(CenterBriefing.center_id.in_(chunk)))
        db.execute(delete(CenterRegistration).where(CenterRegistration.center_id.in_(chunk)))
        db.execute(delete(CenterService).where(CenterService.center_id.in_(chunk)))
        db.execute(delete(AssistanceCenter).where(AssistanceCenter.id.in_(chunk)))
    for center_id, agency_id in due:
        audit.record(
            db,
            actor=actor,
            action="assistance_center.purge",
            object_type="assistance_center",
            object_id=center_id,
            agency_id=agency_id,
            details={"reason": REASON, **counts[center_id]},
        )
    return ids, sum(c["registrations"] for c in counts.values())


def purge_fund_claims(
    db: Session, *, actor: Actor, today: date, keep_days: int
) -> tuple[list[int], int]:
    """Empty the personal content of the claims of funds paid out more than
    ``keep_days`` ago (every payment made); (fund ids, claims purged). A fund with a
    payment still to make is never touched: ``paid_out_on`` is set only by the last."""
    cutoff = today - timedelta(days=keep_days)
    due = list(
        db.execute(
            select(Fund.id, Fund.provider_agency_id, func.count(FundClaim.id))
            .join(FundClaim, FundClaim.fund_id == Fund.id)
            .where(
                Fund.status == "distributed",
                Fund.paid_out_on < cutoff,
                FundClaim.purged_at.is_(None),
            )
            .group_by(Fund.id, Fund.provider_agency_id)
            .order_by(Fund.id)
        ).all()
    )
    now = utcnow()
    for chunk in _chunks([fund_id for fund_id, _, _ in due]):
        db.execute(
            update(FundClaim)
            .where(FundClaim.fund_id.in_(chunk), FundClaim.purged_at.is_(None))
            .values(
                claimant_name="",
                nights=None,
                evidence_record=None,
                evidence_document=None,
                decision_reason=None,
                survivor_case_id=None,
                purged_at=now,
            )
        )
    for fund_id, agency_id, claims in due:
        audit.record(
            db,
            actor=actor,
            action="fund.claims_purge",
            object_type="fund",
            object_id=fund_id,
            agency_id=agency_id,
            details={"reason": REASON, "claims": int(claims)},
        )
    return [fund_id for fund_id, _, _ in due], sum(int(claims) for _, _, claims in due)


def purge_offers(db: Session, *, actor: Actor, today: date, keep_days: int) -> int:
    """Delete the offers and volunteers kept past ``keep_days``: counted from the match
    when the need they went to is met, from the offer when never matched. An offer
    serving a need still open stays."""
    cutoff = today - timedelta(days=keep_days)
    start = datetime.combine(cutoff, time.min, tzinfo=UTC)
    met = select(CommunityNeed.id).where(CommunityNeed.status == "met")
    due = list(
        db.execute(
            select(CommunityOffer.holder_agency_id, CommunityOffer.id)
            .where(
                or_(
                    and_(CommunityOffer.need_id.in_(met), CommunityOffer.matched_at < start),
                    and_(CommunityOffer.need_id.is_(None), CommunityOffer.created_at < start),
                )
            )
            .order_by(CommunityOffer.holder_agency_id, CommunityOffer.id)
        ).all()
    )
    by_holder: dict[int, list[int]] = {}
    for holder, offer_id in due:
        by_holder.setdefault(holder, []).append(offer_id)
    for chunk in _chunks([offer_id for _, offer_id in due]):
        db.execute(delete(CommunityOffer).where(CommunityOffer.id.in_(chunk)))
    for holder, offer_ids in by_holder.items():
        audit.record(
            db,
            actor=actor,
            action="community.offers_purge",
            object_type="community_record",
            agency_id=holder,
            details={"reason": REASON, "offers": len(offer_ids), "ids": offer_ids},
        )
    return len(due)


def run_purge(
    db: Session, *, actor: Actor, periods: RetentionPeriods, today: date | None = None
) -> PurgeResult:
    """Every victim-services purge that is due: closed survivor cases, closed assistance
    centers, the claims of funds paid out, offers and volunteers. The scheduler and
    `vigil recover purge` run this."""
    policy.authorize(actor, "purge", "survivor_operations")
    today = today or utcnow().date()
    cases = purge_expired(db, actor=actor, today=today)
    centers, registrations = purge_centers(db, actor=actor, today=today)
    funds, claims = purge_fund_claims(
        db, actor=actor, today=today, keep_days=periods.fund_claim_days
    )
    offers = purge_offers(db, actor=actor, today=today, keep_days=periods.community_offer_days)
    db.expire_all()
    return PurgeResult(cases, centers, registrations, funds, claims, offers)

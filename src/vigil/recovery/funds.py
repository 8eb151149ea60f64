"""A donated fund distributed as the compassion-fund protocols after past mass
shootings were: a draft protocol published for comment (comments recorded), then the
final one; claims whose eligibility evidence is checked against the incident's records
and decided by a reviewer; the payments calculated by ``distribution`` (the same code
as ``vigil recover distribute``) from a file anyone can download and re-run; payments
recorded as they are made.

The fund is held by the provider administering it (its supervisors publish, decide
and calculate; its staff record comments and claims). Claims name claimants and never
leave the provider; what is published (protocols, the anonymised input, the public
report) names no one.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.types import utcnow
from vigil.recovery import cases, incident_records
from vigil.recovery.assistance_models import (
    Fund,
    FundClaim,
    FundDistribution,
    FundPayment,
    FundProtocol,
    ProtocolComment,
)
from vigil.recovery.distribution import ProtocolError, distribute, parse_protocol
from vigil.recovery.vocabulary import EVIDENCE_LISTS, HARMS

TIER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
WEIGHT = re.compile(r"^\d{1,9}(\.\d{1,6})?$")
MAX_FUND_CENTS = 10**13  # a hundred billion dollars: a typo, not a fund
MAX_NIGHTS = 3650


# --- the protocol's tiers: pure -------------------------------------------------------


@dataclass(frozen=True)
class TierSpec:
    """One tier as the protocol publishes it."""

    id: str
    label: str
    harm: str
    weight: str  # decimal text, exactly as published
    min_nights: int | None = None
    max_nights: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "label": self.label,
            "harm": self.harm,
            "weight": self.weight,
            "min_nights": self.min_nights,
            "max_nights": self.max_nights,
        }


def tiers_from(raw: list[dict[str, Any]]) -> list[TierSpec]:
    return [
        TierSpec(
            str(t["id"]),
            str(t["label"]),
            str(t["harm"]),
            str(t["weight"]),
            t.get("min_nights"),
            t.get("max_nights"),
        )
        for t in raw
    ]


def check_tiers(tiers: list[TierSpec]) -> dict[str, str]:
    """Problems with a protocol's tiers (empty: none). Every harm but hospitalisation has
    at most one tier; hospital tiers split by nights without gap or overlap."""
    errors: dict[str, str] = {}
    if not tiers:
        return {"tiers": "A protocol needs at least one tier."}
    seen: set[str] = set()
    for index, tier in enumerate(tiers, start=1):
        where = f"tier {index}"
        if not TIER_ID.match(tier.id):
            errors[f"tiers.{index}.id"] = (
                f"The id of {where} uses lower-case letters, digits, - and _ (60 at most)."
            )
        elif tier.id in seen:
            errors[f"tiers.{index}.id"] = f"The id {tier.id!r} is used twice."
        seen.add(tier.id)
        if not 1 <= len(tier.label.strip()) <= 200:
            errors[f"tiers.{index}.label"] = f"Describe {where} (1 to 200 characters)."
        if tier.harm not in HARMS:
            errors[f"tiers.{index}.harm"] = f"Choose the harm {where} is for."
        if not WEIGHT.match(tier.weight):
            errors[f"tiers.{index}.weight"] = (
                f"The weight of {where} is a decimal number of at least 0, such as 1 or 0.25."
            )
        if tier.harm == "hospitalised":
            low, high = tier.min_nights, tier.max_nights
            if low is None or low < 1 or (high is not None and high < low):
                errors[f"tiers.{index}.nights"] = (
                    f"Give the nights {where} covers: from 1, up to a maximum or open-ended."
                )
        elif tier.min_nights is not None or tier.max_nights is not None:
            errors[f"tiers.{index}.nights"] = "Only hospital tiers are split by nights."
    for harm in HARMS:
        if harm != "hospitalised" and sum(t.harm == harm for t in tiers) > 1:
            errors["tiers"] = f"Give one tier for {HARMS[harm].lower()}."
    hospital = sorted(
        (t for t in tiers if t.harm == "hospitalised" and t.min_nights is not None),
        key=lambda t: t.min_nights or 0,
    )
    expected = 1
    for position, tier in enumerate(hospital):
        if tier.min_nights != expected:
            errors["tiers"] = "Hospital tiers must cover every night from 1, without overlap."
            break
        if tier.max_nights is None:
            if position != len(hospital) - 1:
                errors["tiers"] = "Only the last hospital tier may be open-ended."
            break
        expected = tier.max_nights + 1
    else:
        if hospital:
            errors["tiers"] = "The last hospital tier must be open-ended (no maximum)."
    return errors


def tier_for(tiers: list[TierSpec], harm: str, nights: int | None) -> TierSpec | None:
    """The tier a claim falls in, or None when the protocol has none for it."""
    for tier in tiers:
        if tier.harm != harm:
            continue
        if harm != "hospitalised":
            return tier
        low = tier.min_nights or 1
        if (
            nights is not None
            and nights >= low
            and (tier.max_nights is None or nights <= tier.max_nights)
        ):
            return tier
    return None


def protocol_document(
    fund_cents: int, tiers: list[TierSpec], claimants: list[tuple[str, str]]
) -> str:
    """The calculation's input in the `vigil recover distribute` format, with each
    weight written exactly as published (never through a binary float)."""
    tier_text = ",\n".join(f'    {{"id": {json.dumps(t.id)}, "weight": {t.weight}}}' for t in tiers)
    claimant_text = ",\n".join(
        f'    {{"id": {json.dumps(c)}, "tier": {json.dumps(tier)}}}' for c, tier in claimants
    )
    return (
        f'{{\n  "fund_cents": {fund_cents},\n  "tiers": [\n{tier_text}\n  ],\n'
        f'  "claimants": [\n{claimant_text}\n  ]\n}}\n'
    )


# --- access -----------------------------------------------------------------------------


def _audit(db: Session, actor: Actor, action: str, fund: Fund, **details: object) -> None:
    audit.record(
        db,
        actor=actor,
        action=f"fund.{action}",
        object_type="fund",
        object_id=fund.id,
        agency_id=fund.provider_agency_id,
        details=details or None,
    )


def get_fund(db: Session, *, actor: Actor, fund_id: int, action: str = "read") -> Fund:
    """The fund for its administering provider's staff; NotFound for everyone else."""
    fund = db.get(Fund, fund_id)
    facts = cases.provider_facts(db, fund.provider_agency_id) if fund is not None else None
    if fund is None or not policy.decide(actor, "read", "fund", facts):
        raise NotFound("fund")
    if action != "read":
        # Staff see the fund; what only supervisors may do is refused, not hidden.
        policy.authorize(actor, action, "fund", facts)
    return fund


def list_funds(db: Session, *, actor: Actor) -> list[Fund]:
    provider = cases.provider_facts(db, actor.agency_id)
    if not policy.decide(actor, "list", "fund", provider):
        raise NotFound("fund")
    return list(
        db.execute(
            select(Fund)
            .where(Fund.provider_agency_id == provider.agency_id)
            .order_by(Fund.id.desc())
        ).scalars()
    )


def may_manage(db: Session, actor: Actor) -> bool:
    return policy.decide(actor, "manage", "fund", cases.provider_facts(db, actor.agency_id))


def create_fund(db: Session, *, actor: Actor, incident_id: int, name: str) -> Fund:
    provider = cases.provider_facts(db, actor.agency_id)
    if not policy.decide(actor, "list", "fund", provider):
        raise NotFound("fund")
    policy.authorize(actor, "manage", "fund", provider)
    errors: dict[str, str] = {}
    clean = " ".join(name.split())
    if not 3 <= len(clean) <= 200:
        errors["name"] = "Name the fund (3 to 200 characters)."
    if incident_records.incident_name(db, incident_id) is None:
        errors["incident_id"] = "No incident has this number."
    if errors:
        raise InvalidInput(errors)
    fund = Fund(
        incident_id=incident_id,
        provider_agency_id=provider.agency_id,
        name=clean,
        status="drafting",
        created_by_user_id=actor.user_id,
    )
    db.add(fund)
    db.flush()
    _audit(db, actor, "create", fund, incident_id=incident_id)
    return fund


# --- protocols and comments -------------------------------------------------------------


def protocols(db: Session, fund_id: int) -> list[FundProtocol]:
    return list(
        db.execute(
            select(FundProtocol)
            .where(FundProtocol.fund_id == fund_id)
            .order_by(FundProtocol.version)
        ).scalars()
    )


def final_protocol(db: Session, fund_id: int) -> FundProtocol | None:
    return db.execute(
        select(FundProtocol).where(FundProtocol.fund_id == fund_id, FundProtocol.stage == "final")
    ).scalar_one_or_none()


def publish_protocol(
    db: Session,
    *,
    actor: Actor,
    fund_id: int,
    stage: str,
    fund_cents: int,
    tiers: list[TierSpec],
    comment_until: date | None = None,
    today: date | None = None,
) -> FundProtocol:
    """Publish a draft for comment (until ``comment_until``) or, once a draft's comment
    period has closed, the final protocol. A final protocol is never changed."""
    fund = get_fund(db, actor=actor, fund_id=fund_id, action="manage")
    today = today or utcnow().date()
    errors = check_tiers(tiers)
    if stage not in ("draft", "final"):
        errors["stage"] = "Publish a draft or the final protocol."
    if not 1 <= fund_cents <= MAX_FUND_CENTS:
        errors["fund_cents"] = "Give the fund in whole cents, more than 0."
    published = protocols(db, fund.id)
    drafts = [p for p in published if p.stage == "draft"]
    if fund.status in ("final", "distributed"):
        raise Conflict("The final protocol is published; it is not changed.", field="stage")
    if stage == "draft":
        if comment_until is None or comment_until <= today:
            errors["comment_until"] = "Leave the draft open for comment until a later date."
    elif not drafts:
        errors["stage"] = "Publish a draft for comment before the final protocol."
    elif drafts[-1].comment_until is not None and drafts[-1].comment_until >= today:
        errors["stage"] = (
            f"The draft is open for comment until {drafts[-1].comment_until.isoformat()}; "
            "publish the final protocol after that."
        )
    if errors:
        raise InvalidInput(errors)
    protocol = FundProtocol(
        fund_id=fund.id,
        version=len(published) + 1,
        stage=stage,
        fund_cents=fund_cents,
        tiers=[t.as_dict() for t in tiers],
        comment_until=comment_until if stage == "draft" else None,
        published_at=utcnow(),
        published_by_user_id=actor.user_id,
    )
    db.add(protocol)
    db.flush()
    fund.status = "comment" if stage == "draft" else "final"
    _audit(db, actor, f"publish_{stage}", fund, protocol_id=protocol.id, version=protocol.version)
    return protocol


def record_comment(
    db: Session,
    *,
    actor: Actor,
    fund_id: int,
    body: str,
    commenter: str | None = None,
    received_on: date | None = None,
) -> ProtocolComment:
    """Record a comment received on the current draft, within its comment period."""
    fund = get_fund(db, actor=actor, fund_id=fund_id, action="work")
    drafts = [p for p in protocols(db, fund.id) if p.stage == "draft"]
    if fund.status != "comment" or not drafts:
        raise Conflict("No draft protocol is open for comment.", field="body")
    draft = drafts[-1]
    received = received_on or utcnow().date()
    errors: dict[str, str] = {}
    text = body.strip()
    if not 1 <= len(text) <= 20000:
        errors["body"] = "Write the comment as received (1 to 20,000 characters)."
    who = " ".join((commenter or "").split()) or None
    if who is not None and len(who) > 200:
        errors["commenter"] = "Use at most 200 characters."
    if draft.comment_until is not None and received > draft.comment_until:
        errors["received_on"] = f"The comment period closed on {draft.comment_until.isoformat()}."
    if received < draft.published_at.date():
        errors["received_on"] = "The draft was not yet published then."
    if errors:
        raise InvalidInput(errors)
    comment = ProtocolComment(
        protocol_id=draft.id,
        commenter=who,
        body=text,
        received_on=received,
        recorded_by_user_id=actor.user_id,
    )
    db.add(comment)
    db.flush()
    _audit(db, actor, "comment", fund, protocol_id=draft.id, received_id=comment.id)
    return comment


def comments(db: Session, *, actor: Actor, fund_id: int) -> list[ProtocolComment]:
    fund = get_fund(db, actor=actor, fund_id=fund_id)
    ids = [p.id for p in protocols(db, fund.id)]
    return list(
        db.execute(
            select(ProtocolComment)
            .where(ProtocolComment.protocol_id.in_(ids or [0]))
            .order_by(ProtocolComment.received_on, ProtocolComment.id)
        ).scalars()
    )


# --- claims ----------------------------------------------------------------------------


def check_evidence(db: Session, fund: Fund, harm: str, record: str | None) -> str | None:
    """matched, wrong_list or not_found against the incident's lists; None: no record
    given to check."""
    if not record:
        return None
    kinds = incident_records.list_kinds_of(db, incident_id=fund.incident_id, row_id=record)
    if not kinds:
        return "not_found"
    return "matched" if kinds & EVIDENCE_LISTS.get(harm, frozenset()) else "wrong_list"


def submit_claim(
    db: Session,
    *,
    actor: Actor,
    fund_id: int,
    claimant_name: str,
    harm: str,
    nights: int | None = None,
    evidence_record: str | None = None,
    evidence_document: str | None = None,
    survivor_case_id: int | None = None,
) -> FundClaim:
    """Take a claim; its evidence is checked against the incident's records at once."""
    fund = get_fund(db, actor=actor, fund_id=fund_id, action="work")
    if fund.status == "distributed":
        raise Conflict("The fund is distributed; it takes no more claims.", field="harm")
    errors: dict[str, str] = {}
    name = " ".join(claimant_name.split())
    if not 2 <= len(name) <= 200:
        errors["claimant_name"] = "Name the claimant (2 to 200 characters)."
    if harm not in HARMS:
        errors["harm"] = "Choose the harm claimed for."
    if harm == "hospitalised":
        if nights is None or not 1 <= nights <= MAX_NIGHTS:
            errors["nights"] = "Give the nights spent in hospital (1 or more)."
    elif nights is not None:
        errors["nights"] = "Nights in hospital are asked only of a hospital claim."
    record = " ".join((evidence_record or "").split()) or None
    document = " ".join((evidence_document or "").split()) or None
    if record is not None and len(record) > 100:
        errors["evidence_record"] = "Use at most 100 characters."
    if document is not None and len(document) > 200:
        errors["evidence_document"] = "Use at most 200 characters."
    if record is None and document is None:
        errors["evidence_record"] = (
            "Give the person's record id on the incident's lists, or the document proving it."
        )
    if survivor_case_id is not None:
        cases.get_case(db, actor=actor, case_id=survivor_case_id, action="work")
    if errors:
        raise InvalidInput(errors)
    now = utcnow()
    claim = FundClaim(
        fund_id=fund.id,
        number="pending",
        claimant_name=name,
        harm=harm,
        nights=nights,
        evidence_record=record,
        evidence_document=document,
        evidence_check=check_evidence(db, fund, harm, record),
        evidence_checked_at=now if record else None,
        status="submitted",
        survivor_case_id=survivor_case_id,
        created_at=now,
        created_by_user_id=actor.user_id,
    )
    db.add(claim)
    db.flush()
    claim.number = f"CL-{fund.id}-{claim.id:05d}"
    _audit(db, actor, "claim", fund, claim_id=claim.id, harm=harm, check=claim.evidence_check)
    return claim


def decide_claim(
    db: Session, *, actor: Actor, claim_id: int, approve: bool, reason: str | None = None
) -> FundClaim:
    """The reviewer's decision. Approval needs the incident's records to confirm the harm
    (a documentary proof alone is refused here: it goes to the records' keeper first)
    and a tier of the final protocol for it; a refusal needs its reason."""
    claim = db.get(FundClaim, claim_id)
    if claim is None:
        raise NotFound("claim")
    fund = get_fund(db, actor=actor, fund_id=claim.fund_id, action="manage")
    if fund.status == "distributed":
        raise Conflict("The fund is distributed; its decisions are final.", field="decision")
    text = " ".join((reason or "").split()) or None
    if text is not None and len(text) > 2000:
        raise InvalidInput({"reason": "Use at most 2,000 characters."})
    if approve:
        # Checked again now: the lists may have changed since the claim came in.
        claim.evidence_check = check_evidence(db, fund, claim.harm, claim.evidence_record)
        claim.evidence_checked_at = utcnow()
        if claim.evidence_check != "matched":
            raise InvalidInput(
                {
                    "decision": "The incident's records do not confirm this harm for this "
                    "person: the claim cannot be approved (refuse it, with the reason)."
                }
            )
        final = final_protocol(db, fund.id)
        if final is None:
            raise InvalidInput({"decision": "Publish the final protocol before approving claims."})
        if tier_for(tiers_from(final.tiers), claim.harm, claim.nights) is None:
            raise InvalidInput({"decision": "The final protocol has no tier for this claim."})
    elif text is None:
        raise InvalidInput({"reason": "Say why the claim is refused."})
    claim.status = "approved" if approve else "refused"
    claim.decision_reason = text
    claim.decided_at = utcnow()
    claim.decided_by_user_id = actor.user_id
    _audit(db, actor, "decide", fund, claim_id=claim.id, status=claim.status)
    return claim


def claims(db: Session, *, actor: Actor, fund_id: int) -> list[FundClaim]:
    fund = get_fund(db, actor=actor, fund_id=fund_id)
    found = list(
        db.execute(
            select(FundClaim).where(FundClaim.fund_id == fund.id).order_by(FundClaim.id)
        ).scalars()
    )
    _audit(db, actor, "claims_read", fund, ids=[c.id for c in found])
    return found


# --- the calculation and the payments ---------------------------------------------------


def calculate(db: Session, *, actor: Actor, fund_id: int) -> FundDistribution:
    """Calculate every payment from the final protocol and the approved claims, through
    the published file: what is stored is what anyone can re-run."""
    fund = get_fund(db, actor=actor, fund_id=fund_id, action="manage")
    if fund.status == "distributed":
        raise Conflict("The payments are already calculated.", field="fund")
    final = final_protocol(db, fund.id)
    if final is None:
        raise InvalidInput({"fund": "Publish the final protocol first."})
    pending = db.execute(
        select(func.count()).where(FundClaim.fund_id == fund.id, FundClaim.status == "submitted")
    ).scalar_one()
    if pending:
        raise InvalidInput({"fund": f"Decide every claim first ({pending} waiting)."})
    approved = list(
        db.execute(
            select(FundClaim)
            .where(FundClaim.fund_id == fund.id, FundClaim.status == "approved")
            .order_by(FundClaim.id)
        ).scalars()
    )
    tiers = tiers_from(final.tiers)
    claimants: list[tuple[str, str]] = []
    for index, claim in enumerate(approved, start=1):
        tier = tier_for(tiers, claim.harm, claim.nights)
        if tier is None:  # decide_claim refuses these; a guard, not a path
            raise InvalidInput({"fund": f"Claim {claim.number} has no tier."})
        claimants.append((f"C{index:04d}", tier.id))
    text = protocol_document(final.fund_cents, tiers, claimants)
    try:
        payments = distribute(parse_protocol(text))
    except ProtocolError as problem:
        raise InvalidInput({"fund": str(problem)}) from None
    distribution = FundDistribution(
        fund_id=fund.id,
        protocol_id=final.id,
        input_json=text,
        input_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        calculated_by_user_id=actor.user_id,
    )
    db.add(distribution)
    db.flush()
    for claim, payment in zip(approved, payments, strict=True):
        db.add(
            FundPayment(
                distribution_id=distribution.id,
                claim_id=claim.id,
                anonymous_id=payment.claimant_id,
                tier=payment.tier,
                amount_cents=payment.amount_cents,
            )
        )
    db.flush()
    fund.status = "distributed"
    _audit(db, actor, "calculate", fund, claimants=len(payments), sha256=distribution.input_sha256)
    return distribution


def record_payment(
    db: Session, *, actor: Actor, payment_id: int, paid_on: date, reference: str
) -> FundPayment:
    """Record that a payment was made (when, and the bank's or cheque's reference)."""
    payment = db.get(FundPayment, payment_id)
    if payment is None:
        raise NotFound("payment")
    distribution = db.get_one(FundDistribution, payment.distribution_id)
    fund = get_fund(db, actor=actor, fund_id=distribution.fund_id, action="manage")
    if payment.paid_on is not None:
        raise Conflict("This payment is already recorded as paid.", field="paid_on")
    clean = " ".join(reference.split())
    errors: dict[str, str] = {}
    if not 1 <= len(clean) <= 100:
        errors["reference"] = "Give the payment's reference (1 to 100 characters)."
    if paid_on > utcnow().date() or paid_on < distribution.calculated_at.date():
        errors["paid_on"] = "Give the day it was paid: after the calculation, not in the future."
    if errors:
        raise InvalidInput(errors)
    payment.paid_on = paid_on
    payment.payment_reference = clean
    payment.recorded_by_user_id = actor.user_id
    db.flush()
    unpaid, last = db.execute(
        select(
            func.count(FundPayment.id).filter(FundPayment.paid_on.is_(None)),
            func.max(FundPayment.paid_on),
        ).where(FundPayment.distribution_id == distribution.id)
    ).one()
    _audit(db, actor, "paid", fund, payment_id=payment.id)
    if not unpaid and last is not None:
        # Every cent is paid: the claims' retention runs from the last payment.
        fund.paid_out_on = last
        _audit(db, actor, "paid_out", fund, paid_out_on=last.isoformat())
    return payment


def payments(db: Session, *, actor: Actor, fund_id: int) -> list[tuple[FundPayment, FundClaim]]:
    fund = get_fund(db, actor=actor, fund_id=fund_id)
    return [
        (payment, claim)
        for payment, claim in db.execute(
            select(FundPayment, FundClaim)
            .join(FundClaim, FundClaim.id == FundPayment.claim_id)
            .join(FundDistribution, FundDistribution.id == FundPayment.distribution_id)
            .where(FundDistribution.fund_id == fund.id)
            .order_by(FundPayment.anonymous_id)
        ).all()
    ]

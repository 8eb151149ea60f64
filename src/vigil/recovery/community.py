"""Community recovery, the resiliency center's view: its services and events, a directory
of mental-health and other providers with their languages and capacity, and the
community's needs with the in-kind offers and volunteers matched to them.

Held by the provider running the resiliency center; its staff work it. Matching is a
pure function (``propose_matches``): the oldest open need first, offers of the same
kind (and speaking the need's language, when it names one) until it is covered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.types import utcnow
from vigil.recovery import cases
from vigil.recovery.assistance_models import (
    CommunityEvent,
    CommunityNeed,
    CommunityOffer,
    CommunityProvider,
)
from vigil.recovery.vocabulary import COMMUNITY_KINDS, EVENT_KINDS, OFFER_KINDS

MAX_QUANTITY = 100_000


def _holder(db: Session, actor: Actor, action: str = "work") -> int:
    provider = cases.provider_facts(db, actor.agency_id)
    if not policy.decide(actor, action, "community_record", provider):
        raise NotFound("community_record")
    return provider.agency_id


def _audit(db: Session, actor: Actor, action: str, agency_id: int, **details: object) -> None:
    audit.record(
        db,
        actor=actor,
        action=f"community.{action}",
        object_type="community_record",
        agency_id=agency_id,
        details=details or None,
    )


def _text(
    value: str | None, field: str, limit: int, errors: dict[str, str], *, required: bool = False
) -> str | None:
    text = " ".join((value or "").split())
    if required and not text:
        errors[field] = "Enter this."
    elif len(text) > limit:
        errors[field] = f"Use at most {limit} characters."
    return text or None


def languages_of(text: str | None) -> frozenset[str]:
    """A comma-separated list of languages as a set, case and spacing ignored."""
    return frozenset(
        " ".join(part.split()).lower() for part in (text or "").split(",") if part.strip()
    )


def _quantity(value: int, field: str, errors: dict[str, str], *, low: int = 1) -> None:
    if not low <= value <= MAX_QUANTITY:
        errors[field] = f"Give a whole number from {low} to {MAX_QUANTITY:,}."


def add_provider(
    db: Session,
    *,
    actor: Actor,
    name: str,
    kind: str,
    capacity: int,
    languages: str | None = None,
    contact: str | None = None,
) -> CommunityProvider:
    holder = _holder(db, actor)
    errors: dict[str, str] = {}
    clean = _text(name, "name", 200, errors, required=True)
    if kind not in COMMUNITY_KINDS:
        errors["kind"] = "Choose a kind from the list."
    _quantity(capacity, "capacity", errors, low=0)
    langs = _text(languages, "languages", 300, errors)
    reach = _text(contact, "contact", 300, errors)
    if errors:
        raise InvalidInput(errors)
    provider = CommunityProvider(
        holder_agency_id=holder,
        name=clean or "",
        kind=kind,
        capacity=capacity,
        languages=langs,
        contact=reach,
        updated_at=utcnow(),
    )
    db.add(provider)
    db.flush()
    _audit(db, actor, "provider_add", holder, provider_id=provider.id)
    return provider


def add_event(
    db: Session,
    *,
    actor: Actor,
    kind: str,
    title: str,
    starts_at: datetime,
    place: str,
    description: str | None = None,
) -> CommunityEvent:
    holder = _holder(db, actor)
    errors: dict[str, str] = {}
    if kind not in EVENT_KINDS:
        errors["kind"] = "Choose a service session or a community event."
    clean_title = _text(title, "title", 200, errors, required=True)
    clean_place = _text(place, "place", 200, errors, required=True)
    if description is not None and len(description) > 5000:
        errors["description"] = "Use at most 5,000 characters."
    if errors:
        raise InvalidInput(errors)
    event = CommunityEvent(
        holder_agency_id=holder,
        kind=kind,
        title=clean_title or "",
        starts_at=starts_at,
        place=clean_place or "",
        description=(description or "").strip() or None,
    )
    db.add(event)
    db.flush()
    _audit(db, actor, "event_add", holder, event_id=event.id)
    return event


def add_need(
    db: Session,
    *,
    actor: Actor,
    kind: str,
    description: str,
    quantity: int,
    language: str | None = None,
) -> CommunityNeed:
    holder = _holder(db, actor)
    errors: dict[str, str] = {}
    if kind not in COMMUNITY_KINDS:
        errors["kind"] = "Choose a kind from the list."
    clean = _text(description, "description", 500, errors, required=True)
    _quantity(quantity, "quantity", errors)
    lang = _text(language, "language", 60, errors)
    if errors:
        raise InvalidInput(errors)
    need = CommunityNeed(
        holder_agency_id=holder,
        kind=kind,
        description=clean or "",
        quantity=quantity,
        language=lang,
        status="open",
    )
    db.add(need)
    db.flush()
    _audit(db, actor, "need_add", holder, need_id=need.id)
    return need


def add_offer(
    db: Session,
    *,
    actor: Actor,
    offer_kind: str,
    kind: str,
    offered_by: str,
    quantity: int,
    languages: str | None = None,
    contact: str | None = None,
) -> CommunityOffer:
    holder = _holder(db, actor)
    errors: dict[str, str] = {}
    if offer_kind not in OFFER_KINDS:
        errors["offer_kind"] = "Choose an in-kind offer or a volunteer."
    if kind not in COMMUNITY_KINDS:
        errors["kind"] = "Choose a kind from the list."
    who = _text(offered_by, "offered_by", 200, errors, required=True)
    _quantity(quantity, "quantity", errors)
    langs = _text(languages, "languages", 300, errors)
    reach = _text(contact, "contact", 300, errors)
    if errors:
        raise InvalidInput(errors)
    offer = CommunityOffer(
        holder_agency_id=holder,
        offer_kind=offer_kind,
        kind=kind,
        offered_by=who or "",
        quantity=quantity,
        languages=langs,
        contact=reach,
    )
    db.add(offer)
    db.flush()
    _audit(db, actor, "offer_add", holder, offer_id=offer.id)
    return offer


@dataclass(frozen=True)
class NeedState:
    id: int
    kind: str
    quantity: int
    language: str | None
    covered: int  # by offers matched already


@dataclass(frozen=True)
class OfferState:
    id: int
    kind: str
    quantity: int
    languages: frozenset[str]


def propose_matches(
    needs: Sequence[NeedState], offers: Sequence[OfferState]
) -> list[tuple[int, int]]:
    """(offer id, need id) pairs: each open need in the order given takes unmatched
    offers of its kind, in the order given, speaking its language when it names one,
    until what it asks for is covered. An offer goes to one need only."""
    taken: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for need in needs:
        covered = need.covered
        language = " ".join(need.language.split()).lower() if need.language else None
        for offer in offers:
            if covered >= need.quantity:
                break
            if offer.id in taken or offer.kind != need.kind:
                continue
            if language is not None and language not in offer.languages:
                continue
            taken.add(offer.id)
            pairs.append((offer.id, need.id))
            covered += offer.quantity
    return pairs


def match_offers(db: Session, *, actor: Actor) -> list[tuple[int, int]]:
    """Match the unmatched offers to the open needs; a need covered is marked met."""
    holder = _holder(db, actor)
    open_needs = list(
        db.execute(
            select(CommunityNeed)
            .where(CommunityNeed.holder_agency_id == holder, CommunityNeed.status == "open")
            .order_by(CommunityNeed.created_at, CommunityNeed.id)
        ).scalars()
    )
    matched = db.execute(
        select(CommunityOffer.need_id, CommunityOffer.quantity).where(
            CommunityOffer.holder_agency_id == holder, CommunityOffer.need_id.is_not(None)
        )
    ).all()
    covered: dict[int, int] = {}
    for need_id, quantity in matched:
        if need_id is not None:
            covered[need_id] = covered.get(need_id, 0) + quantity
    free = list(
        db.execute(
            select(CommunityOffer)
            .where(CommunityOffer.holder_agency_id == holder, CommunityOffer.need_id.is_(None))
            .order_by(CommunityOffer.created_at, CommunityOffer.id)
        ).scalars()
    )
    pairs = propose_matches(
        [NeedState(n.id, n.kind, n.quantity, n.language, covered.get(n.id, 0)) for n in open_needs],
        [OfferState(o.id, o.kind, o.quantity, languages_of(o.languages)) for o in free],
    )
    offers_by_id = {o.id: o for o in free}
    now = utcnow()
    for offer_id, need_id in pairs:
        offers_by_id[offer_id].need_id = need_id
        offers_by_id[offer_id].matched_at = now
        covered[need_id] = covered.get(need_id, 0) + offers_by_id[offer_id].quantity
    for need in open_needs:
        if covered.get(need.id, 0) >= need.quantity:
            need.status = "met"
    db.flush()
    _audit(db, actor, "match", holder, pairs=len(pairs))
    return pairs


@dataclass(frozen=True)
class CommunityView:
    providers: list[CommunityProvider]
    events: list[CommunityEvent]
    needs: list[tuple[CommunityNeed, int]]  # need, quantity covered
    offers: list[CommunityOffer]


def community_view(
    db: Session, *, actor: Actor, kind: str | None = None, language: str | None = None
) -> CommunityView:
    """The resiliency center's page; the directory filtered by kind and language."""
    holder = _holder(db, actor, "read")
    conditions = [CommunityProvider.holder_agency_id == holder]
    if kind:
        conditions.append(CommunityProvider.kind == kind)
    providers = list(
        db.execute(
            select(CommunityProvider)
            .where(*conditions)
            .order_by(CommunityProvider.kind, CommunityProvider.name)
        ).scalars()
    )
    if language:
        wanted = " ".join(language.split()).lower()
        providers = [p for p in providers if wanted in languages_of(p.languages)]
    offers = list(
        db.execute(
            select(CommunityOffer)
            .where(CommunityOffer.holder_agency_id == holder)
            .order_by(CommunityOffer.created_at, CommunityOffer.id)
            .limit(500)
        ).scalars()
    )
    needs = list(
        db.execute(
            select(CommunityNeed)
            .where(CommunityNeed.holder_agency_id == holder)
            .order_by(CommunityNeed.status.desc(), CommunityNeed.created_at)
            .limit(500)
        ).scalars()
    )
    covered: dict[int, int] = {}
    for offer in offers:
        if offer.need_id is not None:
            covered[offer.need_id] = covered.get(offer.need_id, 0) + offer.quantity
    events = list(
        db.execute(
            select(CommunityEvent)
            .where(CommunityEvent.holder_agency_id == holder)
            .order_by(CommunityEvent.starts_at)
            .limit(200)
        ).scalars()
    )
    _audit(db, actor, "read", holder)
    return CommunityView(providers, events, [(n, covered.get(n.id, 0)) for n in needs], offers)

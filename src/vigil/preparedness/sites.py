"""The registry of protected sites: registering, changing and reading a site, the lists
an agency's staff see, and the regional risk register that ranks them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.types import utcnow
from vigil.preparedness import risk_inputs
from vigil.preparedness.models import ProtectedSite
from vigil.preparedness.risk import NO_INPUTS, RiskInputs, SiteRisk, raised_threat, site_risk
from vigil.preparedness.vocabulary import DEFAULT_SITE_MARKING, SITE_KINDS, SITE_MARKINGS

PAGE_SIZE = 100
MAX_CAPACITY = 10_000_000
TEXT_LIMITS = {
    "name": 200,
    "address": 300,
    "hours": 200,
    "contacts": 2000,
    "threat_reason": 2000,
    "vulnerability_reason": 2000,
}
FIELDS = (
    "name",
    "kind",
    "marking",
    "address",
    "latitude",
    "longitude",
    "capacity",
    "hours",
    "contacts",
    "threat",
    "threat_reason",
    "vulnerability",
    "vulnerability_reason",
)


@dataclass
class SiteInput:
    """What a form or an API call says about a site; check() refuses what cannot be kept."""

    name: str = ""
    kind: str = ""
    marking: str = DEFAULT_SITE_MARKING
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    capacity: int | None = None
    hours: str | None = None
    contacts: str | None = None
    threat: float | None = None
    threat_reason: str | None = None
    vulnerability: float | None = None
    vulnerability_reason: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def check(self) -> dict[str, Any]:
        errors = dict(self.errors)
        values: dict[str, Any] = {}
        for name, limit in TEXT_LIMITS.items():
            raw = getattr(self, name)
            text = raw.strip() if isinstance(raw, str) else ""
            if name in ("name", "address", "hours"):
                text = " ".join(text.split())
            if len(text) > limit:
                errors[name] = f"Use at most {limit:,} characters."
            values[name] = text or None
        for name in ("name", "address"):
            if not values[name] and name not in errors:
                errors[name] = "Enter this."
        if self.kind not in SITE_KINDS:
            errors["kind"] = "Choose the kind of site."
        if self.marking not in SITE_MARKINGS:
            errors["marking"] = "Choose TLP:CLEAR, TLP:GREEN, TLP:AMBER or TLP:AMBER+STRICT."
        _range(errors, "latitude", self.latitude, -90, 90, required=False)
        _range(errors, "longitude", self.longitude, -180, 180, required=False)
        if (self.latitude is None) != (self.longitude is None) and not (
            {"latitude", "longitude"} & set(errors)
        ):
            errors["longitude" if self.longitude is None else "latitude"] = (
                "Give both latitude and longitude, or neither."
            )
        if "capacity" not in errors:
            if self.capacity is None:
                errors["capacity"] = "Enter the number of people there at its busiest."
            elif not 0 <= self.capacity <= MAX_CAPACITY:
                errors["capacity"] = f"Enter a whole number from 0 to {MAX_CAPACITY:,}."
        _range(errors, "threat", self.threat, 0, 1, required=True)
        _range(errors, "vulnerability", self.vulnerability, 0, 1, required=True, open_low=True)
        if errors:
            raise InvalidInput(errors)
        values.update(
            kind=self.kind,
            marking=self.marking,
            latitude=self.latitude,
            longitude=self.longitude,
            capacity=self.capacity,
            threat=self.threat,
            vulnerability=self.vulnerability,
        )
        return values


def _range(
    errors: dict[str, str],
    name: str,
    value: float | None,
    low: float,
    high: float,
    *,
    required: bool,
    open_low: bool = False,
) -> None:
    if name in errors:
        return
    if value is None:
        if required:
            errors[name] = f"Enter a number from {low:g} to {high:g}."
        return
    if not math.isfinite(value) or value > high or value < low or (open_low and value == low):
        above = "more than" if open_low else "from"
        errors[name] = f"Enter a number {above} {low:g} and at most {high:g}."


def _audit(db: Session, actor: Actor, action: str, site: ProtectedSite, **details: Any) -> None:
    """Ids, kinds and field names only: never a site's address, contacts or reasons."""
    audit.record(
        db,
        actor=actor,
        action=f"protected_site.{action}",
        object_type="protected_site",
        object_id=site.id,
        agency_id=site.owner_agency_id,
        details=details or None,
    )


def may_register(actor: Actor) -> bool:
    return policy.decide(actor, "create", "protected_site")


def require_register(actor: Actor) -> None:
    """PermissionDenied unless the actor may register sites (for the blank form)."""
    policy.authorize(actor, "create", "protected_site")


def register_site(db: Session, *, actor: Actor, data: SiteInput) -> ProtectedSite:
    """Register a site owned by the actor's agency (TLP:AMBER unless it says otherwise)."""
    policy.authorize(actor, "create", "protected_site")
    values = data.check()
    if actor.agency_id is None:
        raise InvalidInput({"form": "Only a member of an agency registers a site."})
    now = utcnow()
    site = ProtectedSite(
        owner_agency_id=actor.agency_id,
        created_by_user_id=actor.user_id,
        created_at=now,
        updated_at=now,
        **values,
    )
    db.add(site)
    db.flush()
    _audit(db, actor, "create", site, kind=site.kind, marking=site.marking)
    return site


def get_site(db: Session, *, actor: Actor, site_id: int, action: str = "read") -> ProtectedSite:
    """A site the actor may ``action``; NotFound when it may not even be read."""
    site = db.get(ProtectedSite, site_id)
    if site is None or not policy.decide(actor, "read", "protected_site", site):
        raise NotFound("protected_site")
    if action != "read":
        policy.authorize(actor, action, "protected_site", site)
    return site


def read_site(db: Session, *, actor: Actor, site_id: int) -> tuple[ProtectedSite, SiteRisk]:
    """A site and its risk as the actor may see it, for its page; the read is audited
    (it holds contacts)."""
    site = get_site(db, actor=actor, site_id=site_id)
    _audit(db, actor, "read", site)
    return site, risk_of(site, risk_inputs.inputs_for(db, actor, [site.id])[site.id])


def may_update(actor: Actor, site: ProtectedSite) -> bool:
    return policy.decide(actor, "update", "protected_site", site)


def update_site(db: Session, *, actor: Actor, site_id: int, data: SiteInput) -> ProtectedSite:
    """Replace a site's details; the audit names the fields that changed."""
    site = get_site(db, actor=actor, site_id=site_id, action="update")
    values = data.check()
    changed = sorted(name for name, value in values.items() if getattr(site, name) != value)
    for name in changed:
        setattr(site, name, values[name])
    if changed:
        site.updated_at = utcnow()
        db.flush()
        _audit(db, actor, "update", site, fields=changed)
    return site


def risk_of(site: ProtectedSite, inputs: RiskInputs = NO_INPUTS) -> SiteRisk:
    return site_risk(
        threat=site.threat,
        threat_reason=site.threat_reason,
        vulnerability=site.vulnerability,
        vulnerability_reason=site.vulnerability_reason,
        capacity=site.capacity,
        inputs=inputs,
    )


@dataclass(frozen=True)
class RegisterRow:
    """One site in a list or the register, ranked."""

    rank: int
    site: ProtectedSite
    risk: SiteRisk
    own: bool


@dataclass(frozen=True)
class Register:
    rows: list[RegisterRow]
    total: int
    page: int
    pages: int
    total_risk: float


def risk_register(db: Session, *, actor: Actor, page: int = 1, kind: str | None = None) -> Register:
    """Every site the actor may read, highest risk first (ties by name, then id), each
    risk as the actor may see it: threats and assessments hidden from them do not count.

    Risk depends on the reader, so it is computed here for every visible site from a
    few narrow queries, and only the page's sites are loaded whole.
    """
    policy.authorize(actor, "list", "protected_site")
    condition = policy.scope(actor, "list", "protected_site")
    if kind in SITE_KINDS:
        condition = condition & (ProtectedSite.kind == kind)
    latest = risk_inputs.latest_assessment_column(actor)
    rows = db.execute(
        select(
            ProtectedSite.id,
            ProtectedSite.name,
            ProtectedSite.threat,
            ProtectedSite.vulnerability,
            ProtectedSite.capacity,
            latest,
        ).where(condition)
    ).all()
    assessed = risk_inputs.assessed(db, [row[5] for row in rows if row[5] is not None])
    visible = {row[0] for row in rows}
    counts = {
        site_id: count
        for site_id, count in risk_inputs.threat_counts(db, actor).items()
        if site_id in visible
    }
    scored = []
    for site_id, name, threat, vulnerability, capacity, assessment_id in rows:
        reports, cases = counts.get(site_id, (0, 0))
        found = assessed.get(assessment_id) if assessment_id is not None else None
        value = (
            raised_threat(threat, reports, cases)
            * (found.value if found else vulnerability)
            * capacity
        )
        scored.append((-value, name, site_id, RiskInputs(reports, cases, found)))
    scored.sort(key=lambda item: item[:3])
    total = len(scored)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    chosen = scored[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    loaded = {
        site.id: site
        for site in db.execute(
            select(ProtectedSite).where(ProtectedSite.id.in_([c[2] for c in chosen]))
        ).scalars()
    }
    register_rows = [
        RegisterRow(
            rank=(page - 1) * PAGE_SIZE + n + 1,
            site=loaded[site_id],
            risk=risk_of(loaded[site_id], inputs),
            own=loaded[site_id].owner_agency_id == actor.agency_id,
        )
        for n, (_, _, site_id, inputs) in enumerate(chosen)
    ]
    return Register(register_rows, total, page, pages, math.fsum(-c[0] for c in scored))

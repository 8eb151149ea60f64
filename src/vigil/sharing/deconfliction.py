"""Deconfliction between partner instances (the pointer service fusion centers run):
"do you hold records on a person like this?", asked with keyed hashes and answered
with the agencies to contact, never with records.

A person's identifiers are normalised and blocked as linkage blocks mentions
(vigil.linkage: a date of birth with an initial, a full name, a phone, an e-mail, a
handle, an ID number, an address), and each blocking key is sent as an HMAC-SHA256
digest made with the key the partners share (``deconfliction_key``). Neither side
sends or logs a name, a number or a digest: the asking side's audit event counts
digests and partners, the answering side's counts digests and agencies.

The answering instance keeps the same digests of its own mentions (an index built
incrementally, rebuilt when the key changes) and names each agency holding a live
report that mentions a matching person, if the report's marking lets its existence
be known beyond its holders (TLP:CLEAR, GREEN, AMBER; never AMBER+STRICT or RED, nor
a report describing only protected activity). The partner account that asks is an
API token of a user of the answering instance (the account a partner's subscription
reads with); it sees which agencies to contact, not how many records, nor which.

The partners asked are the instances the asking agency subscribes to (each
subscription's instance, reached with its token and through the outbound guard).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import requests
from cryptography.fernet import InvalidToken
from limits import RateLimitItemPerHour
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from vigil.linkage.comparisons import BLOCKING_RULES
from vigil.linkage.normalise import prepare_row
from vigil.linkage.records import mention_record
from vigil.linkage.runs import json_ready
from vigil.linkage.scoring import blocking_keys
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.platform.models import Agency
from vigil.platform.outbound import DestinationRefused
from vigil.platform.settings import Settings
from vigil.reports.models import Mention, Report
from vigil.sharing import federation
from vigil.sharing.models import DeconflictionKey, Subscription

log = logging.getLogger("vigil.sharing.deconfliction")

# The specific blocking rules only: a phonetic code ("sound") alone would point at
# every agency holding a namesake.
RULES = tuple(rule.name for rule in BLOCKING_RULES if rule.name != "sound")
DOMAIN = b"vigil-deconfliction-v1\x00"
MAX_DIGESTS = 200
INDEX_CHUNK = 2000
API_PATH = "/api/v1/sharing/deconfliction"
TAXII_PATH = "/api/taxii2/"
DIGEST = re.compile(r"^[0-9a-f]{64}$")


class NotConfigured(InvalidInput):
    """Deconfliction is off: no shared key is set."""

    def __init__(self) -> None:
        super().__init__(
            {"deconfliction": "Deconfliction is not configured on this instance (no shared key)."}
        )


def shared_key(settings: Settings) -> bytes:
    if settings.deconfliction_key is None:
        raise NotConfigured()
    return settings.deconfliction_key.get_secret_value().strip().encode("utf-8")


def key_id(key: bytes) -> str:
    """A name for the key that reveals nothing of it (which digests were made with it)."""
    return hmac.new(key, b"vigil-deconfliction-key-id", hashlib.sha256).hexdigest()[:16]


def digest(key: bytes, blocking_key: str) -> str:
    return hmac.new(key, DOMAIN + blocking_key.encode("utf-8"), hashlib.sha256).hexdigest()


def person_keys(person: Any) -> list[str]:
    """The blocking keys of a person (anything with a Mention's attributes)."""
    row = json_ready(prepare_row(mention_record(person)))
    return sorted(set(blocking_keys(row, RULES)))


def person_digests(key: bytes, person: Mapping[str, Any]) -> list[str]:
    """The digests a query about ``person`` carries (fields as a report's mention)."""
    fields: dict[str, Any] = {
        "id": 0,
        "given_name": None,
        "middle_name": None,
        "family_name": None,
        "aliases": [],
        "date_of_birth": None,
        "age_min": None,
        "age_max": None,
        "sex": None,
        "phones": [],
        "emails": [],
        "handles": [],
        "addresses": [],
        "school_or_employer": None,
    }
    fields.update({k: v for k, v in person.items() if k in fields and k != "id"})
    return sorted({digest(key, k) for k in person_keys(SimpleNamespace(**fields))})


# --- the answering side -------------------------------------------------------------


def refresh_index(db: Session, key: bytes) -> int:
    """Index the mentions of live reports not yet indexed with this key; returns how
    many mentions were indexed. Digests made with another key are dropped first."""
    current = key_id(key)
    db.execute(delete(DeconflictionKey).where(DeconflictionKey.key_id != current))
    indexed = 0
    while True:
        pending = list(
            db.execute(
                select(Mention)
                .join(Report, Report.id == Mention.report_id)
                .where(
                    Report.purged_at.is_(None),
                    ~select(DeconflictionKey.mention_id)
                    .where(DeconflictionKey.mention_id == Mention.id)
                    .exists(),
                )
                .order_by(Mention.id)
                .limit(INDEX_CHUNK)
            ).scalars()
        )
        if not pending:
            return indexed
        rows: list[dict[str, object]] = []
        for mention in pending:
            digests = {digest(key, k) for k in person_keys(mention)} or {""}
            rows.extend(
                {"mention_id": mention.id, "digest": d, "key_id": current} for d in sorted(digests)
            )
        db.execute(insert(DeconflictionKey), rows)
        indexed += len(pending)


def _clean_digests(digests: Sequence[object]) -> list[str]:
    if not isinstance(digests, list | tuple) or not 1 <= len(digests) <= MAX_DIGESTS:
        raise InvalidInput({"digests": f"Send 1 to {MAX_DIGESTS} digests."})
    clean = {d for d in digests if isinstance(d, str) and DIGEST.match(d)}
    if len(clean) != len(set(map(str, digests))):
        raise InvalidInput({"digests": "Each digest is 64 lower-case hexadecimal characters."})
    return sorted(clean)


@dataclass(frozen=True)
class Pointer:
    """An agency to contact about the person: nothing else."""

    agency: str
    agency_kind: str


def answer(
    db: Session, *, actor: Actor, settings: Settings, digests: Sequence[object]
) -> list[Pointer]:
    """Which agencies of this instance hold records on a person with these digests."""
    policy.authorize(actor, "answer", "deconfliction")
    key = shared_key(settings)
    wanted = _clean_digests(digests)
    refresh_index(db, key)
    statement = (
        select(Agency.name, Agency.kind)
        .join(Report, Report.owner_agency_id == Agency.id)
        .join(Mention, Mention.report_id == Report.id)
        .join(DeconflictionKey, DeconflictionKey.mention_id == Mention.id)
        .where(
            DeconflictionKey.digest.in_(wanted),
            DeconflictionKey.key_id == key_id(key),
            policy.scope(actor, "answer", "deconfliction"),
        )
        .distinct()
        .order_by(Agency.name)
    )
    pointers = [Pointer(name, kind) for name, kind in db.execute(statement)]
    audit.record(
        db,
        actor=actor,
        action="deconfliction.answer",
        object_type="deconfliction",
        agency_id=actor.agency_id,
        details={"digests": len(wanted), "agencies": len(pointers)},
    )
    return pointers


# --- the asking side ----------------------------------------------------------------


@dataclass(frozen=True)
class PartnerAnswer:
    partner: str
    pointers: list[Pointer]
    error: str | None = None


def instance_root(collection_url: str) -> str | None:
    """The partner instance a subscription reads from (its Vigil TAXII address)."""
    root, found, _ = collection_url.partition(TAXII_PATH)
    return root if found else None


def partners(db: Session, *, actor: Actor) -> list[Subscription]:
    """The subscriptions of the actor's agency, one per partner instance."""
    policy.authorize(actor, "query", "deconfliction")
    found: dict[str, Subscription] = {}
    for subscription in db.execute(
        select(Subscription)
        .where(Subscription.agency_id == actor.agency_id, Subscription.active.is_(True))
        .order_by(Subscription.id)
    ).scalars():
        root = instance_root(subscription.collection_url)
        if root and root not in found:
            found[root] = subscription
    return list(found.values())


def _ask_one(subscription: Subscription, settings: Settings, digests: list[str]) -> list[Pointer]:
    root = instance_root(subscription.collection_url) or ""
    token = federation.decrypt_token(settings, subscription)
    with requests.Session() as session:
        session.mount("http://", federation.GuardedAdapter(settings.outbound_allowed_hosts))
        session.mount("https://", federation.GuardedAdapter(settings.outbound_allowed_hosts))
        session.max_redirects = 0
        response = session.post(
            root + API_PATH,
            data=json.dumps({"digests": digests}),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            allow_redirects=False,
        )
    if response.status_code != 200:
        raise ValueError(f"the partner answered {response.status_code}")
    body = response.json()
    found = body.get("pointers") if isinstance(body, dict) else None
    if not isinstance(found, list) or len(found) > 1000:
        raise ValueError("the partner's answer is not a list of pointers")
    pointers = []
    for item in found:
        if not isinstance(item, dict):
            raise ValueError("the partner's answer is not a list of pointers")
        agency, kind = item.get("agency"), item.get("agency_kind")
        if not isinstance(agency, str) or not isinstance(kind, str):
            raise ValueError("the partner's answer is not a list of pointers")
        pointers.append(Pointer(" ".join(agency.split())[:200], " ".join(kind.split())[:40]))
    return pointers


def ask_partners(
    db: Session, *, actor: Actor, settings: Settings, person: Mapping[str, Any]
) -> list[PartnerAnswer]:
    """Ask every partner instance whether it holds records on ``person`` (fields as a
    report's mention). Only digests leave this instance."""
    policy.authorize(actor, "query", "deconfliction")
    key = shared_key(settings)
    digests = person_digests(key, person)
    if not digests:
        raise InvalidInput(
            {
                "person": "Give a name with a date of birth or both names, or a phone, "
                "e-mail, handle, ID number or address: nothing else can be matched."
            }
        )
    digests = digests[:MAX_DIGESTS]
    answers = []
    for subscription in partners(db, actor=actor):
        try:
            answers.append(
                PartnerAnswer(subscription.name, _ask_one(subscription, settings, digests))
            )
        except (requests.RequestException, DestinationRefused, InvalidToken, ValueError) as error:
            log.warning("deconfliction query to a partner failed: %s", type(error).__name__)
            answers.append(PartnerAnswer(subscription.name, [], error=type(error).__name__))
    audit.record(
        db,
        actor=actor,
        action="deconfliction.query",
        object_type="deconfliction",
        agency_id=actor.agency_id,
        details={
            "digests": len(digests),
            "partners": len(answers),
            "failed": sum(1 for a in answers if a.error),
            "agencies": sum(len(a.pointers) for a in answers),
        },
    )
    return answers


# --- rate limit (both sides) --------------------------------------------------------


class QueryRateLimit:
    """At most ``per_hour`` queries per user (asking) or partner account (answering)
    within any moving hour, counted in the server process."""

    def __init__(self, per_hour: int) -> None:
        self.item = RateLimitItemPerHour(per_hour)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, side: str, user_id: int | None) -> bool:
        return bool(self._limiter.hit(self.item, "deconfliction", side, str(user_id)))


_lock = threading.Lock()


def limiter_for(state: object, per_hour: int) -> QueryRateLimit:
    """The one limiter of an application (kept on its ``state``), made on first use."""
    with _lock:
        limiter = getattr(state, "deconfliction_rate_limit", None)
        if not isinstance(limiter, QueryRateLimit):
            limiter = QueryRateLimit(per_hour)
            setattr(state, "deconfliction_rate_limit", limiter)  # noqa: B010 - Starlette State
        return limiter

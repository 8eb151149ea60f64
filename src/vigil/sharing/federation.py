"""Federation pull: an agency subscribes to a partner's TAXII 2.1 collection (another
Vigil instance, or any TAXII server) and pulls its objects into reports, on demand or
from a scheduled job, idempotently.

A pull reads with taxii2-client every object added since the last pull (the partner's
date_added, kept as the subscription's cursor) and imports them with the STIX
importer, so markings are enforced on arrival as for any import and a report already
received is never stored twice. Every request a pull makes is checked by the outbound
guard (vigil.platform.outbound): a partner on a loopback or private address must be
allowed by an administrator. The partner's token is kept encrypted with the instance's
secret key. The puller acts as the user who subscribed (while they may still import).

A partner's correction arrives as a later version of a report and updates the copy;
a purge arrives as the report revoked and purges the copy received from that source
(28 CFR 23.20(h)), which in turn tells whoever received the copy here.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import Any

import requests
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from taxii2client.common import TokenAuth  # type: ignore[import-untyped]
from taxii2client.v21 import Collection, as_pages  # type: ignore[import-untyped]

from vigil.platform import actor as actors
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.database import transaction
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import User
from vigil.platform.outbound import DestinationRefused, check_destination
from vigil.platform.policy import PermissionDenied
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import retention
from vigil.sharing import propagation, stix_import
from vigil.sharing.models import Subscription

log = logging.getLogger("vigil.sharing.federation")
PAGE_SIZE = 500
TIMEOUT_SECONDS = 30


def _fernet(settings: Settings) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"vigil federation tokens"
    ).derive(settings.secret_key.get_secret_value().encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


class GuardedAdapter(requests.adapters.HTTPAdapter):
    """Checks every request's destination (redirects included) before it is sent."""

    def __init__(self, allowed_hosts: list[str]) -> None:
        super().__init__()
        self.allowed_hosts = allowed_hosts

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        check_destination(str(request.url), allowed_hosts=self.allowed_hosts)
        kwargs["timeout"] = TIMEOUT_SECONDS
        return super().send(request, *args, **kwargs)


def decrypt_token(settings: Settings, subscription: Subscription) -> str:
    """The partner's token of a subscription (InvalidToken if the secret key changed)."""
    return _fernet(settings).decrypt(subscription.token_encrypted.encode("ascii")).decode("utf-8")


def subscribe(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    name: str,
    collection_url: str,
    token: str,
) -> Subscription:
    """Subscribe the actor's agency to a partner's collection."""
    policy.authorize(actor, "create", "subscription")
    own_user_id, own_agency_id = actor.member_ids()
    name = " ".join((name or "").split())
    errors = {}
    if not 3 <= len(name) <= 200:
        errors["name"] = "Name the subscription in 3 to 200 characters."
    url = (collection_url or "").strip()
    if not url.endswith("/"):
        url += "/"
    if len(url) > 500:
        errors["collection_url"] = "The address is longer than 500 characters."
    else:
        try:
            check_destination(url, allowed_hosts=settings.outbound_allowed_hosts)
        except DestinationRefused as refused:
            errors["collection_url"] = str(refused)
    if not 10 <= len(token or "") <= 500:
        errors["token"] = "Give the token the partner issued for you."  # noqa: S105  # nosec B105
    if errors:
        raise InvalidInput(errors)
    taken = db.execute(
        select(Subscription.id).where(
            Subscription.agency_id == own_agency_id, Subscription.collection_url == url
        )
    ).first()
    if taken:
        raise Conflict("Your agency already subscribes to this collection.", "collection_url")
    subscription = Subscription(
        agency_id=own_agency_id,
        name=name,
        collection_url=url,
        token_encrypted=_fernet(settings).encrypt(token.encode("utf-8")).decode("ascii"),
        created_by_user_id=own_user_id,
        created_at=utcnow(),
    )
    db.add(subscription)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="subscription.create",
        object_type="subscription",
        object_id=subscription.id,
        agency_id=own_agency_id,
    )
    return subscription


def list_subscriptions(db: Session, *, actor: Actor) -> list[Subscription]:
    """The subscriptions of the actor's agency, by name."""
    policy.authorize(actor, "list", "subscription")
    return list(
        db.execute(
            select(Subscription)
            .where(Subscription.agency_id == actor.agency_id)
            .order_by(Subscription.name, Subscription.id)
        ).scalars()
    )


def set_active(db: Session, *, actor: Actor, subscription_id: int, active: bool) -> Subscription:
    """Stop (or resume) the scheduled pulls of a subscription."""
    subscription = db.get(Subscription, subscription_id)
    if subscription is None or not policy.decide(actor, "pull", "subscription", subscription):
        raise NotFound("subscription")
    policy.authorize(actor, "manage", "subscription", subscription)
    if subscription.active != active:
        subscription.active = active
        audit.record(
            db,
            actor=actor,
            action="subscription.resume" if active else "subscription.stop",
            object_type="subscription",
            object_id=subscription.id,
            agency_id=subscription.agency_id,
        )
    return subscription


@dataclass(frozen=True)
class Pulled:
    subscription_id: int
    objects: int
    imported: int
    unchanged: int
    rejected: int
    error: str | None = None
    updated: int = 0
    purged: int = 0


def _fetch(
    subscription: Subscription, token: str, settings: Settings
) -> tuple[list[Any], str | None]:
    """Every object added after the cursor, and the new cursor.

    The manifest is read first: its latest date_added becomes the cursor, so an object
    added between the two reads comes again next time (and is found unchanged) rather
    than being skipped."""
    collection = Collection(subscription.collection_url, auth=TokenAuth(token))
    session = collection._conn.session
    for scheme in ("http://", "https://"):
        session.mount(scheme, GuardedAdapter(settings.outbound_allowed_hosts))
    session.max_redirects = 0
    cursor = subscription.added_after
    filters = {"added_after": cursor} if cursor else {}
    latest = cursor
    for page in as_pages(collection.get_manifest, per_request=PAGE_SIZE, **filters):
        for record in page.get("objects", []):
            added = record.get("date_added")
            if isinstance(added, str) and (latest is None or added > latest):
                latest = added
    objects: list[Any] = []
    for envelope in as_pages(collection.get_objects, per_request=PAGE_SIZE, **filters):
        objects.extend(envelope.get("objects", []))
    return objects, latest


def pull(db: Session, *, actor: Actor, settings: Settings, subscription_id: int) -> Pulled:
    """Pull a subscription now: import what the partner added since the last pull."""
    subscription = db.get(Subscription, subscription_id)
    if subscription is None or not policy.decide(actor, "pull", "subscription", subscription):
        raise NotFound("subscription")
    importer = _importer(db, subscription)
    now = utcnow()
    try:
        token = _fernet(settings).decrypt(subscription.token_encrypted.encode("ascii"))
        objects, cursor = _fetch(subscription, token.decode("utf-8"), settings)
    except (requests.RequestException, DestinationRefused, InvalidToken, ValueError) as error:
        message = f"{type(error).__name__}: {str(error)[:200]}"
        subscription.last_pulled_at, subscription.last_outcome = now, message[:300]
        audit.record(
            db,
            actor=actor,
            action="subscription.pull",
            object_type="subscription",
            object_id=subscription.id,
            agency_id=subscription.agency_id,
            outcome="failure",
            details={"error": type(error).__name__},
        )
        return Pulled(subscription.id, 0, 0, 0, 0, error=message)
    # A report the partner purged arrives revoked: the copy received from that source
    # is purged here too (28 CFR 23.20(h)). Revoked objects are never imported.
    withdrawn = propagation.revoked_copies(
        db, holder_agency_id=subscription.agency_id, objects=objects
    )
    for report_id, _ in withdrawn:
        # Copies arrive by STIX without attachments, so no file waits for deletion.
        retention.purge_withdrawn(db, actor=importer, report_id=report_id)
    objects = [o for o in objects if not (isinstance(o, dict) and o.get("revoked") is True)]
    outcome = stix_import.ImportOutcome()
    if objects:
        envelope = json.dumps({"objects": objects}, ensure_ascii=False)
        outcome = stix_import.import_bundle(
            db, actor=importer, settings=settings, text=envelope, channel="taxii"
        )
    subscription.added_after = cursor
    subscription.last_pulled_at = now
    subscription.last_outcome = (
        f"{len(objects)} objects: {outcome.count('imported')} reports imported, "
        f"{outcome.count('updated')} updated, {len(withdrawn)} purged, "
        f"{outcome.count('unchanged')} already here, {outcome.count('rejected')} rejected"
    )[:300]
    audit.record(
        db,
        actor=actor,
        action="subscription.pull",
        object_type="subscription",
        object_id=subscription.id,
        agency_id=subscription.agency_id,
        details={
            "objects": len(objects),
            "imported": outcome.count("imported"),
            "updated": outcome.count("updated"),
            "purged": len(withdrawn),
        },
    )
    return Pulled(
        subscription.id,
        len(objects),
        outcome.count("imported"),
        outcome.count("unchanged"),
        outcome.count("rejected"),
        updated=outcome.count("updated"),
        purged=len(withdrawn),
    )


def _importer(db: Session, subscription: Subscription) -> Actor:
    """The subscriber, who imports what arrives into their agency."""
    user = db.get(User, subscription.created_by_user_id)
    if user is None or not user.is_active or user.agency_id != subscription.agency_id:
        raise InvalidInput({"subscription": "The user who subscribed can no longer import."})
    return actors.for_user(user, request_id="federation", via="federation")


def pull_all(settings: Settings, session_factory: sessionmaker[Session]) -> list[Pulled]:
    """The scheduled job: pull every active subscription, each in its own transaction
    and as its subscriber. A failing pull is recorded on its subscription; the others go on."""
    with session_factory() as db:
        ids = list(
            db.execute(
                select(Subscription.id)
                .where(Subscription.active.is_(True))
                .order_by(Subscription.id)
            ).scalars()
        )
    results = []
    for subscription_id in ids:
        try:
            with transaction(session_factory) as db:
                subscription = db.get_one(Subscription, subscription_id)
                results.append(
                    pull(
                        db,
                        actor=_importer(db, subscription),
                        settings=settings,
                        subscription_id=subscription_id,
                    )
                )
        except (InvalidInput, NotFound, PermissionDenied) as error:
            log.error("federation pull %d refused: %s", subscription_id, type(error).__name__)
    return results

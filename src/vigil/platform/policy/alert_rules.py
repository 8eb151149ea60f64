"""Policy rules for intelligence bulletins and public CAP alerts.

Bulletins: an agency's analysts and supervisors write them, keep them as drafts (seen
by their agency's analysts and supervisors only) and publish them. A published bulletin
is read by the staff who work on intelligence (analysts, supervisors, tip-line
operators, threat-assessment members) of the author's agency and of the agencies on its
distribution list, as its TLP 2.0 marking allows: TLP:AMBER+STRICT never leaves the
author's agency and TLP:RED is read only by its author and the users it names. Whoever
may read a published bulletin may export it as a STIX 2.1 bundle (a draft, never).

Public alerts: a warning to the public speaks for the agency, so only its supervisors
issue one (an Alert, or an Update or Cancel of their agency's earlier alert); its
analysts and supervisors see the list of what their agency issued. Everyone, signed in
or not, reads the public feed and the alerts in it: they hold no personal data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.policy.markings import Tlp
from vigil.platform.roles import Role

WRITER_ROLES = frozenset({Role.ANALYST, Role.SUPERVISOR})
READER_ROLES = frozenset(
    {Role.ANALYST, Role.SUPERVISOR, Role.TIPLINE_OPERATOR, Role.THREAT_ASSESSMENT}
)
ISSUER_ROLES = frozenset({Role.SUPERVISOR})


@dataclass(frozen=True)
class BulletinFacts:
    """What the rule needs to know about one bulletin."""

    owner_agency_id: int
    author_user_id: int | None
    marking: str
    status: str
    recipient_agency_ids: frozenset[int] = field(default_factory=frozenset)
    named_user_ids: frozenset[int] = field(default_factory=frozenset)


def _writer(actor: Actor) -> bool:
    return actor.is_user and bool(actor.roles & WRITER_ROLES)


def _marking_lets_read(actor: Actor, facts: BulletinFacts) -> bool:
    if facts.marking == Tlp.RED.value:
        return actor.user_id == facts.author_user_id or actor.user_id in facts.named_user_ids
    own = actor.agency_id == facts.owner_agency_id
    if facts.marking == Tlp.AMBER_STRICT.value:
        return own
    return own or actor.agency_id in facts.recipient_agency_ids


def bulletin_rule(actor: Actor, action: str, facts: Any) -> bool:
    if not actor.is_user:
        return False
    if action == "list":
        return bool(actor.roles & READER_ROLES)
    if action == "create":
        return _writer(actor)
    if not isinstance(facts, BulletinFacts):
        return False
    own = actor.agency_id == facts.owner_agency_id
    if facts.status == "draft":
        if not (own and _writer(actor)):
            return False
        if facts.marking == Tlp.RED.value and not _marking_lets_read(actor, facts):
            return False
        return action in ("read", "edit", "publish")
    if action in ("read", "export"):  # export: its STIX 2.1 bundle, for the reader
        return bool(actor.roles & READER_ROLES) and _marking_lets_read(actor, facts)
    return False


def bulletin_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    from vigil.sharing.bulletin_models import Bulletin, BulletinAgency, BulletinNamedUser

    if not actor.is_user or not actor.roles & READER_ROLES:
        return false()
    named = exists(
        select(BulletinNamedUser.user_id).where(
            BulletinNamedUser.bulletin_id == Bulletin.id,
            BulletinNamedUser.user_id == actor.user_id,
        )
    )
    listed = exists(
        select(BulletinAgency.agency_id).where(
            BulletinAgency.bulletin_id == Bulletin.id,
            BulletinAgency.agency_id == actor.agency_id,
        )
    )
    own = Bulletin.owner_agency_id == actor.agency_id
    red = Bulletin.marking == Tlp.RED.value
    marking_ok = or_(
        and_(red, or_(Bulletin.author_user_id == actor.user_id, named)),
        and_(Bulletin.marking == Tlp.AMBER_STRICT.value, own),
        and_(
            Bulletin.marking.in_([Tlp.CLEAR.value, Tlp.GREEN.value, Tlp.AMBER.value]),
            or_(own, listed),
        ),
    )
    published = and_(Bulletin.status == "published", marking_ok)
    if actor.roles & WRITER_ROLES:
        draft = and_(Bulletin.status == "draft", own, or_(~red, marking_ok))
        return or_(published, draft)
    return published


def public_alert_rule(actor: Actor, action: str, alert: Any) -> bool:
    if action == "read_public":
        return True  # the feed and its alerts are public by design
    if not actor.is_user:
        return False
    if action == "list":
        return bool(actor.roles & WRITER_ROLES)
    if action == "issue":
        return bool(actor.roles & ISSUER_ROLES)
    if action == "follow_up":  # an Update or Cancel of an earlier alert
        return bool(actor.roles & ISSUER_ROLES) and (
            getattr(alert, "agency_id", None) == actor.agency_id
        )
    return False


def public_alert_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    from vigil.sharing.bulletin_models import PublicAlert

    if action == "read_public":
        return PublicAlert.status.in_(["Actual", "Exercise", "Test"])
    if not actor.is_user or not actor.roles & WRITER_ROLES:
        return false()
    return PublicAlert.agency_id == actor.agency_id


def install() -> None:
    policy.register("bulletin", rule=bulletin_rule, scope_rule=bulletin_scope)
    policy.register("public_alert", rule=public_alert_rule, scope_rule=public_alert_scope)

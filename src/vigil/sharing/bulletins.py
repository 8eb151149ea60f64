"""Intelligence bulletins: drafts, publication to a distribution list (agencies, sharing
groups, or for TLP:RED named users), delivery in the app and by e-mail, and the
dissemination record each receiving agency gets (28 CFR 23.20(g))."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vigil.platform import actor as actors
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.mail import Mailer, MailError, MailRefused
from vigil.platform.models import Agency, Notification, User, UserRole
from vigil.platform.policy.alert_rules import READER_ROLES, BulletinFacts
from vigil.platform.policy.markings import Tlp
from vigil.platform.types import utcnow
from vigil.sharing import groups
from vigil.sharing.bulletin_models import (
    Bulletin,
    BulletinAgency,
    BulletinDelivery,
    BulletinGroup,
    BulletinNamedUser,
)
from vigil.sharing.models import Dissemination, SharingGroup

CHANNEL = "bulletin"
MAX_LIST = 200
MARKINGS = [tlp.value for tlp in Tlp]


@dataclass(frozen=True)
class Draft:
    """A bulletin as written, before the rules have checked it."""

    title: str = ""
    summary: str = ""
    body: str = ""
    marking: str = ""
    agency_ids: Sequence[int] = ()
    group_ids: Sequence[int] = ()
    named_usernames: Sequence[str] = ()


@dataclass(frozen=True)
class Distribution:
    """Who a bulletin goes to, as shown to those who may read it."""

    agencies: list[tuple[int, str, str | None]]  # id, name, via group name
    groups: list[tuple[int, str]]
    named: list[tuple[int, str]]  # user id, username


def _line(value: str, field: str, minimum: int, maximum: int, errors: dict[str, str]) -> str:
    cleaned = " ".join((value or "").split())
    if not minimum <= len(cleaned) <= maximum:
        errors[field] = f"Write {minimum} to {maximum} characters."
    return cleaned


def _block(value: str, field: str, minimum: int, maximum: int, errors: dict[str, str]) -> str:
    cleaned = "\n".join(line.rstrip() for line in (value or "").strip().splitlines())
    if not minimum <= len(cleaned) <= maximum:
        errors[field] = f"Write {minimum} to {maximum} characters."
    return cleaned


def facts(db: Session, bulletin: Bulletin) -> BulletinFacts:
    return BulletinFacts(
        owner_agency_id=bulletin.owner_agency_id,
        author_user_id=bulletin.author_user_id,
        marking=bulletin.marking,
        status=bulletin.status,
        recipient_agency_ids=frozenset(
            db.execute(
                select(BulletinAgency.agency_id).where(BulletinAgency.bulletin_id == bulletin.id)
            ).scalars()
        ),
        named_user_ids=frozenset(
            db.execute(
                select(BulletinNamedUser.user_id).where(
                    BulletinNamedUser.bulletin_id == bulletin.id
                )
            ).scalars()
        ),
    )


@dataclass(frozen=True)
class _Checked:
    title: str
    summary: str
    body: str
    marking: str
    agency_ids: list[int]
    group_ids: list[int]
    named_user_ids: list[int]


def _check(db: Session, actor: Actor, draft: Draft) -> _Checked:
    """Every field checked at once, so the form can show every problem."""
    errors: dict[str, str] = {}
    title = _line(draft.title, "title", 5, 200, errors)
    summary = _line(draft.summary, "summary", 10, 1000, errors)
    body = _block(draft.body, "body", 10, 20_000, errors)
    marking = draft.marking
    if marking not in MARKINGS:
        errors["marking"] = "Choose a TLP 2.0 marking."
    agency_ids = sorted(set(draft.agency_ids) - {actor.agency_id or 0})
    if len(agency_ids) > MAX_LIST:
        errors["agency_ids"] = f"Choose at most {MAX_LIST} agencies."
    elif agency_ids:
        active = set(
            db.execute(
                select(Agency.id).where(Agency.id.in_(agency_ids), Agency.active.is_(True))
            ).scalars()
        )
        if active != set(agency_ids):
            errors["agency_ids"] = "Choose active agencies."
    group_ids = sorted(set(draft.group_ids))
    for group_id in group_ids[:MAX_LIST]:
        group = db.get(SharingGroup, group_id)
        if group is None or not policy.decide(
            actor, "share", "sharing_group", groups.facts(db, group)
        ):
            errors["group_ids"] = "Choose sharing groups your agency shares with."
            break
    usernames = sorted({name.strip() for name in draft.named_usernames if name.strip()})
    named: list[int] = []
    if len(usernames) > MAX_LIST:
        errors["named_users"] = f"Name at most {MAX_LIST} users."
    elif usernames:
        found = {
            row.username: row.id
            for row in db.execute(
                select(User.id, User.username)
                .join(Agency, Agency.id == User.agency_id)
                .where(
                    User.username.in_(usernames),
                    User.disabled_at.is_(None),
                    Agency.active.is_(True),
                )
            )
        }
        missing = [name for name in usernames if name not in found]
        if missing:
            errors["named_users"] = "These are not active users: " + ", ".join(missing[:5])[:200]
        named = sorted(found.values())
    if marking == Tlp.RED.value:
        if agency_ids or group_ids:
            errors["agency_ids"] = (
                "A TLP:RED bulletin goes to named users only; remove the agencies and groups."
            )
        if not named and "named_users" not in errors:
            errors["named_users"] = "Name at least one user who may read this TLP:RED bulletin."
    else:
        if named:
            errors["named_users"] = "Name users only for a TLP:RED bulletin."
        if marking == Tlp.AMBER_STRICT.value and (agency_ids or group_ids):
            errors["agency_ids"] = (
                "TLP:AMBER+STRICT stays inside your agency; remove the other agencies and "
                "groups, or choose TLP:AMBER."
            )
    if errors:
        raise InvalidInput(errors)
    return _Checked(title, summary, body, marking, agency_ids, group_ids, named)


def _store_lists(db: Session, bulletin: Bulletin, checked: _Checked) -> None:
    for table in (BulletinAgency, BulletinGroup, BulletinNamedUser):
        db.execute(delete(table).where(table.bulletin_id == bulletin.id))
    db.add_all(BulletinAgency(bulletin_id=bulletin.id, agency_id=a) for a in checked.agency_ids)
    db.add_all(BulletinGroup(bulletin_id=bulletin.id, group_id=g) for g in checked.group_ids)
    db.add_all(
        BulletinNamedUser(bulletin_id=bulletin.id, user_id=u) for u in checked.named_user_ids
    )
    db.flush()


def create_draft(db: Session, *, actor: Actor, draft: Draft) -> Bulletin:
    """A new draft bulletin of the actor's agency."""
    policy.authorize(actor, "create", "bulletin")
    user_id, agency_id = actor.member_ids()
    checked = _check(db, actor, draft)
    now = utcnow()
    bulletin = Bulletin(
        number=uuid.uuid4().hex[:32],
        stix_id=f"report--{uuid.uuid4()}",
        owner_agency_id=agency_id,
        author_user_id=user_id,
        title=checked.title,
        summary=checked.summary,
        body=checked.body,
        marking=checked.marking,
        status="draft",
        created_at=now,
        updated_at=now,
    )
    db.add(bulletin)
    db.flush()
    bulletin.number = f"BUL-{now:%Y}-{bulletin.id:06d}"
    _store_lists(db, bulletin, checked)
    audit.record(
        db,
        actor=actor,
        action="bulletin.create",
        object_type="bulletin",
        object_id=bulletin.id,
        details={"marking": bulletin.marking, "agencies": checked.agency_ids},
    )
    return bulletin


def _get(db: Session, actor: Actor, bulletin_id: int, action: str) -> Bulletin:
    bulletin = db.get(Bulletin, bulletin_id)
    if bulletin is None:
        raise NotFound("bulletin")
    known = facts(db, bulletin)
    if not policy.decide(actor, "read", "bulletin", known):
        raise NotFound("bulletin")
    if action != "read":
        policy.authorize(actor, action, "bulletin", known)
    return bulletin


def update_draft(db: Session, *, actor: Actor, bulletin_id: int, draft: Draft) -> Bulletin:
    """Change a draft; a published bulletin is frozen."""
    bulletin = _get(db, actor, bulletin_id, "read")
    if bulletin.status != "draft":
        raise Conflict("A published bulletin cannot be changed.", field="title")
    policy.authorize(actor, "edit", "bulletin", facts(db, bulletin))
    checked = _check(db, actor, draft)
    bulletin.title, bulletin.summary, bulletin.body = checked.title, checked.summary, checked.body
    bulletin.marking, bulletin.updated_at = checked.marking, utcnow()
    _store_lists(db, bulletin, checked)
    audit.record(
        db,
        actor=actor,
        action="bulletin.update",
        object_type="bulletin",
        object_id=bulletin.id,
        agency_id=bulletin.owner_agency_id,
        details={"marking": bulletin.marking, "agencies": checked.agency_ids},
    )
    return bulletin


def read_bulletin(db: Session, *, actor: Actor, bulletin_id: int) -> Bulletin:
    """The bulletin, if the actor may read it; every read is audited."""
    bulletin = _get(db, actor, bulletin_id, "read")
    audit.record(
        db,
        actor=actor,
        action="bulletin.read",
        object_type="bulletin",
        object_id=bulletin.id,
        agency_id=bulletin.owner_agency_id,
    )
    return bulletin


def may(db: Session, actor: Actor, bulletin: Bulletin) -> dict[str, bool]:
    known = facts(db, bulletin)
    actions = ("edit", "publish", "export")
    return {action: policy.decide(actor, action, "bulletin", known) for action in actions}


def list_bulletins(db: Session, *, actor: Actor, limit: int = 200) -> list[Bulletin]:
    """The bulletins the actor may read, newest first."""
    policy.authorize(actor, "list", "bulletin")
    statement = (
        select(Bulletin)
        .where(policy.scope(actor, "list", "bulletin"))
        .order_by(Bulletin.updated_at.desc(), Bulletin.id.desc())
        .limit(limit)
    )
    found = list(db.execute(statement).scalars())
    audit.record(
        db,
        actor=actor,
        action="bulletin.list",
        object_type="bulletin",
        details={"rows": len(found)},
    )
    return found


def distribution(db: Session, bulletin: Bulletin) -> Distribution:
    agencies = db.execute(
        select(Agency.id, Agency.name, SharingGroup.name)
        .join(BulletinAgency, BulletinAgency.agency_id == Agency.id)
        .outerjoin(SharingGroup, SharingGroup.id == BulletinAgency.via_group_id)
        .where(BulletinAgency.bulletin_id == bulletin.id)
        .order_by(Agency.name)
    ).all()
    group_rows = db.execute(
        select(SharingGroup.id, SharingGroup.name)
        .join(BulletinGroup, BulletinGroup.group_id == SharingGroup.id)
        .where(BulletinGroup.bulletin_id == bulletin.id)
        .order_by(SharingGroup.name)
    ).all()
    named = db.execute(
        select(User.id, User.username)
        .join(BulletinNamedUser, BulletinNamedUser.user_id == User.id)
        .where(BulletinNamedUser.bulletin_id == bulletin.id)
        .order_by(User.username)
    ).all()
    return Distribution(
        agencies=[(a, n, g) for a, n, g in agencies],
        groups=[(g, n) for g, n in group_rows],
        named=[(u, n) for u, n in named],
    )


def _recipient_users(db: Session, bulletin: Bulletin, agency_ids: set[int]) -> list[User]:
    if bulletin.marking == Tlp.RED.value:
        statement = (
            select(User)
            .join(BulletinNamedUser, BulletinNamedUser.user_id == User.id)
            .where(BulletinNamedUser.bulletin_id == bulletin.id)
        )
    else:
        statement = (
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                User.agency_id.in_(agency_ids | {bulletin.owner_agency_id}),
                UserRole.role.in_([role.value for role in READER_ROLES]),
            )
            .distinct()
        )
    statement = statement.join(Agency, Agency.id == User.agency_id).where(
        User.disabled_at.is_(None), Agency.active.is_(True)
    )
    # Only those who may read it once published are told of it: a user named on a
    # TLP:RED bulletin without a role that reads intelligence gets no notification and
    # no e-mail (which would give them its title), and their agency no dissemination.
    known = replace(facts(db, bulletin), status="published")
    return [
        user
        for user in sorted(db.execute(statement).scalars(), key=lambda user: user.id)
        if policy.decide(actors.for_user(user), "read", "bulletin", known)
    ]


def publish(db: Session, *, actor: Actor, bulletin_id: int, reason: str = "") -> Bulletin:
    """Publish a draft: resolve its groups into agencies, notify every recipient user in
    the app, queue their e-mail, and record one dissemination per receiving agency."""
    bulletin = _get(db, actor, bulletin_id, "read")
    if bulletin.status != "draft":
        raise Conflict("The bulletin is already published.", field="title")
    policy.authorize(actor, "publish", "bulletin", facts(db, bulletin))
    now = utcnow()
    named_agencies = set(
        db.execute(
            select(BulletinAgency.agency_id).where(BulletinAgency.bulletin_id == bulletin.id)
        ).scalars()
    )
    for group_id in db.execute(
        select(BulletinGroup.group_id).where(BulletinGroup.bulletin_id == bulletin.id)
    ).scalars():
        group = db.get_one(SharingGroup, group_id)
        # The group may have changed since the draft was saved: it must still be ours.
        policy.authorize(actor, "share", "sharing_group", groups.facts(db, group))
        for agency_id in sorted(groups.member_ids(db, group_id) - named_agencies):
            if agency_id == bulletin.owner_agency_id:
                continue
            db.add(
                BulletinAgency(bulletin_id=bulletin.id, agency_id=agency_id, via_group_id=group_id)
            )
            named_agencies.add(agency_id)
    db.flush()
    users = _recipient_users(db, bulletin, named_agencies)
    if bulletin.marking == Tlp.RED.value:
        named_agencies = {user.agency_id for user in users}
    named_agencies.discard(bulletin.owner_agency_id)
    bulletin.status, bulletin.published_at, bulletin.published_by_user_id = (
        "published",
        now,
        actor.user_id,
    )
    subject = f"Bulletin {bulletin.number} (TLP:{bulletin.marking}): {bulletin.title}"[:300]
    for user in users:
        if user.id == actor.user_id:
            continue
        db.add(
            Notification(
                user_id=user.id,
                kind="bulletin.published",
                subject=subject,
                link=f"/bulletins/{bulletin.id}",
                object_type="bulletin",
                object_id=str(bulletin.id),
                created_at=now,
            )
        )
        db.add(
            BulletinDelivery(
                bulletin_id=bulletin.id,
                user_id=user.id,
                agency_id=user.agency_id,
                notified_at=now,
                email_status="pending" if user.email else "no_address",
            )
        )
    records = _disseminate(db, actor, bulletin, sorted(named_agencies), reason, now)
    audit.record(
        db,
        actor=actor,
        action="bulletin.publish",
        object_type="bulletin",
        object_id=bulletin.id,
        agency_id=bulletin.owner_agency_id,
        details={
            "marking": bulletin.marking,
            "agencies": sorted(named_agencies),
            "users": len([u for u in users if u.id != actor.user_id]),
            "disseminations": len(records),
        },
    )
    return bulletin


def _disseminate(
    db: Session,
    actor: Actor,
    bulletin: Bulletin,
    agency_ids: list[int],
    reason: str,
    at: datetime,
) -> list[Dissemination]:
    """One record per receiving agency in the sharing log every share writes to."""
    names = dict(db.execute(select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids))).all())
    via = dict(
        db.execute(
            select(BulletinAgency.agency_id, BulletinAgency.via_group_id).where(
                BulletinAgency.bulletin_id == bulletin.id
            )
        ).all()
    )
    why = " ".join(reason.split())[:2000] or f"Distribution list of bulletin {bulletin.number}"
    records = [
        Dissemination(
            report_id=None,
            stix_id=bulletin.stix_id,
            receipt_number=bulletin.number,
            channel=CHANNEL,
            recipient_agency_id=agency_id,
            recipient_group_id=via.get(agency_id),
            recipient_label=f"{names[agency_id]} (bulletin {bulletin.number})"[:200],
            marking=bulletin.marking,
            by_user_id=actor.user_id,
            by_agency_id=actor.agency_id,
            reason=why,
            at=at,
        )
        for agency_id in agency_ids
    ]
    db.add_all(records)
    db.flush()
    return records


@dataclass
class MailTally:
    sent: int = 0
    refused: int = 0
    deferred: int = 0


def send_pending_mail(db: Session, *, bulletin_id: int, mailer: Mailer, base_url: str) -> MailTally:
    """E-mail the recipients of a published bulletin who have not been e-mailed yet: the
    marking, the title and a link, never the summary or the body. Run after the
    publication committed; a server that cannot be reached leaves the rest deferred."""
    tally = MailTally()
    bulletin = db.get(Bulletin, bulletin_id)
    if bulletin is None or bulletin.status != "published":
        return tally
    rows = db.execute(
        select(BulletinDelivery, User.email)
        .join(User, User.id == BulletinDelivery.user_id)
        .where(
            BulletinDelivery.bulletin_id == bulletin_id,
            BulletinDelivery.email_status.in_(["pending", "deferred"]),
        )
        .order_by(BulletinDelivery.user_id)
    ).all()
    link = f"{base_url.rstrip('/')}/bulletins/{bulletin.id}"
    subject = f"[TLP:{bulletin.marking}] Vigil bulletin {bulletin.number}"
    body = (
        f"A bulletin has been published for you in Vigil:\n\n  {bulletin.title}\n\n"
        f"Read it, signed in, at {link}\n\nThe bulletin is marked TLP:{bulletin.marking}; "
        "its contents are only in Vigil.\n"
    )
    down = False
    for delivery, email in rows:
        if down or not email:
            delivery.email_status = "deferred" if email else "no_address"
            tally.deferred += bool(email)
            continue
        try:
            mailer.send(to=email, subject=subject, body=body)
        except MailRefused:
            delivery.email_status = "refused"
            tally.refused += 1
            continue
        except MailError:
            down = True
            delivery.email_status = "deferred"
            tally.deferred += 1
            continue
        delivery.email_status, delivery.emailed_at = "sent", utcnow()
        tally.sent += 1
    db.flush()
    return tally


def retry_pending_mail(db: Session, *, mailer: Mailer, base_url: str) -> MailTally:
    """The scheduled retry: e-mail every published bulletin's recipients whose e-mail is
    still pending or was deferred (the mail server was down), oldest bulletin first."""
    pending = db.execute(
        select(BulletinDelivery.bulletin_id)
        .join(Bulletin, Bulletin.id == BulletinDelivery.bulletin_id)
        .where(
            Bulletin.status == "published",
            BulletinDelivery.email_status.in_(["pending", "deferred"]),
        )
        .distinct()
        .order_by(BulletinDelivery.bulletin_id)
    ).scalars()
    total = MailTally()
    for bulletin_id in list(pending):
        tally = send_pending_mail(db, bulletin_id=bulletin_id, mailer=mailer, base_url=base_url)
        total.sent += tally.sent
        total.refused += tally.refused
        total.deferred += tally.deferred
        if tally.deferred:
            break  # the server is down: the rest wait for the next run
    return total


def deliveries(db: Session, *, actor: Actor, bulletin: Bulletin) -> list[BulletinDelivery]:
    """Who was delivered the bulletin, for those who may edit its agency's bulletins."""
    if actor.agency_id != bulletin.owner_agency_id or not policy.decide(
        actor, "create", "bulletin"
    ):
        return []
    return list(
        db.execute(
            select(BulletinDelivery)
            .where(BulletinDelivery.bulletin_id == bulletin.id)
            .order_by(BulletinDelivery.user_id)
        ).scalars()
    )


def group_choices(db: Session, *, actor: Actor) -> list[SharingGroup]:
    """The sharing groups the actor may send a bulletin to."""
    if not policy.decide(actor, "list", "sharing_group"):
        return []
    return [
        group
        for group in groups.list_groups(db, actor=actor)
        if policy.decide(actor, "share", "sharing_group", groups.facts(db, group))
    ]

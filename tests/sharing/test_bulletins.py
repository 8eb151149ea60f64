"""Intelligence bulletins through the services on both databases: drafts, every field's
validation, publication to agencies and groups, in-app and e-mail delivery (never the
contents by e-mail), dissemination records, and who may read what each marking allows."""

from __future__ import annotations

from email import message_from_bytes
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import make_user
from tests.sharing.factories import Partners, make_partners
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.mail import FileMailer, MailError
from vigil.platform.models import AuditEvent, Notification
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role
from vigil.sharing import bulletins, groups
from vigil.sharing.bulletin_models import Bulletin, BulletinAgency, BulletinDelivery
from vigil.sharing.models import Dissemination

BASE = "https://vigil.example.gov"
SECRET_BODY = "The subject keeps a rifle at 12 Elm St; <script>alert(1)</script> noted."


@pytest.fixture()
def staff(db) -> Partners:
    found = make_partners(db)
    for user in (found.analyst, found.supervisor, found.partner_analyst, found.other_analyst):
        user.email = f"{user.username}@agency.example.gov"
    db.flush()
    return found


def _draft(**changes) -> bulletins.Draft:
    values = {
        "title": "Threats against stadium events",
        "summary": "Several reports describe threats against Friday games.",
        "body": SECRET_BODY,
        "marking": "AMBER",
        "agency_ids": (),
        "group_ids": (),
        "named_usernames": (),
    }
    values.update(changes)
    return bulletins.Draft(**values)


def _mailer(tmp_path: Path) -> FileMailer:
    return FileMailer("vigil@example.gov", tmp_path / "mail")


def _mails(tmp_path: Path) -> list:
    return [message_from_bytes(p.read_bytes()) for p in sorted((tmp_path / "mail").glob("*.eml"))]


def test_publish_to_an_agency_notifies_emails_and_records_dissemination(db, staff, tmp_path):
    analyst = staff.actor(staff.analyst)
    draft = bulletins.create_draft(db, actor=analyst, draft=_draft(agency_ids=[staff.partner.id]))
    assert draft.status == "draft" and draft.number.startswith("BUL-")
    # A draft is the author agency's alone.
    with pytest.raises(NotFound):
        bulletins.read_bulletin(db, actor=staff.actor(staff.partner_analyst), bulletin_id=draft.id)
    assert not db.execute(select(Notification).where(Notification.object_type == "bulletin")).all()

    bulletins.publish(db, actor=analyst, bulletin_id=draft.id, reason="Partners host the games")
    tally = bulletins.send_pending_mail(
        db, bulletin_id=draft.id, mailer=_mailer(tmp_path), base_url=BASE
    )
    notified = set(
        db.execute(
            select(Notification.user_id).where(
                Notification.object_type == "bulletin", Notification.object_id == str(draft.id)
            )
        ).scalars()
    )
    # The partner's analyst and the author's supervisor; the publisher is not told.
    assert notified == {staff.partner_analyst.id, staff.supervisor.id}
    assert staff.other_analyst.id not in notified and staff.admin.id not in notified
    assert tally.sent == 2
    mails = _mails(tmp_path)
    assert {m["To"] for m in mails} == {staff.partner_analyst.email, staff.supervisor.email}
    for mail in mails:
        text = mail.get_payload(decode=True).decode()
        assert f"{BASE}/bulletins/{draft.id}" in text and draft.title in text
        assert "rifle" not in text and draft.summary not in text
        assert "TLP:AMBER" in mail["Subject"]
    records = list(
        db.execute(select(Dissemination).where(Dissemination.stix_id == draft.stix_id)).scalars()
    )
    assert [(r.recipient_agency_id, r.channel, r.receipt_number) for r in records] == [
        (staff.partner.id, "bulletin", draft.number)
    ]
    assert records[0].by_user_id == staff.analyst.id and records[0].reason.startswith("Partners")
    # The recipient reads it; an agency not on the list does not know it exists.
    read = bulletins.read_bulletin(
        db, actor=staff.actor(staff.partner_analyst), bulletin_id=draft.id
    )
    assert read.body == SECRET_BODY
    with pytest.raises(NotFound):
        bulletins.read_bulletin(db, actor=staff.actor(staff.other_analyst), bulletin_id=draft.id)
    listed = bulletins.list_bulletins(db, actor=staff.actor(staff.partner_analyst))
    assert [b.id for b in listed] == [draft.id]
    assert bulletins.list_bulletins(db, actor=staff.actor(staff.other_analyst)) == []
    # A second mail pass sends nothing twice; a published bulletin is frozen.
    again = bulletins.send_pending_mail(
        db, bulletin_id=draft.id, mailer=_mailer(tmp_path), base_url=BASE
    )
    assert again.sent == 0 and len(_mails(tmp_path)) == 2
    with pytest.raises(Conflict):
        bulletins.publish(db, actor=analyst, bulletin_id=draft.id)
    with pytest.raises(Conflict):
        bulletins.update_draft(db, actor=analyst, bulletin_id=draft.id, draft=_draft())
    actions = set(
        db.execute(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "bulletin", AuditEvent.object_id == str(draft.id)
            )
        ).scalars()
    )
    assert {"bulletin.create", "bulletin.publish", "bulletin.read"} <= actions
    for details in db.execute(
        select(AuditEvent.details).where(AuditEvent.object_type == "bulletin")
    ).scalars():
        assert "rifle" not in str(details) and "stadium" not in str(details)


def test_a_sharing_group_reaches_its_members(db, staff, tmp_path):
    group = groups.create_group(
        db,
        actor=staff.actor(staff.admin),
        name="Stadium partners",
        agency_ids=[staff.partner.id, staff.other.id],
    )
    draft = bulletins.create_draft(
        db, actor=staff.actor(staff.supervisor), draft=_draft(group_ids=[group.id])
    )
    bulletins.publish(db, actor=staff.actor(staff.supervisor), bulletin_id=draft.id)
    rows = db.execute(
        select(BulletinAgency.agency_id, BulletinAgency.via_group_id).where(
            BulletinAgency.bulletin_id == draft.id
        )
    ).all()
    assert sorted(rows) == sorted([(staff.partner.id, group.id), (staff.other.id, group.id)])
    recipients = set(
        db.execute(
            select(Dissemination.recipient_agency_id).where(Dissemination.stix_id == draft.stix_id)
        ).scalars()
    )
    assert recipients == {staff.partner.id, staff.other.id}
    for user in (staff.partner_analyst, staff.other_analyst):
        assert bulletins.read_bulletin(db, actor=staff.actor(user), bulletin_id=draft.id)


def test_amber_strict_stays_home_and_red_reaches_only_named_users(db, staff, tmp_path):
    analyst = staff.actor(staff.analyst)
    with pytest.raises(InvalidInput) as refused:
        bulletins.create_draft(
            db, actor=analyst, draft=_draft(marking="AMBER+STRICT", agency_ids=[staff.partner.id])
        )
    assert "agency_ids" in refused.value.errors
    strict = bulletins.create_draft(db, actor=analyst, draft=_draft(marking="AMBER+STRICT"))
    bulletins.publish(db, actor=analyst, bulletin_id=strict.id)
    assert bulletins.read_bulletin(db, actor=staff.actor(staff.supervisor), bulletin_id=strict.id)
    with pytest.raises(NotFound):
        bulletins.read_bulletin(db, actor=staff.actor(staff.partner_analyst), bulletin_id=strict.id)
    assert not db.execute(
        select(Dissemination).where(Dissemination.stix_id == strict.stix_id)
    ).all()

    with pytest.raises(InvalidInput) as refused:
        bulletins.create_draft(db, actor=analyst, draft=_draft(marking="RED"))
    assert "named_users" in refused.value.errors
    with pytest.raises(InvalidInput) as refused:
        bulletins.create_draft(
            db,
            actor=analyst,
            draft=_draft(
                marking="RED",
                agency_ids=[staff.partner.id],
                named_usernames=[staff.partner_analyst.username],
            ),
        )
    assert "agency_ids" in refused.value.errors
    red = bulletins.create_draft(
        db,
        actor=analyst,
        draft=_draft(marking="RED", named_usernames=[staff.partner_analyst.username]),
    )
    # A TLP:RED draft is not even shown to the author's colleagues.
    with pytest.raises(NotFound):
        bulletins.read_bulletin(db, actor=staff.actor(staff.supervisor), bulletin_id=red.id)
    bulletins.publish(db, actor=analyst, bulletin_id=red.id)
    bulletins.send_pending_mail(db, bulletin_id=red.id, mailer=_mailer(tmp_path), base_url=BASE)
    assert [m["To"] for m in _mails(tmp_path)] == [staff.partner_analyst.email]
    delivered = set(
        db.execute(
            select(BulletinDelivery.user_id).where(BulletinDelivery.bulletin_id == red.id)
        ).scalars()
    )
    assert delivered == {staff.partner_analyst.id}
    assert bulletins.read_bulletin(db, actor=staff.actor(staff.partner_analyst), bulletin_id=red.id)
    colleague = make_user(db, agency=staff.partner, roles={Role.ANALYST})
    for outsider in (staff.supervisor, colleague, staff.other_analyst):
        with pytest.raises(NotFound):
            bulletins.read_bulletin(db, actor=staff.actor(outsider), bulletin_id=red.id)
        assert red.id not in [
            b.id for b in bulletins.list_bulletins(db, actor=staff.actor(outsider))
        ]
    assert [
        r.recipient_agency_id
        for r in db.execute(select(Dissemination).where(Dissemination.stix_id == red.stix_id))
        .scalars()
        .all()
    ] == [staff.partner.id]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "abc"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"summary": "short"}, "summary"),
        ({"body": " \n "}, "body"),
        ({"body": "y" * 20_001}, "body"),
        ({"marking": "PURPLE"}, "marking"),
        ({"marking": ""}, "marking"),
        ({"agency_ids": [999_999]}, "agency_ids"),
        ({"group_ids": [999_999]}, "group_ids"),
        ({"named_usernames": ["nobody-here"]}, "named_users"),
    ],
)
def test_every_field_is_validated(db, staff, changes, field):
    before = db.execute(select(Bulletin)).all()
    with pytest.raises(InvalidInput) as refused:
        bulletins.create_draft(db, actor=staff.actor(staff.analyst), draft=_draft(**changes))
    assert refused.value.errors.get(field)
    assert db.execute(select(Bulletin)).all() == before


def test_who_may_write_edit_and_publish(db, staff):
    for user in (staff.admin,):
        with pytest.raises(PermissionDenied):
            bulletins.create_draft(db, actor=staff.actor(user), draft=_draft())
    draft = bulletins.create_draft(db, actor=staff.actor(staff.analyst), draft=_draft())
    changed = bulletins.update_draft(
        db,
        actor=staff.actor(staff.supervisor),
        bulletin_id=draft.id,
        draft=_draft(title="Threats against stadium events, revised"),
    )
    assert changed.title.endswith("revised")
    tipline = make_user(db, agency=staff.home, roles={Role.TIPLINE_OPERATOR})
    for outsider in (tipline, staff.admin, staff.partner_analyst):
        with pytest.raises((NotFound, PermissionDenied)):
            bulletins.publish(db, actor=staff.actor(outsider), bulletin_id=draft.id)
    # Readers who do not write see published bulletins of their agency.
    bulletins.publish(db, actor=staff.actor(staff.analyst), bulletin_id=draft.id)
    assert bulletins.read_bulletin(db, actor=staff.actor(tipline), bulletin_id=draft.id)
    with pytest.raises(PermissionDenied):
        bulletins.list_bulletins(db, actor=staff.actor(staff.admin))


HOSTILE_TITLE = "Stadium <script>alert('x')</script> threats"


def test_pages_and_api_keep_script_inert_and_mail_after_commit(
    settings, session_factory, db, staff, tmp_path
):
    from fastapi.testclient import TestClient

    from vigil.platform import sessions
    from vigil.web.app import create_app
    from vigil.web.deps import SESSION_COOKIE

    raw, _ = sessions.start_session(db, user=staff.partner_analyst, mfa_verified=True)
    token, _ = sessions.create_api_token(db, user=staff.analyst, name="t", days=1)
    db.commit()
    app = create_app(
        settings.model_copy(
            update={"mail_backend": "file", "mail_file_dir": tmp_path / "mail", "public_url": BASE}
        ),
        session_factory=session_factory,
    )
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        body = {
            "title": HOSTILE_TITLE,
            "summary": "Several <b>reports</b> describe threats against games.",
            "body": SECRET_BODY,
            "marking": "AMBER",
            "agency_ids": [staff.partner.id],
        }
        refused = client.post("/api/v1/bulletins", json={**body, "marking": "BLUE"}, headers=auth)
        assert refused.status_code == 422
        short = client.post("/api/v1/bulletins", json={**body, "title": "abc"}, headers=auth)
        assert short.status_code == 422 and "title" in short.text
        created = client.post("/api/v1/bulletins", json=body, headers=auth)
        assert created.status_code == 201, created.text
        bulletin_id = created.json()["id"]
        published = client.post(
            f"/api/v1/bulletins/{bulletin_id}/publish", json={"reason": ""}, headers=auth
        )
        assert published.status_code == 200 and published.json()["status"] == "published"
        again = client.post(
            f"/api/v1/bulletins/{bulletin_id}/publish", json={"reason": ""}, headers=auth
        )
        assert again.status_code == 409
        mails = _mails(tmp_path)
        assert {m["To"] for m in mails} == {staff.partner_analyst.email, staff.supervisor.email}
        assert all("rifle" not in m.get_payload(decode=True).decode() for m in mails)
        client.cookies.set(SESSION_COOKIE, raw)
        page = client.get(f"/bulletins/{bulletin_id}")
        assert page.status_code == 200
        assert "<script>alert(" not in page.text and "&lt;script&gt;" in page.text
        assert "<b>reports</b>" not in page.text
        listing = client.get("/bulletins")
        assert listing.status_code == 200 and "<script>alert(" not in listing.text


class _DownMailer:
    """A mail server that cannot be reached."""

    def send(self, *, to: str, subject: str, body: str) -> None:
        raise MailError("connection refused")


def test_e_mail_deferred_while_the_server_is_down_is_sent_by_the_scheduled_retry(
    db, staff, tmp_path
):
    analyst = staff.actor(staff.analyst)
    draft = bulletins.create_draft(db, actor=analyst, draft=_draft(agency_ids=[staff.partner.id]))
    bulletins.publish(db, actor=analyst, bulletin_id=draft.id, reason="Partners host the games")
    down = bulletins.send_pending_mail(
        db, bulletin_id=draft.id, mailer=_DownMailer(), base_url=BASE
    )
    assert (down.sent, down.deferred) == (0, 2)
    statuses = db.execute(
        select(BulletinDelivery.email_status).where(BulletinDelivery.bulletin_id == draft.id)
    ).scalars()
    assert set(statuses) == {"deferred"}
    # Still down at the first scheduled run: nothing lost, nothing sent.
    assert bulletins.retry_pending_mail(db, mailer=_DownMailer(), base_url=BASE).deferred == 2
    # The server is back: the next run sends each recipient one e-mail, and no more.
    back = bulletins.retry_pending_mail(db, mailer=_mailer(tmp_path), base_url=BASE)
    assert (back.sent, back.deferred) == (2, 0)
    assert {m["To"] for m in _mails(tmp_path)} == {
        staff.partner_analyst.email,
        staff.supervisor.email,
    }
    again = bulletins.retry_pending_mail(db, mailer=_mailer(tmp_path), base_url=BASE)
    assert (again.sent, again.deferred) == (0, 0) and len(_mails(tmp_path)) == 2

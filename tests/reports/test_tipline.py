"""The public tip line through the real HTTP stack: a tip stored with its person, files
and audit events before the receipt is shown; the follow-up code kept only hashed; the
anonymous two-way conversation; who may message and download; Spanish; the honeypot;
the rate limit; API idempotency; routing; inert text; no third-party requests."""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import make_agency, make_user
from vigil.platform import sessions
from vigil.platform.database import Base
from vigil.platform.models import Agency, AuditEvent, Notification, User
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import numbers, tipline
from vigil.reports.models import (
    IdempotencyKey,
    Report,
    ReportAttachment,
    ReportMessage,
    ReportShare,
    RoutingRule,
)
from vigil.reports.routing import Candidate, choose_rule, route_for, rule_value
from vigil.reports.tipline_text import (
    ENGLISH,
    SPANISH,
    Language,
    choose_language,
    from_accept_language,
)
from vigil.web.app import create_app
from vigil.web.deps import SESSION_COOKIE

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
CODE_SHOWN = re.compile(r'id="followup-code">([^<]+)<')
RECEIPT_SHOWN = re.compile(r'id="receipt-number">([^<]+)<')
XSS = "<script>alert('x')</script><img src=x onerror=alert(1)>\"'"
MB = 1024 * 1024


def png_bytes(padding: int = 0) -> bytes:
    """A real 1×1 PNG (correct CRCs), optionally with a private chunk to make it larger."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    extra = chunk(b"vgPd", b"\x00" * padding) if padding else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def pdf_bytes() -> bytes:
    """A minimal valid one-page PDF."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


# --- a running site -----------------------------------------------------------------


@dataclass
class Browser:
    client: TestClient
    csrf: str

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


@dataclass
class Line:
    app: FastAPI
    settings: Settings
    session_factory: sessionmaker[Session]
    operator: int
    police: int
    district: int
    other: int
    users: dict[str, int]
    clients: list[TestClient] = field(default_factory=list)

    def client(self, **headers: str) -> TestClient:
        client = TestClient(
            self.app, raise_server_exceptions=False, follow_redirects=False, headers=headers
        )
        self.clients.append(client)
        return client

    def browser(self, *, session: str | None = None, **headers: str) -> Browser:
        client = self.client(**headers)
        if session is not None:
            client.cookies.set(SESSION_COOKIE, session)
        page = client.get("/tip")
        found = CSRF_INPUT.search(page.text)
        assert found, page.text[:500]
        return Browser(client, found.group(1))

    def sign_in(self, name: str) -> Browser:
        with self.session_factory() as db:
            from vigil.platform.models import User

            user = db.get(User, self.users[name])
            assert user is not None
            raw, _ = sessions.start_session(db, user=user, mfa_verified=True)
            db.commit()
        return self.browser(session=raw)

    def db(self) -> Session:
        return self.session_factory()


@contextmanager
def open_line(
    settings: Settings, session_factory: sessionmaker[Session], **overrides: Any
) -> Iterator[Line]:
    settings = settings.model_copy(update={"tipline_submissions_per_hour": 100, **overrides})
    with session_factory() as db:
        operator = make_agency(db, kind=AgencyKind.FUSION_CENTER, is_operator=True)
        police = make_agency(db, kind=AgencyKind.LAW_ENFORCEMENT)
        district = make_agency(db, kind=AgencyKind.SCHOOL_OR_CAMPUS)
        other = make_agency(db, kind=AgencyKind.LAW_ENFORCEMENT)
        users = {
            "police": make_user(db, agency=police, roles={Role.ANALYST}).id,
            "district": make_user(db, agency=district, roles={Role.ANALYST}).id,
            "other": make_user(db, agency=other, roles={Role.ANALYST}).id,
            "operator": make_user(db, agency=operator, roles={Role.ANALYST}).id,
        }
        db.add_all(
            [
                RoutingRule(agency_id=police.id, match_kind="place", value="springfield"),
                RoutingRule(
                    agency_id=district.id, match_kind="school", value="lincoln high school"
                ),
            ]
        )
        db.commit()
        ids = operator.id, police.id, district.id, other.id
    line = Line(
        create_app(settings, session_factory=session_factory),
        settings,
        session_factory,
        *ids,
        users,
    )
    try:
        yield line
    finally:
        for client in line.clients:
            client.close()


@pytest.fixture()
def line(
    settings: Settings, session_factory: sessionmaker[Session], tmp_path: Any
) -> Iterator[Line]:
    with open_line(settings, session_factory, attachments_dir=tmp_path / "files") as found:
        yield found


def send_tip(
    browser: Browser,
    files: list[tuple[str, bytes]] | None = None,
    lang: str | None = None,
    **fields: str,
) -> httpx.Response:
    data = {"narrative": "He said he will shoot up the school tomorrow.", **fields}
    uploads = [
        ("attachments", (name, content, "application/octet-stream"))
        for name, content in (files or [])
    ]
    url = "/tip" + (f"?lang={lang}" if lang else "")
    return browser.post(url, data=data, files=uploads or None)


def shown(response: httpx.Response) -> tuple[str, str]:
    """The receipt number and follow-up code on a receipt page."""
    receipt, code = RECEIPT_SHOWN.search(response.text), CODE_SHOWN.search(response.text)
    assert response.status_code == 200 and receipt and code, response.text[:3000]
    return receipt.group(1), code.group(1)


def report_by_receipt(db: Session, receipt: str) -> Report:
    return db.execute(select(Report).where(Report.receipt_number == receipt)).scalar_one()


def count(db: Session, model: Any) -> int:
    return int(db.execute(select(func.count()).select_from(model)).scalar_one())


def audit_for(db: Session, response: httpx.Response) -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.request_id == response.headers["x-request-id"])
    return list(db.execute(statement.order_by(AuditEvent.seq)).scalars())


def all_stored_text(db: Session) -> str:
    """Every value of every row of every table, as text (to prove what is not there)."""
    parts = []
    for table in Base.metadata.sorted_tables:
        for row in db.execute(select(table)).all():
            parts.extend(str(value) for value in row)
    return "\n".join(parts)


# --- filing a tip ------------------------------------------------------------------


def test_a_tip_is_stored_with_its_person_files_and_audit_before_the_receipt(line: Line) -> None:
    png, pdf = png_bytes(), pdf_bytes()
    tipster = line.browser()
    response = send_tip(
        tipster,
        files=[("photo of the post.png", png), ("flyer.pdf", pdf)],
        location_text="Main Street, Springfield",
        person_given_name="Jordan",
        person_family_name="Reyes",
        person_aliases="JR, Jay",
        person_handles="@jr_2009",
        person_age="16",
        person_school="Central Middle",
        person_description="Black hoodie, red backpack",
        contact_name="A Neighbor",
        contact_phone="(555) 010-2000",
        contact_email="neighbor@example.org",
    )
    receipt, code = shown(response)
    assert tipline.valid_code(code) == code

    with line.db() as db:  # a new session: what was committed
        report = report_by_receipt(db, receipt)
        assert report.kind == "tip" and report.source == "public_tip_line"
        assert report.file_class == "tip_lead" and report.created_by_user_id is None
        assert report.owner_agency_id == report.routed_agency_id == line.police  # place rule
        assert report.tipster_contact == {
            "name": "A Neighbor",
            "phone": "(555) 010-2000",
            "email": "neighbor@example.org",
        }
        assert report.urgency_level == "imminent"  # a threat with "tomorrow"
        (person,) = report.mentions
        assert (person.role, person.given_name, person.family_name) == (
            "subject",
            "Jordan",
            "Reyes",
        )
        assert person.aliases == ["JR", "Jay"] and person.handles == ["@jr_2009"]
        assert (person.age_min, person.age_max) == (16, 16)
        assert person.school_or_employer == "Central Middle"
        stored = {(a.filename, a.media_type, a.size_bytes, a.sha256) for a in report.attachments}
        assert stored == {
            ("photo of the post.png", "image/png", len(png), hashlib.sha256(png).hexdigest()),
            ("flyer.pdf", "application/pdf", len(pdf), hashlib.sha256(pdf).hexdigest()),
        }
        store = tipline.store_for(line.settings)
        for attachment in report.attachments:
            assert store.path_for(attachment.sha256).read_bytes() in (png, pdf)
        events = audit_for(db, response)
        actions = [e.action for e in events]
        assert actions == ["report.create", "tip.receive"]
        assert all(e.object_id == str(report.id) and e.outcome == "success" for e in events)
        assert all(e.actor_type == "anonymous" and e.source_address is None for e in events)
        assert events[1].details["attachments"] == 2
        trail = str([(e.details, e.actor_name) for e in events])
        for secret in ("shoot up", "neighbor@example.org", "010-2000", "A Neighbor", code):
            assert secret not in trail


def test_no_receipt_is_shown_when_the_commit_fails(line: Line) -> None:
    tipster = line.browser()
    with line.db() as db:
        before = count(db, Report)

    def refuse(_session: Session) -> None:
        raise RuntimeError("disk full")

    event.listen(line.session_factory, "before_commit", refuse)
    try:
        response = send_tip(tipster, files=[("photo.png", png_bytes())])
    finally:
        event.remove(line.session_factory, "before_commit", refuse)
    assert response.status_code == 500
    assert not RECEIPT_SHOWN.search(response.text) and not CODE_SHOWN.search(response.text)
    assert "VIG-" not in response.text
    with line.db() as db:
        assert count(db, Report) == before
        assert count(db, ReportAttachment) == 0


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("holiday.png", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "Web pages"),
        ("notes.txt", b"<html><body onload=alert(1)>", "Web pages"),
        ("archive.pdf", b"PK\x03\x04" + b"\x00" * 100, "Archives"),
        ("empty.png", b"", "empty"),
    ],
)
def test_a_refused_file_refuses_the_whole_tip(
    line: Line, name: str, content: bytes, expected: str
) -> None:
    tipster = line.browser()
    response = send_tip(
        tipster, files=[("good.png", png_bytes()), (name, content)], person_given_name="Sam"
    )
    assert response.status_code == 422
    assert 'id="error-summary"' in response.text and 'href="#attachments"' in response.text
    assert 'id="attachments-error"' in response.text and expected in response.text
    assert name in response.text and "Nothing was saved" in response.text
    assert 'value="Sam"' in response.text  # the form keeps what was typed
    assert not CODE_SHOWN.search(response.text)
    with line.db() as db:
        assert count(db, Report) == 0 and count(db, ReportAttachment) == 0


def test_oversize_and_too_many_files_are_refused(
    settings: Settings, session_factory: sessionmaker[Session], tmp_path: Any
) -> None:
    with open_line(
        settings,
        session_factory,
        attachments_dir=tmp_path / "files",
        max_attachment_bytes=4096,
        max_attachments_per_report=2,
    ) as small:
        tipster = small.browser()
        response = send_tip(tipster, files=[("big.png", png_bytes(padding=5000))])
        assert response.status_code == 422 and "larger than the 4096 bytes limit" in response.text
        response = send_tip(tipster, files=[(f"p{i}.png", png_bytes()) for i in range(3)])
        assert response.status_code == 422 and "Attach at most 2 files." in response.text
        spanish = send_tip(tipster, files=[("big.png", png_bytes(padding=5000))], lang="es")
        assert spanish.status_code == 422 and "El archivo supera el límite" in spanish.text
        with small.db() as db:
            assert count(db, Report) == 0


def test_the_tip_form_takes_bodies_larger_than_the_general_limit(line: Line) -> None:
    """/tip gets max_upload_request_bytes; other routes keep max_request_bytes."""
    large = png_bytes(padding=int(1.5 * MB))
    assert len(large) > line.settings.max_request_bytes
    tipster = line.browser()
    receipt, _ = shown(send_tip(tipster, files=[("large.png", large)]))
    with line.db() as db:
        assert report_by_receipt(db, receipt).attachments[0].size_bytes == len(large)
    refused = tipster.post("/tip/follow-up", data={"code": "x", "reply": "a" * int(1.5 * MB)})
    assert refused.status_code == 413


def test_form_errors_are_summarised_and_inline_in_both_languages(line: Line) -> None:
    tipster = line.browser()
    response = tipster.post(
        "/tip",
        data={"narrative": "   ", "person_age": "sixteen", "contact_email": "not-an-address"},
    )
    assert response.status_code == 422
    page = response.text
    for field_id in ("narrative", "person_age", "contact_email"):
        assert f'<a href="#{field_id}">' in page
        assert f'id="{field_id}-error"' in page
        assert re.search(rf'id="{field_id}"[^>]*aria-invalid="true"', page, re.S), field_id
    assert "Describe what you saw, heard or read." in page
    assert "whole number from 0 to 120" in page and "name@example.com" in page
    spanish = tipster.post("/tip?lang=es", data={"narrative": "", "contact_email": "x"})
    assert spanish.status_code == 422 and '<html lang="es">' in spanish.text
    assert "Hay un problema" in spanish.text and "Describa lo que vio, oyó o leyó." in spanish.text
    assert "nombre@ejemplo.com" in spanish.text
    alone = tipster.post("/tip", data={"narrative": "A concern.", "person_age": "15"})
    assert alone.status_code == 422 and "leave the age empty too" in alone.text
    with line.db() as db:
        assert count(db, Report) == 0


# --- the follow-up code and the conversation ------------------------------------------


def test_the_follow_up_code_is_stored_only_as_a_keyed_hash(line: Line) -> None:
    receipt, code = shown(send_tip(line.browser()))
    with line.db() as db:
        report = report_by_receipt(db, receipt)
        secret = line.settings.secret_key.get_secret_value()
        assert report.followup_code_hash == numbers.hash_code(code, secret_key=secret)
        assert report.followup_code_hash != hashlib.sha256(code.encode()).hexdigest()
        everything = all_stored_text(db)
    for form in (code, code.replace("-", ""), code.lower()):
        assert form not in everything


def test_the_anonymous_conversation_works_end_to_end(line: Line) -> None:
    tipster = line.browser()
    receipt, code = shown(send_tip(tipster, location_text="Springfield"))
    with line.db() as db:
        report_id = report_by_receipt(db, receipt).id

    opened = tipster.post("/tip/follow-up", data={"code": code.lower().replace("-", " ")})
    assert opened.status_code == 200 and receipt in opened.text
    assert "There are no questions for you yet" in opened.text

    analyst = line.sign_in("police")
    page = analyst.get(f"/reports/{report_id}")
    assert page.status_code == 200 and "Ask the tipster a question" in page.text
    asked = analyst.post(
        f"/reports/{report_id}/messages", data={"message": "Which entrance did he name?"}
    )
    assert asked.status_code == 303 and asked.headers["location"].endswith("done=message")
    empty = analyst.post(f"/reports/{report_id}/messages", data={"message": "  "})
    assert empty.status_code == 422 and "Write a message." in empty.text

    read = tipster.post("/tip/follow-up", data={"code": code})
    assert "Which entrance did he name?" in read.text and "Analyst" in read.text
    assert 'name="code" value="' + code + '"' in read.text  # carried in the body only
    answered = tipster.post(
        "/tip/follow-up", data={"code": code, "reply": "The gym doors, by the parking lot."}
    )
    assert answered.status_code == 200 and "Your answer was sent." in answered.text
    again = tipster.post(
        "/tip/follow-up", data={"code": code, "reply": "The gym doors, by the parking lot."}
    )
    assert again.status_code == 200  # a reload does not add the answer twice
    blank = tipster.post("/tip/follow-up", data={"code": code, "reply": ""})
    assert blank.status_code == 422 and "Write your answer." in blank.text

    seen = analyst.get(f"/reports/{report_id}")
    assert "The gym doors, by the parking lot." in seen.text
    with line.db() as db:
        messages = db.execute(
            select(ReportMessage).where(ReportMessage.report_id == report_id)
        ).scalars()
        assert [(m.sender, m.user_id is not None) for m in messages] == [
            ("agency", True),
            ("tipster", False),
        ]
        # The analyst who asked is told, once, by receipt number only.
        told = (
            db.execute(select(Notification).where(Notification.kind == "tipster_reply"))
            .scalars()
            .all()
        )
        assert [n.subject for n in told] == [f"The tipster answered on report {receipt}"]
        assert told[0].link == f"/reports/{report_id}#conversation"
        actions = [e.action for e in db.execute(select(AuditEvent)).scalars()]
        assert "report.message_tipster" in actions and "tip.reply" in actions
        assert actions.count("tip.followup_open") >= 4
        trail = str([e.details for e in db.execute(select(AuditEvent)).scalars()])
        assert "entrance" not in trail and "gym doors" not in trail and code not in trail


def test_an_answer_is_told_only_to_people_who_may_still_read_the_report(line: Line) -> None:
    """The notification names the report: an asker whose account was disabled since is
    not told; the routed agency's supervisors who may read it are told instead."""
    tipster = line.browser()
    receipt, code = shown(send_tip(tipster, location_text="Springfield"))
    with line.db() as db:
        report_id = report_by_receipt(db, receipt).id
        police = db.get(Agency, line.police)
        assert police is not None
        supervisor = make_user(db, agency=police, roles={Role.SUPERVISOR}).id
        db.commit()
    analyst = line.sign_in("police")
    asked = analyst.post(f"/reports/{report_id}/messages", data={"message": "Which door?"})
    assert asked.status_code == 303
    with line.db() as db:
        asker = db.get(User, line.users["police"])
        assert asker is not None
        asker.disabled_at = utcnow()
        db.commit()
    answered = tipster.post("/tip/follow-up", data={"code": code, "reply": "The gym doors."})
    assert answered.status_code == 200
    with line.db() as db:
        told = db.execute(
            select(Notification.user_id).where(Notification.kind == "tipster_reply")
        ).scalars()
        assert list(told) == [supervisor]


def test_a_wrong_code_gets_a_generic_answer_and_is_audited(line: Line) -> None:
    tipster = line.browser()
    shown(send_tip(tipster))
    for attempt in ("ABCDE-FGHJK-MNPQR-STVWX", "nonsense", ""):
        response = tipster.post("/tip/follow-up", data={"code": attempt})
        assert response.status_code == 422
        assert "We could not find a tip with that code." in response.text
        assert 'id="code-error"' in response.text
        with line.db() as db:
            (recorded,) = audit_for(db, response)
            assert (recorded.action, recorded.outcome) == ("tip.followup_open", "failure")
            assert recorded.object_id is None and recorded.details == {}


def test_a_purged_tip_says_it_is_no_longer_held(line: Line) -> None:
    tipster = line.browser()
    receipt, code = shown(send_tip(tipster, location_text="Springfield"))
    with line.db() as db:
        report = report_by_receipt(db, receipt)
        report.purged_at = utcnow()
        db.commit()
        report_id = report.id
    response = tipster.post("/tip/follow-up", data={"code": code})
    assert response.status_code == 200 and "no longer held" in response.text
    assert 'name="reply"' not in response.text
    tipster.post("/tip/follow-up", data={"code": code, "reply": "still there?"})
    refused = line.sign_in("police").post(
        f"/reports/{report_id}/messages", data={"message": "Are you there?"}
    )
    assert refused.status_code == 422
    with line.db() as db:
        assert count(db, ReportMessage) == 0


def test_a_tip_deleted_by_retention_gets_the_generic_answer_that_says_so(line: Line) -> None:
    tipster = line.browser()
    receipt, code = shown(send_tip(tipster))
    with line.db() as db:
        db.delete(report_by_receipt(db, receipt))  # what the retention purge does
        db.commit()
    response = tipster.post("/tip/follow-up", data={"code": code})
    assert response.status_code == 422
    assert "We could not find a tip with that code." in response.text
    assert "an older tip may no longer be held" in response.text
    spanish = tipster.post("/tip/follow-up?lang=es", data={"code": code})
    assert "puede ya no conservarse" in spanish.text


# --- who may message and download -------------------------------------------------------


def test_only_the_responsible_agency_messages_and_only_readers_download(line: Line) -> None:
    png = png_bytes()
    receipt, _ = shown(
        send_tip(line.browser(), files=[("evil.html.png", png)], location_text="Springfield")
    )
    with line.db() as db:
        report = report_by_receipt(db, receipt)
        report_id, attachment_id = report.id, report.attachments[0].id
        db.add(ReportShare(report_id=report_id, agency_id=line.district))  # need-to-know share
        db.commit()
    url = f"/reports/{report_id}/attachments/{attachment_id}"

    stranger = line.sign_in("other")
    assert stranger.post(f"/reports/{report_id}/messages", data={"message": "Hi"}).status_code in (
        403,
        404,
    )
    assert stranger.get(url).status_code == 404
    shared = line.sign_in("district")  # may read the shared report, is not responsible
    assert shared.post(f"/reports/{report_id}/messages", data={"message": "Hi"}).status_code == 403
    assert shared.get(url).status_code == 200
    with line.db() as db:
        assert count(db, ReportMessage) == 0
        denied = db.execute(select(AuditEvent).where(AuditEvent.outcome == "denied")).scalars()
        assert {e.action for e in denied} >= {"report.message_tipster"}

    download = line.sign_in("police").get(url)
    assert download.status_code == 200 and download.content == png
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-type"] == "image/png"
    with line.db() as db:
        (read,) = audit_for(db, download)
        assert read.action == "report.read_attachment" and read.object_id == str(report_id)
        assert read.details["attachment_id"] == attachment_id
    wrong = line.sign_in("police").get(f"/reports/{report_id}/attachments/{attachment_id + 999}")
    assert wrong.status_code == 404


# --- languages, honeypot, rate limit, pages -------------------------------------------------


def test_the_page_speaks_spanish(line: Line) -> None:
    page = line.client().get("/tip?lang=es")
    assert page.status_code == 200 and '<html lang="es">' in page.text
    assert "¿Qué vio, oyó o leyó?" in page.text and "Enviar denuncia" in page.text
    assert 'hreflang="en" lang="en">English</a>' in page.text
    preferred = line.client(**{"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}).get("/tip")
    assert '<html lang="es">' in preferred.text
    english = line.client(**{"Accept-Language": "es-MX,es;q=0.9"}).get("/tip?lang=en")
    assert '<html lang="en">' in english.text and 'hreflang="es" lang="es">Español' in english.text
    receipt = send_tip(line.browser(), lang="es")
    assert "Gracias. Recibimos su denuncia." in receipt.text and shown(receipt)
    follow = line.client().get("/tip/follow-up?lang=es")
    assert "Código de seguimiento" in follow.text


def test_both_languages_have_the_same_strings_and_placeholders() -> None:
    assert ENGLISH.keys() == SPANISH.keys()
    for key in ENGLISH:
        assert set(re.findall(r"{\w+}", ENGLISH[key])) == set(re.findall(r"{\w+}", SPANISH[key])), (
            key
        )


@pytest.mark.parametrize(
    ("header", "requested", "expected"),
    [
        (None, None, Language.EN),
        ("es", None, Language.ES),
        ("fr-FR, es;q=0.8, en;q=0.7", None, Language.ES),
        ("en-US,en;q=0.9,es;q=0.8", None, Language.EN),
        ("es;q=0, en;q=0.1", None, Language.EN),
        ("es;q=0.5, en;q=0.5", None, Language.ES),
        ("es", "en", Language.EN),
        (None, "ES", Language.ES),
        ("es", "de", Language.ES),
        ("garbage;;;q=x", None, Language.EN),
    ],
)
def test_language_choice(header: str | None, requested: str | None, expected: Language) -> None:
    assert choose_language(requested, header) is expected
    if requested is None:
        assert from_accept_language(header) is expected


def test_a_filled_honeypot_gets_a_normal_answer_and_stores_nothing(line: Line) -> None:
    tipster = line.browser()
    with line.db() as db:
        audit_before = count(db, AuditEvent)
    response = send_tip(tipster, files=[("photo.png", png_bytes())], tip_ref="http://spam.example")
    receipt, code = shown(response)
    assert receipt.startswith("VIG-") and tipline.valid_code(code)
    with line.db() as db:
        assert count(db, Report) == 0 and count(db, ReportAttachment) == 0
        assert count(db, AuditEvent) == audit_before
    assert not list((line.settings.resolved_attachments_dir).glob("??/??/*"))


def test_the_rate_limit_answers_429_in_both_languages(
    settings: Settings, session_factory: sessionmaker[Session], tmp_path: Any
) -> None:
    with open_line(
        settings, session_factory, attachments_dir=tmp_path / "f", tipline_submissions_per_hour=3
    ) as limited:
        tipster = limited.browser()
        shown(send_tip(tipster))
        assert tipster.post("/tip/follow-up", data={"code": "wrong"}).status_code == 422
        assert tipster.post("/tip", data={"narrative": ""}).status_code == 422
        blocked = send_tip(tipster)
        assert blocked.status_code == 429
        assert 0 < int(blocked.headers["retry-after"]) <= 3600
        assert "Too many attempts" in blocked.text and "Demasiados intentos" in blocked.text
        assert 'lang="es"' in blocked.text
        assert tipster.post("/tip/follow-up", data={"code": "x"}).status_code == 429
        api = limited.client().post("/api/v1/tips", json={"narrative": "A concern."})
        assert api.status_code == 429 and api.headers["content-type"] == "application/problem+json"
        assert int(api.headers["retry-after"]) > 0
        assert tipster.get("/tip").status_code == 200  # reading the form is never limited
        with limited.db() as db:
            assert count(db, Report) == 1


def test_the_pages_make_no_third_party_requests_and_need_no_inline_code(line: Line) -> None:
    tipster = line.browser()
    receipt_page = send_tip(tipster)
    _, code = shown(receipt_page)
    pages = [
        line.client().get("/tip"),
        line.client().get("/tip?lang=es"),
        line.client().get("/tip/follow-up"),
        tipster.post("/tip", data={"narrative": ""}),
        receipt_page,
        tipster.post("/tip/follow-up", data={"code": code}),
        tipster.post("/tip/follow-up", data={"code": "wrong"}),
    ]
    for response in pages:
        html = response.text
        where = f"{response.request.method} {response.request.url}"
        assert not re.search(r"https?:|//[a-z]", html, re.I), where
        for value in re.findall(r'(?:src|href|action)="([^"]*)"', html):
            assert value.startswith(("/", "?", "#")) and not value.startswith("//"), value
        assert not re.search(r"\sstyle=", html), where
        assert "<style" not in html, where
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert 'src="/static/' in tag, tag
        assert not re.search(r"\son[a-z]+=", html), where
        csp = response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in csp and "default-src 'self'" in csp


class FormAudit(HTMLParser):
    """Collects what an accessibility review of a form looks at."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.labelled: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.described: list[str] = []
        self.hidden_depth = 0
        self.stack: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "label" and found.get("for"):
            self.labelled.add(str(found["for"]))
        if found.get("aria-describedby"):
            self.described.extend(str(found["aria-describedby"]).split())
        if tag in ("input", "textarea", "select") and found.get("type") != "hidden":
            self.controls.append({**found, "_in_hidden": "yes" if self.hidden_depth else None})
        if tag not in ("input", "br", "meta", "link", "img"):
            hidden = found.get("aria-hidden") == "true"
            self.stack.append(hidden)
            self.hidden_depth += hidden

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("input", "br", "meta", "link", "img") and self.stack:
            self.hidden_depth -= self.stack.pop()


def test_every_field_is_labelled_and_the_honeypot_is_hidden_from_people(line: Line) -> None:
    for response in (
        line.client().get("/tip"),
        line.client().get("/tip?lang=es"),
        line.browser().post("/tip", data={"narrative": "", "contact_email": "x"}),
        line.client().get("/tip/follow-up"),
    ):
        audit = FormAudit()
        audit.feed(response.text)
        assert audit.controls
        for control in audit.controls:
            assert control.get("id") in audit.labelled, control
        assert set(audit.described) <= audit.ids
        traps = [c for c in audit.controls if c.get("name") == "tip_ref"]
        if response.request.url.path == "/tip":
            (trap,) = traps
            assert trap["tabindex"] == "-1" and trap["_in_hidden"] == "yes"
            assert trap["autocomplete"] == "off"
    assert ".vigil-tip-trap" in line.client().get("/static/vigil.css").text


# --- the JSON API ---------------------------------------------------------------------------


def test_the_api_is_idempotent_and_says_why_a_retry_has_no_code(line: Line) -> None:
    api = line.client()
    body = {
        "narrative": "Posted a photo of a rifle captioned 'Lincoln tomorrow'.",
        "school": "Lincoln High School",
        "person": {"handles": ["@dark_rider"]},
        "contact": {"email": "worried@example.org"},
    }
    key = {"Idempotency-Key": "2f1c8a9e-5d0b-4c1e-9f7a-0c9b8e7d6a51"}
    first = api.post("/api/v1/tips", json=body, headers=key)
    assert first.status_code == 201, first.text
    receipt, code = first.json()["receipt_number"], first.json()["followup_code"]
    assert tipline.valid_code(code) and first.json()["duplicate"] is False
    retry = api.post("/api/v1/tips", json=body, headers=key)
    assert retry.status_code == 200
    assert retry.json()["receipt_number"] == receipt and retry.json()["duplicate"] is True
    assert retry.json()["followup_code"] is None
    assert "cannot be shown again" in retry.json()["detail"]
    changed = api.post("/api/v1/tips", json={**body, "narrative": "Something else."}, headers=key)
    assert changed.status_code == 409
    assert changed.headers["content-type"] == "application/problem+json"
    with line.db() as db:
        assert count(db, Report) == 1 and count(db, IdempotencyKey) == 1
        report = report_by_receipt(db, receipt)
        assert report.routed_agency_id == line.district  # the school rule
        assert report.target_types == ["school"] and report.target_name == "Lincoln High School"
        assert report.tipster_contact == {"email": "worried@example.org"}
    unkeyed = [api.post("/api/v1/tips", json=body) for _ in range(2)]
    assert [r.status_code for r in unkeyed] == [201, 201]
    assert unkeyed[0].json()["receipt_number"] != unkeyed[1].json()["receipt_number"]
    opened = line.browser().post("/tip/follow-up", data={"code": code})
    assert opened.status_code == 200 and receipt in opened.text
    invalid = api.post("/api/v1/tips", json={"narrative": "x", "extra": 1})
    assert invalid.status_code == 422
    nul = api.post("/api/v1/tips", json={"narrative": "a\u0000b"})
    assert nul.status_code == 422


def test_the_api_is_documented(line: Line) -> None:
    document = line.client().get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/tips"]["post"]
    assert {"201", "200", "409", "422", "429"} <= set(operation["responses"])
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["Idempotency-Key"]["in"] == "header"
    assert "/tip" not in document["paths"] and "/tip/follow-up" not in document["paths"]


def test_the_web_form_resent_is_one_tip_with_a_fresh_code(line: Line) -> None:
    tipster = line.browser()
    form = tipster.get("/tip").text
    submission = re.search(r'name="submission_id" value="([^"]+)"', form)
    assert submission
    fields = {"narrative": "Same tip, sent twice.", "submission_id": submission.group(1)}
    first_receipt, first_code = shown(tipster.post("/tip", data=fields))
    resent = tipster.post("/tip", data=fields)
    receipt, code = shown(resent)
    assert receipt == first_receipt and code != first_code
    assert "A new follow-up code was made" in resent.text
    assert tipster.post("/tip/follow-up", data={"code": first_code}).status_code == 422
    assert tipster.post("/tip/follow-up", data={"code": code}).status_code == 200
    edited = tipster.post("/tip", data={**fields, "narrative": "Edited after going back."})
    other_receipt, _ = shown(edited)  # changed and resent: a new tip, never refused
    assert other_receipt != receipt
    with line.db() as db:
        assert count(db, Report) == 2


# --- routing -----------------------------------------------------------------------------


def test_choose_rule_prefers_schools_then_the_most_specific_place() -> None:
    rules = [
        Candidate(1, 10, "place", "springfield"),
        Candidate(2, 20, "place", "east springfield"),
        Candidate(3, 30, "school", "lincoln high school"),
        Candidate(4, 40, "place", "field"),
    ]
    assert choose_rule(rules, place="12 Main St, Springfield, IL", school=None).agency_id == 10
    assert choose_rule(rules, place="East Springfield mall", school=None).agency_id == 20
    assert (
        choose_rule(rules, place="Springfield", school="LINCOLN  High School (north)").agency_id
        == 30
    )
    assert choose_rule(rules, place="Fieldston", school=None) is None  # whole words only
    assert choose_rule(rules, place=None, school="Lincoln Elementary") is None
    assert choose_rule([], place="Springfield", school=None) is None
    assert rule_value("  Lincoln   HIGH School ") == "lincoln high school"


def test_route_for_uses_rules_of_active_agencies_and_falls_back_to_the_operator(
    db: Session,
) -> None:
    operator = make_agency(db, kind=AgencyKind.FUSION_CENTER, is_operator=True)
    police = make_agency(db)
    district = make_agency(db, kind=AgencyKind.SCHOOL_OR_CAMPUS)
    closed = make_agency(db)
    closed.active = False
    db.add_all(
        [
            RoutingRule(agency_id=police.id, match_kind="place", value="shelbyville"),
            RoutingRule(agency_id=district.id, match_kind="school", value="lincoln high school"),
            RoutingRule(agency_id=closed.id, match_kind="place", value="ogdenville"),
        ]
    )
    db.flush()
    assert route_for(db, place="Shelbyville, north side", school=None) == police.id
    assert route_for(db, place="Shelbyville", school="Lincoln High School") == district.id
    assert route_for(db, place="Ogdenville", school=None) == operator.id  # inactive agency
    assert route_for(db, place="Capital City", school=None) == operator.id
    assert route_for(db, place=None, school=None) == operator.id


def test_a_tip_about_a_school_goes_to_its_agency(line: Line) -> None:
    by_school, _ = shown(send_tip(line.browser(), school="Lincoln High School"))
    by_person, _ = shown(
        send_tip(line.browser(), person_given_name="Al", person_school="lincoln high school")
    )
    nowhere, _ = shown(send_tip(line.browser(), location_text="Capital City"))
    with line.db() as db:
        assert report_by_receipt(db, by_school).routed_agency_id == line.district
        assert report_by_receipt(db, by_person).routed_agency_id == line.district
        fallback = report_by_receipt(db, nowhere)
        assert fallback.routed_agency_id == fallback.owner_agency_id == line.operator


# --- inert text -------------------------------------------------------------------------------


def test_markup_in_every_field_is_rendered_inert(line: Line) -> None:
    escaped = "&lt;script&gt;alert("
    tipster = line.browser()
    fields = {
        name: XSS
        for name in (
            "narrative",
            "location_text",
            "school",
            "person_given_name",
            "person_family_name",
            "person_aliases",
            "person_handles",
            "person_school",
            "person_description",
            "contact_name",
        )
    }
    refill = tipster.post("/tip", data={**fields, "contact_email": "bad"})
    assert refill.status_code == 422 and XSS not in refill.text and escaped in refill.text
    receipt, code = shown(
        send_tip(
            tipster,
            files=[(XSS + ".png", png_bytes())],
            **{**fields, "location_text": "Springfield " + XSS},
        )
    )
    assert XSS not in send_tip(tipster, **fields).text
    with line.db() as db:
        report = report_by_receipt(db, receipt)
        assert report.narrative == XSS  # stored as written
        report_id = report.id
    analyst = line.sign_in("police")
    analyst.post(f"/reports/{report_id}/messages", data={"message": XSS})
    conversation = tipster.post("/tip/follow-up", data={"code": code})
    assert XSS not in conversation.text and escaped in conversation.text
    tipster.post("/tip/follow-up", data={"code": code, "reply": XSS})
    page = analyst.get(f"/reports/{report_id}")
    assert page.status_code == 200
    assert XSS not in page.text and escaped in page.text
    assert "<img src=x" not in page.text

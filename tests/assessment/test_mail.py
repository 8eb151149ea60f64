"""The mail backends: SMTP against a real local server (aiosmtpd), with STARTTLS and a
login, refusals told apart from outages; the file backend's parseable .eml files; the
console backend's log line without the body; the settings that choose them."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.assessment.reminder_factories import read_outbox
from tests.conftest import make_settings
from tests.servers import free_port
from vigil.platform.mail import (
    ConsoleMailer,
    FileMailer,
    MailError,
    MailRefused,
    SmtpMailer,
    compose,
    mailer_from_settings,
)
from vigil.platform.settings import ConfigurationError, check_settings

SENDER = "Vigil <vigil@agency.example>"
BODY = "Case TA-2030-000001 has an overdue intervention.\nhttps://vigil.example/cases/1\n"


@dataclass
class Inbox:
    """What the local SMTP server accepted: envelopes and the logins it saw."""

    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such mailbox"
        if address.startswith("later@"):
            return "450 4.2.0 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=email_policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        if (auth_data.login, auth_data.password) == (b"vigil", b"mail-password"):
            self.logins.append(auth_data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@pytest.fixture()
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture()
def tls_smtp_server(tmp_path: Path) -> Iterator[tuple[Inbox, int, Path]]:
    """A server that requires STARTTLS before anything, and a login over TLS."""
    cert_file, key_file = self_signed(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context,
        require_starttls=True,
        authenticator=inbox.authenticate,
        auth_require_tls=True,
        auth_required=True,
    )
    controller.start()
    try:
        yield inbox, port, cert_file
    finally:
        controller.stop()


# --- SMTP -----------------------------------------------------------------------------


def test_smtp_hands_the_message_to_a_real_server(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    mailer = SmtpMailer(SENDER, host="127.0.0.1", port=port, starttls=False, timeout_seconds=5)

    mailer.send(to="lead@agency.example", subject="Review due for case TA-1", body=BODY)

    ((envelope_from, envelope_to, message),) = inbox.received
    assert (envelope_from, envelope_to) == ("vigil@agency.example", ["lead@agency.example"])
    assert message["Subject"] == "Review due for case TA-1"
    assert message["From"] == SENDER and message["To"] == "lead@agency.example"
    assert message["Date"] and message["Message-ID"].endswith("@agency.example>")
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().replace("\r\n", "\n") == BODY


def test_smtp_with_starttls_and_a_login(tls_smtp_server: tuple[Inbox, int, Path]) -> None:
    inbox, port, cert_file = tls_smtp_server
    trusting = ssl.create_default_context(cafile=str(cert_file))
    mailer = SmtpMailer(
        SENDER,
        host="127.0.0.1",
        port=port,
        starttls=True,
        username="vigil",
        password="mail-password",
        timeout_seconds=5,
        ssl_context=trusting,
    )

    mailer.send(to="lead@agency.example", subject="Overdue", body=BODY)

    assert inbox.logins == ["vigil"]
    assert [to for _, to, _ in inbox.received] == [["lead@agency.example"]]


def test_smtp_refuses_to_go_on_when_the_certificate_is_not_trusted(
    tls_smtp_server: tuple[Inbox, int, Path],
) -> None:
    inbox, port, _ = tls_smtp_server
    mailer = SmtpMailer(
        SENDER,
        host="127.0.0.1",
        port=port,
        username="vigil",
        password="mail-password",
        timeout_seconds=5,
    )
    with pytest.raises(MailError) as failure:
        mailer.send(to="lead@agency.example", subject="Overdue", body=BODY)
    assert not isinstance(failure.value, MailRefused)
    assert inbox.logins == [] and inbox.received == []


def test_a_wrong_login_is_an_outage_not_a_refusal(
    tls_smtp_server: tuple[Inbox, int, Path],
) -> None:
    inbox, port, cert_file = tls_smtp_server
    mailer = SmtpMailer(
        SENDER,
        host="127.0.0.1",
        port=port,
        username="vigil",
        password="wrong",
        timeout_seconds=5,
        ssl_context=ssl.create_default_context(cafile=str(cert_file)),
    )
    with pytest.raises(MailError) as failure:
        mailer.send(to="lead@agency.example", subject="Overdue", body=BODY)
    assert type(failure.value) is MailError and "wrong" not in str(failure.value)
    assert inbox.logins == [] and inbox.received == []


def test_a_mailbox_refused_for_good_is_told_apart_from_a_deferral(
    smtp_server: tuple[Inbox, int],
) -> None:
    inbox, port = smtp_server
    mailer = SmtpMailer(SENDER, host="127.0.0.1", port=port, starttls=False, timeout_seconds=5)
    with pytest.raises(MailRefused) as refused:
        mailer.send(to="nobody@agency.example", subject="Overdue", body=BODY)
    assert "nobody" not in str(refused.value)
    with pytest.raises(MailError) as deferred:
        mailer.send(to="later@agency.example", subject="Overdue", body=BODY)
    assert not isinstance(deferred.value, MailRefused)
    assert inbox.received == []


def test_an_unreachable_server_is_a_mail_error_naming_no_address() -> None:
    mailer = SmtpMailer(
        SENDER, host="127.0.0.1", port=free_port(), starttls=False, timeout_seconds=2
    )
    with pytest.raises(MailError) as failure:
        mailer.send(to="lead@agency.example", subject="Overdue", body=BODY)
    assert "lead@" not in str(failure.value) and "ConnectionRefusedError" in str(failure.value)


# --- composing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        ("lead@agency.example\nBcc: spy@elsewhere.example", "Overdue"),
        ("lead@agency.example", "Overdue\r\nBcc: spy@elsewhere.example"),
        ("not an address", "Overdue"),
        ("", "Overdue"),
    ],
)
def test_a_header_cannot_be_smuggled_in_and_bad_addresses_are_refused(
    to: str, subject: str
) -> None:
    with pytest.raises(MailRefused):
        compose(sender=SENDER, to=to, subject=subject, body=BODY)


# --- file and console --------------------------------------------------------------------


def test_the_file_backend_writes_one_parseable_eml_per_message(tmp_path: Path) -> None:
    outbox = tmp_path / "mail" / "out"
    mailer = FileMailer(SENDER, outbox)

    mailer.send(to="lead@agency.example", subject="Review due for case TA-1", body=BODY)
    mailer.send(to="owner@agency.example", subject="Overdue intervention", body="Ünïcode ✓\n")

    messages = read_outbox(outbox)
    assert sorted(str(m["To"]) for m in messages) == [
        "lead@agency.example",
        "owner@agency.example",
    ]
    bodies = {str(m["To"]): m.get_body(preferencelist=("plain",)) for m in messages}
    assert bodies["lead@agency.example"].get_content() == BODY  # type: ignore[union-attr]
    assert bodies["owner@agency.example"].get_content() == "Ünïcode ✓\n"  # type: ignore[union-attr]
    # Nothing half-written is left behind, and only Vigil's account may read the files.
    assert sorted(p.suffix for p in outbox.iterdir()) == [".eml", ".eml"]
    assert {p.stat().st_mode & 0o777 for p in outbox.iterdir()} == {0o600}


def test_the_file_backend_reports_an_unwritable_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(MailError):
        FileMailer(SENDER, blocker).send(to="lead@agency.example", subject="S", body=BODY)


def test_the_console_backend_logs_recipient_and_subject_but_never_the_body(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="vigil.mail"):
        ConsoleMailer(SENDER).send(
            to="lead@agency.example", subject="Review due for case TA-1", body=BODY
        )
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "lead@agency.example" in logged and "Review due for case TA-1" in logged
    assert "cases/1" not in logged and "overdue intervention" not in logged


# --- settings ----------------------------------------------------------------------------


def test_settings_choose_the_backend(tmp_path: Path) -> None:
    assert isinstance(mailer_from_settings(make_settings(tmp_path)), ConsoleMailer)
    filed = mailer_from_settings(make_settings(tmp_path, mail_backend="file"))
    assert isinstance(filed, FileMailer) and filed.directory == tmp_path / "mail"
    smtp = mailer_from_settings(
        make_settings(
            tmp_path,
            mail_backend="smtp",
            mail_from="vigil@agency.example",
            smtp_host="mail.agency.example",
            smtp_port=2525,
            smtp_username="vigil",
            smtp_password="mail-password",
            smtp_timeout_seconds=3,
        )
    )
    assert isinstance(smtp, SmtpMailer)
    assert (smtp.host, smtp.port, smtp.starttls, smtp.password, smtp.timeout_seconds) == (
        "mail.agency.example",
        2525,
        True,
        "mail-password",
        3,
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"mail_backend": "smtp"},
        {"smtp_username": "vigil"},
        {"smtp_password": "mail-password"},
        {"smtp_username": "vigil", "smtp_password": "mail-password", "smtp_starttls": False},
    ],
)
def test_unsafe_or_incomplete_mail_settings_are_refused(
    tmp_path: Path, overrides: dict[str, object]
) -> None:
    settings = make_settings(tmp_path, smtp_host=None, **overrides)
    with pytest.raises(ConfigurationError, match="VIGIL_SMTP"):
        check_settings(settings)


def test_the_password_is_kept_secret_and_the_sender_must_be_an_address(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, smtp_password="mail-password")
    assert "mail-password" not in repr(settings)
    with pytest.raises(ValueError, match="e-mail address"):
        make_settings(tmp_path, mail_from="vigil")

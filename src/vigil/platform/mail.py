"""Sending e-mail: the Mailer interface and its console, file and SMTP backends.

E-mail leaves Vigil's audited system, so callers put nothing in a message that the
recipient could not see in Vigil's own notifications (a case number, a date, a
link), and these backends keep bodies out of logs. A backend that cannot hand a
message over raises MailError, whose message names the failure's type only: SMTP
errors quote addresses and server replies.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import tempfile
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from vigil.platform.settings import Settings

log = logging.getLogger("vigil.mail")


class MailError(RuntimeError):
    """A message could not be handed over (the server is unreachable, refused the login,
    the directory is not writable); nothing was sent, so it may be tried again later."""


class MailRefused(MailError):
    """This one message was refused for good (a bad recipient address); trying again
    will not help, and other messages may still go."""


class Mailer(Protocol):
    """Sends one plain-text message to one address."""

    def send(self, *, to: str, subject: str, body: str) -> None: ...


def _single_line(value: str, what: str) -> str:
    # A line break in a header would let a value add headers of its own.
    if "\r" in value or "\n" in value:
        raise MailRefused(f"the {what} holds a line break")
    return value.strip()


def compose(*, sender: str, to: str, subject: str, body: str) -> EmailMessage:
    """The message as sent: From, To, Subject, Date, Message-ID and a UTF-8 text body."""
    recipient = _single_line(to, "recipient address")
    if recipient.count("@") != 1 or " " in recipient or recipient.startswith("@"):
        raise MailRefused("the recipient address is not an e-mail address")
    message = EmailMessage()
    message["From"] = _single_line(sender, "sender address")
    message["To"] = recipient
    message["Subject"] = _single_line(subject, "subject")
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(" >") or None)
    message.set_content(body)
    return message


class ConsoleMailer:
    """Logs that a message went, to whom and its subject; the body is never logged."""

    def __init__(self, sender: str) -> None:
        self.sender = sender

    def send(self, *, to: str, subject: str, body: str) -> None:
        message = compose(sender=self.sender, to=to, subject=subject, body=body)
        log.info("mail (console backend, not delivered) to %s: %s", message["To"], subject)


class FileMailer:
    """Writes each message as an .eml file; a file appears whole or not at all."""

    def __init__(self, sender: str, directory: Path) -> None:
        self.sender = sender
        self.directory = directory

    def send(self, *, to: str, subject: str, body: str) -> None:
        message = compose(sender=self.sender, to=to, subject=subject, body=body)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        final = self.directory / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Written under a temporary name and renamed: a reader polling the directory
            # never sees half a message. mkstemp creates the file readable by us only.
            descriptor, temporary = tempfile.mkstemp(
                dir=self.directory, prefix=".incoming-", suffix=".tmp"
            )
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(message.as_bytes())
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, final)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise MailError(f"could not write the message: {type(error).__name__}") from None
        log.info("mail written to %s for %s: %s", final.name, message["To"], subject)


class SmtpMailer:
    """Hands each message to an SMTP server: STARTTLS and a login when configured."""

    def __init__(
        self,
        sender: str,
        *,
        host: str,
        port: int = 587,
        starttls: bool = True,
        username: str | None = None,
        password: str | None = None,
        timeout_seconds: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.sender = sender
        self.host = host
        self.port = port
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout_seconds = timeout_seconds
        self.ssl_context = ssl_context

    def send(self, *, to: str, subject: str, body: str) -> None:
        message = compose(sender=self.sender, to=to, subject=subject, body=body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds) as smtp:
                if self.starttls:
                    smtp.starttls(context=self.ssl_context or ssl.create_default_context())
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            # 5xx is final (no such mailbox); 4xx (greylisting, a full queue) may pass later.
            if all(code >= 500 for code, _ in error.recipients.values()):
                raise MailRefused("the SMTP server refused the recipient for good") from None
            raise MailError("the SMTP server deferred the recipient") from None
        except (smtplib.SMTPException, OSError) as error:
            # The exception's text can quote the recipient or the server's reply.
            raise MailError(f"SMTP delivery failed: {type(error).__name__}") from None
        log.info("mail handed to %s:%d for %s: %s", self.host, self.port, message["To"], subject)


def mailer_from_settings(settings: Settings) -> Mailer:
    """The backend ``mail_backend`` names, configured from the settings."""
    if settings.mail_backend == "file":
        return FileMailer(settings.mail_from, settings.resolved_mail_file_dir)
    if settings.mail_backend == "smtp":
        if not settings.smtp_host:
            raise MailError("the smtp mail backend needs VIGIL_SMTP_HOST")
        return SmtpMailer(
            settings.mail_from,
            host=settings.smtp_host,
            port=settings.smtp_port,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=(
                settings.smtp_password.get_secret_value() if settings.smtp_password else None
            ),
            timeout_seconds=settings.smtp_timeout_seconds,
        )
    return ConsoleMailer(settings.mail_from)

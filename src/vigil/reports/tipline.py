"""The public anonymous tip line: taking a tip with its files, and the two-way anonymous
conversation between the tipster (who holds a follow-up code) and the agency.

Anonymity is kept in code: the tipster's actor carries no address (audit events of
the tip line never record where a tipster connected from), the follow-up code is
stored only as a keyed hash, and no audit payload holds the narrative, a message,
contact details or the code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Notification
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import numbers, routing
from vigil.reports.attachments import (
    AttachmentRejected,
    AttachmentStore,
    LocalAttachmentStore,
    ReceivedAttachment,
    UploadSource,
    receive_attachment,
)
from vigil.reports.models import Report, ReportAttachment, ReportEvent, ReportMessage
from vigil.reports.notifications import active_supervisor_ids, readers_among
from vigil.reports.schemas import MAX_NARRATIVE, MentionIn, ReportCreate
from vigil.reports.service import DuplicateSubmission, Filing, file_report, get_report
from vigil.reports.service import find_idempotent as _find_idempotent
from vigil.reports.service import managed_report as _managed_report
from vigil.reports.vocabulary import MentionRole, ReportKind, Source, TargetType

WEB_SCOPE = "tipline:web"
API_SCOPE = "tipline:api"
MAX_MESSAGE = 5000
MAX_LIST_ENTRIES = 20
_CODE = re.compile(rf"[{numbers.ALPHABET}]{{5}}(?:-[{numbers.ALPHABET}]{{5}}){{3}}")
_PHONE = re.compile(r"[0-9+\-(). xX]{3,40}")


# --- what a tipster sends ------------------------------------------------------------


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            raise PydanticCustomError("tip_unreadable", "contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise PydanticCustomError("tip_unreadable", "is not valid Unicode text") from None
    return value


class TipModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _text_can_be_stored(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [_storable(item) for item in value]
        return _storable(value)


def _entries(values: list[str]) -> list[str]:
    kept: list[str] = []
    for value in values:
        value = " ".join(value.split())
        if len(value) > 200:
            raise PydanticCustomError("string_too_long", "too long", {"max_length": 200})
        if value and value not in kept:
            kept.append(value)
    return kept


class TipPerson(TipModel):
    """The one person a tipster may describe (the subject of the tip)."""

    given_name: str | None = Field(default=None, max_length=100)
    family_name: str | None = Field(default=None, max_length=100)
    aliases: list[str] = Field(default_factory=list, max_length=MAX_LIST_ENTRIES)
    handles: list[str] = Field(default_factory=list, max_length=MAX_LIST_ENTRIES)
    age: int | None = Field(default=None, ge=0, le=120)
    school_or_employer: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)

    @field_validator("aliases", "handles")
    @classmethod
    def _clean(cls, values: list[str]) -> list[str]:
        return _entries(values)

    @property
    def described(self) -> bool:
        return any(
            [
                self.given_name,
                self.family_name,
                self.aliases,
                self.handles,
                self.school_or_employer,
                self.description,
            ]
        )

    @property
    def given(self) -> bool:
        return self.described or self.age is not None


class TipContact(TipModel):
    """How the tipster may be reached, if they choose to say."""

    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=320)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not _PHONE.fullmatch(value) or sum(ch.isdigit() for ch in value) < 3:
            raise PydanticCustomError("tip_phone", "is not a phone number")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return str(validate_email(value, check_deliverability=False).normalized)
        except EmailNotValidError:
            raise PydanticCustomError("tip_email", "is not an e-mail address") from None

    def as_stored(self) -> dict[str, str] | None:
        values = {k: v for k, v in self.model_dump().items() if v}
        return values or None


class TipIn(TipModel):
    """A tip from the public: what happened, where, optionally a person and a way back."""

    narrative: str = Field(min_length=1, max_length=MAX_NARRATIVE)
    location_text: str | None = Field(
        default=None, max_length=500, description="Where it happened (a town, address, place)."
    )
    school: str | None = Field(
        default=None, max_length=200, description="The school involved, if any."
    )
    person: TipPerson | None = None
    contact: TipContact | None = None

    @field_validator("person")
    @classmethod
    def _person_described(cls, person: TipPerson | None) -> TipPerson | None:
        if person is None or not person.given:
            return None
        if not person.described:
            raise PydanticCustomError("tip_person", "an age alone does not describe a person")
        return person


def to_report(tip: TipIn) -> ReportCreate:
    """The report a tip files (kind tip, unvetted, TLP:AMBER)."""
    mentions = []
    if tip.person is not None:
        person = tip.person
        mentions.append(
            MentionIn(
                role=MentionRole.SUBJECT,
                given_name=person.given_name or None,
                family_name=person.family_name or None,
                aliases=person.aliases,
                handles=person.handles,
                age_min=person.age,
                age_max=person.age,
                school_or_employer=person.school_or_employer or None,
                description=person.description or None,
            )
        )
    return ReportCreate(
        kind=ReportKind.TIP,
        narrative=tip.narrative,
        location_text=tip.location_text or None,
        target_types=[TargetType.SCHOOL] if tip.school else [],
        target_name=tip.school or None,
        mentions=mentions,
    )


# --- submitting -----------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: the name the tipster's device gave it and its bytes."""

    filename: str | None
    stream: UploadSource


class UploadRefused(Exception):
    """A file of the submission was refused; nothing of the submission was stored."""

    def __init__(self, position: int, filename: str | None, reason: AttachmentRejected) -> None:
        super().__init__(f"attachment {position + 1} refused: {reason}")
        self.position = position
        self.filename = filename
        self.reason = reason


class TooManyUploads(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} attachments")
        self.limit = limit


@dataclass(frozen=True)
class TipReceipt:
    """What the tipster is shown once the tip is committed. ``followup_code`` is the
    only copy of the code there will ever be; None when it cannot be shown again."""

    report_id: int
    receipt_number: str
    reported_at: datetime
    followup_code: str | None
    duplicate: bool = False
    code_reissued: bool = False


def store_for(settings: Settings) -> LocalAttachmentStore:
    """The attachment store this instance is configured with."""
    return LocalAttachmentStore(settings.resolved_attachments_dir, settings.max_attachment_bytes)


def _secret(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def _save_files(
    store: AttachmentStore, uploads: Sequence[Upload], limit: int
) -> list[ReceivedAttachment]:
    if len(uploads) > limit:
        raise TooManyUploads(limit)
    received = []
    for position, upload in enumerate(uploads):
        try:
            received.append(receive_attachment(store, upload.stream, upload.filename))
        except AttachmentRejected as refused:
            # Files saved before this one stay as unreferenced content (they may be
            # another report's too, so only a purge that checks may remove them).
            raise UploadRefused(position, upload.filename, refused) from None
    return received


def submit_tip(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    store: AttachmentStore,
    tip: TipIn,
    uploads: Sequence[Upload] = (),
    idempotency_scope: str = API_SCOPE,
    idempotency_key: str | None = None,
    reissue_code_on_retry: bool = False,
) -> TipReceipt:
    """File a public tip, routed to the agency responsible for it.

    Files are checked and written (fsynced, content-addressed) before anything goes to
    the database, so a crash leaves at most an unreferenced file, never a receipt
    without its file. The report, its mentions, its attachments' metadata and its
    audit events are added in the caller's transaction, which must commit before the
    receipt is shown. A retry with the same idempotency key and tip returns the first
    receipt: without the code (only its hash was kept), or with a new code replacing
    the old one when ``reissue_code_on_retry`` (the web form, whose first answer the
    browser may never have shown).
    """
    data = to_report(tip)
    if idempotency_key:
        earlier = _find_idempotent(db, idempotency_scope, idempotency_key, data)
        if earlier is not None:
            return _repeat(
                db, actor=actor, settings=settings, report=earlier, reissue=reissue_code_on_retry
            )
    received = _save_files(store, uploads, settings.max_attachments_per_report)
    school = tip.school or (tip.person.school_or_employer if tip.person else None)
    agency_id = routing.route_for(db, place=tip.location_text, school=school)
    code = numbers.new_followup_code()
    filing = Filing(
        source=Source.PUBLIC_TIP_LINE,
        owner_agency_id=agency_id,
        routed_agency_id=agency_id,
        tipster_contact=tip.contact.as_stored() if tip.contact else None,
        followup_code_hash=numbers.hash_code(code, secret_key=_secret(settings)),
    )
    # The report's events and the tip's, appended to the audit trail in one go.
    with audit.appended_together(db):
        try:
            report, duplicate = file_report(
                db,
                actor=actor,
                settings=settings,
                data=data,
                filing=filing,
                idempotency_scope=idempotency_scope if idempotency_key else None,
                idempotency_key=idempotency_key,
                key_checked=True,
            )
        except DuplicateSubmission:
            # A concurrent retry with the same key committed first: answer with its receipt.
            found = _find_idempotent(db, idempotency_scope, idempotency_key or "", data)
            if found is None:
                raise
            report, duplicate = found, True
        if duplicate:
            return _repeat(
                db, actor=actor, settings=settings, report=report, reissue=reissue_code_on_retry
            )
        for item in received:
            report.attachments.append(
                ReportAttachment(
                    sha256=item.sha256,
                    filename=item.filename,
                    media_type=item.media_type,
                    size_bytes=item.size_bytes,
                )
            )
        db.flush()
        audit.record(
            db,
            actor=actor,
            action="tip.receive",
            object_type="report",
            object_id=report.id,
            agency_id=agency_id,
            details={
                "routed_agency_id": agency_id,
                "attachments": len(received),
                "attachment_sha256": [item.sha256 for item in received],
                "contact_given": report.tipster_contact is not None,
                "person_given": bool(data.mentions),
            },
        )
        return TipReceipt(report.id, report.receipt_number, report.reported_at, code)


def _repeat(
    db: Session, *, actor: Actor, settings: Settings, report: Report, reissue: bool
) -> TipReceipt:
    code = None
    if reissue and report.purged_at is None:
        code = numbers.new_followup_code()
        report.followup_code_hash = numbers.hash_code(code, secret_key=_secret(settings))
        report.updated_at = utcnow()
        db.flush()
    audit.record(
        db,
        actor=actor,
        action="tip.retry",
        object_type="report",
        object_id=report.id,
        agency_id=report.owner_agency_id,
        details={"followup_reissued": code is not None},
    )
    return TipReceipt(
        report.id,
        report.receipt_number,
        report.reported_at,
        code,
        duplicate=True,
        code_reissued=code is not None,
    )


def submit_web_tip(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    store: AttachmentStore,
    tip: TipIn,
    uploads: Sequence[Upload],
    submission_id: str | None,
) -> TipReceipt:
    """A tip from the web form. Its hidden submission id makes a resent form (a reload,
    a double click) one tip; a form that was changed and sent again under an old id
    (the back button) is a new tip, never refused."""
    try:
        return submit_tip(
            db,
            actor=actor,
            settings=settings,
            store=store,
            tip=tip,
            uploads=uploads,
            idempotency_scope=WEB_SCOPE,
            idempotency_key=submission_id,
            reissue_code_on_retry=True,
        )
    except Conflict:
        for upload in uploads:
            _rewind(upload.stream)
        return submit_tip(db, actor=actor, settings=settings, store=store, tip=tip, uploads=uploads)


def _rewind(stream: UploadSource) -> None:
    seek = getattr(stream, "seek", None)
    if callable(seek):
        seek(0)


# --- the anonymous conversation --------------------------------------------------------


@dataclass(frozen=True)
class MessageView:
    sender: str  # "agency" or "tipster"
    body: str
    created_at: datetime


@dataclass(frozen=True)
class Conversation:
    """What a code holder sees: the receipt, the messages (no names on either side)."""

    receipt_number: str
    reported_at: datetime
    purged: bool
    messages: list[MessageView]
    reply_added: bool = False


def valid_code(code: str) -> str | None:
    """The code in its canonical form, or None if it cannot be a follow-up code."""
    normal = numbers.normalize_code(code[:100])
    return normal if _CODE.fullmatch(normal) else None


def _report_for_code(db: Session, settings: Settings, code: str) -> Report | None:
    normal = valid_code(code)
    if normal is None:
        return None
    digest = numbers.hash_code(normal, secret_key=_secret(settings))
    return db.execute(
        select(Report).where(Report.followup_code_hash == digest)
    ).scalar_one_or_none()


def _messages(db: Session, report: Report) -> list[MessageView]:
    rows = db.execute(
        select(ReportMessage)
        .where(ReportMessage.report_id == report.id)
        .order_by(ReportMessage.created_at, ReportMessage.id)
    ).scalars()
    return [MessageView(row.sender, row.body, row.created_at) for row in rows]


def _conversation(db: Session, report: Report, *, reply_added: bool = False) -> Conversation:
    purged = report.purged_at is not None
    return Conversation(
        receipt_number=report.receipt_number,
        reported_at=report.reported_at,
        purged=purged,
        messages=[] if purged else _messages(db, report),
        reply_added=reply_added,
    )


def _found_by_code(db: Session, *, actor: Actor, settings: Settings, code: str) -> Report | None:
    """The report the code opens, auditing the attempt either way (never the code)."""
    report = _report_for_code(db, settings, code)
    audit.record(
        db,
        actor=actor,
        action="tip.followup_open",
        object_type="report",
        object_id=None if report is None else report.id,
        agency_id=None if report is None else report.owner_agency_id,
        outcome="failure" if report is None else "success",
    )
    return report


def read_conversation(
    db: Session, code: str, *, actor: Actor, settings: Settings
) -> Conversation | None:
    """The conversation the follow-up code opens, or None for a code that opens nothing
    (the caller says so without saying why)."""
    report = _found_by_code(db, actor=actor, settings=settings, code=code)
    return None if report is None else _conversation(db, report)


def message_body(body: str) -> str:
    """A message as stored: trimmed, not empty, at most 5,000 characters, storable."""
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput({"message": "Write a message."})
    if len(body) > MAX_MESSAGE:
        raise InvalidInput({"message": f"Write at most {MAX_MESSAGE} characters."})
    try:
        _storable(body)
    except PydanticCustomError:
        raise InvalidInput({"message": "Remove the unusual invisible characters."}) from None
    return body


def add_tipster_reply(
    db: Session, code: str, body: str, *, actor: Actor, settings: Settings
) -> Conversation | None:
    """Add the code holder's answer to the conversation; None for a code that opens
    nothing. A page sent twice (a reload) adds the answer once."""
    text = message_body(body)
    report = _found_by_code(db, actor=actor, settings=settings, code=code)
    if report is None:
        return None
    if report.purged_at is not None:
        return _conversation(db, report)
    latest = db.execute(
        select(ReportMessage)
        .where(ReportMessage.report_id == report.id)
        .order_by(ReportMessage.created_at.desc(), ReportMessage.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if latest is not None and latest.sender == "tipster" and latest.body == text:
        return _conversation(db, report, reply_added=True)
    now = utcnow()
    message = ReportMessage(report_id=report.id, sender="tipster", body=text, created_at=now)
    db.add(message)
    db.add(
        ReportEvent(
            report_id=report.id, kind="tipster_reply", at=now, summary="The tipster answered."
        )
    )
    report.updated_at = now
    _notify_reply(db, report, now)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="tip.reply",
        object_type="report",
        object_id=report.id,
        agency_id=report.owner_agency_id,
        details={"message_id": message.id},
    )
    return _conversation(db, report, reply_added=True)


def _notify_reply(db: Session, report: Report, at: datetime) -> None:
    """Tell whoever asked the tipster questions (or, if nobody did, the routed agency's
    supervisors) that an answer came. The subject names only the receipt number."""
    askers: set[int] = {
        user_id
        for user_id in db.execute(
            select(ReportMessage.user_id).where(
                ReportMessage.report_id == report.id,
                ReportMessage.sender == "agency",
                ReportMessage.user_id.is_not(None),
            )
        ).scalars()
        if user_id is not None
    }
    # Only people who may read the report are told of it (askers who since lost access,
    # a TLP:RED report that does not name them, are not).
    recipients = readers_among(db, sorted(askers), report) or readers_among(
        db, active_supervisor_ids(db, report.routed_agency_id), report
    )
    for user_id in recipients:
        db.add(
            Notification(
                user_id=user_id,
                kind="tipster_reply",
                subject=f"The tipster answered on report {report.receipt_number}",
                link=f"/reports/{report.id}#conversation",
                object_type="report",
                object_id=str(report.id),
                created_at=at,
            )
        )


def add_agency_message(db: Session, *, actor: Actor, report_id: int, body: str) -> ReportMessage:
    """An analyst's question to the anonymous tipster of a tip-line report."""
    report = _managed_report(db, actor=actor, report_id=report_id, action="message_tipster")
    if report.followup_code_hash is None:
        raise InvalidInput({"message": "This report did not come through the tip line."})
    if report.purged_at is not None:
        raise InvalidInput({"message": "This report was purged."})
    now = utcnow()
    message = ReportMessage(
        report_id=report.id,
        sender="agency",
        user_id=actor.user_id,
        body=message_body(body),
        created_at=now,
    )
    db.add(message)
    db.add(
        ReportEvent(
            report_id=report.id,
            kind="tipster_question",
            user_id=actor.user_id,
            agency_id=actor.agency_id,
            at=now,
            summary="A question was sent to the tipster.",
        )
    )
    report.updated_at = now
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="report.message_tipster",
        object_type="report",
        object_id=report.id,
        agency_id=report.owner_agency_id,
        details={"message_id": message.id},
    )
    return message


# --- attachments, for the agency ------------------------------------------------------


def open_attachment(
    db: Session, *, actor: Actor, store: AttachmentStore, report_id: int, attachment_id: int
) -> tuple[ReportAttachment, BinaryIO]:
    """An attachment of a report the actor may read, opened for download (audited)."""
    report = get_report(db, actor=actor, report_id=report_id, audit_read=False)
    policy.authorize(actor, "read_attachment", "report", report)
    attachment = db.get(ReportAttachment, attachment_id)
    if attachment is None or attachment.report_id != report.id:
        raise NotFound("attachment")
    try:
        stream = store.open(attachment.sha256)
    except FileNotFoundError:
        raise NotFound("attachment") from None
    audit.record(
        db,
        actor=actor,
        action="report.read_attachment",
        object_type="report",
        object_id=report.id,
        agency_id=report.owner_agency_id,
        details={"attachment_id": attachment.id, "sha256": attachment.sha256},
    )
    return attachment, stream

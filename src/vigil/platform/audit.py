"""The append-only, hash-chained audit trail: record, verify, checkpoint, export.

Each event's hash covers its own fields and the previous event's hash, so
changing, deleting, reordering or inserting any event breaks the chain from that
point. The chain head lives in one row whose lock serialises appends. Signed
checkpoints (HMAC with a key kept outside the database) catch an attacker who
rewrites the whole chain after a checkpoint, or cuts its tail.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.models import AuditChainHead, AuditCheckpoint, AuditEvent

GENESIS_HASH = "0" * 64
HEAD_ROW_ID = 1

# Audit payloads never carry secrets or free text about people. Keys are checked
# against this list (and values must be short scalars) so a careless caller fails
# loudly in tests instead of leaking into an append-only store.
FORBIDDEN_DETAIL_WORDS = (
    "password",
    "token",
    "secret",
    "code",
    "otp",
    "narrative",
    "text",
    "note",
    "comment",
)
MAX_DETAIL_STRING = 200

HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_type",
    "actor_id",
    "actor_name",
    "agency_id",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "request_id",
    "source_address",
    "details",
)


class AuditPayloadError(ValueError):
    """A caller tried to put something into the audit trail that must never be there."""


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_details(details: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in details.items():
        lowered = key.lower()
        if any(word in lowered for word in FORBIDDEN_DETAIL_WORDS):
            raise AuditPayloadError(f"audit detail key {key!r} may hold a secret or free text")
        if isinstance(value, (list, tuple)):
            if not all(isinstance(item, (str, int, bool)) or item is None for item in value):
                raise AuditPayloadError(f"audit detail {key!r} must be a list of scalars")
            if any(isinstance(item, str) and len(item) > MAX_DETAIL_STRING for item in value):
                raise AuditPayloadError(f"audit detail {key!r} holds a long string")
            clean[key] = list(value)
        elif isinstance(value, str):
            if len(value) > MAX_DETAIL_STRING:
                raise AuditPayloadError(f"audit detail {key!r} holds a long string")
            clean[key] = value
        elif isinstance(value, (int, float, bool)) or value is None:
            clean[key] = value
        else:
            raise AuditPayloadError(f"audit detail {key!r} must be a scalar")
    return clean


def compute_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(
        {name: fields[name] for name in HASHED_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str | None = None,
    object_id: object = None,
    outcome: str = "success",
    agency_id: int | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (so it commits with the change).

    In a session given ``defer_events``, the event is appended by ``write_deferred``
    instead, just before that session commits; its seq and hashes are set then.
    """
    deferred: list[AuditEvent] | None = session.info.get(_DEFERRED_EVENTS)
    # An event appended now is stamped once it holds the head, as it always was; a
    # deferred one when recorded (the moment of the read it records).
    head = None if deferred is not None else _locked_head(session)
    event = AuditEvent(
        occurred_at=format_time(at or datetime.now(UTC)),
        actor_type=actor.kind,
        actor_id=actor.user_id,
        actor_name=actor.username,
        agency_id=agency_id if agency_id is not None else actor.agency_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        outcome=outcome,
        request_id=actor.request_id,
        source_address=actor.source_address,
        details=check_details(details or {}),
    )
    if deferred is not None:
        deferred.append(event)
    elif head is not None:
        _chain(session, head, [event])
    return event


# The session.info key of the events a read-first request has recorded but not appended.
_DEFERRED_EVENTS = "vigil_deferred_audit_events"


def defer_events(session: Session) -> None:
    """Hold the session's events until ``write_deferred``, for a request that reads.

    Appending takes the chain head's lock (and on SQLite the database's write lock) until
    the commit; taken at the first audited read, it would make every writer wait for the
    rest of the page. Deferred, it is taken for the append and the commit alone.
    """
    session.info[_DEFERRED_EVENTS] = []


@contextmanager
def appended_together(session: Session) -> Iterator[None]:
    """Append the events recorded in the block together at its end: one read and one
    write of the chain head for all of them, instead of one each.

    In a session that defers its events already (a read), they stay deferred. A block
    that raises appends nothing: the caller's transaction, which holds the changes its
    events record, is rolled back as well.
    """
    if _DEFERRED_EVENTS in session.info:
        yield
        return
    session.info[_DEFERRED_EVENTS] = []
    try:
        yield
    finally:
        events: list[AuditEvent] = session.info.pop(_DEFERRED_EVENTS)
    if events:
        _chain(session, _locked_head(session), events)


def has_deferred(session: Session) -> bool:
    """Whether the session holds events that ``write_deferred`` has yet to append."""
    return bool(session.info.get(_DEFERRED_EVENTS))


def keep_deferred_denials(session: Session) -> bool:
    """After a refused read's rollback: keep only the denials it deferred (a service's
    own record of the refusal, with its reason), forget the rest as a rollback forgets
    events already appended; say whether a denial was kept."""
    deferred: list[AuditEvent] = session.info.get(_DEFERRED_EVENTS) or []
    kept = [event for event in deferred if event.outcome == "denied"]
    if deferred:
        session.info[_DEFERRED_EVENTS] = kept
    return bool(kept)


def write_deferred(session: Session) -> int:
    """Append the session's deferred events, in the order recorded, in its transaction.

    The caller commits right after (before it answers: a read is never shown unaudited).
    Returns how many were appended.
    """
    deferred: list[AuditEvent] = session.info.get(_DEFERRED_EVENTS) or []
    if not deferred:
        return 0
    session.info[_DEFERRED_EVENTS] = []
    _chain(session, _locked_head(session), deferred)
    return len(deferred)


def _locked_head(session: Session) -> AuditChainHead:
    # populate_existing: on SQLite a read-first session may have ended an older snapshot
    # to take the write lock (database._configure_sqlite); the head must be the newest.
    return session.execute(
        select(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ROW_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _chain(session: Session, head: AuditChainHead, events: list[AuditEvent]) -> None:
    """Link the events after the locked head, in order, and move the head to the last."""
    for event in events:
        event.seq = head.seq + 1
        digest = compute_hash(head.hash, _row_fields(event))
        event.prev_hash = head.hash
        event.hash = digest
        session.add(event)
        head.seq = event.seq
        head.hash = digest
    session.flush()


@dataclass(frozen=True)
class Verification:
    ok: bool
    events_checked: int
    checkpoints_checked: int
    first_broken_seq: int | None = None
    reason: str | None = None


def _row_fields(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in HASHED_FIELDS}


@dataclass(frozen=True)
class CheckpointRecord:
    """A signed checkpoint as kept in the database or in the log outside it."""

    seq: int
    hash: str
    created_at: str
    signature: str


def append_checkpoint_log(path: Path, checkpoint: CheckpointRecord) -> None:
    """Keep a copy of each checkpoint outside the database, where its admins cannot
    delete it: deleting checkpoints and rewriting the chain is then still caught."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(
        {
            "seq": checkpoint.seq,
            "hash": checkpoint.hash,
            "created_at": checkpoint.created_at,
            "signature": checkpoint.signature,
        },
        sort_keys=True,
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_checkpoint_log(path: Path) -> list[CheckpointRecord]:
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            records.append(
                CheckpointRecord(
                    int(data["seq"]),
                    str(data["hash"]),
                    str(data["created_at"]),
                    str(data["signature"]),
                )
            )
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{path}, line {number}: not a checkpoint record") from None
    return records


def verify(
    session: Session,
    *,
    checkpoint_key: bytes | None,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 20_000,
    external_checkpoints: list[CheckpointRecord] | None = None,
) -> Verification:
    """Walk the whole chain and every checkpoint; name the first broken link."""
    total = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    head = session.get(AuditChainHead, HEAD_ROW_ID)
    stored = [
        CheckpointRecord(cp.seq, cp.hash, cp.created_at, cp.signature)
        for cp in session.execute(select(AuditCheckpoint)).scalars().all()
    ]
    for outside in external_checkpoints or ():
        if outside not in stored:
            return Verification(
                False,
                0,
                0,
                outside.seq,
                f"the checkpoint at event {outside.seq} kept outside the "
                "database is missing from it: checkpoints were deleted",
            )
    checkpoints: dict[int, list[CheckpointRecord]] = {}
    for record_ in stored:
        checkpoints.setdefault(record_.seq, []).append(record_)
    expected_seq = 1
    prev_hash = GENESIS_HASH
    # The hash of the event the head names: tells a replaced tail from an extended one.
    head_seq = head.seq if head is not None else -1
    hash_at_head = GENESIS_HASH if head_seq == 0 else None
    checked = 0
    columns = [getattr(AuditEvent, name) for name in (*HASHED_FIELDS, "prev_hash", "hash")]
    rows = session.execute(
        select(*columns).order_by(AuditEvent.seq).execution_options(yield_per=batch_size)
    )
    for row in rows:
        if row.seq != expected_seq:
            return Verification(
                False,
                checked,
                0,
                expected_seq,
                f"event {expected_seq} is missing (next present is {row.seq})",
            )
        if row.prev_hash != prev_hash:
            return Verification(
                False, checked, 0, row.seq, f"event {row.seq} does not link to event {row.seq - 1}"
            )
        if compute_hash(prev_hash, _row_fields(row)) != row.hash:
            return Verification(
                False, checked, 0, row.seq, f"event {row.seq} was changed after it was written"
            )
        if any(cp.hash != row.hash for cp in checkpoints.get(row.seq, ())):
            return Verification(
                False,
                checked,
                0,
                row.seq,
                f"event {row.seq} differs from the checkpoint taken at it",
            )
        if row.seq == head_seq:
            hash_at_head = row.hash
        prev_hash = row.hash
        expected_seq += 1
        checked += 1
        if progress is not None and checked % batch_size == 0:
            progress(checked, total)
    if progress is not None:
        progress(checked, total)
    last_seq = expected_seq - 1
    if head is None or head.seq > last_seq:
        return Verification(
            False,
            checked,
            0,
            last_seq + 1,
            f"the chain ends at event {last_seq} but its head names "
            f"event {head.seq if head else '?'}: events were removed",
        )
    if hash_at_head != head.hash:
        return Verification(
            False,
            checked,
            0,
            head.seq,
            f"event {head.seq} is not the event the chain head names: it was replaced",
        )
    if head.seq < last_seq:
        return Verification(
            False,
            checked,
            0,
            head.seq + 1,
            f"events after {head.seq} were added behind the chain head's back",
        )
    checked_checkpoints = 0
    for cp in sorted(stored, key=lambda c: c.seq):
        if cp.seq > last_seq:
            return Verification(
                False,
                checked,
                checked_checkpoints,
                last_seq + 1,
                f"checkpoint at event {cp.seq} is beyond the chain's end: events were removed",
            )
        if checkpoint_key is not None and not hmac.compare_digest(
            cp.signature, sign_checkpoint(checkpoint_key, cp.seq, cp.hash, cp.created_at)
        ):
            return Verification(
                False,
                checked,
                checked_checkpoints,
                cp.seq,
                f"checkpoint at event {cp.seq} has a bad signature",
            )
        checked_checkpoints += 1
    return Verification(True, checked, checked_checkpoints)


def sign_checkpoint(key: bytes, seq: int, digest: str, created_at: str) -> str:
    message = f"{seq}|{digest}|{created_at}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def write_checkpoint(session: Session, *, key: bytes, actor: Actor) -> AuditCheckpoint:
    """Sign the current head. Recorded as an event of its own first. After the commit,
    the caller copies it outside the database with ``append_checkpoint_log``."""
    record(session, actor=actor, action="audit.checkpoint", object_type="audit_event")
    head = session.execute(
        select(AuditChainHead).where(AuditChainHead.id == HEAD_ROW_ID).with_for_update()
    ).scalar_one()
    created_at = format_time(datetime.now(UTC))
    checkpoint = AuditCheckpoint(
        seq=head.seq,
        hash=head.hash,
        created_at=created_at,
        signature=sign_checkpoint(key, head.seq, head.hash, created_at),
    )
    session.add(checkpoint)
    session.flush()
    return checkpoint


def create_checkpoint_key(path: Path) -> bool:
    """Create the key file (mode 0600) if it is absent. True when created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32))
    return True


def load_checkpoint_key(path: Path) -> bytes:
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        raise FileNotFoundError(
            f"audit checkpoint key {path} not found; run `vigil init` or set "
            "VIGIL_AUDIT_CHECKPOINT_KEY_FILE"
        ) from None


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor_name: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(actor: Actor, action: str, filters: AuditFilter) -> Any:
    statement = select(AuditEvent).where(policy.scope(actor, action, "audit_event"))
    if filters.action:
        statement = statement.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    if filters.actor_name:
        statement = statement.where(AuditEvent.actor_name == filters.actor_name)
    if filters.object_type:
        statement = statement.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id:
        statement = statement.where(AuditEvent.object_id == filters.object_id)
    if filters.outcome:
        statement = statement.where(AuditEvent.outcome == filters.outcome)
    if filters.since:
        statement = statement.where(AuditEvent.occurred_at >= format_time(filters.since))
    if filters.until:
        statement = statement.where(AuditEvent.occurred_at < format_time(filters.until))
    return statement


def list_events(
    session: Session, *, actor: Actor, filters: AuditFilter, limit: int = 50, offset: int = 0
) -> tuple[list[AuditEvent], int]:
    """The auditor's view of the trail. Reading it is itself recorded."""
    policy.authorize(actor, "list", "audit_event")
    statement = _filtered(actor, "list", filters)
    total = session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
    events = list(
        session.execute(
            statement.order_by(AuditEvent.seq.desc()).limit(limit).offset(offset)
        ).scalars()
    )
    record(
        session,
        actor=actor,
        action="audit.read",
        object_type="audit_event",
        details={"returned": len(events), "offset": offset},
    )
    return events, total


def event_as_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        **{name: getattr(event, name) for name in HASHED_FIELDS},
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def export_events(
    session: Session, *, actor: Actor, filters: AuditFilter
) -> Iterator[dict[str, Any]]:
    """Every event the actor may see, oldest first, as dictionaries (for JSON lines).

    The check and the audit record happen on the call, not on first iteration, so a
    refusal comes before a streaming response has started.
    """
    policy.authorize(actor, "export", "audit_event")
    record(session, actor=actor, action="audit.export", object_type="audit_event")
    statement = _filtered(actor, "export", filters).order_by(AuditEvent.seq)
    return _exported(session, statement)


def _exported(session: Session, statement: Any) -> Iterator[dict[str, Any]]:
    for event in session.execute(statement.execution_options(yield_per=5000)).scalars():
        yield event_as_dict(event)

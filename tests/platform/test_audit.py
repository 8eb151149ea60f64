"""The audit trail: the hash chain and what breaks it, the append-only triggers,
signed checkpoints, payload rules, and who may read the trail."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from vigil.platform import audit
from vigil.platform.actor import Actor, command_line
from vigil.platform.models import AuditChainHead, AuditCheckpoint, AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role

EVENTS = AuditEvent.__table__
KEY = bytes.fromhex("11" * 32)


# --- helpers ------------------------------------------------------------------------


def _actor(db: Session) -> Actor:
    agency = make_agency(db)
    return actor_for(make_user(db, agency=agency, roles={Role.ANALYST}))


def _chain(db: Session, actor: Actor, count: int) -> list[int]:
    """Append ``count`` events whose every hashed field has a value; return their seqs."""
    seqs = []
    for index in range(count):
        event = audit.record(
            db,
            actor=actor,
            action="user.read",
            object_type="user",
            object_id=index + 1,
            details={"returned": index, "roles": ["analyst"]},
        )
        seqs.append(event.seq)
    db.flush()
    return seqs


def _drop_append_only_triggers(db: Session) -> None:
    """What an attacker with database access does first. The test's transaction is
    rolled back afterwards (DDL is transactional on both backends), so the triggers
    come back for the next test."""
    for table in ("audit_events", "audit_checkpoints"):
        if db.get_bind().dialect.name == "postgresql":
            db.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
        else:
            db.execute(text(f"DROP TRIGGER {table}_no_update"))
            db.execute(text(f"DROP TRIGGER {table}_no_delete"))


def _row(db: Session, seq: int) -> dict[str, Any]:
    return dict(db.execute(select(EVENTS).where(EVENTS.c.seq == seq)).mappings().one())


def _tamper(db: Session, statement: Any) -> None:
    db.execute(statement)
    # A verifier runs in a fresh session; drop what this one remembers.
    db.expire_all()


def _verify(db: Session, key: bytes | None = KEY) -> audit.Verification:
    return audit.verify(db, checkpoint_key=key)


def _forge(prev_hash: str, seq: int, template: dict[str, Any]) -> dict[str, Any]:
    """A well-made forgery: correct seq, linked to its predecessor, hash recomputed."""
    fields = {name: template[name] for name in audit.HASHED_FIELDS}
    fields.update(seq=seq, action="user.disable", object_id="777", actor_name="mallory")
    return {**fields, "prev_hash": prev_hash, "hash": audit.compute_hash(prev_hash, fields)}


# --- the chain ----------------------------------------------------------------------


def test_an_untouched_chain_verifies(db):
    actor = _actor(db)
    seqs = _chain(db, actor, 5)
    audit.write_checkpoint(db, key=KEY, actor=actor)
    _chain(db, actor, 2)
    db.commit()

    result = _verify(db)

    assert result.ok, result.reason
    assert result.first_broken_seq is None
    assert result.events_checked == db.execute(select(func.count()).select_from(EVENTS)).scalar()
    assert result.events_checked >= len(seqs) + 3
    assert result.checkpoints_checked == 1


def test_each_event_links_to_the_one_before_and_the_head_names_the_last(db):
    actor = _actor(db)
    seqs = _chain(db, actor, 3)

    rows = [_row(db, seq) for seq in seqs]
    assert seqs == list(range(seqs[0], seqs[0] + 3))
    for previous, current in pairwise(rows):
        assert current["prev_hash"] == previous["hash"]
    for row in rows:
        fields = {name: row[name] for name in audit.HASHED_FIELDS}
        assert row["hash"] == audit.compute_hash(row["prev_hash"], fields)
    head = db.get(AuditChainHead, audit.HEAD_ROW_ID)
    assert (head.seq, head.hash) == (seqs[-1], rows[-1]["hash"])


def test_events_appended_together_link_in_the_order_recorded(db):
    actor = _actor(db)
    before = db.get(AuditChainHead, audit.HEAD_ROW_ID).seq
    with audit.appended_together(db):
        events = [audit.record(db, actor=actor, action=f"test.together.{n}") for n in range(3)]
        assert all(event.seq is None for event in events)  # held until the block ends
    db.commit()

    assert [event.seq for event in events] == [before + 1, before + 2, before + 3]
    assert db.get(AuditChainHead, audit.HEAD_ROW_ID).seq == before + 3
    assert _verify(db).ok


def test_a_block_that_raises_appends_nothing_and_recording_resumes(db):
    actor = _actor(db)
    before = db.get(AuditChainHead, audit.HEAD_ROW_ID).seq
    with pytest.raises(RuntimeError), audit.appended_together(db):
        audit.record(db, actor=actor, action="test.together.lost")
        raise RuntimeError("the change failed")
    assert db.get(AuditChainHead, audit.HEAD_ROW_ID).seq == before
    after = audit.record(db, actor=actor, action="test.together.after")
    assert after.seq == before + 1  # appended at once again, outside any block


def test_the_database_refuses_to_update_or_delete_audit_events(db):
    seqs = _chain(db, _actor(db), 2)
    db.commit()

    attempts = [
        update(EVENTS).where(EVENTS.c.seq == seqs[0]).values(outcome="failure"),
        delete(EVENTS).where(EVENTS.c.seq == seqs[-1]),
        delete(EVENTS),
    ]
    for statement in attempts:
        with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
            db.execute(statement)

    assert _row(db, seqs[0])["outcome"] == "success"
    assert db.execute(select(func.count()).select_from(EVENTS)).scalar() >= 2
    assert _verify(db).ok


def test_the_orm_cannot_rewrite_an_event_either(db):
    [seq] = _chain(db, _actor(db), 1)
    db.commit()
    event = db.get(AuditEvent, seq)

    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        event.outcome = "failure"
        db.flush()


TAMPERED_VALUES = {
    "seq": 1_000_000,
    "occurred_at": "2000-01-01T00:00:00.000000Z",
    "actor_type": "cli",
    "actor_id": 424242,
    "actor_name": "mallory",
    "agency_id": 424242,
    "action": "user.create",
    "object_type": "agency",
    "object_id": "999",
    "outcome": "failure",
    "request_id": "forged",
    "source_address": "203.0.113.9",
    "details": {"returned": 99, "roles": ["analyst"]},
    "prev_hash": "f" * 64,
    "hash": "e" * 64,
}


def test_every_stored_field_is_covered_by_a_tamper_case():
    stored = {column.name for column in EVENTS.columns}
    assert stored == set(TAMPERED_VALUES)
    assert set(audit.HASHED_FIELDS) | {"prev_hash", "hash"} == stored


@pytest.mark.parametrize("field", sorted(TAMPERED_VALUES))
@pytest.mark.parametrize("position", ["middle", "last"])
def test_changing_any_field_of_one_event_is_detected_at_that_event(db, field, position):
    seqs = _chain(db, _actor(db), 4)
    target = seqs[1] if position == "middle" else seqs[-1]
    assert _row(db, target)[field] != TAMPERED_VALUES[field]
    _drop_append_only_triggers(db)

    _tamper(
        db, update(EVENTS).where(EVENTS.c.seq == target).values({field: TAMPERED_VALUES[field]})
    )

    result = _verify(db)
    assert not result.ok
    assert result.first_broken_seq == target
    assert str(target) in result.reason


def test_a_change_inside_details_is_detected(db):
    seqs = _chain(db, _actor(db), 3)
    _drop_append_only_triggers(db)

    # Same keys, a number turned into the string of that number.
    _tamper(
        db,
        update(EVENTS)
        .where(EVENTS.c.seq == seqs[1])
        .values(details={"returned": "1", "roles": ["analyst"]}),
    )

    assert _verify(db).first_broken_seq == seqs[1]


def test_deleting_an_event_in_the_middle_is_detected(db):
    seqs = _chain(db, _actor(db), 5)
    _drop_append_only_triggers(db)

    _tamper(db, delete(EVENTS).where(EVENTS.c.seq == seqs[2]))

    result = _verify(db)
    assert not result.ok
    assert result.first_broken_seq == seqs[2]
    assert "missing" in result.reason


def test_deleting_the_last_event_is_detected(db):
    seqs = _chain(db, _actor(db), 3)
    _drop_append_only_triggers(db)

    _tamper(db, delete(EVENTS).where(EVENTS.c.seq == seqs[-1]))

    result = _verify(db)
    assert not result.ok
    assert result.first_broken_seq == seqs[-1]


def test_swapping_two_events_contents_is_detected(db):
    seqs = _chain(db, _actor(db), 4)
    first, second = _row(db, seqs[1]), _row(db, seqs[2])
    _drop_append_only_triggers(db)

    # Everything but the position moves: the events now appear in the other order.
    contents = [name for name in first if name != "seq"]
    _tamper(
        db,
        update(EVENTS)
        .where(EVENTS.c.seq == seqs[1])
        .values({name: second[name] for name in contents}),
    )
    _tamper(
        db,
        update(EVENTS)
        .where(EVENTS.c.seq == seqs[2])
        .values({name: first[name] for name in contents}),
    )

    result = _verify(db)
    assert not result.ok
    assert result.first_broken_seq == seqs[1]


def test_an_event_with_a_made_up_hash_inserted_in_the_middle_is_detected(db):
    seqs = _chain(db, _actor(db), 4)
    template = _row(db, seqs[1])
    _drop_append_only_triggers(db)

    # Make room after seqs[1] (highest first: the primary key is checked per row).
    for seq in reversed(seqs[2:]):
        _tamper(db, update(EVENTS).where(EVENTS.c.seq == seq).values(seq=seq + 1))
    forged = _forge(template["hash"], seqs[2], template)
    forged["hash"] = hashlib.sha256(b"not the chain's hash").hexdigest()
    _tamper(db, insert(EVENTS).values(forged))
    _tamper(db, update(AuditChainHead).values(seq=seqs[-1] + 1))

    result = _verify(db)
    assert not result.ok
    assert result.first_broken_seq == seqs[2]


def test_a_well_forged_event_inserted_in_the_middle_breaks_the_next_link(db):
    seqs = _chain(db, _actor(db), 4)
    template = _row(db, seqs[1])
    _drop_append_only_triggers(db)

    for seq in reversed(seqs[2:]):
        _tamper(db, update(EVENTS).where(EVENTS.c.seq == seq).values(seq=seq + 1))
    _tamper(db, insert(EVENTS).values(_forge(template["hash"], seqs[2], template)))
    _tamper(db, update(AuditChainHead).values(seq=seqs[-1] + 1))

    result = _verify(db)
    # The forgery links correctly to its predecessor, so the first link that fails is
    # the genuine event pushed along behind it.
    assert not result.ok
    assert result.first_broken_seq == seqs[2] + 1


def test_a_well_forged_event_appended_behind_the_heads_back_is_named(db):
    seqs = _chain(db, _actor(db), 3)
    last = _row(db, seqs[-1])

    _tamper(db, insert(EVENTS).values(_forge(last["hash"], seqs[-1] + 1, last)))

    result = _verify(db)
    assert not result.ok
    assert result.first_broken_seq == seqs[-1] + 1


def test_the_last_event_replaced_by_a_well_forged_one_is_named(db):
    seqs = _chain(db, _actor(db), 3)
    before_last, last = _row(db, seqs[-2]), _row(db, seqs[-1])
    _drop_append_only_triggers(db)

    _tamper(
        db,
        update(EVENTS)
        .where(EVENTS.c.seq == seqs[-1])
        .values(_forge(before_last["hash"], seqs[-1], last)),
    )

    result = _verify(db)
    assert not result.ok
    assert result.first_broken_seq == seqs[-1]


# --- checkpoints --------------------------------------------------------------------


def test_a_checkpoint_signs_the_head_with_hmac(db):
    actor = _actor(db)
    _chain(db, actor, 2)

    checkpoint = audit.write_checkpoint(db, key=KEY, actor=actor)

    head = db.get(AuditChainHead, audit.HEAD_ROW_ID)
    checkpoint_event = _row(db, head.seq)
    assert checkpoint_event["action"] == "audit.checkpoint"
    assert (checkpoint.seq, checkpoint.hash) == (head.seq, head.hash)
    message = f"{checkpoint.seq}|{checkpoint.hash}|{checkpoint.created_at}".encode()
    assert checkpoint.signature == hmac.new(KEY, message, hashlib.sha256).hexdigest()


def test_checkpoints_verify_with_the_right_key_only(db):
    actor = _actor(db)
    _chain(db, actor, 2)
    audit.write_checkpoint(db, key=KEY, actor=actor)
    _chain(db, actor, 1)
    audit.write_checkpoint(db, key=KEY, actor=actor)

    right = _verify(db, KEY)
    wrong = _verify(db, bytes.fromhex("22" * 32))

    assert right.ok and right.checkpoints_checked == 2
    assert not wrong.ok
    assert "signature" in wrong.reason


@pytest.mark.parametrize(
    "change",
    [
        {"created_at": "2000-01-01T00:00:00.000000Z"},
        {"signature": "0" * 64},
        {"hash": "a" * 64},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_modified_checkpoint_fails(db, change):
    actor = _actor(db)
    _chain(db, actor, 2)
    checkpoint = audit.write_checkpoint(db, key=KEY, actor=actor)
    _chain(db, actor, 1)

    _drop_append_only_triggers(db)
    _tamper(db, update(AuditCheckpoint).where(AuditCheckpoint.id == checkpoint.id).values(change))

    result = _verify(db)
    assert not result.ok
    assert result.first_broken_seq == checkpoint.seq


def test_a_checkpoint_moved_to_another_event_fails_its_signature(db):
    actor = _actor(db)
    seqs = _chain(db, actor, 3)
    checkpoint = audit.write_checkpoint(db, key=KEY, actor=actor)
    elsewhere = _row(db, seqs[0])

    # Consistent with the chain, so only the signature can tell.
    _drop_append_only_triggers(db)
    _tamper(
        db,
        update(AuditCheckpoint)
        .where(AuditCheckpoint.id == checkpoint.id)
        .values(seq=elsewhere["seq"], hash=elsewhere["hash"]),
    )

    assert _verify(db, None).ok
    result = _verify(db, KEY)
    assert not result.ok
    assert result.first_broken_seq == elsewhere["seq"]


def test_a_checkpoint_beyond_a_cut_tail_is_detected(db):
    actor = _actor(db)
    seqs = _chain(db, actor, 4)
    checkpoint = audit.write_checkpoint(db, key=KEY, actor=actor)
    _chain(db, actor, 2)
    cut_from = seqs[2]
    new_last = _row(db, cut_from - 1)
    _drop_append_only_triggers(db)

    # A careful attacker cuts the tail and moves the head, so the chain itself is whole.
    _tamper(db, delete(EVENTS).where(EVENTS.c.seq >= cut_from))
    _tamper(db, update(AuditChainHead).values(seq=new_last["seq"], hash=new_last["hash"]))

    result = _verify(db)
    assert not result.ok
    assert result.first_broken_seq == cut_from
    assert str(checkpoint.seq) in result.reason


def test_create_checkpoint_key_makes_a_private_file_once(tmp_path):
    path = tmp_path / "keys" / "audit-checkpoint.key"

    assert audit.create_checkpoint_key(path) is True
    first = path.read_text()
    assert audit.create_checkpoint_key(path) is False

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == first
    assert len(audit.load_checkpoint_key(path)) == 32


def test_loading_a_missing_checkpoint_key_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="vigil init"):
        audit.load_checkpoint_key(tmp_path / "absent.key")


# --- what may go into an event ------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "new_password",
        "Token",
        "api_token",
        "code",
        "totp_code",
        "secret",
        "otp",
        "narrative",
        "note",
        "comment",
        "free_text",
    ],
)
def test_check_details_refuses_keys_that_may_hold_secrets_or_free_text(key):
    with pytest.raises(audit.AuditPayloadError, match=key):
        audit.check_details({key: "x"})


@pytest.mark.parametrize(
    "value",
    [
        "x" * (audit.MAX_DETAIL_STRING + 1),
        ["ok", "x" * (audit.MAX_DETAIL_STRING + 1)],
        {"nested": 1},
        [{"nested": 1}],
        b"bytes",
        object(),
    ],
    ids=["long-string", "long-string-in-list", "dict", "list-of-dict", "bytes", "object"],
)
def test_check_details_refuses_long_strings_and_non_scalars(value):
    with pytest.raises(audit.AuditPayloadError):
        audit.check_details({"reason": value})


def test_check_details_keeps_short_scalars_and_lists_of_them():
    details = {
        "kind": "x" * audit.MAX_DETAIL_STRING,
        "count": 3,
        "ratio": 0.5,
        "flag": True,
        "missing": None,
        "roles": ("analyst", "auditor"),
    }

    assert audit.check_details(details) == {**details, "roles": ["analyst", "auditor"]}


def test_record_refuses_a_forbidden_payload_and_writes_nothing(db):
    actor = _actor(db)
    head_before = db.get(AuditChainHead, audit.HEAD_ROW_ID).seq

    with pytest.raises(audit.AuditPayloadError):
        audit.record(db, actor=actor, action="user.create", details={"password": "hunter2"})

    assert db.get(AuditChainHead, audit.HEAD_ROW_ID).seq == head_before
    assert (
        db.execute(
            select(func.count()).select_from(EVENTS).where(EVENTS.c.seq > head_before)
        ).scalar()
        == 0
    )


# --- reading the trail --------------------------------------------------------------


@pytest.fixture()
def agencies_with_events(db):
    operator = make_agency(db, is_operator=True)
    county, city = make_agency(db), make_agency(db)
    actors = {}
    for name, agency in (("operator", operator), ("county", county), ("city", city)):
        user = make_user(db, agency=agency, roles={Role.ANALYST})
        actors[name] = actor_for(user)
        audit.record(
            db, actor=actors[name], action="user.read", object_type="user", object_id=user.id
        )
    audit.record(db, actor=command_line("root"), action="agency.create")
    db.flush()
    return {"operator": operator, "county": county, "city": city}


def _reader(db, agency, roles=frozenset({Role.AUDITOR})):
    return actor_for(make_user(db, agency=agency, roles=roles))


def test_an_agency_auditor_sees_only_its_agencys_events(db, agencies_with_events):
    county = agencies_with_events["county"]
    auditor = _reader(db, county)

    events, total = audit.list_events(db, actor=auditor, filters=audit.AuditFilter(), limit=1000)

    assert events, "the county's own event is visible"
    assert {event.agency_id for event in events} == {county.id}
    assert total == len(events)
    assert (
        total
        == db.execute(
            select(func.count()).select_from(EVENTS).where(EVENTS.c.agency_id == county.id)
        ).scalar()
        - 1
    )


def test_an_operator_auditor_sees_every_event(db, agencies_with_events):
    auditor = _reader(db, agencies_with_events["operator"])
    all_before = db.execute(select(func.count()).select_from(EVENTS)).scalar()

    events, total = audit.list_events(db, actor=auditor, filters=audit.AuditFilter(), limit=10_000)

    assert total == len(events) == all_before
    agency_ids = {event.agency_id for event in events}
    assert {a.id for a in agencies_with_events.values()} | {None} <= agency_ids


def test_listing_filters_and_pages_within_the_scope(db, agencies_with_events):
    auditor = _reader(db, agencies_with_events["operator"])

    events, total = audit.list_events(
        db, actor=auditor, filters=audit.AuditFilter(action="agency."), limit=10
    )
    assert total >= 1
    assert all(event.action.startswith("agency.") for event in events)

    page, _ = audit.list_events(db, actor=auditor, filters=audit.AuditFilter(), limit=2, offset=1)
    assert len(page) == 2
    assert page[0].seq > page[1].seq


def test_reading_the_trail_is_itself_audited(db, agencies_with_events):
    auditor = _reader(db, agencies_with_events["county"])

    events, _ = audit.list_events(db, actor=auditor, filters=audit.AuditFilter())

    head = db.get(AuditChainHead, audit.HEAD_ROW_ID)
    read = _row(db, head.seq)
    assert read["action"] == "audit.read"
    assert read["actor_id"] == auditor.user_id
    assert read["agency_id"] == auditor.agency_id
    assert read["details"] == {"returned": len(events), "offset": 0}


def test_export_is_scoped_and_audited(db, agencies_with_events):
    county = agencies_with_events["county"]
    auditor = _reader(db, county)

    exported = list(audit.export_events(db, actor=auditor, filters=audit.AuditFilter()))

    assert exported
    assert {row["agency_id"] for row in exported} == {county.id}
    assert [row["seq"] for row in exported] == sorted(row["seq"] for row in exported)
    json.dumps(exported)  # each row is plain data, ready for JSON lines
    assert exported[-1]["action"] == "audit.export"
    assert exported[-1]["actor_id"] == auditor.user_id
    assert set(exported[0]) == {column.name for column in EVENTS.columns}


def test_an_operator_auditors_export_holds_the_whole_chain(db, agencies_with_events):
    auditor = _reader(db, agencies_with_events["operator"])

    exported = list(audit.export_events(db, actor=auditor, filters=audit.AuditFilter()))

    assert len(exported) == db.execute(select(func.count()).select_from(EVENTS)).scalar()
    for previous, current in pairwise(exported):
        assert current["prev_hash"] == previous["hash"]


@pytest.mark.parametrize(
    "roles",
    [
        frozenset({Role.ANALYST}),
        frozenset({Role.AGENCY_ADMIN}),
        frozenset({Role.SYSTEM_ADMIN, Role.AGENCY_ADMIN}),
    ],
    ids=["analyst", "agency-admin", "system-admin"],
)
def test_a_non_auditor_may_neither_list_nor_export(db, agencies_with_events, roles):
    reader = _reader(db, agencies_with_events["operator"], roles=roles)
    head_before = db.get(AuditChainHead, audit.HEAD_ROW_ID).seq

    with pytest.raises(PermissionDenied):
        audit.list_events(db, actor=reader, filters=audit.AuditFilter())
    # Refused when asked, not later while a response is already streaming.
    with pytest.raises(PermissionDenied):
        audit.export_events(db, actor=reader, filters=audit.AuditFilter())

    assert db.get(AuditChainHead, audit.HEAD_ROW_ID).seq == head_before


def test_checkpoints_refuse_update_and_delete(db):
    actor = _actor(db)
    _chain(db, actor, 1)
    checkpoint = audit.write_checkpoint(db, key=KEY, actor=actor)
    for statement in (
        update(AuditCheckpoint).where(AuditCheckpoint.id == checkpoint.id).values(hash="b" * 64),
        delete(AuditCheckpoint).where(AuditCheckpoint.id == checkpoint.id),
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
            db.execute(statement)


def test_deleting_checkpoints_and_rewriting_the_chain_is_caught_by_the_copy_outside(db, tmp_path):
    actor = _actor(db)
    seqs = _chain(db, actor, 3)
    written = audit.write_checkpoint(db, key=KEY, actor=actor)
    log = tmp_path / "audit-checkpoints.jsonl"
    audit.append_checkpoint_log(
        log,
        audit.CheckpointRecord(written.seq, written.hash, written.created_at, written.signature),
    )
    outside = audit.read_checkpoint_log(log)
    assert _verify_with(db, outside).ok

    _drop_append_only_triggers(db)
    _tamper(db, delete(AuditCheckpoint))
    result = _verify_with(db, outside)
    assert not result.ok
    assert result.first_broken_seq == written.seq
    assert "checkpoints were deleted" in (result.reason or "")
    assert seqs  # the chain itself is intact: only the copy outside tells


def test_an_unreadable_checkpoint_copy_is_an_error(tmp_path):
    log = tmp_path / "audit-checkpoints.jsonl"
    log.write_text("not json\n")
    with pytest.raises(ValueError, match="line 1"):
        audit.read_checkpoint_log(log)


def _verify_with(db: Session, outside: list[audit.CheckpointRecord]) -> audit.Verification:
    return audit.verify(db, checkpoint_key=KEY, external_checkpoints=outside)

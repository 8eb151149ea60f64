"""Filing a report: every field stored, one transaction with its mentions and audit
event, idempotent retries (also when two arrive at once), and triage on filing."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import actor_for, make_agency, make_user
from vigil.platform import audit
from vigil.platform.actor import Actor
from vigil.platform.database import transaction
from vigil.platform.errors import Conflict, InvalidInput
from vigil.platform.models import Agency, AuditChainHead, AuditEvent, User
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.reports import search, service
from vigil.reports.models import (
    IdempotencyKey,
    Mention,
    Report,
    ReportEvent,
    ReportRecipient,
    ReportShare,
)
from vigil.reports.schemas import ReportCreate

FULL_MENTION: dict[str, Any] = {
    "role": "subject",
    "given_name": "Jordan",
    "middle_name": "Lee",
    "family_name": "Pike",
    "aliases": ["JP", "Jordy"],
    "date_of_birth": "2009-03-14",
    "sex": "male",
    "phones": ["+1 555 0100", "555-0101"],
    "emails": ["jp@example.org"],
    "handles": ["@jpike09"],
    "addresses": ["12 Elm Street, Springfield", "Apt 4, 9 Oak Road"],
    "school_or_employer": "Lincoln High School",
    "description": "Tall, black hoodie, red backpack",
}
AGED_WITNESS: dict[str, Any] = {
    "role": "witness",
    "description": "A classmate who saw the post",
    "age_min": 15,
    "age_max": 17,
    "sex": "female",
}


def full_report(**changes: Any) -> ReportCreate:
    body: dict[str, Any] = {
        "kind": "tip",
        "narrative": "Jordan posted that he will shoot up the school tomorrow.",
        "occurred_at": "2026-05-01T14:30:00-05:00",
        "location_text": "Lincoln High School, Springfield",
        "latitude": 39.7817,
        "longitude": -89.6501,
        "behaviors": ["expressed_or_implied_threat", "weapons_collection_discovery"],
        "weapons": ["rifle", "handgun"],
        "target_types": ["school"],
        "target_name": "Lincoln High School",
        "marking": "AMBER+STRICT",
        "mentions": [FULL_MENTION, AGED_WITNESS],
    }
    body.update(changes)
    return ReportCreate.model_validate(body)


@pytest.fixture()
def home(db: Session) -> Agency:
    return make_agency(db, name="Springfield Police")


@pytest.fixture()
def analyst(db: Session, home: Agency) -> Actor:
    return actor_for(make_user(db, agency=home, roles={Role.ANALYST}))


def file(db: Session, actor: Actor, settings: Settings, data: ReportCreate, **kw: Any) -> Report:
    report, duplicate = service.create_report(db, actor=actor, settings=settings, data=data, **kw)
    assert not duplicate
    return report


def count(db: Session, model: Any, *where: Any) -> int:
    return db.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


# --- what is stored -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["tip", "sar", "agency_report"])
def test_every_field_of_a_filing_is_stored(db, settings, home, analyst, kind):
    report = file(db, analyst, settings, full_report(kind=kind))
    db.commit()
    db.expunge_all()

    stored = db.get(Report, report.id)
    assert stored is not None
    assert stored.kind == kind
    assert stored.file_class == "tip_lead"
    assert stored.narrative == "Jordan posted that he will shoot up the school tomorrow."
    assert stored.occurred_at == datetime(2026, 5, 1, 19, 30, tzinfo=UTC)
    assert stored.location_text == "Lincoln High School, Springfield"
    assert (stored.latitude, stored.longitude) == (39.7817, -89.6501)
    assert stored.behaviors == ["expressed_or_implied_threat", "weapons_collection_discovery"]
    assert stored.weapons == ["rifle", "handgun"]
    assert stored.target_types == ["school"]
    assert stored.target_name == "Lincoln High School"
    assert stored.marking == "AMBER+STRICT"
    assert stored.owner_agency_id == stored.routed_agency_id == home.id
    assert stored.created_by_user_id == analyst.user_id
    assert stored.receipt_number.startswith("VIG-")
    assert stored.source == "web"

    subject, witness = stored.mentions
    assert (subject.given_name, subject.middle_name, subject.family_name) == (
        "Jordan",
        "Lee",
        "Pike",
    )
    assert subject.role == "subject"
    assert subject.aliases == ["JP", "Jordy"]
    assert subject.date_of_birth == date(2009, 3, 14)
    assert (subject.age_min, subject.age_max) == (None, None)
    assert subject.sex == "male"
    assert subject.phones == ["+1 555 0100", "555-0101"]
    assert subject.emails == ["jp@example.org"]
    assert subject.handles == ["@jpike09"]
    assert subject.addresses == ["12 Elm Street, Springfield", "Apt 4, 9 Oak Road"]
    assert subject.school_or_employer == "Lincoln High School"
    assert subject.description == "Tall, black hoodie, red backpack"
    assert witness.role == "witness"
    assert (witness.age_min, witness.age_max, witness.date_of_birth) == (15, 17, None)
    assert witness.sex == "female"


def test_filing_is_audited_without_the_narrative(db, settings, analyst):
    report = file(db, analyst, settings, full_report())
    event = db.execute(
        select(AuditEvent).where(
            AuditEvent.action == "report.create", AuditEvent.object_id == str(report.id)
        )
    ).scalar_one()
    assert event.actor_id == analyst.user_id
    assert event.details["mentions"] == 2
    assert event.details["marking"] == "AMBER+STRICT"
    assert "shoot" not in str(event.details) and "Pike" not in str(event.details)


@pytest.mark.parametrize(
    "changes",
    [{"latitude": 39.78, "longitude": None}, {"latitude": None, "longitude": -89.65}],
    ids=["latitude only", "longitude only"],
)
def test_coordinates_come_in_pairs(changes):
    with pytest.raises(ValidationError, match="both latitude and longitude"):
        full_report(**changes)


def test_no_coordinates_at_all_is_fine():
    assert full_report(latitude=None, longitude=None).latitude is None


@pytest.mark.parametrize(
    "mention, message",
    [
        ({"given_name": "A", "age_min": 18, "age_max": 16}, "age_min is greater than age_max"),
        ({"given_name": "A", "date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"role": "subject", "sex": "male"}, "a mention needs"),
        ({"given_name": "A", "role": "bystander"}, "role"),
    ],
    ids=["age range reversed", "born in the future", "describes nobody", "unknown role"],
)
def test_a_mention_must_be_consistent_and_describe_someone(mention, message):
    with pytest.raises(ValidationError, match=message):
        full_report(mentions=[mention])


def test_occurred_at_needs_a_time_zone():
    with pytest.raises(ValidationError, match="time zone"):
        full_report(occurred_at="2026-05-01T14:30:00")


def test_unknown_behavior_category_is_refused():
    with pytest.raises(ValidationError):
        full_report(behaviors=["looking_suspicious"])


def test_shares_and_named_recipients_must_exist(db, settings, analyst):
    with pytest.raises(InvalidInput) as refused:
        service.create_report(
            db,
            actor=analyst,
            settings=settings,
            data=full_report(shared_agency_ids=[987_654], recipient_user_ids=[987_655]),
        )
    assert set(refused.value.errors) == {"shared_agency_ids", "recipient_user_ids"}
    assert count(db, Report) == 0


def test_red_names_the_filer_and_the_chosen_recipients(db, settings, home, analyst):
    colleague = make_user(db, agency=home, roles={Role.SUPERVISOR})
    report = file(
        db, analyst, settings, full_report(marking="RED", recipient_user_ids=[colleague.id])
    )
    named = db.execute(
        select(ReportRecipient.user_id).where(ReportRecipient.report_id == report.id)
    ).scalars()
    assert set(named) == {analyst.user_id, colleague.id}


def test_sharing_at_filing_is_a_logged_dissemination(db, settings, analyst):
    partner = make_agency(db, name="Springfield Schools")
    report = file(
        db, analyst, settings, full_report(marking="AMBER", shared_agency_ids=[partner.id])
    )
    assert report.shared_agency_ids == {partner.id}
    shared = db.execute(
        select(ReportEvent).where(ReportEvent.report_id == report.id, ReportEvent.kind == "shared")
    ).scalar_one()
    assert shared.data["agencies"] == [partner.id] and shared.user_id == analyst.user_id
    event = db.execute(
        select(AuditEvent).where(
            AuditEvent.action == "report.share", AuditEvent.object_id == str(report.id)
        )
    ).scalar_one()
    assert event.details["agencies"] == [partner.id]


# --- one transaction ----------------------------------------------------------------


def _boom(*_args: Any, **_kwargs: Any) -> None:
    raise RuntimeError("disk full")


def traces(session_factory: sessionmaker[Session]) -> dict[str, int]:
    """Everything a filing writes, counted."""
    with session_factory() as fresh:
        return {
            "reports": count(fresh, Report),
            "mentions": count(fresh, Mention),
            "events": count(fresh, ReportEvent),
            "shares": count(fresh, ReportShare),
            "keys": count(fresh, IdempotencyKey),
            "audit": count(fresh, AuditEvent, AuditEvent.action.like("report.%")),
            "audit_head": fresh.get(AuditChainHead, audit.HEAD_ROW_ID).seq,  # type: ignore[union-attr]
            "search": fresh.execute(text("SELECT count(*) FROM report_search")).scalar_one(),
        }


@pytest.mark.parametrize(
    "where",
    [(search, "index_report"), (audit, "record")],
    ids=["search index", "audit record"],
)
def test_a_failure_after_the_insert_leaves_nothing_behind(
    db, session_factory, settings, home, analyst, monkeypatch, where
):
    partner = make_agency(db)
    db.commit()
    before = traces(session_factory)
    monkeypatch.setattr(*where, _boom)
    data = full_report(shared_agency_ids=[partner.id], marking="AMBER")
    with pytest.raises(RuntimeError, match="disk full"), transaction(session_factory) as unit:
        service.create_report(
            unit, actor=analyst, settings=settings, data=data, idempotency_key="k-1"
        )
    monkeypatch.undo()
    assert traces(session_factory) == before
    # The key was not burnt: the retry files the report.
    with transaction(session_factory) as unit:
        _, duplicate = service.create_report(
            unit, actor=analyst, settings=settings, data=data, idempotency_key="k-1"
        )
    assert not duplicate
    after = traces(session_factory)
    assert after["reports"] == before["reports"] + 1
    assert after["mentions"] == before["mentions"] + 2


# --- idempotency ----------------------------------------------------------------------


def test_same_key_and_body_give_the_same_report(db, settings, analyst):
    first, duplicate = service.create_report(
        db, actor=analyst, settings=settings, data=full_report(), idempotency_key="abc"
    )
    assert not duplicate
    again, duplicate = service.create_report(
        db, actor=analyst, settings=settings, data=full_report(), idempotency_key="abc"
    )
    assert duplicate and again.id == first.id
    assert count(db, Report) == 1
    assert count(db, Mention) == 2
    assert count(db, IdempotencyKey) == 1


def test_same_key_with_another_body_is_a_conflict(db, settings, analyst):
    service.create_report(
        db, actor=analyst, settings=settings, data=full_report(), idempotency_key="abc"
    )
    with pytest.raises(Conflict):
        service.create_report(
            db,
            actor=analyst,
            settings=settings,
            data=full_report(narrative="Something else entirely."),
            idempotency_key="abc",
        )
    assert count(db, Report) == 1


def test_keys_belong_to_one_user(db, settings, home, analyst):
    other = actor_for(make_user(db, agency=home, roles={Role.ANALYST}))
    mine, _ = service.create_report(
        db, actor=analyst, settings=settings, data=full_report(), idempotency_key="abc"
    )
    theirs, duplicate = service.create_report(
        db, actor=other, settings=settings, data=full_report(), idempotency_key="abc"
    )
    assert not duplicate and theirs.id != mine.id


def test_without_a_key_each_submission_is_a_report(db, settings, analyst):
    file(db, analyst, settings, full_report())
    file(db, analyst, settings, full_report())
    assert count(db, Report) == 2


@pytest.fixture()
def committed_world(engine: Engine, backend: str) -> Iterator[tuple[Engine, int]]:
    """An agency and an analyst committed for real (for tests with their own
    connections), removed afterwards with every report they filed. Audit events stay:
    the trail is append-only (the chain they extend remains valid)."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): no race to lose")
    with Session(engine) as setup:
        agency = make_agency(setup, name=f"Race {uuid.uuid4().hex[:8]}")
        user = make_user(setup, agency=agency, roles={Role.ANALYST})
        setup.commit()
        agency_id, user_id = agency.id, user.id
    try:
        yield engine, user_id
    finally:
        with Session(engine) as cleanup:
            for report in cleanup.execute(
                select(Report).where(Report.owner_agency_id == agency_id)
            ).scalars():
                cleanup.delete(report)
            cleanup.flush()
            cleanup.delete(cleanup.get(User, user_id))
            cleanup.flush()
            cleanup.delete(cleanup.get(Agency, agency_id))
            cleanup.commit()


def test_concurrent_submissions_with_one_key_make_one_report(
    committed_world, settings, monkeypatch
):
    engine, user_id = committed_world
    key = f"race-{uuid.uuid4()}"
    # Both submissions look the key up before either stores it: the race the unique
    # constraint must settle.
    looked_up = threading.Barrier(2, timeout=20)
    real_lookup: Callable[..., Report | None] = service.find_idempotent
    first_lookup: set[int] = set()

    def racing_lookup(*args: Any, **kwargs: Any) -> Report | None:
        found = real_lookup(*args, **kwargs)
        if threading.get_ident() not in first_lookup:
            first_lookup.add(threading.get_ident())
            looked_up.wait()
        return found

    monkeypatch.setattr(service, "find_idempotent", racing_lookup)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            with Session(engine, expire_on_commit=False) as own:
                actor = actor_for(own.get(User, user_id))  # type: ignore[arg-type]
                report, duplicate = service.create_report(
                    own, actor=actor, settings=settings, data=full_report(), idempotency_key=key
                )
                own.commit()
                results.append((report.id, duplicate))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(duplicate for _, duplicate in results) == [False, True]
    assert len({report_id for report_id, _ in results}) == 1
    with Session(engine) as check:
        stored = check.execute(select(IdempotencyKey).where(IdempotencyKey.key == key)).scalar_one()
        assert stored.report_id == results[0][0]
        owner = check.get(User, user_id).agency_id  # type: ignore[union-attr]
        assert count(check, Report, Report.owner_agency_id == owner) == 1


# --- triage on filing -----------------------------------------------------------------

LEVEL_NARRATIVES = {
    "imminent": "He said he will shoot everyone at Lincoln High tomorrow.",
    "high": "He said he will shoot people. He keeps a rifle in his truck.",
    "moderate": "He threatened to kill his boss.",
    "low": "Loud music from the neighbours every evening.",
}


@pytest.mark.parametrize("level", list(LEVEL_NARRATIVES))
def test_triage_is_stored_with_the_deadline_for_its_level(db, settings, analyst, level):
    report = file(db, analyst, settings, plain(LEVEL_NARRATIVES[level]))
    assert report.urgency_level == level
    default_minutes = {"imminent": 15, "high": 4 * 60, "moderate": 2 * 24 * 60, "low": 7 * 24 * 60}
    assert report.ack_due_at - report.reported_at == timedelta(minutes=default_minutes[level])
    if level != "low":
        assert report.urgency_score > 0
        assert "explicit_threat" in {rule["rule"] for rule in report.urgency_rules}
    stored = db.execute(
        select(Report.urgency_score, Report.urgency_level).where(Report.id == report.id)
    ).one()
    assert tuple(stored) == (report.urgency_score, level)


def test_deadlines_come_from_the_settings(db, settings, analyst):
    custom = settings.model_copy(
        update={
            "ack_minutes_imminent": 7,
            "ack_minutes_high": 11,
            "ack_minutes_moderate": 13,
            "ack_minutes_low": 17,
        }
    )
    expected = {"imminent": 7, "high": 11, "moderate": 13, "low": 17}
    for level, narrative in LEVEL_NARRATIVES.items():
        report = file(db, analyst, custom, plain(narrative))
        assert report.ack_due_at - report.reported_at == timedelta(minutes=expected[level])


def plain(narrative: str, *mentions: dict[str, Any]) -> ReportCreate:
    """A report whose triage comes from its narrative alone (no structured evidence)."""
    return full_report(
        narrative=narrative, mentions=list(mentions), behaviors=[], weapons=[], target_types=[]
    )


def about(person: dict[str, Any]) -> ReportCreate:
    return plain("He keeps asking about the fire drills.", person)


def earlier_points(report: Report) -> int:
    return sum(rule["points"] for rule in report.urgency_rules if rule["rule"] == "earlier_reports")


def test_earlier_reports_about_the_same_person_raise_the_score(db, settings, home, analyst):
    first = file(db, analyst, settings, about({"given_name": "Jordan", "family_name": "Pike"}))
    assert earlier_points(first) == 0
    by_name = file(db, analyst, settings, about({"given_name": "JORDAN", "family_name": "pike"}))
    assert earlier_points(by_name) == 5
    assert by_name.urgency_score == first.urgency_score + 5
    by_handle = file(db, analyst, settings, about({"handles": ["@jpike09"], "given_name": "J"}))
    assert earlier_points(by_handle) == 0  # nobody had that handle yet
    both = file(
        db,
        analyst,
        settings,
        about({"given_name": "Jordan", "family_name": "Pike", "handles": ["@JPIKE09"]}),
    )
    assert earlier_points(both) == 15  # three earlier reports name him


def test_reports_elsewhere_or_about_someone_else_do_not_count(db, settings, home, analyst):
    elsewhere = actor_for(make_user(db, agency=make_agency(db), roles={Role.ANALYST}))
    file(db, elsewhere, settings, about({"given_name": "Jordan", "family_name": "Pike"}))
    file(db, analyst, settings, about({"given_name": "Casey", "family_name": "Pike"}))
    report = file(db, analyst, settings, about({"given_name": "Jordan", "family_name": "Pike"}))
    assert earlier_points(report) == 0


def test_a_witness_is_not_who_a_report_is_about(db, settings, analyst):
    file(db, analyst, settings, about({"given_name": "Jordan", "family_name": "Pike"}))
    witness = {"role": "witness", "given_name": "Jordan", "family_name": "Pike"}
    subject = {"given_name": "Casey", "family_name": "Ross"}
    data = plain("Casey keeps asking about the fire drills.", subject, witness)
    assert earlier_points(file(db, analyst, settings, data)) == 0

"""Retention: each file class's clock with a controlled `now`, the review queue,
revalidation with reviewer, date and reason, purges that leave no content behind
(and nothing but ids and a reason in the audit trail), shared attachment files, the
open-case hook, protected activity, the `vigil retention run` command and the pages."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tests.conftest import TEST_SECRET, create_postgres_database, drop_postgres_database
from tests.conftest import require_postgres as need_postgres
from tests.factories import actor_for, make_agency, make_user
from tests.reports.intake_support import (
    World,
    api_token,
    as_intelligence,
    as_sar,
    build_world,
    days_after,
    file,
    make_app,
    make_due_for_review,
    sign_in,
)
from vigil.cli import app as cli_app
from vigil.platform import migrate
from vigil.platform.actor import command_line
from vigil.platform.database import Base, make_engine, make_sessionmaker
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.models import AuditEvent, Notification
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import retention
from vigil.reports.attachments import LocalAttachmentStore
from vigil.reports.models import (
    Mention,
    Report,
    ReportAttachment,
    ReportEvent,
    ReportMessage,
    RetentionReview,
)
from vigil.reports.schemas import MentionIn

SHELL = command_line("tester")
DAY = timedelta(days=1)


@pytest.fixture()
def world(db: Session) -> World:
    built = build_world(db)
    db.commit()
    return built


def run(db: Session, settings: Settings, now: Any) -> retention.RetentionRun:
    result = retention.run_retention(db, actor=SHELL, settings=settings, now=now)
    db.flush()
    return result


def exists(db: Session, report_id: int) -> bool:
    db.expire_all()
    return db.get(Report, report_id) is not None


def search_rows(db: Session, report_id: int) -> int:
    column = "report_id" if db.get_bind().dialect.name == "postgresql" else "rowid"
    return int(
        db.execute(
            text(f"SELECT count(*) FROM report_search WHERE {column} = :id"),
            {"id": report_id},
        ).scalar_one()
    )


def purge_events(db: Session, report_id: int) -> list[AuditEvent]:
    return list(
        db.execute(
            select(AuditEvent).where(
                AuditEvent.action == "report.purge", AuditEvent.object_id == str(report_id)
            )
        ).scalars()
    )


# --- pure rules --------------------------------------------------------------------


def test_purge_reasons_name_the_rule_and_nothing_else() -> None:
    assert retention.purge_reason("tip_lead", False) == "tip/lead retention limit"
    assert retention.purge_reason("sar", False) == "SAR retention limit"
    assert retention.purge_reason("intelligence", False) == "intelligence not revalidated"
    assert retention.purge_reason("sar", True).startswith("protected activity only")


def test_only_an_ordinary_tip_lead_waits_for_its_open_case() -> None:
    assert retention.held_for_open_case("tip_lead", False, linked=True)
    assert not retention.held_for_open_case("tip_lead", False, linked=False)
    assert not retention.held_for_open_case("tip_lead", True, linked=True)
    assert not retention.held_for_open_case("sar", False, linked=True)
    assert not retention.held_for_open_case("intelligence", False, linked=True)


# --- each class's clock --------------------------------------------------------------


def test_a_tip_lead_is_kept_a_year_then_purged_with_its_content(
    db: Session, settings: Settings, world: World
) -> None:
    report = file(db, settings, world.analyst)
    report_id, filed = report.id, report.reported_at
    assert search_rows(db, report_id) == 1

    early = run(db, settings, days_after(filed, 364))
    assert (early.purged, early.queued_for_review) == (0, 0)
    assert exists(db, report_id)

    late = run(db, settings, days_after(filed, 366))
    assert late.purged == 1
    assert not exists(db, report_id)
    assert search_rows(db, report_id) == 0
    for table in (Mention, ReportEvent, ReportMessage, ReportAttachment):
        count = db.execute(
            select(func.count()).select_from(table).where(table.report_id == report_id)
        ).scalar_one()
        assert count == 0, table.__tablename__
    [event] = purge_events(db, report_id)
    assert event.details == {
        "receipt_number": report.receipt_number,
        "reason": "tip/lead retention limit",
    }
    assert event.actor_type == "cli" and event.agency_id == world.home.id


def test_a_sar_is_kept_five_years(db: Session, settings: Settings, world: World) -> None:
    report = as_sar(db, settings, world.supervisor, file(db, settings, world.analyst))
    start = report.reported_at
    assert run(db, settings, days_after(start, 400)).purged == 0
    assert run(db, settings, days_after(start, 1824)).purged == 0
    assert exists(db, report.id)
    assert run(db, settings, days_after(start, 1827)).purged == 1
    [event] = purge_events(db, report.id)
    assert event.details["reason"] == "SAR retention limit"


def test_intelligence_is_queued_for_review_once_then_purged_unless_revalidated(
    db: Session, settings: Settings, world: World
) -> None:
    report = as_intelligence(db, settings, world.supervisor, file(db, settings, world.analyst))
    assert report.review_due_at is not None and report.purge_due_at is not None
    review_due, purge_due = report.review_due_at, report.purge_due_at
    assert purge_due - review_due == timedelta(days=settings.intelligence_review_notice_days)

    assert run(db, settings, review_due - DAY).queued_for_review == 0
    queued = run(db, settings, review_due + DAY)
    assert (queued.queued_for_review, queued.purged) == (1, 0)
    assert run(db, settings, review_due + 2 * DAY).queued_for_review == 0  # once
    notified = db.execute(
        select(Notification.user_id).where(
            Notification.kind == "report.retention_review",
            Notification.object_id == str(report.id),
        )
    ).scalars()
    assert set(notified) == {world.supervisor.id, world.second_supervisor.id}
    [due_event] = db.execute(
        select(AuditEvent).where(
            AuditEvent.action == "report.retention_review_due",
            AuditEvent.object_id == str(report.id),
        )
    ).scalars()
    assert due_event.details["file_class"] == "intelligence"

    assert run(db, settings, purge_due + DAY).purged == 1
    assert not exists(db, report.id)
    [event] = purge_events(db, report.id)
    assert event.details["reason"] == "intelligence not revalidated"
    assert (
        db.execute(
            select(func.count())
            .select_from(Notification)
            .where(Notification.object_type == "report", Notification.object_id == str(report.id))
        ).scalar_one()
        == 0
    )


def test_revalidation_keeps_reviewer_date_and_reason_and_restarts_the_clock(
    db: Session, settings: Settings, world: World
) -> None:
    report = as_intelligence(db, settings, world.supervisor, file(db, settings, world.analyst))
    assert report.review_due_at is not None and report.purge_due_at is not None
    old_purge = report.purge_due_at
    decided = report.review_due_at + 10 * DAY
    run(db, settings, decided)
    reason = "Predicate still holds: the subject was arrested with rail-yard plans in May."

    outcome = retention.review_report(
        db,
        actor=actor_for(world.supervisor),
        settings=settings,
        report_id=report.id,
        decision="revalidate",
        reason=reason,
        now=decided,
    )
    db.flush()
    assert outcome.decision is retention.Decision.REVALIDATE
    assert outcome.purge_due_at == decided + timedelta(days=settings.intelligence_retention_days)
    [review] = db.execute(
        select(RetentionReview).where(RetentionReview.report_id == report.id)
    ).scalars()
    assert review.reviewer_user_id == world.supervisor.id
    assert review.decided_at == decided
    assert review.reason == reason
    assert review.decision == "revalidated"
    assert review.next_review_at == outcome.review_due_at
    [audited] = db.execute(
        select(AuditEvent).where(AuditEvent.action == "report.retention_revalidate")
    ).scalars()
    assert audited.actor_id == world.supervisor.id
    assert "arrested" not in str(audited.details)

    after_old_limit = run(db, settings, old_purge + DAY)
    assert after_old_limit.purged == 0 and exists(db, report.id)
    # The next review cycle queues it again, and the new limit purges it.
    assert outcome.review_due_at is not None and outcome.purge_due_at is not None
    assert run(db, settings, outcome.review_due_at + DAY).queued_for_review == 1
    assert run(db, settings, outcome.purge_due_at + DAY).purged == 1


def test_a_reviewer_can_purge_at_once(db: Session, settings: Settings, world: World) -> None:
    report = as_intelligence(db, settings, world.supervisor, file(db, settings, world.analyst))
    make_due_for_review(report)
    db.flush()
    outcome = retention.review_report(
        db,
        actor=actor_for(world.supervisor),
        settings=settings,
        report_id=report.id,
        decision="purge",
        reason="The predicate was cleared by the investigation in March.",
    )
    db.flush()
    assert outcome.decision is retention.Decision.PURGE and outcome.purge_due_at is None
    assert not exists(db, report.id)
    [event] = purge_events(db, report.id)
    assert event.actor_id == world.supervisor.id
    assert event.details["reason"] == "purged at retention review"


def test_reviews_need_a_supervisor_of_the_owning_agency_a_due_date_and_a_reason(
    db: Session, settings: Settings, world: World
) -> None:
    report = as_intelligence(db, settings, world.supervisor, file(db, settings, world.analyst))

    def review(user: Any, decision: str = "revalidate", reason: str = "x" * 30) -> Any:
        return retention.review_report(
            db,
            actor=actor_for(user),
            settings=settings,
            report_id=report.id,
            decision=decision,
            reason=reason,
        )

    with pytest.raises(InvalidInput, match="not due"):
        review(world.supervisor)
    make_due_for_review(report)
    db.flush()
    with pytest.raises(PermissionDenied):
        review(world.analyst)
    with pytest.raises(NotFound):
        review(world.other_supervisor)
    with pytest.raises(InvalidInput, match="20 characters"):
        review(world.supervisor, reason="still valid")
    with pytest.raises(InvalidInput, match="revalidate or to purge"):
        review(world.supervisor, decision="archive")
    with pytest.raises(PermissionDenied):
        retention.run_retention(db, actor=actor_for(world.supervisor), settings=settings)


# --- what a purge leaves ------------------------------------------------------------


MARKERS = (
    "Xylophonic",
    "Quillbrandt",
    "Marzipan Lane",
    "555-0143",
    "quill.b@example.org",
    "@quillbrandt_x",
    "Thistlewood Academy",
    "bring the crossbow to the spring concert",
)


def _strings_in(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def test_a_purge_deletes_the_content_and_the_audit_trail_keeps_only_ids_and_the_reason(
    db: Session, settings: Settings, world: World
) -> None:
    report = file(
        db,
        settings,
        world.analyst,
        narrative=(
            "Xylophonic Quillbrandt of Marzipan Lane said he would bring the crossbow "
            "to the spring concert at Thistlewood Academy."
        ),
        mentions=[
            MentionIn(
                given_name="Xylophonic",
                family_name="Quillbrandt",
                phones=["555-0143"],
                emails=["quill.b@example.org"],
                handles=["@quillbrandt_x"],
                addresses=["12 Marzipan Lane"],
                school_or_employer="Thistlewood Academy",
            )
        ],
    )
    db.add(ReportMessage(report_id=report.id, sender="tipster", body="Xylophonic again"))
    db.flush()
    run(db, settings, days_after(report.reported_at, 400))

    db.expire_all()
    for table in Base.metadata.sorted_tables:
        for row in db.execute(select(table)).all():
            flat = " ".join(_strings_in(value) for value in row)
            for marker in MARKERS:
                assert marker not in flat, f"{marker!r} survived the purge in {table.name}"
    assert search_rows(db, report.id) == 0
    [event] = purge_events(db, report.id)
    assert set(event.details) == {"receipt_number", "reason"}


def _attach(db: Session, store: LocalAttachmentStore, report: Report, content: bytes) -> str:
    stored = store.save(io.BytesIO(content))
    db.add(
        ReportAttachment(
            report_id=report.id,
            sha256=stored.sha256,
            filename="note.txt",
            media_type=stored.media_type,
            size_bytes=stored.size_bytes,
        )
    )
    db.flush()
    return stored.sha256


def test_attachment_files_go_only_when_no_report_refers_to_them(
    db: Session, settings: Settings, world: World, session_factory: Any, tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"attachments_dir": tmp_path / "files"})
    store = retention.attachment_store(settings)
    assert isinstance(store, LocalAttachmentStore)
    old = file(db, settings, world.analyst)
    newer = file(db, settings, world.analyst)
    newer.reported_at = old.reported_at + 200 * DAY
    newer.purge_due_at = newer.reported_at + 365 * DAY
    shared = _attach(db, store, old, b"seen near the gym at 9pm, blue jacket\n")
    _attach(db, store, newer, b"seen near the gym at 9pm, blue jacket\n")
    only_old = _attach(db, store, old, b"photo caption: the parking lot, north side\n")
    db.commit()

    first = run(db, settings, days_after(old.reported_at, 366))
    assert first.purged == 1 and first.files_to_delete == (only_old,)
    db.commit()
    assert retention.remove_files(session_factory, settings, first.files_to_delete) == 1
    assert not store.path_for(only_old).exists()
    assert store.path_for(shared).exists()

    # Asked to delete a file a report still uses (a purge that rolled back), it refuses.
    assert retention.remove_files(session_factory, settings, [shared]) == 0
    assert store.path_for(shared).exists()

    second = run(db, settings, days_after(old.reported_at, 600))
    assert second.purged == 1 and second.files_to_delete == (shared,)
    db.commit()
    assert retention.remove_files(session_factory, settings, second.files_to_delete) == 1
    assert not store.path_for(shared).exists()


# --- open cases and protected activity -----------------------------------------------


def test_a_tip_lead_linked_to_an_open_case_is_kept_until_the_case_closes(
    db: Session, settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    linked = file(db, settings, world.analyst)
    protected = file(db, settings, world.analyst, protected_activity_only=True)
    sar = as_sar(db, settings, world.supervisor, file(db, settings, world.analyst))
    open_case = {linked.id, protected.id, sar.id}
    monkeypatch.setattr(retention, "report_ids_linked_to_open_cases", lambda db: open_case)
    assert retention.report_ids_linked_to_open_cases(db) == open_case

    held = run(db, settings, days_after(linked.reported_at, 366))
    assert (held.purged, held.held_for_open_case) == (1, 1)
    assert exists(db, linked.id)
    assert not exists(db, protected.id)  # protected activity never waits for a case

    open_case.clear()  # the case closed
    assert run(db, settings, days_after(linked.reported_at, 367)).purged == 1
    assert not exists(db, linked.id)
    assert run(db, settings, days_after(sar.reported_at, 1827)).purged == 1


def test_without_cases_the_hook_links_nothing(db: Session) -> None:
    assert retention.report_ids_linked_to_open_cases(db) == set()


def test_protected_activity_is_purged_at_the_tip_lead_limit_whatever_its_class(
    db: Session, settings: Settings, world: World
) -> None:
    report = as_sar(
        db,
        settings,
        world.supervisor,
        file(db, settings, world.analyst, protected_activity_only=True),
    )
    # Even if its purge date were later (a class change, an edit), filing starts the clock.
    report.purge_due_at = report.reported_at + timedelta(days=5000)
    db.flush()
    assert run(db, settings, days_after(report.reported_at, 364)).purged == 0
    assert run(db, settings, days_after(report.reported_at, 366)).purged == 1
    [event] = purge_events(db, report.id)
    assert event.details["reason"] == "protected activity only: tip/lead retention limit"


# --- the command -------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def cli_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        "VIGIL_DATA_DIR": str(tmp_path / "data"),
        "VIGIL_SECRET_KEY": TEST_SECRET,
        "VIGIL_DEMO_MODE": "false",
    }
    if request.param == "sqlite":
        yield env
        return
    need_postgres()
    url = create_postgres_database()
    env["VIGIL_DATABASE_URL"] = url
    try:
        yield env
    finally:
        drop_postgres_database(url)


def test_vigil_retention_run_purges_and_prints_counts(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=Path(cli_env["VIGIL_DATA_DIR"]),
        database_url=cli_env.get("VIGIL_DATABASE_URL"),
        secret_key=TEST_SECRET,
    )
    engine = make_engine(settings)
    migrate.upgrade(engine)
    factory: sessionmaker[Session] = make_sessionmaker(engine)
    try:
        with factory() as db:
            agency = make_agency(db)
            analyst = make_user(db, agency=agency, roles={Role.ANALYST})
            supervisor = make_user(db, agency=agency, roles={Role.SUPERVISOR})
            stale = file(db, settings, analyst)
            stale.purge_due_at = utcnow() - DAY
            due = as_intelligence(db, settings, supervisor, file(db, settings, analyst))
            make_due_for_review(due)
            fresh = file(db, settings, analyst)
            ids = (stale.id, due.id, fresh.id)
            db.commit()
        result = CliRunner().invoke(cli_app, ["retention", "run"], env=cli_env)
        assert result.exit_code == 0, result.output
        assert "1 queued for review" in result.output and "1 purged" in result.output
        with factory() as db:
            assert db.get(Report, ids[0]) is None
            assert db.get(Report, ids[1]) is not None and db.get(Report, ids[2]) is not None
            [event] = db.execute(
                select(AuditEvent).where(AuditEvent.action == "report.purge")
            ).scalars()
            assert event.actor_type == "cli" and event.object_id == str(ids[0])
        again = CliRunner().invoke(cli_app, ["retention", "run"], env=cli_env)
        assert again.exit_code == 0 and "0 queued for review, 0 purged" in again.output
    finally:
        engine.dispose()


# --- the pages and the API ----------------------------------------------------------


@pytest.fixture()
def due(db: Session, settings: Settings, world: World) -> Report:
    report = as_intelligence(db, settings, world.supervisor, file(db, settings, world.analyst))
    make_due_for_review(report)
    db.commit()
    return report


def test_the_queue_page_offers_supervisors_a_decision_and_revalidates(
    db: Session, settings: Settings, session_factory: Any, world: World, due: Report
) -> None:
    app = make_app(settings, session_factory)
    supervisor = sign_in(app, settings, session_factory, world.supervisor.id)
    page = supervisor.get("/reports/retention")
    assert page.status_code == 200
    assert due.receipt_number in page.text
    assert f'action="/reports/{due.id}/retention-review"' in page.text

    short = supervisor.post(
        f"/reports/{due.id}/retention-review", {"decision": "revalidate", "reason": "ok"}
    )
    assert short.status_code == 422 and "at least 20 characters" in short.text

    done = supervisor.post(
        f"/reports/{due.id}/retention-review",
        {"decision": "revalidate", "reason": "Predicate confirmed again by the task force."},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/reports/retention?done=revalidated"
    with session_factory() as check:
        report = check.get(Report, due.id)
        assert report is not None and report.review_due_at is not None
        assert report.review_due_at > utcnow()
        [review] = check.execute(
            select(RetentionReview).where(RetentionReview.report_id == due.id)
        ).scalars()
        assert review.reviewer_user_id == world.supervisor.id
    assert due.receipt_number not in supervisor.get("/reports/retention").text


def test_analysts_see_the_queue_but_cannot_decide(
    settings: Settings, session_factory: Any, world: World, due: Report
) -> None:
    app = make_app(settings, session_factory)
    analyst = sign_in(app, settings, session_factory, world.analyst.id)
    page = analyst.get("/reports/retention")
    assert page.status_code == 200 and due.receipt_number in page.text
    assert "retention-review" not in page.text
    refused = analyst.post(
        f"/reports/{due.id}/retention-review",
        {"decision": "purge", "reason": "An analyst should never be able to do this."},
    )
    assert refused.status_code == 403
    with session_factory() as check:
        assert check.get(Report, due.id) is not None


def test_other_agencies_see_nothing(
    settings: Settings, session_factory: Any, world: World, due: Report
) -> None:
    app = make_app(settings, session_factory)
    other = sign_in(app, settings, session_factory, world.other_supervisor.id)
    page = other.get("/reports/retention")
    assert page.status_code == 200 and due.receipt_number not in page.text
    refused = other.post(
        f"/reports/{due.id}/retention-review",
        {"decision": "purge", "reason": "Another agency must not be able to do this."},
    )
    assert refused.status_code == 404
    queue = other.http.get(
        "/api/v1/retention/queue", headers=api_token(session_factory, world.other_supervisor.id)
    )
    assert queue.status_code == 200 and queue.json() == []


def test_the_api_lists_the_queue_and_purges_with_the_files(
    db: Session,
    settings: Settings,
    session_factory: Any,
    world: World,
    due: Report,
    tmp_path: Path,
) -> None:
    settings = settings.model_copy(update={"attachments_dir": tmp_path / "files"})
    store = retention.attachment_store(settings)
    assert isinstance(store, LocalAttachmentStore)
    digest = _attach(db, store, due, b"rail yard plans, page one\n")
    db.commit()
    app = make_app(settings, session_factory)
    client = sign_in(app, settings, session_factory, world.supervisor.id).http
    headers = api_token(session_factory, world.supervisor.id)

    listed = client.get("/api/v1/retention/queue", headers=headers)
    assert listed.status_code == 200
    [item] = listed.json()
    assert item["id"] == due.id and item["can_review"] is True

    analyst = api_token(session_factory, world.analyst.id)
    body = {"decision": "purge", "reason": "The investigation closed without charges."}
    assert (
        client.post(
            f"/api/v1/reports/{due.id}/retention-review", json=body, headers=analyst
        ).status_code
        == 403
    )
    answer = client.post(f"/api/v1/reports/{due.id}/retention-review", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["decision"] == "purge"
    with session_factory() as check:
        assert check.get(Report, due.id) is None
    assert not store.path_for(digest).exists()

"""The jobs `vigil serve` runs on a schedule: deadline escalation, retention (of
reports, and the victim-services purge), linkage of mentions the after-commit matcher
did not reach, threat-assessment reminders, federation pulls from partners' TAXII
collections and preparedness (after-action reports drafted when an exercise ends,
overdue corrective actions and expiring certifications reminded).

APScheduler's BackgroundScheduler runs them in a thread of the server process,
every ``scheduled_jobs_interval_minutes`` and once at start-up. Each run is one
transaction as the command-line actor "scheduler"; attachment files are deleted
only after the purge committed, and a reminder is recorded only once its e-mail was
handed over (vigil.assessment.reminders), so a failed send is tried again next run.
A failing run is logged by exception type alone (messages can carry personal data:
SQL parameters, narratives) and the next run tries again; nothing a job does can
stop the server.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
    BackgroundScheduler,
)
from sqlalchemy.orm import Session, sessionmaker

from vigil.platform.actor import command_line
from vigil.platform.database import transaction
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import escalation, retention

log = logging.getLogger("vigil.jobs")
SCHEDULER_ACTOR = command_line("scheduler")


def escalation_job(settings: Settings, session_factory: sessionmaker[Session]) -> None:
    try:
        with transaction(session_factory) as db:
            count = escalation.escalate_breaches(db, settings=settings, actor=SCHEDULER_ACTOR)
    except Exception as error:
        log.error("scheduled escalation failed: %s", type(error).__name__)
        return
    if count:
        log.info("escalated %d reports past their acknowledgement deadline", count)


def retention_job(settings: Settings, session_factory: sessionmaker[Session]) -> None:
    try:
        with transaction(session_factory) as db:
            result = retention.run_retention(db, actor=SCHEDULER_ACTOR, settings=settings)
        removed = retention.remove_files(session_factory, settings, result.files_to_delete)
    except Exception as error:
        log.error("scheduled retention run failed: %s", type(error).__name__)
        return
    if result.queued_for_review or result.purged:
        log.info(
            "retention: %d queued for review, %d purged, %d attachment files deleted",
            result.queued_for_review,
            result.purged,
            removed,
        )


def recovery_retention_job(settings: Settings, session_factory: sessionmaker[Session]) -> None:
    """Purge the victim-services records past retention (vigil.recovery.retention)."""
    from vigil.recovery.retention import RetentionPeriods, run_purge

    try:
        with transaction(session_factory) as db:
            result = run_purge(
                db, actor=SCHEDULER_ACTOR, periods=RetentionPeriods.from_settings(settings)
            )
    except Exception as error:
        log.error("scheduled victim-services purge failed: %s", type(error).__name__)
        return
    if result.total:
        log.info(
            "victim services: %d cases, %d assistance centers, %d fund claims, %d offers purged",
            len(result.cases),
            len(result.centers),
            result.claims,
            result.offers,
        )


def linkage_job(settings: Settings, session_factory: sessionmaker[Session]) -> None:
    """Place mentions the after-commit matcher missed; the first run if none has been."""
    from vigil.linkage import matching, runs

    try:
        with session_factory() as db:
            latest = runs.latest_run(db)
            untrained = latest is None or latest.model_json is None
            first = untrained and bool(matching.pending_mentions(db, 1))
        if first:
            runs.run_linkage(
                session_factory, actor=SCHEDULER_ACTOR, backend=settings.linkage_backend
            )
        placed = matching.sweep(session_factory)
    except Exception as error:
        log.error("scheduled linkage failed: %s", type(error).__name__)
        return
    if first or placed:
        log.info("linkage: %s, %d new mentions placed", "first run" if first else "sweep", placed)


def reminders_job(settings: Settings, session_factory: sessionmaker[Session]) -> None:
    """E-mail and notify the owners of overdue interventions and the leads of due reviews."""
    from vigil.assessment import reminders
    from vigil.platform.mail import mailer_from_settings

    try:
        mailer = mailer_from_settings(settings)
        with transaction(session_factory) as db:
            sent = reminders.send_due_reminders(
                db,
                actor=SCHEDULER_ACTOR,
                mailer=mailer,
                now=utcnow(),
                base_url=settings.resolved_public_url,
            )
    except Exception as error:
        log.error("scheduled reminders failed: %s", type(error).__name__)
        return
    if sent:
        log.info("threat assessment: %d reminders sent", sent)


def preparedness_job(settings: Settings, session_factory: sessionmaker[Session]) -> None:
    """Draft the after-action reports of exercises that ended and send preparedness
    reminders (overdue corrective actions, expiring certifications)."""
    from vigil.platform.mail import mailer_from_settings
    from vigil.preparedness import exercises, reminders

    try:
        mailer = mailer_from_settings(settings)
        now = utcnow()
        with transaction(session_factory) as db:
            ended = exercises.end_due_exercises(db, actor=SCHEDULER_ACTOR, today=now.date())
            sent = reminders.send_due_reminders(
                db,
                actor=SCHEDULER_ACTOR,
                now=now,
                mailer=mailer,
                base_url=settings.resolved_public_url,
            )
    except Exception as error:
        log.error("scheduled preparedness run failed: %s", type(error).__name__)
        return
    if ended or sent:
        log.info("preparedness: %d after-action reports drafted, %d reminders sent", ended, sent)


def federation_job(settings: Settings, session_factory: sessionmaker[Session]) -> None:
    """Pull every active subscription to a partner's TAXII collection (each in its own
    transaction, as its subscriber; a failing partner is recorded on its subscription)."""
    from vigil.sharing import federation

    try:
        pulled = federation.pull_all(settings, session_factory)
    except Exception as error:
        log.error("scheduled federation pull failed: %s", type(error).__name__)
        return
    arrived = sum(p.imported + p.updated + p.purged for p in pulled)
    failed = sum(1 for p in pulled if p.error)
    if arrived or failed:
        log.info(
            "federation: %d subscriptions pulled, %d reports arrived, updated or purged, "
            "%d partners failed",
            len(pulled),
            arrived,
            failed,
        )


def bulletin_mail_job(settings: Settings, session_factory: sessionmaker[Session]) -> None:
    """E-mail the bulletin recipients whose e-mail is pending or was deferred."""
    from vigil.platform.mail import mailer_from_settings
    from vigil.sharing import bulletins

    try:
        mailer = mailer_from_settings(settings)
        with transaction(session_factory) as db:
            tally = bulletins.retry_pending_mail(
                db, mailer=mailer, base_url=settings.resolved_public_url
            )
    except Exception as error:
        log.error("scheduled bulletin e-mail failed: %s", type(error).__name__)
        return
    if tally.sent or tally.refused or tally.deferred:
        log.info(
            "bulletins: %d e-mails sent, %d refused, %d deferred",
            tally.sent,
            tally.refused,
            tally.deferred,
        )


def start_scheduler(
    settings: Settings,
    session_factory: sessionmaker[Session],
    *,
    interval: timedelta | None = None,
) -> BackgroundScheduler:
    """Start the scheduled jobs in a background thread; the caller shuts it down."""
    every = interval or timedelta(minutes=settings.scheduled_jobs_interval_minutes)
    # APScheduler narrates every run at INFO; the jobs log what they did themselves.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = BackgroundScheduler(
        timezone="UTC",
        # One run of each job at a time; runs missed while one was slow are not replayed.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    jobs = (
        ("escalation", escalation_job),
        ("retention", retention_job),
        ("recovery_retention", recovery_retention_job),
        ("linkage", linkage_job),
        ("reminders", reminders_job),
        ("federation", federation_job),
        ("preparedness", preparedness_job),
        ("bulletin_mail", bulletin_mail_job),
    )
    for job_id, job in jobs:
        scheduler.add_job(
            job,
            "interval",
            seconds=every.total_seconds(),
            args=(settings, session_factory),
            id=job_id,
            next_run_time=utcnow(),
        )
    scheduler.start()
    return scheduler

"""What `vigil serve` runs: the application with its after-commit matcher, in one process
or in each of several (``--workers``/VIGIL_WORKERS), and the scheduled jobs once.

With several processes, uvicorn's supervisor holds the listening socket and the
scheduler, and each worker process builds its application from the same environment by
``worker_application``. The in-memory rate limits are divided among the processes
(``settings.per_process``).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI

from vigil.linkage import matching
from vigil.platform.settings import Settings, check_settings


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def serving_application(settings: Settings) -> tuple[FastAPI, matching.AfterCommitMatcher]:
    """The application, with new mentions matched right after their filing commits (in a
    background thread); the caller shuts the matcher down when serving ends."""
    from vigil.web.app import create_app

    application = create_app(settings)
    matcher = matching.AfterCommitMatcher(application.state.session_factory)
    matching.install_after_commit(application.state.session_factory, matcher)
    return application, matcher


def worker_application() -> FastAPI:
    """One worker process's application (uvicorn calls this factory in each worker).

    Settings come from the environment, as the supervisor's did. The matcher's thread
    finishes its sweep when the process exits.
    """
    settings = Settings()
    check_settings(settings)
    configure_logging(settings)
    application, _matcher = serving_application(settings)
    return application

"""The oracle tests' application: the app on the test's rolled-back connection."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.web.conftest import make_client
from vigil.platform.settings import Settings
from vigil.web.app import create_app


@pytest.fixture
def app_client(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    app = create_app(settings, session_factory=session_factory)
    with make_client(app, settings) as client:
        yield client

"""Shared fixtures: a real database per backend (SQLite always, PostgreSQL where
reachable and always on CI), one migration per test session, and a SAVEPOINT
per test that is rolled back, so tests are isolated and fast."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, make_url
from sqlalchemy.orm import Session

from vigil.platform import migrate
from vigil.platform.database import make_engine, make_sessionmaker
from vigil.platform.settings import Settings

# The authorization oracle's count of cases compared (tests/oracle/tally.py) and the proof
# tests' figures (tests/figures.py), registered here so that pytest-xdist's controller,
# which collects nothing, gathers every worker's.
pytest_plugins = ("tests.oracle.tally", "tests.figures")

POSTGRES_ADMIN_URL = os.environ.get(
    "VIGIL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ON_CI = os.environ.get("CI", "").lower() == "true"
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
# Where this machine keeps the public data sets the tests read (see SOURCE.txt there).
MACHINE_SHARED_DATA = Path("/work/shared/data")


def shared_data_dir() -> Path:
    """The shared data folder: $VIGIL_SHARED_DATA, else ../shared/data beside this
    checkout, else this machine's own (a clean clone elsewhere still finds it)."""
    if given := os.environ.get("VIGIL_SHARED_DATA"):
        return Path(given)
    beside = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    return beside if beside.is_dir() else MACHINE_SHARED_DATA


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        with psycopg.connect(_libpq(POSTGRES_ADMIN_URL), connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL unreachable at {make_url(POSTGRES_ADMIN_URL).host}: {error}"


def require_postgres() -> None:
    reason = postgres_available()
    if reason is None:
        return
    if ON_CI:
        pytest.fail(f"{reason} (CI=true requires the PostgreSQL half of the suite)")
    pytest.skip(f"{reason}; set CI=true to make this a failure")


def create_postgres_database() -> str:
    name = f"vigil_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(POSTGRES_ADMIN_URL), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')  # name is generated above
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(_libpq(POSTGRES_ADMIN_URL), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_settings(data_dir: Path, database_url: str | None = None, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "demo_mode": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        require_postgres()
    return str(request.param)


@pytest.fixture(scope="session")
def database_settings(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    data_dir = tmp_path_factory.mktemp(f"vigil-{backend}")
    if backend == "sqlite":
        yield make_settings(data_dir)
        return
    url = create_postgres_database()
    try:
        yield make_settings(data_dir, url)
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def engine(database_settings: Settings) -> Iterator[Engine]:
    engine = make_engine(database_settings)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture()
def settings(database_settings: Settings) -> Settings:
    return database_settings


@pytest.fixture()
def connection(engine: Engine) -> Iterator[object]:
    with engine.connect() as connection:
        outer = connection.begin()
        try:
            yield connection
        finally:
            outer.rollback()


@pytest.fixture()
def session_factory(connection: object) -> object:
    """Sessions that commit to a SAVEPOINT inside the test's rolled-back transaction."""
    return make_sessionmaker(connection, join_transaction_mode="create_savepoint")


@pytest.fixture()
def db(session_factory: object) -> Iterator[Session]:
    session: Session = session_factory()  # type: ignore[operator]
    try:
        yield session
    finally:
        session.close()

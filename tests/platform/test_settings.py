"""Settings refused at start-up when unsafe, and the database durability checks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import make_url

from tests.conftest import (
    TEST_SECRET,
    create_postgres_database,
    drop_postgres_database,
    make_settings,
    require_postgres,
)
from vigil.platform.database import check_durability, make_engine
from vigil.platform.settings import (
    MIN_SECRET_LENGTH,
    PLACEHOLDER_SECRETS,
    ConfigurationError,
    Settings,
    check_settings,
)

# --- secrets ------------------------------------------------------------------------


def test_safe_settings_pass(tmp_path):
    check_settings(make_settings(tmp_path))


@pytest.mark.parametrize(
    "secret",
    [*sorted(PLACEHOLDER_SECRETS), "  change-me  ", "CHANGE-ME", "x" * (MIN_SECRET_LENGTH - 1)],
)
def test_a_placeholder_or_short_secret_is_refused_outside_demo_mode(tmp_path, secret):
    with pytest.raises(ConfigurationError, match="VIGIL_SECRET_KEY"):
        check_settings(make_settings(tmp_path, secret_key=secret))


@pytest.mark.parametrize("secret", [*sorted(PLACEHOLDER_SECRETS), "short"])
def test_demo_mode_allows_the_placeholder_secret(tmp_path, secret):
    settings = make_settings(tmp_path, secret_key=secret, demo_mode=True)

    check_settings(settings)
    assert not settings.mfa_required


def test_the_default_secret_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("VIGIL_SECRET_KEY", raising=False)
    monkeypatch.delenv("VIGIL_DEMO_MODE", raising=False)
    settings = Settings(data_dir=tmp_path)

    assert settings.mfa_required
    with pytest.raises(ConfigurationError):
        check_settings(settings)


def test_a_secret_of_exactly_the_minimum_length_is_enough(tmp_path):
    check_settings(make_settings(tmp_path, secret_key="k" * MIN_SECRET_LENGTH))


def test_settings_are_read_from_vigil_environment_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIL_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("VIGIL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VIGIL_SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("VIGIL_SQLITE_SYNCHRONOUS", "extra")

    settings = Settings()

    assert settings.secret_key.get_secret_value() == TEST_SECRET
    assert (settings.data_dir, settings.session_idle_minutes) == (tmp_path, 15)
    assert settings.sqlite_synchronous == "EXTRA"
    assert TEST_SECRET not in repr(settings)
    check_settings(settings)


def test_every_setting_is_described():
    for name, field in Settings.model_fields.items():
        assert field.description and len(field.description) > 10, name


# --- SQLite durability --------------------------------------------------------------


@pytest.mark.parametrize("synchronous", ["OFF", "NORMAL", "off", " normal "])
def test_sqlite_synchronous_below_full_is_refused(tmp_path, synchronous):
    settings = make_settings(tmp_path, sqlite_synchronous=synchronous)

    with pytest.raises(ConfigurationError, match="SYNCHRONOUS"):
        check_settings(settings)


@pytest.mark.parametrize("journal_mode", ["OFF", "MEMORY"])
def test_sqlite_journal_mode_off_or_memory_is_refused(tmp_path, journal_mode):
    with pytest.raises(ConfigurationError, match="JOURNAL_MODE"):
        check_settings(make_settings(tmp_path, sqlite_journal_mode=journal_mode))


@pytest.mark.parametrize("journal_mode", ["WAL", "DELETE", "TRUNCATE", "PERSIST"])
def test_durable_sqlite_journal_modes_pass(tmp_path, journal_mode):
    check_settings(
        make_settings(tmp_path, sqlite_journal_mode=journal_mode, sqlite_synchronous="EXTRA")
    )


@pytest.mark.parametrize(
    "field,value",
    [
        ("sqlite_synchronous", "FULL; DROP TABLE users"),
        ("sqlite_synchronous", "2"),
        ("sqlite_journal_mode", "wal2"),
        ("session_idle_minutes", 0),
        ("port", 70000),
    ],
)
def test_values_outside_the_allowed_lists_are_invalid(tmp_path, field, value):
    with pytest.raises(ValidationError):
        make_settings(tmp_path, **{field: value})


def test_sqlite_durability_settings_do_not_apply_to_postgresql(tmp_path):
    check_settings(
        make_settings(
            tmp_path,
            "postgresql+psycopg://vigil@db/vigil",
            sqlite_synchronous="OFF",
            sqlite_journal_mode="OFF",
        )
    )


def test_single_sign_on_needs_issuer_and_client_id(tmp_path):
    with pytest.raises(ConfigurationError, match="OIDC"):
        check_settings(make_settings(tmp_path, oidc_issuer="https://id.example.org"))
    with pytest.raises(ConfigurationError, match="OIDC"):
        check_settings(make_settings(tmp_path, oidc_client_id="vigil"))
    check_settings(
        make_settings(tmp_path, oidc_issuer="https://id.example.org", oidc_client_id="vigil")
    )


def test_default_sqlite_is_wal_with_full_sync_and_foreign_keys(tmp_path):
    settings = make_settings(tmp_path)
    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            pragma = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
        check_durability(engine)
    finally:
        engine.dispose()

    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 10_000,
    }
    assert (tmp_path / "vigil.sqlite3").exists()


@pytest.mark.parametrize("synchronous", ["OFF", "NORMAL"])
def test_check_durability_refuses_sqlite_below_full(tmp_path, synchronous):
    # The settings check is bypassed on purpose: the database itself is asked.
    engine = make_engine(make_settings(tmp_path, sqlite_synchronous=synchronous))
    try:
        with pytest.raises(ConfigurationError, match=f"synchronous={synchronous}"):
            check_durability(engine)
    finally:
        engine.dispose()


def test_check_durability_refuses_an_sqlite_journal_in_memory(tmp_path):
    engine = make_engine(make_settings(tmp_path, sqlite_journal_mode="MEMORY"))
    try:
        with pytest.raises(ConfigurationError, match="journal_mode=MEMORY"):
            check_durability(engine)
    finally:
        engine.dispose()


# --- PostgreSQL durability ----------------------------------------------------------


@pytest.fixture()
def throwaway_postgres():
    require_postgres()
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


def test_check_durability_accepts_default_postgresql(tmp_path, throwaway_postgres):
    engine = make_engine(make_settings(tmp_path, throwaway_postgres))
    try:
        check_durability(engine)
    finally:
        engine.dispose()


def test_check_durability_refuses_postgresql_without_synchronous_commit(
    tmp_path, throwaway_postgres
):
    url = (
        make_url(throwaway_postgres)
        .update_query_dict({"options": "-csynchronous_commit=off"})
        .render_as_string(hide_password=False)
    )
    assert "options=-csynchronous_commit%3Doff" in url
    engine = make_engine(make_settings(tmp_path, url))
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
        with pytest.raises(ConfigurationError, match="synchronous_commit=off"):
            check_durability(engine)
    finally:
        engine.dispose()

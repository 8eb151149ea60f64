"""Throwaway benchmark databases: a temp SQLite file or a `vigil_bench_*` PostgreSQL database."""

from __future__ import annotations

import os
import secrets
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import Engine, make_url

from vigil.platform import migrate
from vigil.platform.database import check_durability, make_engine
from vigil.platform.settings import Settings

BACKENDS = ("sqlite", "postgresql")
POSTGRES_ADMIN_URL = os.environ.get(
    "VIGIL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as psycopg wants it (no ``+psycopg`` driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def backends(choice: str) -> list[str]:
    return list(BACKENDS) if choice == "both" else [choice]


@contextmanager
def throwaway_settings(backend: str, *, demo_mode: bool = False) -> Iterator[Settings]:
    """Settings for a fresh, empty database of ``backend``, removed afterwards."""
    base = os.environ.get("VIGIL_BENCH_TMPDIR")  # the SQLite file can reach ~1 GB
    with tempfile.TemporaryDirectory(prefix="vigil-bench-", dir=base) as data_dir:
        secret = secrets.token_urlsafe(48)
        if backend == "sqlite":
            yield Settings(data_dir=Path(data_dir), secret_key=secret, demo_mode=demo_mode)
            return
        if backend != "postgresql":
            raise ValueError(f"unknown backend {backend!r}")
        name = f"vigil_bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(libpq_url(POSTGRES_ADMIN_URL), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')  # name generated above
        url = make_url(POSTGRES_ADMIN_URL).set(database=name)
        try:
            yield Settings(
                data_dir=Path(data_dir),
                secret_key=secret,
                demo_mode=demo_mode,
                database_url=url.render_as_string(hide_password=False),
            )
        finally:
            with psycopg.connect(libpq_url(POSTGRES_ADMIN_URL), autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrated_engine(settings: Settings) -> Engine:
    """An engine on ``settings``' database, durability-checked and migrated to head."""
    engine = make_engine(settings)
    check_durability(engine)
    migrate.upgrade(engine)
    return engine


def server_description(engine: Engine) -> str:
    """The database version and the durability settings the figures were taken under."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
            description = (
                f"SQLite {sqlite3.sqlite_version}, journal_mode={journal}, "
                f"synchronous={synchronous} (2=FULL)"
            )
        else:
            version = connection.exec_driver_sql("SHOW server_version").scalar()
            commit = connection.exec_driver_sql("SHOW synchronous_commit").scalar()
            buffers = connection.exec_driver_sql("SHOW shared_buffers").scalar()
            description = (
                f"PostgreSQL {version}, synchronous_commit={commit}, shared_buffers={buffers}"
            )
        connection.rollback()
    return description

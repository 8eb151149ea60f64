"""Alembic wiring: find the migration scripts and apply them."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

import vigil

# Search indexes are made by hand in their migration (FTS5, tsvector), not from models.
UNMANAGED_TABLE_PREFIXES = ("report_search",)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic filter: leave the hand-made search tables out of model comparisons."""
    return not (type_ == "table" and name is not None and name.startswith(UNMANAGED_TABLE_PREFIXES))


def migrations_dir() -> Path:
    package_copy = Path(vigil.__file__).parent / "migrations"  # inside an installed wheel
    if package_copy.is_dir():
        return package_copy
    return Path(vigil.__file__).resolve().parents[2] / "migrations"  # a source checkout


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    command.downgrade(alembic_config(engine), revision)

"""Alembic environment: runs migrations on the engine Vigil hands over."""

from __future__ import annotations

from alembic import context

from vigil.platform.database import Base
from vigil.platform.migrate import include_object
from vigil.platform.models_registry import import_all_models

import_all_models()
target_metadata = Base.metadata
engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()

"""analytics: public incident sources, harmonised catalogue

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 04:00:00.000000

The analytics domain's tables. Numbered ahead so that domains built side by side keep
one straight chain of revisions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_incidents",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("month", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("county", sa.String(length=120), nullable=True),
        sa.Column("killed", sa.Integer(), nullable=True),
        sa.Column("injured", sa.Integer(), nullable=True),
        sa.Column("school", sa.Boolean(), nullable=False),
        sa.Column("school_level", sa.String(length=20), nullable=True),
        sa.Column("shot4", sa.Boolean(), nullable=False),
        sa.Column("killed4", sa.Boolean(), nullable=False),
        sa.Column("active_shooter", sa.Boolean(), nullable=False),
        sa.Column("public_mass", sa.Boolean(), nullable=False),
        sa.Column("school_shooting", sa.Boolean(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("provenance", sa.JSON(), nullable=False),
        sa.Column("disagreements", sa.JSON(), nullable=False),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("factors", sa.JSON(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_incidents")),
    )
    op.create_index(
        "ix_analytics_incidents_occurred", "analytics_incidents", ["occurred_on"], unique=False
    )
    op.create_index(
        "ix_analytics_incidents_year_state",
        "analytics_incidents",
        ["year", "state"],
        unique=False,
    )
    op.create_table(
        "analytics_source_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(length=60), nullable=False),
        sa.Column("file", sa.String(length=200), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("row_key", sa.String(length=200), nullable=False),
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("published", sa.JSON(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_source_rows")),
        sa.UniqueConstraint(
            "dataset", "file", "row_index", name=op.f("uq_analytics_source_rows_dataset")
        ),
    )
    op.create_index(
        "ix_analytics_source_rows_incident",
        "analytics_source_rows",
        ["incident_id"],
        unique=False,
    )
    op.create_index(
        "ix_analytics_source_rows_key",
        "analytics_source_rows",
        ["dataset", "row_key"],
        unique=False,
    )
    op.create_table(
        "analytics_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_a", sa.String(length=60), nullable=False),
        sa.Column("row_key_a", sa.String(length=200), nullable=False),
        sa.Column("dataset_b", sa.String(length=60), nullable=False),
        sa.Column("row_key_b", sa.String(length=200), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_links")),
    )
    op.create_index("ix_analytics_links_decision", "analytics_links", ["decision"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_analytics_links_decision", table_name="analytics_links")
    op.drop_table("analytics_links")
    op.drop_index("ix_analytics_source_rows_key", table_name="analytics_source_rows")
    op.drop_index("ix_analytics_source_rows_incident", table_name="analytics_source_rows")
    op.drop_table("analytics_source_rows")
    op.drop_index("ix_analytics_incidents_year_state", table_name="analytics_incidents")
    op.drop_index("ix_analytics_incidents_occurred", table_name="analytics_incidents")
    op.drop_table("analytics_incidents")

"""analytics (issue 12): outcome statistics, review decisions

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_link_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_a", sa.String(length=60), nullable=False),
        sa.Column("row_key_a", sa.String(length=200), nullable=False),
        sa.Column("dataset_b", sa.String(length=60), nullable=False),
        sa.Column("row_key_b", sa.String(length=200), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_analytics_link_decisions_decided_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_link_decisions")),
        sa.UniqueConstraint(
            "dataset_a",
            "row_key_a",
            "dataset_b",
            "row_key_b",
            name=op.f("uq_analytics_link_decisions_dataset_a"),
        ),
    )
    op.create_table(
        "analytics_outcome_sharing",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("changed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_analytics_outcome_sharing_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_user_id"],
            ["users.id"],
            name=op.f("fk_analytics_outcome_sharing_changed_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_analytics_outcome_sharing")),
    )


def downgrade() -> None:
    op.drop_table("analytics_outcome_sharing")
    op.drop_table("analytics_link_decisions")

"""sharing (issue 6): deconfliction, subscriptions, propagation

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sharing_deconfliction_keys",
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["mention_id"],
            ["mentions.id"],
            name=op.f("fk_sharing_deconfliction_keys_mention_id_mentions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("mention_id", "digest", name=op.f("pk_sharing_deconfliction_keys")),
    )
    op.create_index(
        "ix_sharing_deconfliction_keys_digest",
        "sharing_deconfliction_keys",
        ["digest"],
        unique=False,
    )
    op.create_table(
        "sharing_feed_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("stix_id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("author_ref", sa.String(length=80), nullable=False),
        sa.Column("marking", sa.String(length=20), nullable=False),
        sa.Column("stix_created", sa.String(length=40), nullable=False),
        sa.Column("stix_published", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["sharing_groups.id"],
            name=op.f("fk_sharing_feed_events_group_id_sharing_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_sharing_feed_events_report_id_reports"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_feed_events")),
    )
    op.create_index(
        "ix_sharing_feed_events_feed",
        "sharing_feed_events",
        ["group_id", "at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_sharing_feed_events_feed", table_name="sharing_feed_events")
    op.drop_table("sharing_feed_events")
    op.drop_index("ix_sharing_deconfliction_keys_digest", table_name="sharing_deconfliction_keys")
    op.drop_table("sharing_deconfliction_keys")

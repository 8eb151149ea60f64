"""preparedness: sites, vulnerability assessments, risk, plans, training, exercises

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 04:00:00.000000

The preparedness domain's tables. Numbered ahead so that domains built side by side keep
one straight chain of revisions. First: the registry of protected sites and their
candidate mitigation measures.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "protected_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("marking", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("hours", sa.String(length=200), nullable=True),
        sa.Column("contacts", sa.Text(), nullable=True),
        sa.Column("threat", sa.Float(), nullable=False),
        sa.Column("threat_reason", sa.Text(), nullable=True),
        sa.Column("vulnerability", sa.Float(), nullable=False),
        sa.Column("vulnerability_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_protected_sites_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agencies.id"],
            name=op.f("fk_protected_sites_owner_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protected_sites")),
    )
    op.create_index(
        "ix_protected_sites_owner", "protected_sites", ["owner_agency_id", "name"], unique=False
    )
    op.create_table(
        "mitigation_measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("vulnerability_factor", sa.Float(), nullable=False),
        sa.Column("exclusive_group", sa.String(length=60), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_mitigation_measures_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["protected_sites.id"],
            name=op.f("fk_mitigation_measures_site_id_protected_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mitigation_measures")),
    )
    op.create_index(
        "ix_mitigation_measures_site", "mitigation_measures", ["site_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_mitigation_measures_site", table_name="mitigation_measures")
    op.drop_table("mitigation_measures")
    op.drop_index("ix_protected_sites_owner", table_name="protected_sites")
    op.drop_table("protected_sites")

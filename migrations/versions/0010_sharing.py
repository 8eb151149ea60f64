"""sharing: groups, disseminations, STIX imports, TAXII, bulletins, CAP, deconfliction

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 04:00:00.000000

The sharing domain's tables. Numbered ahead so that domains built side by side keep
one straight chain of revisions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sharing_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.String(length=36), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("hide_members", sa.Boolean(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_sharing_groups_created_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agencies.id"],
            name=op.f("fk_sharing_groups_owner_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_groups")),
        sa.UniqueConstraint("collection_id", name=op.f("uq_sharing_groups_collection_id")),
        sa.UniqueConstraint(
            "owner_agency_id", "name", name=op.f("uq_sharing_groups_owner_agency_id")
        ),
    )
    op.create_index(
        op.f("ix_sharing_groups_owner_agency_id"),
        "sharing_groups",
        ["owner_agency_id"],
        unique=False,
    )
    op.create_table(
        "sharing_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("collection_url", sa.String(length=500), nullable=False),
        sa.Column("token_encrypted", sa.Text(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_after", sa.String(length=40), nullable=True),
        sa.Column("last_pulled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.String(length=300), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_sharing_subscriptions_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_sharing_subscriptions_created_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_subscriptions")),
        sa.UniqueConstraint(
            "agency_id", "collection_url", name=op.f("uq_sharing_subscriptions_agency_id")
        ),
    )
    op.create_index(
        op.f("ix_sharing_subscriptions_agency_id"),
        "sharing_subscriptions",
        ["agency_id"],
        unique=False,
    )
    op.create_table(
        "disseminations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("stix_id", sa.String(length=80), nullable=False),
        sa.Column("receipt_number", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("recipient_agency_id", sa.Integer(), nullable=True),
        sa.Column("recipient_group_id", sa.Integer(), nullable=True),
        sa.Column("recipient_label", sa.String(length=200), nullable=False),
        sa.Column("marking", sa.String(length=20), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("by_agency_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_agency_id"], ["agencies.id"], name=op.f("fk_disseminations_by_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["by_user_id"], ["users.id"], name=op.f("fk_disseminations_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_agency_id"],
            ["agencies.id"],
            name=op.f("fk_disseminations_recipient_agency_id_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_group_id"],
            ["sharing_groups.id"],
            name=op.f("fk_disseminations_recipient_group_id_sharing_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_disseminations_report_id_reports"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disseminations")),
    )
    op.create_index(
        op.f("ix_disseminations_recipient_agency_id"),
        "disseminations",
        ["recipient_agency_id"],
        unique=False,
    )
    op.create_index("ix_disseminations_report", "disseminations", ["report_id", "at"], unique=False)
    op.create_index(op.f("ix_disseminations_stix_id"), "disseminations", ["stix_id"], unique=False)
    op.create_table(
        "sharing_group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("added_by_user_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_user_id"],
            ["users.id"],
            name=op.f("fk_sharing_group_members_added_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_sharing_group_members_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["sharing_groups.id"],
            name=op.f("fk_sharing_group_members_group_id_sharing_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "agency_id", name=op.f("pk_sharing_group_members")),
    )
    op.create_index(
        op.f("ix_sharing_group_members_agency_id"),
        "sharing_group_members",
        ["agency_id"],
        unique=False,
    )
    op.create_table(
        "sharing_group_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("shared_by_user_id", sa.Integer(), nullable=True),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["sharing_groups.id"],
            name=op.f("fk_sharing_group_shares_group_id_sharing_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_sharing_group_shares_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_user_id"],
            ["users.id"],
            name=op.f("fk_sharing_group_shares_revoked_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["shared_by_user_id"],
            ["users.id"],
            name=op.f("fk_sharing_group_shares_shared_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_group_shares")),
        sa.UniqueConstraint("group_id", "report_id", name=op.f("uq_sharing_group_shares_group_id")),
    )
    op.create_index(
        "ix_sharing_group_shares_feed",
        "sharing_group_shares",
        ["group_id", "shared_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sharing_group_shares_report_id"),
        "sharing_group_shares",
        ["report_id"],
        unique=False,
    )
    op.create_table(
        "sharing_imported_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("stix_id", sa.String(length=80), nullable=False),
        sa.Column("holder_agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("receipt_number", sa.String(length=64), nullable=True),
        sa.Column("stix_created", sa.String(length=40), nullable=False),
        sa.Column("stix_modified", sa.String(length=40), nullable=False),
        sa.Column("stix_published", sa.String(length=40), nullable=False),
        sa.Column("source_identity_id", sa.String(length=80), nullable=True),
        sa.Column("source_name", sa.String(length=300), nullable=False),
        sa.Column("source_identity_class", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("imported_by_user_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_agency_id"],
            ["agencies.id"],
            name=op.f("fk_sharing_imported_reports_holder_agency_id_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["imported_by_user_id"],
            ["users.id"],
            name=op.f("fk_sharing_imported_reports_imported_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_sharing_imported_reports_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_imported_reports")),
        sa.UniqueConstraint("report_id", name=op.f("uq_sharing_imported_reports_report_id")),
        sa.UniqueConstraint(
            "stix_id", "holder_agency_id", name=op.f("uq_sharing_imported_reports_stix_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("sharing_imported_reports")
    op.drop_index(op.f("ix_sharing_group_shares_report_id"), table_name="sharing_group_shares")
    op.drop_index("ix_sharing_group_shares_feed", table_name="sharing_group_shares")
    op.drop_table("sharing_group_shares")
    op.drop_index(op.f("ix_sharing_group_members_agency_id"), table_name="sharing_group_members")
    op.drop_table("sharing_group_members")
    op.drop_index(op.f("ix_disseminations_stix_id"), table_name="disseminations")
    op.drop_index("ix_disseminations_report", table_name="disseminations")
    op.drop_index(op.f("ix_disseminations_recipient_agency_id"), table_name="disseminations")
    op.drop_table("disseminations")
    op.drop_index(op.f("ix_sharing_subscriptions_agency_id"), table_name="sharing_subscriptions")
    op.drop_table("sharing_subscriptions")
    op.drop_index(op.f("ix_sharing_groups_owner_agency_id"), table_name="sharing_groups")
    op.drop_table("sharing_groups")

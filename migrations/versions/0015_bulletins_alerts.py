"""sharing: intelligence bulletins and public CAP 1.2 alerts

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 05:00:00.000000

Bulletins and public alerts, beside the sharing groups and disseminations of 0010.
Numbered ahead so that domains built side by side keep one straight chain.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulletins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("stix_id", sa.String(length=80), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("marking", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_user_id"], ["users.id"], name=op.f("fk_bulletins_author_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"], ["agencies.id"], name=op.f("fk_bulletins_owner_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["published_by_user_id"],
            ["users.id"],
            name=op.f("fk_bulletins_published_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletins")),
        sa.UniqueConstraint("number", name=op.f("uq_bulletins_number")),
        sa.UniqueConstraint("stix_id", name=op.f("uq_bulletins_stix_id")),
    )
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.create_index("ix_bulletins_owner", ["owner_agency_id", "status"], unique=False)

    op.create_table(
        "public_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=120), nullable=False),
        sa.Column("thread_identifier", sa.String(length=120), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("issued_by_user_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("msg_type", sa.String(length=20), nullable=False),
        sa.Column("event", sa.String(length=200), nullable=False),
        sa.Column("headline", sa.String(length=160), nullable=False),
        sa.Column("area_desc", sa.String(length=300), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_public_alerts_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_user_id"],
            ["users.id"],
            name=op.f("fk_public_alerts_issued_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_alerts")),
        sa.UniqueConstraint("identifier", name=op.f("uq_public_alerts_identifier")),
    )
    with op.batch_alter_table("public_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_public_alerts_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_public_alerts_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            "ix_public_alerts_thread", ["thread_identifier", "sent_at"], unique=False
        )

    op.create_table(
        "bulletin_agencies",
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("via_group_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_bulletin_agencies_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
            name=op.f("fk_bulletin_agencies_bulletin_id_bulletins"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["via_group_id"],
            ["sharing_groups.id"],
            name=op.f("fk_bulletin_agencies_via_group_id_sharing_groups"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("bulletin_id", "agency_id", name=op.f("pk_bulletin_agencies")),
    )
    with op.batch_alter_table("bulletin_agencies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulletin_agencies_agency_id"), ["agency_id"], unique=False
        )

    op.create_table(
        "bulletin_deliveries",
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("email_status", sa.String(length=20), nullable=False),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_bulletin_deliveries_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
            name=op.f("fk_bulletin_deliveries_bulletin_id_bulletins"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_bulletin_deliveries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bulletin_id", "user_id", name=op.f("pk_bulletin_deliveries")),
    )
    op.create_table(
        "bulletin_groups",
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
            name=op.f("fk_bulletin_groups_bulletin_id_bulletins"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["sharing_groups.id"],
            name=op.f("fk_bulletin_groups_group_id_sharing_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bulletin_id", "group_id", name=op.f("pk_bulletin_groups")),
    )
    op.create_table(
        "bulletin_named_users",
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
            name=op.f("fk_bulletin_named_users_bulletin_id_bulletins"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_bulletin_named_users_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bulletin_id", "user_id", name=op.f("pk_bulletin_named_users")),
    )
    with op.batch_alter_table("bulletin_named_users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulletin_named_users_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bulletin_named_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulletin_named_users_user_id"))

    op.drop_table("bulletin_named_users")
    op.drop_table("bulletin_groups")
    op.drop_table("bulletin_deliveries")
    with op.batch_alter_table("bulletin_agencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulletin_agencies_agency_id"))

    op.drop_table("bulletin_agencies")
    with op.batch_alter_table("public_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_public_alerts_thread")
        batch_op.drop_index(batch_op.f("ix_public_alerts_expires_at"))
        batch_op.drop_index(batch_op.f("ix_public_alerts_agency_id"))

    op.drop_table("public_alerts")
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.drop_index("ix_bulletins_owner")

    op.drop_table("bulletins")

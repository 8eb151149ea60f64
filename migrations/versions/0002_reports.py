"""reports and notifications

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:55:59.723548
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("match_kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_report_routing_rules_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_routing_rules")),
        sa.UniqueConstraint("match_kind", "value", name="uq_routing_rule_value"),
    )
    with op.batch_alter_table("report_routing_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_routing_rules_agency_id"), ["agency_id"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("object_type", sa.String(length=60), nullable=True),
        sa.Column("object_id", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_user_id"), ["user_id"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_class", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location_text", sa.String(length=500), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("behaviors", sa.JSON(), nullable=False),
        sa.Column("weapons", sa.JSON(), nullable=False),
        sa.Column("target_types", sa.JSON(), nullable=False),
        sa.Column("target_name", sa.String(length=300), nullable=True),
        sa.Column("marking", sa.String(length=20), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("routed_agency_id", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("protected_activity_only", sa.Boolean(), nullable=False),
        sa.Column("tipster_contact", sa.JSON(), nullable=True),
        sa.Column("followup_code_hash", sa.String(length=64), nullable=True),
        sa.Column("urgency_score", sa.Integer(), nullable=False),
        sa.Column("urgency_level", sa.String(length=20), nullable=False),
        sa.Column("urgency_rules", sa.JSON(), nullable=False),
        sa.Column("level_override", sa.String(length=20), nullable=True),
        sa.Column("ack_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disposition", sa.String(length=40), nullable=True),
        sa.Column("disposed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purge_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_reports_created_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"], ["agencies.id"], name=op.f("fk_reports_owner_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["routed_agency_id"], ["agencies.id"], name=op.f("fk_reports_routed_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("followup_code_hash", name=op.f("uq_reports_followup_code_hash")),
        sa.UniqueConstraint("receipt_number", name=op.f("uq_reports_receipt_number")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_file_class"), ["file_class"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reports_owner_agency_id"), ["owner_agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reports_purge_due_at"), ["purge_due_at"], unique=False)
        batch_op.create_index("ix_reports_queue", ["routed_agency_id", "disposed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_reported_at"), ["reported_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reports_routed_agency_id"), ["routed_agency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reports_urgency_level"), ["urgency_level"], unique=False
        )

    op.create_table(
        "mentions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=True),
        sa.Column("middle_name", sa.String(length=100), nullable=True),
        sa.Column("family_name", sa.String(length=100), nullable=True),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("age_min", sa.Integer(), nullable=True),
        sa.Column("age_max", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(length=10), nullable=True),
        sa.Column("phones", sa.JSON(), nullable=False),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("handles", sa.JSON(), nullable=False),
        sa.Column("addresses", sa.JSON(), nullable=False),
        sa.Column("school_or_employer", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_mentions_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentions")),
    )
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mentions_report_id"), ["report_id"], unique=False)

    op.create_table(
        "report_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_attachments_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_attachments")),
    )
    with op.batch_alter_table("report_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_attachments_report_id"), ["report_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_report_attachments_sha256"), ["sha256"], unique=False)

    op.create_table(
        "report_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_report_events_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_events_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_report_events_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_events")),
    )
    with op.batch_alter_table("report_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_events_report_id"), ["report_id"], unique=False)

    op.create_table(
        "report_file_class_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("from_class", sa.String(length=20), nullable=False),
        sa.Column("to_class", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("behavior", sa.String(length=40), nullable=True),
        sa.Column("nexus", sa.Text(), nullable=True),
        sa.Column("predicate", sa.Text(), nullable=True),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_file_class_changes_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_report_file_class_changes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_file_class_changes")),
    )
    with op.batch_alter_table("report_file_class_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_file_class_changes_report_id"), ["report_id"], unique=False
        )

    op.create_table(
        "report_idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_idempotency_keys_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_idempotency_keys")),
        sa.UniqueConstraint("scope", "key", name="uq_report_idempotency_scope_key"),
    )
    op.create_table(
        "report_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_messages_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_report_messages_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_messages")),
    )
    with op.batch_alter_table("report_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_messages_report_id"), ["report_id"], unique=False
        )

    op.create_table(
        "report_recipients",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_recipients_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_report_recipients_user_id_users")
        ),
        sa.PrimaryKeyConstraint("report_id", "user_id", name=op.f("pk_report_recipients")),
    )
    op.create_table(
        "report_retention_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("next_review_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_retention_reviews_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_user_id"],
            ["users.id"],
            name=op.f("fk_report_retention_reviews_reviewer_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_retention_reviews")),
    )
    with op.batch_alter_table("report_retention_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_retention_reviews_report_id"), ["report_id"], unique=False
        )

    op.create_table(
        "report_shares",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("shared_by_user_id", sa.Integer(), nullable=True),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_report_shares_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_shares_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shared_by_user_id"],
            ["users.id"],
            name=op.f("fk_report_shares_shared_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("report_id", "agency_id", name=op.f("pk_report_shares")),
    )

    # Full-text search over narratives and mentions: FTS5 on SQLite, a tsvector with a
    # GIN index on PostgreSQL. Kept by vigil.reports.search, not by triggers, so the
    # document can hold mention fields from another table.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE report_search (report_id INTEGER PRIMARY KEY REFERENCES reports(id) "
            "ON DELETE CASCADE, document TEXT NOT NULL, document_tsv tsvector GENERATED "
            "ALWAYS AS (to_tsvector('english', document)) STORED)"
        )
        op.execute("CREATE INDEX ix_report_search_tsv ON report_search USING GIN (document_tsv)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE report_search USING fts5(document, "
            "tokenize='porter unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS report_search")
    op.drop_table("report_shares")
    with op.batch_alter_table("report_retention_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_retention_reviews_report_id"))

    op.drop_table("report_retention_reviews")
    op.drop_table("report_recipients")
    with op.batch_alter_table("report_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_messages_report_id"))

    op.drop_table("report_messages")
    op.drop_table("report_idempotency_keys")
    with op.batch_alter_table("report_file_class_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_file_class_changes_report_id"))

    op.drop_table("report_file_class_changes")
    with op.batch_alter_table("report_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_events_report_id"))

    op.drop_table("report_events")
    with op.batch_alter_table("report_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_attachments_sha256"))
        batch_op.drop_index(batch_op.f("ix_report_attachments_report_id"))

    op.drop_table("report_attachments")
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentions_report_id"))

    op.drop_table("mentions")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_urgency_level"))
        batch_op.drop_index(batch_op.f("ix_reports_routed_agency_id"))
        batch_op.drop_index(batch_op.f("ix_reports_reported_at"))
        batch_op.drop_index("ix_reports_queue")
        batch_op.drop_index(batch_op.f("ix_reports_purge_due_at"))
        batch_op.drop_index(batch_op.f("ix_reports_owner_agency_id"))
        batch_op.drop_index(batch_op.f("ix_reports_kind"))
        batch_op.drop_index(batch_op.f("ix_reports_file_class"))

    op.drop_table("reports")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_user_id"))

    op.drop_table("notifications")
    with op.batch_alter_table("report_routing_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_routing_rules_agency_id"))

    op.drop_table("report_routing_rules")

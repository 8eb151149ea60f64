"""response: incidents, ICS records, resource requests, reunification, PFIF

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 04:00:00.000000

The response domain's tables: incidents and the agencies involved in them, and the
reunification persons and notes exchanged as PFIF 1.4. Numbered ahead so that
domains built side by side keep one straight chain of revisions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reunification_purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lead_agency_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_agency_id"],
            ["agencies.id"],
            name=op.f("fk_incidents_lead_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_table(
        "incident_agencies",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_incident_agencies_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_agencies_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "agency_id", name=op.f("pk_incident_agencies")),
    )
    op.create_table(
        "reunification_persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=500), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("full_name", sa.String(length=500), nullable=True),
        sa.Column("source_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("entry_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expiry_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_reunification_persons_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reunification_persons")),
        sa.UniqueConstraint("record_id", name=op.f("uq_reunification_persons_record_id")),
    )
    op.create_index(
        "ix_reunification_persons_incident",
        "reunification_persons",
        ["incident_id", "id"],
        unique=False,
    )
    op.create_table(
        "reunification_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=500), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=True),
        sa.Column("source_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("entry_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["reunification_persons.id"],
            name=op.f("fk_reunification_notes_person_id_reunification_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reunification_notes")),
        sa.UniqueConstraint("record_id", name=op.f("uq_reunification_notes_record_id")),
    )
    op.create_index(
        "ix_reunification_notes_person", "reunification_notes", ["person_id", "id"], unique=False
    )
    op.create_table(
        "accountability_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("source_name", sa.String(length=200), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_accountability_lists_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_user_id"],
            ["users.id"],
            name=op.f("fk_accountability_lists_uploaded_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_lists")),
    )
    op.create_table(
        "inquiries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=True),
        sa.Column("dob", sa.String(length=10), nullable=True),
        sa.Column("age", sa.String(length=20), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("relationship", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_inquiries_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inquiries")),
        sa.UniqueConstraint("incident_id", "reference", name=op.f("uq_inquiries_incident_id")),
    )
    op.create_table(
        "listed_persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("row_id", sa.String(length=100), nullable=False),
        sa.Column("list_kind", sa.String(length=30), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=True),
        sa.Column("dob", sa.String(length=10), nullable=True),
        sa.Column("age", sa.String(length=20), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_listed_persons_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["accountability_lists.id"],
            name=op.f("fk_listed_persons_list_id_accountability_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listed_persons")),
        sa.UniqueConstraint("incident_id", "row_id", name=op.f("uq_listed_persons_incident_id")),
    )
    op.create_index("ix_listed_persons_list", "listed_persons", ["list_id", "id"], unique=False)
    op.create_table(
        "inquiry_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=False),
        sa.Column("listed_person_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("likely", sa.Boolean(), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.String(length=150), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_inquiry_candidates_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inquiry_id"],
            ["inquiries.id"],
            name=op.f("fk_inquiry_candidates_inquiry_id_inquiries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["listed_person_id"],
            ["listed_persons.id"],
            name=op.f("fk_inquiry_candidates_listed_person_id_listed_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inquiry_candidates")),
        sa.UniqueConstraint(
            "inquiry_id", "listed_person_id", name=op.f("uq_inquiry_candidates_inquiry_id")
        ),
    )
    op.create_index(
        "ix_inquiry_candidates_incident",
        "inquiry_candidates",
        ["incident_id", "likely", "inquiry_id"],
        unique=False,
    )

    op.create_table(
        "death_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=False),
        sa.Column("listed_person_id", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_by", sa.String(length=150), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_by", sa.String(length=150), nullable=True),
        sa.Column("recorded_by", sa.String(length=150), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_death_notifications_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inquiry_id"],
            ["inquiries.id"],
            name=op.f("fk_death_notifications_inquiry_id_inquiries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["listed_person_id"],
            ["listed_persons.id"],
            name=op.f("fk_death_notifications_listed_person_id_listed_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_death_notifications")),
        sa.UniqueConstraint(
            "inquiry_id", "listed_person_id", name=op.f("uq_death_notifications_inquiry_id")
        ),
    )

    op.create_table(
        "reunification_accesses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("listed_person_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_reunification_accesses_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["listed_person_id"],
            ["listed_persons.id"],
            name=op.f("fk_reunification_accesses_listed_person_id_listed_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_reunification_accesses_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reunification_accesses")),
    )


def downgrade() -> None:
    op.drop_table("reunification_accesses")
    op.drop_table("death_notifications")
    op.drop_index("ix_inquiry_candidates_incident", table_name="inquiry_candidates")
    op.drop_table("inquiry_candidates")
    op.drop_index("ix_listed_persons_list", table_name="listed_persons")
    op.drop_table("listed_persons")
    op.drop_table("inquiries")
    op.drop_table("accountability_lists")
    op.drop_index("ix_reunification_notes_person", table_name="reunification_notes")
    op.drop_table("reunification_notes")
    op.drop_index("ix_reunification_persons_incident", table_name="reunification_persons")
    op.drop_table("reunification_persons")
    op.drop_table("incident_agencies")
    op.drop_table("incidents")

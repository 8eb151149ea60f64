"""response (issue 10): reunification sites, guardian check-in and release, operating picture

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-26 07:00:00.000000

The sites and map points of an incident, each listed person's authorised guardians
(with custody restrictions), guardian check-ins at a site (verified or refused) and
releases (who released whom to whom and when; append-only in the services).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _incident_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["incident_id"],
        ["incidents.id"],
        name=op.f(f"fk_{table}_incident_id_incidents"),
        ondelete="CASCADE",
    )


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "reunification_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=150), nullable=False),
        _incident_fk("reunification_sites"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reunification_sites")),
        sa.UniqueConstraint("incident_id", "name", name=op.f("uq_reunification_sites_incident_id")),
    )
    op.create_table(
        "incident_locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        _incident_fk("incident_locations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_locations")),
    )
    op.create_index("ix_incident_locations_incident", "incident_locations", ["incident_id", "id"])
    op.create_table(
        "authorized_guardians",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("listed_person_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.Column("relationship", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("restriction", sa.Text(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=150), nullable=False),
        _incident_fk("authorized_guardians"),
        _fk("authorized_guardians", "listed_person_id", "listed_persons"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorized_guardians")),
    )
    op.create_index(
        "ix_authorized_guardians_person", "authorized_guardians", ["listed_person_id", "id"]
    )
    op.create_table(
        "guardian_checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("listed_person_id", sa.Integer(), nullable=False),
        sa.Column("guardian_id", sa.Integer(), nullable=True),
        sa.Column("presented_name", sa.String(length=300), nullable=False),
        sa.Column("id_document", sa.String(length=30), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_in_by", sa.String(length=150), nullable=False),
        _incident_fk("guardian_checkins"),
        _fk("guardian_checkins", "site_id", "reunification_sites"),
        _fk("guardian_checkins", "listed_person_id", "listed_persons"),
        _fk("guardian_checkins", "guardian_id", "authorized_guardians"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardian_checkins")),
    )
    op.create_index("ix_guardian_checkins_site", "guardian_checkins", ["site_id", "id"])
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("listed_person_id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("released_to", sa.String(length=300), nullable=False),
        sa.Column("released_by", sa.String(length=150), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        _incident_fk("releases"),
        _fk("releases", "site_id", "reunification_sites"),
        _fk("releases", "listed_person_id", "listed_persons"),
        _fk("releases", "checkin_id", "guardian_checkins"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("listed_person_id", name=op.f("uq_releases_listed_person_id")),
    )
    op.create_table(
        "inquiry_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=False),
        sa.Column("caller_name", sa.String(length=300), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(length=150), nullable=False),
        _incident_fk("inquiry_contacts"),
        _fk("inquiry_contacts", "inquiry_id", "inquiries"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inquiry_contacts")),
        sa.UniqueConstraint("inquiry_id", name=op.f("uq_inquiry_contacts_inquiry_id")),
    )


def downgrade() -> None:
    op.drop_table("inquiry_contacts")
    op.drop_table("releases")
    op.drop_index("ix_guardian_checkins_site", table_name="guardian_checkins")
    op.drop_table("guardian_checkins")
    op.drop_index("ix_authorized_guardians_person", table_name="authorized_guardians")
    op.drop_table("authorized_guardians")
    op.drop_index("ix_incident_locations_incident", table_name="incident_locations")
    op.drop_table("incident_locations")
    op.drop_table("reunification_sites")

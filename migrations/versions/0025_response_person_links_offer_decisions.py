"""response (issue 10): "same person as" links between listed persons, offer decisions

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-26 10:30:00.000000

Staff record that two rows of an incident's accountability lists (a school roster's
student and a hospital's patient, say) are the same person, with who and when, so the
operating picture counts people rather than rows. A mutual-aid offer is accepted or
declined (with the reason) by the position the request's state calls for.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listed_person_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("same_as_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_by", sa.String(length=150), nullable=False),
        sa.Column("linked_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_listed_person_links_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["listed_persons.id"],
            name=op.f("fk_listed_person_links_person_id_listed_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["same_as_id"],
            ["listed_persons.id"],
            name=op.f("fk_listed_person_links_same_as_id_listed_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_user_id"],
            ["users.id"],
            name=op.f("fk_listed_person_links_linked_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listed_person_links")),
        sa.UniqueConstraint(
            "person_id", "same_as_id", name=op.f("uq_listed_person_links_person_id")
        ),
    )
    op.create_index("ix_listed_person_links_incident", "listed_person_links", ["incident_id", "id"])
    op.add_column("resource_offers", sa.Column("decision_reason", sa.Text(), nullable=True))
    op.add_column(
        "resource_offers", sa.Column("decided_by_name", sa.String(length=150), nullable=True)
    )
    op.add_column(
        "resource_offers", sa.Column("decided_position", sa.String(length=40), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("resource_offers") as batch:
        batch.drop_column("decided_position")
        batch.drop_column("decided_by_name")
        batch.drop_column("decision_reason")
    op.drop_index("ix_listed_person_links_incident", table_name="listed_person_links")
    op.drop_table("listed_person_links")

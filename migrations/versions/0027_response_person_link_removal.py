"""response: a same-person link is removed (with who, when and why), not deleted

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-26 11:30:00.000000

A mistaken "same person as" link hides a person: a student still unaccounted for,
linked to a hospital's patient, leaves the unaccounted count. Staff remove such a
link with a reason; the row stays, marked removed, so the history of who linked and
who unlinked is kept, and it no longer counts. The pair's uniqueness now holds over the
links in force only (a partial unique index), so a removed pair may be linked again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = sa.text("removed_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("listed_person_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("removed_by", sa.String(length=150), nullable=True))
        batch_op.add_column(sa.Column("removed_by_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("removal_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_listed_person_links_removed_by_user_id_users"),
            "users",
            ["removed_by_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.drop_constraint("uq_listed_person_links_person_id", type_="unique")
    op.create_index(
        "uq_listed_person_links_current_pair",
        "listed_person_links",
        ["person_id", "same_as_id"],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )


def downgrade() -> None:
    # Removed links are history only; the old table has no place for them.
    op.execute(sa.text("DELETE FROM listed_person_links WHERE removed_at IS NOT NULL"))
    op.drop_index("uq_listed_person_links_current_pair", table_name="listed_person_links")
    with op.batch_alter_table("listed_person_links", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            op.f("uq_listed_person_links_person_id"), ["person_id", "same_as_id"]
        )
        batch_op.drop_constraint(
            op.f("fk_listed_person_links_removed_by_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("removal_reason")
        batch_op.drop_column("removed_by_user_id")
        batch_op.drop_column("removed_by")
        batch_op.drop_column("removed_at")

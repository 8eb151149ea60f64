"""recovery (issue 11): retention of the assistance center and fund records, consents
that cover the center's records

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-26 10:30:00.000000

A family assistance center is closed on a date and kept until ``retain_until``; a fund
records the day its last payment was made (``paid_out_on``) and each claim when its
personal content was purged (``purged_at``). A consent may also cover the family's
records at the assistance center (``covers_center_records``), and each disclosure says
what it disclosed (``subject``: the case, or a center registration).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("assistance_centers", sa.Column("closed_on", sa.Date(), nullable=True))
    op.add_column("assistance_centers", sa.Column("retain_until", sa.Date(), nullable=True))
    op.create_index("ix_assistance_centers_retain_until", "assistance_centers", ["retain_until"])
    op.add_column("funds", sa.Column("paid_out_on", sa.Date(), nullable=True))
    op.add_column("fund_claims", sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    # Consents signed before this revision named the case only: they stay that way.
    op.add_column(
        "survivor_consents",
        sa.Column("covers_center_records", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "survivor_disclosures",
        sa.Column("subject", sa.String(length=40), nullable=False, server_default="case"),
    )


def downgrade() -> None:
    with op.batch_alter_table("survivor_disclosures", schema=None) as batch_op:
        batch_op.drop_column("subject")
    with op.batch_alter_table("survivor_consents", schema=None) as batch_op:
        batch_op.drop_column("covers_center_records")
    with op.batch_alter_table("fund_claims", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
    with op.batch_alter_table("funds", schema=None) as batch_op:
        batch_op.drop_column("paid_out_on")
    op.drop_index("ix_assistance_centers_retain_until", table_name="assistance_centers")
    with op.batch_alter_table("assistance_centers", schema=None) as batch_op:
        batch_op.drop_column("retain_until")
        batch_op.drop_column("closed_on")

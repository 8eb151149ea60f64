"""assessment dashboard: the newest first assessments by index

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 02:40:00.000000

The dashboard's time from report to first assessment is taken over the newest 2,000
first assessments the reader may see. Without an index on ``first_assessed_at``
every visible case was read and sorted (20,000 for a big agency's supervisor); with
it the newest are walked in order until 2,000 visible ones are found.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_cases_first_assessed", "cases", ["first_assessed_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_first_assessed", table_name="cases")

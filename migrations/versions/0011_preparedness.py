"""preparedness: sites, vulnerability assessments, risk, plans, training, exercises

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 04:00:00.000000

The preparedness domain's tables. Numbered ahead so that domains built side by side keep
one straight chain of revisions.
"""

from collections.abc import Sequence

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

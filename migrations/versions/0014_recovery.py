"""recovery: survivor cases, consents, referrals, fund distribution

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 04:00:00.000000

The recovery domain's tables. Numbered ahead so that domains built side by side keep
one straight chain of revisions.
"""

from collections.abc import Sequence

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""analytics: public incident sources, harmonised catalogue

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 04:00:00.000000

The analytics domain's tables. Numbered ahead so that domains built side by side keep
one straight chain of revisions.
"""

from collections.abc import Sequence

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

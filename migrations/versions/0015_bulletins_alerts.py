"""sharing: intelligence bulletins and public CAP 1.2 alerts

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 05:00:00.000000

Bulletins and public alerts, beside the sharing groups and disseminations of 0010.
Numbered ahead so that domains built side by side keep one straight chain.
"""

from collections.abc import Sequence

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

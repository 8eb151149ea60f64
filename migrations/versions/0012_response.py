"""response: incidents, ICS records, resource requests, reunification, PFIF

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 04:00:00.000000

The response domain's tables. Numbered ahead so that domains built side by side keep
one straight chain of revisions.
"""

from collections.abc import Sequence

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

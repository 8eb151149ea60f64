"""sharing: groups, disseminations, STIX imports, TAXII, bulletins, CAP, deconfliction

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 04:00:00.000000

The sharing domain's tables. Numbered ahead so that domains built side by side keep
one straight chain of revisions.
"""

from collections.abc import Sequence

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""assessment dashboard: a visible case's overdue interventions, from the index alone

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 01:20:00.000000

The dashboard counts and lists the overdue interventions of the cases a reader may
see. With only ``(status, due_on)`` the database read every open, past-due
intervention of every agency, row by row, and then threw away those on cases the
reader may not see (56,000 rows for a supervisor at 1,000,000 interventions). With
``(case_id, due_on, status, id)`` it looks up each visible active case's ones and
finds the earliest from the index alone (bench/README.md, "Threat-assessment
dashboard and case list"). ``due_on`` comes before ``status`` on purpose: with
``status IN (...)`` on a middle column followed by a range on ``due_on``, SQLite
3.40 returned interventions due after the date (a wrong count on the dashboard).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_interventions_case_open_due", "interventions", ["case_id", "due_on", "status", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_interventions_case_open_due", table_name="interventions")

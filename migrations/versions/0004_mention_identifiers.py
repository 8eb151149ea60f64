"""mention identifiers: subjects' folded names and contacts, indexed, for the earlier-reports count

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 23:00:00.000000
"""

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000

# The columns read back from existing rows; JSON decoded by SQLAlchemy on both backends.
mentions = sa.table(
    "mentions",
    sa.column("report_id", sa.Integer()),
    sa.column("role", sa.String()),
    sa.column("given_name", sa.String()),
    sa.column("family_name", sa.String()),
    sa.column("phones", sa.JSON()),
    sa.column("emails", sa.JSON()),
    sa.column("handles", sa.JSON()),
)
identifiers = sa.table(
    "mention_identifiers",
    sa.column("report_id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("value", sa.Text()),
)


def _folded(
    given: str | None,
    family: str | None,
    phones: Iterable[str] | None,
    emails: Iterable[str] | None,
    handles: Iterable[str] | None,
) -> set[tuple[str, str]]:
    # The rule of vigil.reports.identifiers.folded as of this revision, copied so that the
    # migration keeps doing what it did when the application changes.
    found = {
        ("contact", value.casefold())
        for value in (*(phones or ()), *(emails or ()), *(handles or ()))
    }
    if given and family:
        found.add(("name", f"{given} {family}".casefold()))
    return found


def upgrade() -> None:
    op.create_table(
        "mention_identifiers",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_mention_identifiers_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "kind", "value", name=op.f("pk_mention_identifiers")),
    )
    with op.batch_alter_table("mention_identifiers", schema=None) as batch_op:
        batch_op.create_index("ix_mention_identifiers_value", ["value", "kind"], unique=False)

    # Streamed in report order, so a report's values are complete when the next begins.
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            mentions.c.report_id,
            mentions.c.given_name,
            mentions.c.family_name,
            mentions.c.phones,
            mentions.c.emails,
            mentions.c.handles,
        )
        .where(mentions.c.role == "subject")
        .order_by(mentions.c.report_id)
        .execution_options(stream_results=True, yield_per=BATCH)
    )
    batch: list[dict[str, object]] = []
    current: int | None = None
    values: set[tuple[str, str]] = set()
    for report_id, given, family, phones, emails, handles in rows:
        if report_id != current:
            batch += _rows(current, values)
            current, values = report_id, set()
            if len(batch) >= BATCH:
                connection.execute(identifiers.insert(), batch)
                batch = []
        values |= _folded(given, family, phones, emails, handles)
    batch += _rows(current, values)
    if batch:
        connection.execute(identifiers.insert(), batch)


def _rows(report_id: int | None, values: set[tuple[str, str]]) -> list[dict[str, object]]:
    if report_id is None:
        return []
    return [{"report_id": report_id, "kind": k, "value": v} for k, v in sorted(values)]


def downgrade() -> None:
    with op.batch_alter_table("mention_identifiers", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_identifiers_value")

    op.drop_table("mention_identifiers")

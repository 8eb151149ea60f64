"""search finds the newest matches within blocks of ids: each report's block in the GIN index

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 01:20:00.000000

A search takes the newest 1,000 matches a reader may read. PostgreSQL's GIN index
cannot return matches newest first, so vigil.reports.search asks it for the matches
within the newest blocks of 16,384 ids (``report_id >> 14``). With the block as the
index's second column (``btree_gin``), the index intersects the block with the words'
posting lists itself, and no row outside the block is read; before, a range of ids was
a bitmap of the primary key ANDed with every match of the rarest word. The new index
replaces the one-column index, which it also serves. SQLite's FTS5 reads its matches
newest first already: nothing changes there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # btree_gin ships with PostgreSQL (contrib) and is a trusted extension: the
    # database's owner may create it. It lets GIN index an integer beside the tsvector.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    # The expression must stay as vigil.reports.search.block_of spells it (BLOCK_BITS).
    op.execute(
        "CREATE INDEX ix_report_search_blocks ON report_search "
        "USING GIN (document_tsv, (report_id >> 14))"
    )
    op.execute("DROP INDEX ix_report_search_tsv")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_report_search_tsv ON report_search USING GIN (document_tsv)")
    op.execute("DROP INDEX ix_report_search_blocks")
    # The extension stays: other software in the database may use it, and it holds no
    # data.

"""search ignores accents on PostgreSQL too: an unaccent text search configuration

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 22:10:00.000000

SQLite's FTS5 table already folds diacritics (``remove_diacritics 2``). On PostgreSQL
the stored tsvector used the 'english' configuration, which keeps them, so "cafe"
did not find "café". ``vigil_english`` is 'english' with the ``unaccent`` dictionary
before the stemmer for words with non-ASCII letters; the generated column and its GIN
index are rebuilt with it (the table is rewritten: about a minute per million
reports).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild_tsvector(config: str) -> None:
    op.execute("DROP INDEX ix_report_search_tsv")
    op.execute("ALTER TABLE report_search DROP COLUMN document_tsv")
    op.execute(
        "ALTER TABLE report_search ADD COLUMN document_tsv tsvector GENERATED ALWAYS AS "
        f"(to_tsvector('{config}'::regconfig, document)) STORED"
    )
    op.execute("CREATE INDEX ix_report_search_tsv ON report_search USING GIN (document_tsv)")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # unaccent ships with PostgreSQL (contrib) and is a trusted extension: the
    # database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE TEXT SEARCH CONFIGURATION vigil_english (COPY = english)")
    op.execute(
        "ALTER TEXT SEARCH CONFIGURATION vigil_english "
        "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem"
    )
    _rebuild_tsvector("vigil_english")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _rebuild_tsvector("english")
    op.execute("DROP TEXT SEARCH CONFIGURATION vigil_english")
    # The extension stays: other software in the database may use it, and it holds no
    # data.

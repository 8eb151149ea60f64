"""search joins its candidates to reports through one covering index; a short GIN pending list

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-26 11:00:00.000000

A search checks each candidate match against the reader's policy: a lookup in
``reports`` by id for the marking, the owning and routed agencies and the file class,
and the urgency and time reported that rank it. Those were read from the table's row
(a random page of the whole report, narrative and all: 540 MB at a million reports);
``ix_reports_search_scope`` holds them beside the id (73 MB), so the lookup reads the
index alone (PostgreSQL: an index-only scan; SQLite: a covering index). Measured on
the benchmark's million reports: 14% fewer buffers over the query mix.

PostgreSQL only: new reports' words wait in the GIN index's pending list until it
passes ``gin_pending_list_limit`` (4 MB by default, about 3,000 reports) or a vacuum
merges them, and every scan of the index reads the whole list; a search scans the
index once per block of ids, so a full list added a third to the work of the query
mix (3,000 new reports: 904,000 buffers for 100 queries against 689,000). 256 kB
bounds that to 32 pages a scan while filing and import still add words in batches;
the smaller batches cost bulk loads: 20,000 search rows inserted in one statement took
6.9-7.7 s against 4.2-6.1 s with the default (same loaded machine, two rounds).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What vigil.reports.search reads of a report for a candidate: the columns of
# vigil.platform.policy.report_rules.report_scope, then level_rank's and reported_at.
SCOPE_COLUMNS = [
    "id",
    "marking",
    "owner_agency_id",
    "routed_agency_id",
    "file_class",
    "urgency_level",
    "level_override",
    "reported_at",
]


def upgrade() -> None:
    op.create_index("ix_reports_search_scope", "reports", SCOPE_COLUMNS)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_report_search_blocks SET (gin_pending_list_limit = 256)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_report_search_blocks RESET (gin_pending_list_limit)")
    op.drop_index("ix_reports_search_scope", table_name="reports")

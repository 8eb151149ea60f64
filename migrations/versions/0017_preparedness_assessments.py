"""preparedness (issue 9): vulnerability assessments against versioned instruments

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 07:00:00.000000

Stored instrument versions, a site's assessments with their answers (one row per
question) and evidence, and the links from a site to the reports and threat-assessment
cases that hold threats against it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="SET NULL"
    )


def upgrade() -> None:
    op.create_table(
        "preparedness_instruments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preparedness_instruments")),
        sa.UniqueConstraint("key", "version", name="uq_preparedness_instruments_key"),
    )
    op.create_table(
        "site_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("marking", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by_user_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewer_user_id", sa.Integer(), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("vulnerability", sa.Float(), nullable=True),
        sa.Column("section_scores", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["protected_sites.id"],
            name=op.f("fk_site_assessments_site_id_protected_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["preparedness_instruments.id"],
            name=op.f("fk_site_assessments_instrument_id_preparedness_instruments"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agencies.id"],
            name=op.f("fk_site_assessments_owner_agency_id_agencies"),
        ),
        _user("started_by_user_id", "site_assessments"),
        _user("reviewer_user_id", "site_assessments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_assessments")),
    )
    op.create_index(
        "ix_site_assessments_latest",
        "site_assessments",
        ["site_id", "status", "signed_off_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_site_assessments_owner", "site_assessments", ["owner_agency_id", "status"], unique=False
    )
    op.create_table(
        "site_assessment_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["site_assessments.id"],
            name=op.f("fk_site_assessment_answers_assessment_id_site_assessments"),
            ondelete="CASCADE",
        ),
        _user("answered_by_user_id", "site_assessment_answers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_assessment_answers")),
        sa.UniqueConstraint("assessment_id", "question_key", name="uq_site_assessment_answers"),
    )
    op.create_table(
        "site_assessment_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["site_assessments.id"],
            name=op.f("fk_site_assessment_evidence_assessment_id_site_assessments"),
            ondelete="CASCADE",
        ),
        _user("added_by_user_id", "site_assessment_evidence"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_assessment_evidence")),
    )
    op.create_index(
        "ix_site_assessment_evidence",
        "site_assessment_evidence",
        ["assessment_id", "question_key"],
        unique=False,
    )
    op.create_table(
        "protected_site_threats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["protected_sites.id"],
            name=op.f("fk_protected_site_threats_site_id_protected_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_protected_site_threats_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_protected_site_threats_case_id_cases"),
            ondelete="CASCADE",
        ),
        _user("linked_by_user_id", "protected_site_threats"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protected_site_threats")),
        sa.UniqueConstraint("site_id", "report_id", name="uq_protected_site_threats_report"),
        sa.UniqueConstraint("site_id", "case_id", name="uq_protected_site_threats_case"),
    )
    op.create_index(
        "ix_protected_site_threats_report", "protected_site_threats", ["report_id"], unique=False
    )
    op.create_index(
        "ix_protected_site_threats_case", "protected_site_threats", ["case_id"], unique=False
    )
    op.create_table(
        "site_finding_measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=40), nullable=False),
        sa.Column("option_key", sa.String(length=40), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["site_assessments.id"],
            name=op.f("fk_site_finding_measures_assessment_id_site_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["mitigation_measures.id"],
            name=op.f("fk_site_finding_measures_measure_id_mitigation_measures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_finding_measures")),
        sa.UniqueConstraint(
            "assessment_id", "question_key", "option_key", name="uq_site_finding_measures"
        ),
    )
    op.create_index(
        op.f("ix_site_finding_measures_measure_id"),
        "site_finding_measures",
        ["measure_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_site_finding_measures_measure_id"), table_name="site_finding_measures")
    op.drop_table("site_finding_measures")
    op.drop_index("ix_protected_site_threats_case", table_name="protected_site_threats")
    op.drop_index("ix_protected_site_threats_report", table_name="protected_site_threats")
    op.drop_table("protected_site_threats")
    op.drop_index("ix_site_assessment_evidence", table_name="site_assessment_evidence")
    op.drop_table("site_assessment_evidence")
    op.drop_table("site_assessment_answers")
    op.drop_index("ix_site_assessments_owner", table_name="site_assessments")
    op.drop_index("ix_site_assessments_latest", table_name="site_assessments")
    op.drop_table("site_assessments")
    op.drop_table("preparedness_instruments")

"""recovery: survivor cases, consents, referrals, fund distribution

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 04:00:00.000000

The recovery domain's tables. Numbered ahead so that domains built side by side keep
one straight chain of revisions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survivor_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("provider_agency_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("preferred_language", sa.String(length=60), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("advocate_user_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_user_id", sa.Integer(), nullable=True),
        sa.Column("first_service_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["advocate_user_id"],
            ["users.id"],
            name=op.f("fk_survivor_cases_advocate_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_survivor_cases_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_user_id"],
            ["users.id"],
            name=op.f("fk_survivor_cases_opened_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["provider_agency_id"],
            ["agencies.id"],
            name=op.f("fk_survivor_cases_provider_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survivor_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_survivor_cases_number")),
    )
    op.create_index(
        "ix_survivor_cases_advocate",
        "survivor_cases",
        ["advocate_user_id", "status", "opened_at"],
        unique=False,
    )
    op.create_index(
        "ix_survivor_cases_provider",
        "survivor_cases",
        ["provider_agency_id", "status", "opened_at"],
        unique=False,
    )
    op.create_index(
        "ix_survivor_cases_retain_until", "survivor_cases", ["retain_until"], unique=False
    )
    op.create_index(
        op.f("ix_survivor_cases_incident_id"), "survivor_cases", ["incident_id"], unique=False
    )
    op.create_table(
        "survivor_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("recipient_agency_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("written_on_file", sa.Boolean(), nullable=False),
        sa.Column("document_reference", sa.String(length=200), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["survivor_cases.id"],
            name=op.f("fk_survivor_consents_case_id_survivor_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_agency_id"],
            ["agencies.id"],
            name=op.f("fk_survivor_consents_recipient_agency_id_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_user_id"],
            ["users.id"],
            name=op.f("fk_survivor_consents_recorded_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_user_id"],
            ["users.id"],
            name=op.f("fk_survivor_consents_revoked_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survivor_consents")),
    )
    op.create_index(
        "ix_survivor_consents_lookup",
        "survivor_consents",
        ["case_id", "recipient_agency_id", "purpose"],
        unique=False,
    )
    op.create_index(
        "ix_survivor_consents_recipient",
        "survivor_consents",
        ["recipient_agency_id", "revoked_at"],
        unique=False,
    )
    op.create_table(
        "survivor_dates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("yearly", sa.Boolean(), nullable=False),
        sa.Column("remind_days_before", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["survivor_cases.id"],
            name=op.f("fk_survivor_dates_case_id_survivor_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survivor_dates")),
    )
    op.create_index(op.f("ix_survivor_dates_case_id"), "survivor_dates", ["case_id"], unique=False)
    op.create_index("ix_survivor_dates_on", "survivor_dates", ["on_date"], unique=False)
    op.create_table(
        "survivor_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("service_kind", sa.String(length=40), nullable=False),
        sa.Column("provider_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["survivor_cases.id"],
            name=op.f("fk_survivor_referrals_case_id_survivor_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_survivor_referrals_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survivor_referrals")),
    )
    op.create_index(
        "ix_survivor_referrals_case", "survivor_referrals", ["case_id", "status"], unique=False
    )
    op.create_table(
        "survivor_date_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date_id", sa.Integer(), nullable=False),
        sa.Column("occurs_on", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["date_id"],
            ["survivor_dates.id"],
            name=op.f("fk_survivor_date_reminders_date_id_survivor_dates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_survivor_date_reminders_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survivor_date_reminders")),
    )
    op.create_index(
        "ix_survivor_date_reminders_once",
        "survivor_date_reminders",
        ["date_id", "occurs_on"],
        unique=True,
    )
    op.create_table(
        "survivor_disclosures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("consent_id", sa.Integer(), nullable=False),
        sa.Column("recipient_agency_id", sa.Integer(), nullable=False),
        sa.Column("recipient_user_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["survivor_cases.id"],
            name=op.f("fk_survivor_disclosures_case_id_survivor_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["survivor_consents.id"],
            name=op.f("fk_survivor_disclosures_consent_id_survivor_consents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_agency_id"],
            ["agencies.id"],
            name=op.f("fk_survivor_disclosures_recipient_agency_id_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_user_id"],
            ["users.id"],
            name=op.f("fk_survivor_disclosures_recipient_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survivor_disclosures")),
    )
    op.create_index(
        op.f("ix_survivor_disclosures_case_id"), "survivor_disclosures", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_survivor_disclosures_consent_id"),
        "survivor_disclosures",
        ["consent_id"],
        unique=False,
    )
    op.create_table(
        "survivor_referral_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["survivor_referrals.id"],
            name=op.f("fk_survivor_referral_events_referral_id_survivor_referrals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_survivor_referral_events_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survivor_referral_events")),
    )
    op.create_index(
        op.f("ix_survivor_referral_events_referral_id"),
        "survivor_referral_events",
        ["referral_id"],
        unique=False,
    )
    op.create_table(
        "survivor_needs_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("instrument_key", sa.String(length=40), nullable=False),
        sa.Column("instrument_version", sa.Integer(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessed_by_user_id"],
            ["users.id"],
            name=op.f("fk_survivor_needs_assessments_assessed_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["survivor_cases.id"],
            name=op.f("fk_survivor_needs_assessments_case_id_survivor_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survivor_needs_assessments")),
    )
    op.create_index(
        "ix_survivor_needs_assessments_case",
        "survivor_needs_assessments",
        ["case_id", "assessed_on"],
        unique=False,
    )
    op.create_table(
        "survivor_plan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("need", sa.String(length=40), nullable=False),
        sa.Column("goal", sa.String(length=500), nullable=False),
        sa.Column("service_kind", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("target_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["survivor_cases.id"],
            name=op.f("fk_survivor_plan_items_case_id_survivor_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survivor_plan_items")),
    )
    op.create_index(
        op.f("ix_survivor_plan_items_case_id"), "survivor_plan_items", ["case_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_survivor_plan_items_case_id"), table_name="survivor_plan_items")
    op.drop_table("survivor_plan_items")
    op.drop_index("ix_survivor_needs_assessments_case", table_name="survivor_needs_assessments")
    op.drop_table("survivor_needs_assessments")
    op.drop_index(
        op.f("ix_survivor_referral_events_referral_id"), table_name="survivor_referral_events"
    )
    op.drop_table("survivor_referral_events")
    op.drop_index(op.f("ix_survivor_disclosures_consent_id"), table_name="survivor_disclosures")
    op.drop_index(op.f("ix_survivor_disclosures_case_id"), table_name="survivor_disclosures")
    op.drop_table("survivor_disclosures")
    op.drop_index("ix_survivor_date_reminders_once", table_name="survivor_date_reminders")
    op.drop_table("survivor_date_reminders")
    op.drop_index("ix_survivor_referrals_case", table_name="survivor_referrals")
    op.drop_table("survivor_referrals")
    op.drop_index("ix_survivor_dates_on", table_name="survivor_dates")
    op.drop_index(op.f("ix_survivor_dates_case_id"), table_name="survivor_dates")
    op.drop_table("survivor_dates")
    op.drop_index("ix_survivor_consents_recipient", table_name="survivor_consents")
    op.drop_index("ix_survivor_consents_lookup", table_name="survivor_consents")
    op.drop_table("survivor_consents")
    op.drop_index(op.f("ix_survivor_cases_incident_id"), table_name="survivor_cases")
    op.drop_index("ix_survivor_cases_retain_until", table_name="survivor_cases")
    op.drop_index("ix_survivor_cases_provider", table_name="survivor_cases")
    op.drop_index("ix_survivor_cases_advocate", table_name="survivor_cases")
    op.drop_table("survivor_cases")

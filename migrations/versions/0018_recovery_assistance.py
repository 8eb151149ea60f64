"""recovery (issue 11): family assistance center, community recovery, fund protocols

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26 07:00:00.000000

The family assistance center (centers, services, registrations, visits, briefings and
their attendance), the donated fund's workflow (funds, protocols published as drafts
for comment then final, comments, claims with their evidence and decision, the
calculation's input and the payments) and community recovery (the provider directory,
events, needs and the offers matched to them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "community_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder_agency_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_agency_id"],
            ["agencies.id"],
            name=op.f("fk_community_events_holder_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_events")),
    )
    op.create_index(
        "ix_community_events_holder",
        "community_events",
        ["holder_agency_id", "starts_at"],
        unique=False,
    )
    op.create_table(
        "community_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder_agency_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_agency_id"],
            ["agencies.id"],
            name=op.f("fk_community_needs_holder_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_needs")),
    )
    op.create_index(
        op.f("ix_community_needs_holder_agency_id"),
        "community_needs",
        ["holder_agency_id"],
        unique=False,
    )
    op.create_table(
        "community_providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder_agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("languages", sa.String(length=300), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("contact", sa.String(length=300), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_agency_id"],
            ["agencies.id"],
            name=op.f("fk_community_providers_holder_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_providers")),
    )
    op.create_index(
        op.f("ix_community_providers_holder_agency_id"),
        "community_providers",
        ["holder_agency_id"],
        unique=False,
    )
    op.create_table(
        "assistance_centers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("provider_agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("lead_user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_assistance_centers_incident_id_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_user_id"],
            ["users.id"],
            name=op.f("fk_assistance_centers_lead_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["provider_agency_id"],
            ["agencies.id"],
            name=op.f("fk_assistance_centers_provider_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistance_centers")),
    )
    op.create_index(
        op.f("ix_assistance_centers_incident_id"),
        "assistance_centers",
        ["incident_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_assistance_centers_provider_agency_id"),
        "assistance_centers",
        ["provider_agency_id"],
        unique=False,
    )
    op.create_table(
        "community_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder_agency_id", sa.Integer(), nullable=False),
        sa.Column("offer_kind", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("offered_by", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=300), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("languages", sa.String(length=300), nullable=True),
        sa.Column("need_id", sa.Integer(), nullable=True),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_agency_id"],
            ["agencies.id"],
            name=op.f("fk_community_offers_holder_agency_id_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["community_needs.id"],
            name=op.f("fk_community_offers_need_id_community_needs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_offers")),
    )
    op.create_index(
        op.f("ix_community_offers_holder_agency_id"),
        "community_offers",
        ["holder_agency_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_community_offers_need_id"), "community_offers", ["need_id"], unique=False
    )
    op.create_table(
        "funds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("provider_agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_funds_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_funds_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["provider_agency_id"],
            ["agencies.id"],
            name=op.f("fk_funds_provider_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funds")),
    )
    op.create_index(op.f("ix_funds_incident_id"), "funds", ["incident_id"], unique=False)
    op.create_index(
        op.f("ix_funds_provider_agency_id"), "funds", ["provider_agency_id"], unique=False
    )
    op.create_table(
        "center_briefings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("presenter", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["center_id"],
            ["assistance_centers.id"],
            name=op.f("fk_center_briefings_center_id_assistance_centers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_center_briefings")),
    )
    op.create_index(
        op.f("ix_center_briefings_center_id"), "center_briefings", ["center_id"], unique=False
    )
    op.create_table(
        "center_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("people_count", sa.Integer(), nullable=False),
        sa.Column("preferred_language", sa.String(length=60), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("reunification_record", sa.String(length=100), nullable=True),
        sa.Column("survivor_case_id", sa.Integer(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["center_id"],
            ["assistance_centers.id"],
            name=op.f("fk_center_registrations_center_id_assistance_centers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_user_id"],
            ["users.id"],
            name=op.f("fk_center_registrations_registered_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["survivor_case_id"],
            ["survivor_cases.id"],
            name=op.f("fk_center_registrations_survivor_case_id_survivor_cases"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_center_registrations")),
        sa.UniqueConstraint("number", name=op.f("uq_center_registrations_number")),
    )
    op.create_index(
        "ix_center_registrations_center",
        "center_registrations",
        ["center_id", "registered_at"],
        unique=False,
    )
    op.create_table(
        "center_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("provider_name", sa.String(length=200), nullable=False),
        sa.Column("languages", sa.String(length=300), nullable=True),
        sa.Column("hours", sa.String(length=200), nullable=True),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["center_id"],
            ["assistance_centers.id"],
            name=op.f("fk_center_services_center_id_assistance_centers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_center_services")),
    )
    op.create_index(
        op.f("ix_center_services_center_id"), "center_services", ["center_id"], unique=False
    )
    op.create_table(
        "fund_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("claimant_name", sa.String(length=200), nullable=False),
        sa.Column("harm", sa.String(length=20), nullable=False),
        sa.Column("nights", sa.Integer(), nullable=True),
        sa.Column("evidence_record", sa.String(length=100), nullable=True),
        sa.Column("evidence_document", sa.String(length=200), nullable=True),
        sa.Column("evidence_check", sa.String(length=20), nullable=True),
        sa.Column("evidence_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("survivor_case_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_fund_claims_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_fund_claims_decided_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["fund_id"], ["funds.id"], name=op.f("fk_fund_claims_fund_id_funds"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["survivor_case_id"],
            ["survivor_cases.id"],
            name=op.f("fk_fund_claims_survivor_case_id_survivor_cases"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_claims")),
        sa.UniqueConstraint("number", name=op.f("uq_fund_claims_number")),
    )
    op.create_index("ix_fund_claims_fund", "fund_claims", ["fund_id", "status"], unique=False)
    op.create_table(
        "fund_protocols",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column(
            "fund_cents", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("comment_until", sa.Date(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["fund_id"],
            ["funds.id"],
            name=op.f("fk_fund_protocols_fund_id_funds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_user_id"],
            ["users.id"],
            name=op.f("fk_fund_protocols_published_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_protocols")),
        sa.UniqueConstraint("fund_id", "version", name=op.f("uq_fund_protocols_fund_id")),
    )
    op.create_table(
        "center_briefing_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("briefing_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("attendees", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["briefing_id"],
            ["center_briefings.id"],
            name=op.f("fk_center_briefing_attendance_briefing_id_center_briefings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["center_registrations.id"],
            name=op.f("fk_center_briefing_attendance_registration_id_center_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_center_briefing_attendance")),
        sa.UniqueConstraint(
            "briefing_id", "registration_id", name=op.f("uq_center_briefing_attendance_briefing_id")
        ),
    )
    op.create_index(
        op.f("ix_center_briefing_attendance_registration_id"),
        "center_briefing_attendance",
        ["registration_id"],
        unique=False,
    )
    op.create_table(
        "center_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["center_id"],
            ["assistance_centers.id"],
            name=op.f("fk_center_visits_center_id_assistance_centers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_user_id"],
            ["users.id"],
            name=op.f("fk_center_visits_recorded_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["center_registrations.id"],
            name=op.f("fk_center_visits_registration_id_center_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_center_visits")),
    )
    op.create_index(
        "ix_center_visits_center", "center_visits", ["center_id", "visited_at"], unique=False
    )
    op.create_index(
        op.f("ix_center_visits_registration_id"), "center_visits", ["registration_id"], unique=False
    )
    op.create_table(
        "fund_distributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.Column("protocol_id", sa.Integer(), nullable=False),
        sa.Column("input_json", sa.Text(), nullable=False),
        sa.Column("input_sha256", sa.String(length=64), nullable=False),
        sa.Column("calculated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("calculated_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["calculated_by_user_id"],
            ["users.id"],
            name=op.f("fk_fund_distributions_calculated_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["fund_id"],
            ["funds.id"],
            name=op.f("fk_fund_distributions_fund_id_funds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["protocol_id"],
            ["fund_protocols.id"],
            name=op.f("fk_fund_distributions_protocol_id_fund_protocols"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_distributions")),
        sa.UniqueConstraint("fund_id", name=op.f("uq_fund_distributions_fund_id")),
    )
    op.create_table(
        "fund_protocol_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("protocol_id", sa.Integer(), nullable=False),
        sa.Column("commenter", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["protocol_id"],
            ["fund_protocols.id"],
            name=op.f("fk_fund_protocol_comments_protocol_id_fund_protocols"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_user_id"],
            ["users.id"],
            name=op.f("fk_fund_protocol_comments_recorded_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_protocol_comments")),
    )
    op.create_index(
        op.f("ix_fund_protocol_comments_protocol_id"),
        "fund_protocol_comments",
        ["protocol_id"],
        unique=False,
    )
    op.create_table(
        "fund_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("distribution_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("anonymous_id", sa.String(length=20), nullable=False),
        sa.Column("tier", sa.String(length=60), nullable=False),
        sa.Column(
            "amount_cents", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("payment_reference", sa.String(length=100), nullable=True),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["fund_claims.id"],
            name=op.f("fk_fund_payments_claim_id_fund_claims"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["distribution_id"],
            ["fund_distributions.id"],
            name=op.f("fk_fund_payments_distribution_id_fund_distributions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_user_id"],
            ["users.id"],
            name=op.f("fk_fund_payments_recorded_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_payments")),
        sa.UniqueConstraint("claim_id", name=op.f("uq_fund_payments_claim_id")),
    )
    op.create_index(
        op.f("ix_fund_payments_distribution_id"), "fund_payments", ["distribution_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_fund_payments_distribution_id"), table_name="fund_payments")
    op.drop_table("fund_payments")
    op.drop_index(
        op.f("ix_fund_protocol_comments_protocol_id"), table_name="fund_protocol_comments"
    )
    op.drop_table("fund_protocol_comments")
    op.drop_table("fund_distributions")
    op.drop_index(op.f("ix_center_visits_registration_id"), table_name="center_visits")
    op.drop_index("ix_center_visits_center", table_name="center_visits")
    op.drop_table("center_visits")
    op.drop_index(
        op.f("ix_center_briefing_attendance_registration_id"),
        table_name="center_briefing_attendance",
    )
    op.drop_table("center_briefing_attendance")
    op.drop_table("fund_protocols")
    op.drop_index("ix_fund_claims_fund", table_name="fund_claims")
    op.drop_table("fund_claims")
    op.drop_index(op.f("ix_center_services_center_id"), table_name="center_services")
    op.drop_table("center_services")
    op.drop_index("ix_center_registrations_center", table_name="center_registrations")
    op.drop_table("center_registrations")
    op.drop_index(op.f("ix_center_briefings_center_id"), table_name="center_briefings")
    op.drop_table("center_briefings")
    op.drop_index(op.f("ix_funds_provider_agency_id"), table_name="funds")
    op.drop_index(op.f("ix_funds_incident_id"), table_name="funds")
    op.drop_table("funds")
    op.drop_index(op.f("ix_community_offers_need_id"), table_name="community_offers")
    op.drop_index(op.f("ix_community_offers_holder_agency_id"), table_name="community_offers")
    op.drop_table("community_offers")
    op.drop_index(op.f("ix_assistance_centers_provider_agency_id"), table_name="assistance_centers")
    op.drop_index(op.f("ix_assistance_centers_incident_id"), table_name="assistance_centers")
    op.drop_table("assistance_centers")
    op.drop_index(op.f("ix_community_providers_holder_agency_id"), table_name="community_providers")
    op.drop_table("community_providers")
    op.drop_index(op.f("ix_community_needs_holder_agency_id"), table_name="community_needs")
    op.drop_table("community_needs")
    op.drop_index("ix_community_events_holder", table_name="community_events")
    op.drop_table("community_events")

"""preparedness (issue 9): corrective actions, training, exercises, capability targets

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-26 07:00:00.000000

Corrective actions with their evidence; courses, sessions, attendance and
certifications; exercises with objectives, evaluation guides and after-action items;
capability targets per agency; and the reminders already sent. Four courses every
agency uses are seeded: active-shooter response, bleeding control, behavioral threat
assessment and suspicious-activity reporting awareness.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("validity_months", sa.Integer(), nullable=True),
        sa.Column("capability_key", sa.String(length=60), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agencies.id"],
            name=op.f("fk_training_courses_owner_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_courses")),
    )
    op.create_index(
        "ix_training_courses_agency", "training_courses", ["owner_agency_id", "name"], unique=False
    )
    op.create_table(
        "capability_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("capability_key", sa.String(length=60), nullable=False),
        sa.Column("target_level", sa.Integer(), nullable=False),
        sa.Column("current_level", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_capability_targets_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"],
            ["users.id"],
            name=op.f("fk_capability_targets_updated_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capability_targets")),
    )
    op.create_index(
        "ix_capability_targets_once",
        "capability_targets",
        ["agency_id", "capability_key"],
        unique=True,
    )
    op.create_table(
        "preparedness_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("due_key", sa.String(length=20), nullable=False),
        sa.Column("recipient_user_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_user_id"],
            ["users.id"],
            name=op.f("fk_preparedness_reminders_recipient_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preparedness_reminders")),
    )
    op.create_index(
        "ix_preparedness_reminders_once",
        "preparedness_reminders",
        ["kind", "object_id", "due_key", "recipient_user_id"],
        unique=True,
    )
    op.create_table(
        "corrective_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("poete", sa.String(length=20), nullable=False),
        sa.Column("source_kind", sa.String(length=20), nullable=False),
        sa.Column("source_ref", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by_user_id"],
            ["users.id"],
            name=op.f("fk_corrective_actions_closed_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_corrective_actions_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agencies.id"],
            name=op.f("fk_corrective_actions_owner_agency_id_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["users.id"],
            name=op.f("fk_corrective_actions_owner_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["protected_sites.id"],
            name=op.f("fk_corrective_actions_site_id_protected_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrective_actions")),
    )
    op.create_index(
        "ix_corrective_actions_agency",
        "corrective_actions",
        ["owner_agency_id", "status", "due_on"],
        unique=False,
    )
    op.create_index(
        "ix_corrective_actions_source",
        "corrective_actions",
        ["source_kind", "source_ref"],
        unique=False,
    )
    op.create_table(
        "exercises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("scenario", sa.Text(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_exercises_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"], ["agencies.id"], name=op.f("fk_exercises_owner_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["protected_sites.id"],
            name=op.f("fk_exercises_site_id_protected_sites"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercises")),
    )
    op.create_index(
        "ix_exercises_agency", "exercises", ["owner_agency_id", "starts_on"], unique=False
    )
    op.create_table(
        "training_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("instructor", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["training_courses.id"],
            name=op.f("fk_training_sessions_course_id_training_courses"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_training_sessions_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agencies.id"],
            name=op.f("fk_training_sessions_owner_agency_id_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["protected_sites.id"],
            name=op.f("fk_training_sessions_site_id_protected_sites"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_sessions")),
    )
    op.create_index(
        "ix_training_sessions_agency",
        "training_sessions",
        ["owner_agency_id", "held_on"],
        unique=False,
    )
    op.create_table(
        "exercise_objectives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("capability_key", sa.String(length=60), nullable=True),
        sa.Column("corrective_action_id", sa.Integer(), nullable=True),
        sa.Column("finding_ref", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["corrective_action_id"],
            ["corrective_actions.id"],
            name=op.f("fk_exercise_objectives_corrective_action_id_corrective_actions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["exercise_id"],
            ["exercises.id"],
            name=op.f("fk_exercise_objectives_exercise_id_exercises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercise_objectives")),
    )
    op.create_index(
        "ix_exercise_objectives_exercise",
        "exercise_objectives",
        ["exercise_id", "id"],
        unique=False,
    )
    op.create_table(
        "training_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("person_name", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_training_attendance_session_id_training_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["protected_sites.id"],
            name=op.f("fk_training_attendance_site_id_protected_sites"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_training_attendance_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_attendance")),
    )
    op.create_index(
        "ix_training_attendance_session", "training_attendance", ["session_id", "id"], unique=False
    )
    op.create_table(
        "after_action_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=True),
        sa.Column("capability_key", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("rating", sa.String(length=1), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exercise_id"],
            ["exercises.id"],
            name=op.f("fk_after_action_items_exercise_id_exercises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["exercise_objectives.id"],
            name=op.f("fk_after_action_items_objective_id_exercise_objectives"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_after_action_items")),
    )
    op.create_index(
        "ix_after_action_items_exercise", "after_action_items", ["exercise_id", "id"], unique=False
    )
    op.create_table(
        "corrective_action_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=300), nullable=True),
        sa.Column("objective_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["corrective_actions.id"],
            name=op.f("fk_corrective_action_evidence_action_id_corrective_actions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["added_by_user_id"],
            ["users.id"],
            name=op.f("fk_corrective_action_evidence_added_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["exercise_objectives.id"],
            name=op.f("fk_corrective_action_evidence_objective_id_exercise_objectives"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrective_action_evidence")),
    )
    op.create_index(
        "ix_corrective_action_evidence_action",
        "corrective_action_evidence",
        ["action_id", "id"],
        unique=False,
    )
    op.create_table(
        "exercise_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("evaluator_user_id", sa.Integer(), nullable=True),
        sa.Column("capability_key", sa.String(length=60), nullable=False),
        sa.Column("rating", sa.String(length=1), nullable=False),
        sa.Column("strengths", sa.Text(), nullable=True),
        sa.Column("areas_for_improvement", sa.Text(), nullable=True),
        sa.Column("observations", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluator_user_id"],
            ["users.id"],
            name=op.f("fk_exercise_evaluations_evaluator_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["exercise_objectives.id"],
            name=op.f("fk_exercise_evaluations_objective_id_exercise_objectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercise_evaluations")),
    )
    op.create_index(
        "ix_exercise_evaluations_once",
        "exercise_evaluations",
        ["objective_id", "evaluator_user_id"],
        unique=True,
    )
    op.create_table(
        "training_certifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("attendance_id", sa.Integer(), nullable=True),
        sa.Column("person_name", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attendance_id"],
            ["training_attendance.id"],
            name=op.f("fk_training_certifications_attendance_id_training_attendance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["training_courses.id"],
            name=op.f("fk_training_certifications_course_id_training_courses"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agencies.id"],
            name=op.f("fk_training_certifications_owner_agency_id_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["protected_sites.id"],
            name=op.f("fk_training_certifications_site_id_protected_sites"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_training_certifications_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_certifications")),
    )
    op.create_index(
        "ix_training_certifications_agency",
        "training_certifications",
        ["owner_agency_id", "expires_on"],
        unique=False,
    )
    op.create_index(
        "ix_training_certifications_site",
        "training_certifications",
        ["site_id", "course_id"],
        unique=False,
    )

    courses = sa.table(
        "training_courses",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("description", sa.Text),
        sa.column("validity_months", sa.Integer),
        sa.column("capability_key", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    seeded = datetime(2026, 11, 26, tzinfo=UTC)
    op.bulk_insert(
        courses,
        [
            {
                "code": code,
                "name": name,
                "description": description,
                "validity_months": months,
                "capability_key": capability,
                "created_at": seeded,
            }
            for code, name, description, months, capability in SEEDED_COURSES
        ],
    )


SEEDED_COURSES = (
    (
        "ASR",
        "Active-shooter response",
        "What staff and visitors do when an attack starts: avoid, deny, defend; lockdown "
        "and evacuation; what to tell 911; meeting the first officers.",
        24,
        "on_scene_security",
    ),
    (
        "BLEED",
        "Bleeding control",
        "Recognising life-threatening bleeding and stopping it: pressure, packing and "
        "tourniquets, until emergency medical services arrive.",
        24,
        "public_health_ems",
    ),
    (
        "BTAM",
        "Behavioral threat assessment and management",
        "How a multidisciplinary team identifies, assesses and manages a person whose "
        "behavior suggests a path toward violence.",
        36,
        "interdiction_disruption",
    ),
    (
        "SAR",
        "Suspicious-activity reporting awareness",
        "The behaviors that may precede an attack, how to report them, and the civil "
        "liberties limits on what is reported.",
        24,
        "intelligence_information_sharing",
    ),
)


def downgrade() -> None:
    op.drop_index("ix_training_certifications_site", table_name="training_certifications")
    op.drop_index("ix_training_certifications_agency", table_name="training_certifications")
    op.drop_table("training_certifications")
    op.drop_index("ix_exercise_evaluations_once", table_name="exercise_evaluations")
    op.drop_table("exercise_evaluations")
    op.drop_index("ix_corrective_action_evidence_action", table_name="corrective_action_evidence")
    op.drop_table("corrective_action_evidence")
    op.drop_index("ix_after_action_items_exercise", table_name="after_action_items")
    op.drop_table("after_action_items")
    op.drop_index("ix_training_attendance_session", table_name="training_attendance")
    op.drop_table("training_attendance")
    op.drop_index("ix_exercise_objectives_exercise", table_name="exercise_objectives")
    op.drop_table("exercise_objectives")
    op.drop_index("ix_training_sessions_agency", table_name="training_sessions")
    op.drop_table("training_sessions")
    op.drop_index("ix_exercises_agency", table_name="exercises")
    op.drop_table("exercises")
    op.drop_index("ix_corrective_actions_source", table_name="corrective_actions")
    op.drop_index("ix_corrective_actions_agency", table_name="corrective_actions")
    op.drop_table("corrective_actions")
    op.drop_index("ix_preparedness_reminders_once", table_name="preparedness_reminders")
    op.drop_table("preparedness_reminders")
    op.drop_index("ix_capability_targets_once", table_name="capability_targets")
    op.drop_table("capability_targets")
    op.drop_index("ix_training_courses_agency", table_name="training_courses")
    op.drop_table("training_courses")

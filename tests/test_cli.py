"""The `vigil` command against real databases (a fresh one per test)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from tests.conftest import (
    TEST_SECRET,
    create_postgres_database,
    drop_postgres_database,
    require_postgres,
)
from vigil.cli import app
from vigil.platform.database import make_engine
from vigil.platform.models import AuditEvent, User, WebSession
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow

runner = CliRunner()
PASSWORD = "a fine long passphrase for the cli"


@pytest.fixture(params=["sqlite", "postgresql"])
def cli_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        "VIGIL_DATA_DIR": str(tmp_path / "data"),
        "VIGIL_SECRET_KEY": TEST_SECRET,
        "VIGIL_DEMO_MODE": "false",
    }
    if request.param == "sqlite":
        env["VIGIL_DATABASE_URL"] = ""
        yield env
        return
    require_postgres()
    url = create_postgres_database()
    env["VIGIL_DATABASE_URL"] = url
    try:
        yield env
    finally:
        drop_postgres_database(url)


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    clean = {k: v for k, v in env.items() if v}
    result = runner.invoke(app, list(args), env=clean, input=stdin)
    return result.exit_code, result.output


def engine_for(env: dict[str, str]):  # type: ignore[no-untyped-def]
    return make_engine(
        Settings(
            data_dir=Path(env["VIGIL_DATA_DIR"]),
            database_url=env.get("VIGIL_DATABASE_URL") or None,
            secret_key=TEST_SECRET,
        )
    )


def setup_instance(env: dict[str, str]) -> None:
    code, out = run(env, "init")
    assert code == 0, out
    code, out = run(
        env, "agency", "create", "State Fusion Center", "--kind", "fusion_center", "--operator"
    )
    assert code == 0, out
    code, out = run(
        env,
        "user",
        "create",
        "Admin.One",
        "--agency",
        "State Fusion Center",
        "--display-name",
        "Ada Admin",
        "--role",
        "system_admin",
        "--role",
        "auditor",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 0, out


def test_init_creates_schema_and_a_private_checkpoint_key(cli_env: dict[str, str]) -> None:
    code, out = run(cli_env, "init")
    assert code == 0, out
    key = Path(cli_env["VIGIL_DATA_DIR"]) / "audit-checkpoint.key"
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600
    with engine_for(cli_env).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_chain_head")).scalar() == 1


def test_user_lifecycle_is_applied_and_audited(cli_env: dict[str, str]) -> None:
    setup_instance(cli_env)
    engine = engine_for(cli_env)
    with engine.begin() as connection:
        user_id = connection.execute(select(User.id).where(User.username == "admin.one")).scalar()
        connection.execute(
            WebSession.__table__.insert().values(
                token_hash="x" * 64,
                user_id=user_id,
                mfa_verified=True,
                auth_method="password",
                created_at=utcnow(),
                last_seen_at=utcnow(),
            )
        )
    for command in ("unlock", "reset-mfa", "disable"):
        code, out = run(cli_env, "user", command, "ADMIN.one")
        assert code == 0, out
    with engine.connect() as connection:
        user = connection.execute(select(User.disabled_at).where(User.id == user_id)).one()
        assert user.disabled_at is not None
        assert connection.execute(select(WebSession.id)).first() is None
        actions = [
            row.action
            for row in connection.execute(
                select(AuditEvent.action, AuditEvent.actor_type).order_by(AuditEvent.seq)
            )
        ]
    assert actions[-3:] == ["user.unlock", "user.reset_mfa", "user.disable"]
    assert "user.create" in actions and "agency.create" in actions


def test_bad_input_gets_a_clear_error_and_changes_nothing(cli_env: dict[str, str]) -> None:
    setup_instance(cli_env)
    code, out = run(
        cli_env,
        "user",
        "create",
        "bob",
        "--agency",
        "No Such Agency",
        "--display-name",
        "Bob",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 1 and "no agency" in out
    code, out = run(
        cli_env,
        "user",
        "create",
        "bob",
        "--agency",
        "State Fusion Center",
        "--display-name",
        "Bob",
        "--password-stdin",
        stdin="short\n",
    )
    assert code == 1 and "at least 12 characters" in out
    code, out = run(
        cli_env,
        "user",
        "create",
        "admin.one",
        "--agency",
        "1",
        "--display-name",
        "Dup",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 1 and "taken" in out
    code, out = run(cli_env, "user", "disable", "nobody")
    assert code == 1 and "no user" in out
    code, out = run(cli_env, "agency", "create", "State Fusion Center", "--kind", "other")
    assert code == 1 and "already exists" in out
    with engine_for(cli_env).connect() as connection:
        assert connection.execute(select(User.username)).scalars().all() == ["admin.one"]


def test_audit_verify_checkpoint_export_and_tamper_detection(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    setup_instance(cli_env)
    code, out = run(cli_env, "audit", "checkpoint")
    assert code == 0 and "Checkpoint signed" in out, out
    code, out = run(cli_env, "audit", "verify")
    assert code == 0 and "intact" in out, out
    export = tmp_path / "trail.jsonl"
    code, out = run(cli_env, "audit", "export", "--output", str(export))
    assert code == 0, out
    events = [json.loads(line) for line in export.read_text().splitlines()]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(PASSWORD not in line for line in export.read_text().splitlines())

    engine = engine_for(cli_env)
    with engine.begin() as connection:  # an attacker with database access
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
        connection.execute(text("UPDATE audit_events SET actor_name = 'someone' WHERE seq = 2"))
    code, out = run(cli_env, "audit", "verify")
    assert code == 2 and "BROKEN at event 2" in out, out


def test_deleted_checkpoints_are_noticed_through_the_copy_outside(cli_env: dict[str, str]) -> None:
    setup_instance(cli_env)
    code, out = run(cli_env, "audit", "checkpoint")
    assert code == 0, out
    copy = Path(cli_env["VIGIL_DATA_DIR"]) / "audit-checkpoints.jsonl"
    assert len(copy.read_text().splitlines()) == 1
    engine = engine_for(cli_env)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_checkpoints DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_checkpoints_no_delete"))
        connection.execute(text("DELETE FROM audit_checkpoints"))
    code, out = run(cli_env, "audit", "verify")
    assert code == 2 and "checkpoints were deleted" in out, out


def test_invalid_settings_are_refused_with_a_clear_message(cli_env: dict[str, str]) -> None:
    code, out = run({**cli_env, "VIGIL_SECRET_KEY": "change-me"}, "init")
    assert code == 1 and "VIGIL_SECRET_KEY" in out
    code, out = run(
        {**cli_env, "VIGIL_SQLITE_SYNCHRONOUS": "OFF", "VIGIL_DATABASE_URL": ""}, "init"
    )
    assert code == 1 and "synchronous" in out.lower()


def test_demo_builds_agencies_and_a_user_for_every_role(tmp_path: Path) -> None:
    code, out = run({}, "demo", "--data-dir", str(tmp_path / "demo"), "--no-serve")
    assert code == 0, out
    assert "Vigil demo: open http://127.0.0.1:8000/" in out
    engine = make_engine(Settings(data_dir=tmp_path / "demo", demo_mode=True))
    with engine.connect() as connection:
        roles = set(connection.execute(text("SELECT DISTINCT role FROM user_roles")).scalars())
        agencies = connection.execute(text("SELECT count(*) FROM agencies")).scalar()
    assert roles == {role.value for role in Role}, "the demo has a login for every role"
    assert agencies == 10  # eight, then the response demo's hospital and medical examiner
    assert out.count("sysadmin") == 1
    # Synthetic reports, linked: the school's and the police's reports about the same
    # (fictional) student are one person from the start.
    with engine.connect() as connection:
        reports = connection.execute(text("SELECT count(*) FROM reports")).scalar()
        whitaker = connection.execute(
            text(
                "SELECT count(DISTINCT pm.person_id), count(*) FROM person_mentions pm "
                "JOIN mentions m ON m.id = pm.mention_id WHERE m.family_name = 'Whitaker'"
            )
        ).one()
    assert reports and reports > 40
    assert tuple(whitaker) == (1, 2)
    # Threat-assessment cases at different stages, opened by the demo staff.
    with engine.connect() as connection:
        statuses = dict(
            connection.execute(text("SELECT status, count(*) FROM cases GROUP BY status")).all()
        )
        overdue = connection.execute(
            text("SELECT count(*) FROM interventions WHERE due_on < CURRENT_DATE")
        ).scalar()
    assert statuses == {"managing": 1, "assessing": 1, "open": 1}
    assert overdue == 1
    assert "Opened 3 threat-assessment cases." in out

"""`vigil recover reminders | purge | statistics` against a real (SQLite) database."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import TEST_SECRET
from vigil.cli import app

runner = CliRunner()


def test_the_operations_commands_run_and_refuse_bad_options(tmp_path: Path) -> None:
    env = {
        "VIGIL_DATA_DIR": str(tmp_path / "data"),
        "VIGIL_SECRET_KEY": TEST_SECRET,
        "VIGIL_DEMO_MODE": "false",
    }
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    done = runner.invoke(app, ["recover", "reminders", "--now", "2027-03-07"], env=env)
    assert done.exit_code == 0 and "0 reminders sent." in done.stdout, done.output
    done = runner.invoke(app, ["recover", "purge"], env=env)
    assert done.exit_code == 0 and "0 cases purged." in done.stdout, done.output
    assert (
        "0 assistance centers purged (0 registrations); 0 fund claims emptied; 0 offers deleted."
        in done.stdout
    ), done.output
    done = runner.invoke(app, ["recover", "statistics"], env=env)
    assert done.exit_code == 0, done.output
    figures = json.loads(done.stdout)
    assert figures["threshold"] == 11 and figures["clients"]["total"] == 0
    refused = runner.invoke(app, ["recover", "statistics", "--threshold", "1"], env=env)
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1
    refused = runner.invoke(app, ["recover", "reminders", "--now", "soon"], env=env)
    assert refused.exit_code == 1 and "ISO 8601" in refused.stderr

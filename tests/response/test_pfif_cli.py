"""`vigil pfif import` and `vigil pfif export` against a configured database (both kinds)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import (
    TEST_SECRET,
    create_postgres_database,
    drop_postgres_database,
    require_postgres,
)
from tests.response.pfif_documents import VALID_1_3, VALID_1_4
from tests.response.test_pfif_exchange import BAD_AND_GOOD
from vigil.cli import app
from vigil.response.pfif_validation import validate

runner = CliRunner()


@pytest.fixture(params=["sqlite", "postgresql"])
def cli_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        "VIGIL_DATA_DIR": str(tmp_path / "data"),
        "VIGIL_SECRET_KEY": TEST_SECRET,
        "VIGIL_DEMO_MODE": "false",
    }
    if request.param == "sqlite":
        yield env
        return
    require_postgres()
    url = create_postgres_database()
    env["VIGIL_DATABASE_URL"] = url
    try:
        yield env
    finally:
        drop_postgres_database(url)


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_import_export_round_trip_through_the_commands(
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    source = tmp_path / "in.xml"
    source.write_text(VALID_1_4, encoding="utf-8")
    code, output = run(cli_env, "pfif", "import", str(source))
    assert code == 0, output
    assert "1 persons added" in output and "2 notes added" in output
    older = tmp_path / "older.xml"
    older.write_text(VALID_1_3, encoding="utf-8")
    code, output = run(cli_env, "pfif", "import", str(older))
    assert code == 0, output
    out = tmp_path / "out.xml"
    code, output = run(cli_env, "pfif", "export", "--output", str(out))
    assert code == 0, output
    assert "2 persons and 3 notes written" in output
    report = validate(out.read_bytes(), now=datetime.now(UTC))
    assert report.valid and report.version == "1.4" and report.persons == 2
    code, output = run(cli_env, "pfif", "import", str(out))
    assert code == 0 and "2 unchanged" in output


def test_bad_records_are_named_and_the_rest_kept(
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    source = tmp_path / "mixed.xml"
    source.write_text(BAD_AND_GOOD, encoding="utf-8")
    code, output = run(cli_env, "pfif", "import", str(source))
    assert code == 1
    assert "Refused: line 8: person example.org/bad: source_date:" in output
    assert "1 persons added" in output and "6 records refused" in output
    hostile = tmp_path / "hostile.xml"
    hostile.write_bytes(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
    code, output = run(cli_env, "pfif", "import", str(hostile))
    assert code == 2 and "nothing was imported" in output
    code, output = run(cli_env, "pfif", "import", str(source), "--incident", "999")
    assert code == 2 and "no incident 999" in output
    code, output = run(cli_env, "pfif", "export", "--output", str(tmp_path / "no" / "x.xml"))
    assert code == 2 and "no directory" in output

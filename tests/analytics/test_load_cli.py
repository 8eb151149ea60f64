"""`vigil analytics load` and `vigil analytics export` against a configured database."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import (
    TEST_SECRET,
    create_postgres_database,
    drop_postgres_database,
    require_postgres,
)
from vigil.cli import app

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


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_load_twice_then_export(
    cli_env: dict[str, str], copy_datasets: Callable[..., Path], tmp_path: Path
) -> None:
    root = copy_datasets("stanford_msa", "motherjones_codeholics")
    code, first, stderr = run(cli_env, "analytics", "load", str(root))
    assert code == 0, stderr
    assert first.startswith("486 rows from 2 data sets")
    code, second, _ = run(cli_env, "analytics", "load", str(root))
    assert code == 0 and second == first
    out = tmp_path / "catalogue.csv"
    code, _, stderr = run(cli_env, "analytics", "export", str(out))
    assert code == 0, stderr
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    incidents = int(first.split("-> ")[1].split()[0])
    assert len(rows) == incidents
    assert run(cli_env, "analytics", "export", str(tmp_path / "c.parquet"))[0] == 0
    assert (tmp_path / "c.parquet").read_bytes()[:4] == b"PAR1"
    code, printed, _ = run(cli_env, "analytics", "sql", "select count(*) as n from source_rows")
    assert code == 0 and printed == "n\n486\n"
    code, _, stderr = run(cli_env, "analytics", "sql", "copy incidents to '/tmp/x.csv'")
    assert code == 1 and "Only one SELECT" in stderr


def test_bad_arguments(cli_env: dict[str, str], tmp_path: Path) -> None:
    code, _, stderr = run(cli_env, "analytics", "export", str(tmp_path / "out.xlsx"))
    assert code == 2 and "must end in .csv or .parquet" in stderr
    code, _, stderr = run(cli_env, "analytics", "load", str(tmp_path / "missing"))
    assert code == 2 and "not a directory" in stderr
    (tmp_path / "empty").mkdir()
    code, _, stderr = run(cli_env, "analytics", "load", str(tmp_path / "empty"))
    assert code == 2 and "no data set folder" in stderr

"""`vigil recover distribute INPUT.json --output PAYMENTS.csv`: the acceptance contract."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigil.cli import app

runner = CliRunner()

PROTOCOL = {
    "fund_cents": 1000,
    "tiers": [
        {"id": "killed", "weight": 0.3},
        {"id": "hospitalised", "weight": 0.2},
        {"id": "present", "weight": 0.1},
    ],
    "claimants": [
        {"id": "c3", "tier": "present"},
        {"id": "c1", "tier": "killed"},
        {"id": "c2", "tier": "hospitalised"},
        {"id": "c4", "tier": "present"},
    ],
}


def _vigil(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigil", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        check=False,
    )


def test_the_command_writes_payments_that_sum_to_the_fund(tmp_path: Path) -> None:
    source = tmp_path / "INPUT.json"
    source.write_text(json.dumps(PROTOCOL), encoding="utf-8")
    target = tmp_path / "PAYMENTS.csv"
    done = _vigil("recover", "distribute", str(source), "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["claimant_id", "tier", "amount_cents"]
    # 1000 × 0.1/0.7 = 142.857…, 0.3/0.7 → 428.571…, 0.2/0.7 → 285.714…: floors 997,
    # three cents to the remainders .857 (c3, c4 tied: both) and .714 (c2).
    assert [(r["claimant_id"], r["tier"], int(r["amount_cents"])) for r in rows] == [
        ("c3", "present", 143),
        ("c1", "killed", 428),
        ("c2", "hospitalised", 286),
        ("c4", "present", 143),
    ]
    assert sum(int(r["amount_cents"]) for r in rows) == 1000
    assert "4 payments totalling 1000 cents" in done.stdout
    assert not list(tmp_path.glob(".*partial"))


@pytest.mark.parametrize(
    "content",
    [
        b"not json at all",
        b"\xff\xfe\x00garbage",
        json.dumps({**PROTOCOL, "fund_cents": 10.5}).encode(),
        json.dumps({**PROTOCOL, "fund_cents": -5}).encode(),
        json.dumps({**PROTOCOL, "claimants": [{"id": "a", "tier": "nobody"}]}).encode(),
        json.dumps({**PROTOCOL, "claimants": [{"id": "a", "tier": "killed"}] * 2}).encode(),
        json.dumps({**PROTOCOL, "tiers": [{"id": "killed", "weight": -1}]}).encode(),
        json.dumps(
            {
                **PROTOCOL,
                "tiers": [{"id": "t", "weight": 0}],
                "claimants": [{"id": "a", "tier": "t"}],
            }
        ).encode(),
    ],
)
def test_bad_input_exits_non_zero_with_one_line_and_no_output_file(
    tmp_path: Path, content: bytes
) -> None:
    source = tmp_path / "INPUT.json"
    source.write_bytes(content)
    target = tmp_path / "PAYMENTS.csv"
    result = runner.invoke(app, ["recover", "distribute", str(source), "--output", str(target)])
    assert result.exit_code != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert result.stdout == ""
    assert not target.exists()
    assert list(tmp_path.iterdir()) == [source]


def test_bad_input_through_a_real_process(tmp_path: Path) -> None:
    source = tmp_path / "INPUT.json"
    source.write_text(
        '{"fund_cents": 100, "tiers": [{"id": "a", "weight": 1}], '
        '"claimants": [{"id": "x", "tier": "b"}]}',
        encoding="utf-8",
    )
    target = tmp_path / "PAYMENTS.csv"
    done = _vigil("recover", "distribute", str(source), "--output", str(target))
    assert done.returncode == 1
    assert done.stderr == "Error: claimant 'x' names an unknown tier 'b'\n"
    assert not target.exists()


def test_missing_input_and_unwritable_output_are_one_line_errors(tmp_path: Path) -> None:
    target = tmp_path / "PAYMENTS.csv"
    result = runner.invoke(
        app, ["recover", "distribute", str(tmp_path / "absent.json"), "--output", str(target)]
    )
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "no such file" in result.stderr
    source = tmp_path / "INPUT.json"
    source.write_text(json.dumps(PROTOCOL), encoding="utf-8")
    elsewhere = tmp_path / "missing-dir" / "PAYMENTS.csv"
    result = runner.invoke(app, ["recover", "distribute", str(source), "--output", str(elsewhere)])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "no such directory" in result.stderr
    assert not elsewhere.parent.exists()
    result = runner.invoke(app, ["recover", "distribute", str(source), "--output", str(tmp_path)])
    assert result.exit_code == 1 and "is a directory" in result.stderr


def test_a_bad_run_leaves_an_earlier_payments_file_as_it_was(tmp_path: Path) -> None:
    source = tmp_path / "INPUT.json"
    source.write_text(json.dumps(PROTOCOL), encoding="utf-8")
    target = tmp_path / "PAYMENTS.csv"
    assert (
        runner.invoke(app, ["recover", "distribute", str(source), "-o", str(target)]).exit_code == 0
    )
    before = target.read_bytes()
    source.write_text('{"fund_cents": 1.5}', encoding="utf-8")
    result = runner.invoke(app, ["recover", "distribute", str(source), "-o", str(target)])
    assert result.exit_code == 1
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["INPUT.json", "PAYMENTS.csv"]


def test_standard_input_and_a_re_run_give_the_same_file(tmp_path: Path) -> None:
    first, second = tmp_path / "one.csv", tmp_path / "two.csv"
    text = json.dumps(PROTOCOL)
    assert (
        runner.invoke(app, ["recover", "distribute", "-", "-o", str(first)], input=text).exit_code
        == 0
    )
    source = tmp_path / "INPUT.json"
    source.write_text(text, encoding="utf-8")
    assert (
        runner.invoke(app, ["recover", "distribute", str(source), "-o", str(second)]).exit_code == 0
    )
    assert first.read_bytes() == second.read_bytes()

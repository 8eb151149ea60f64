"""`vigil plan mitigation` and `vigil plan patrols`: the contracts and every bad input."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vigil.cli import app

runner = CliRunner()

MITIGATION: dict[str, Any] = {
    "budget": 100,
    "sites": [
        {"id": "school", "threat": 0.5, "vulnerability": 0.8, "consequence": 1000},
        {"id": "church", "threat": 0.2, "vulnerability": 1, "consequence": 500},
    ],
    "measures": [
        {"id": "camera", "site": "school", "cost": 60, "vulnerability_factor": 0.5},
        {
            "id": "locks",
            "site": "school",
            "cost": 30,
            "vulnerability_factor": 0.7,
            "excludes": ["camera"],
        },
        {"id": "guard", "site": "church", "cost": 50, "vulnerability_factor": 0.4},
    ],
}

PATROLS: dict[str, Any] = {
    "resources": 1,
    "targets": [
        {
            "id": "mall",
            "defender_covered": 0,
            "defender_uncovered": -10,
            "attacker_covered": -1,
            "attacker_uncovered": 10,
        },
        {
            "id": "stadium",
            "defender_covered": 0,
            "defender_uncovered": -5,
            "attacker_covered": -1,
            "attacker_uncovered": 5,
        },
        {
            "id": "park",
            "defender_covered": 0,
            "defender_uncovered": -1,
            "attacker_covered": 0,
            "attacker_uncovered": 1,
        },
    ],
}


def run(tmp_path: Path, command: str, text: str, *options: str) -> tuple[int, str, Path]:
    source = tmp_path / "input.json"
    source.write_text(text, encoding="utf-8")
    output = tmp_path / "out.json"
    result = runner.invoke(app, ["plan", command, str(source), "--output", str(output), *options])
    return result.exit_code, result.stderr, output


def test_mitigation_writes_the_optimal_plan(tmp_path: Path) -> None:
    code, stderr, output = run(tmp_path, "mitigation", json.dumps(MITIGATION))
    assert code == 0, stderr
    plan = json.loads(output.read_text())
    assert plan["selected"] == ["camera"]
    assert (plan["cost"], plan["risk_before"], plan["risk_after"]) == (60, 500, 300)
    assert plan["optimal"] is True and plan["gap"] <= 1e-9
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.json")]


def test_patrols_write_coverage_utilities_and_reproducible_schedules(tmp_path: Path) -> None:
    code, stderr, output = run(
        tmp_path, "patrols", json.dumps(PATROLS), "--schedules", "500", "--seed", "42"
    )
    assert code == 0, stderr
    first = json.loads(output.read_text())
    assert set(first["coverage"]) == {"mall", "stadium", "park"}
    assert sum(first["coverage"].values()) <= 1 + 1e-12
    assert first["attacked_target"] == "stadium"
    assert first["attacker_utility"] == pytest.approx(49 / 17)
    assert first["defender_utility"] == pytest.approx(-5 * (1 - (5 - 49 / 17) / 6))
    assert len(first["schedules"]) == 500 and first["seed"] == 42
    for place, probability in first["coverage"].items():
        frequency = sum(place in day for day in first["schedules"]) / 500
        assert abs(frequency - probability) <= 0.02
    assert all(len(day) <= 1 for day in first["schedules"])
    code, _, output = run(
        tmp_path, "patrols", json.dumps(PATROLS), "--schedules", "500", "--seed", "42"
    )
    assert json.loads(output.read_text())["schedules"] == first["schedules"]


def test_patrols_default_to_a_thousand_schedules_and_record_the_seed(tmp_path: Path) -> None:
    code, stderr, output = run(tmp_path, "patrols", json.dumps(PATROLS))
    assert code == 0, stderr
    written = json.loads(output.read_text())
    assert len(written["schedules"]) == 1000 and isinstance(written["seed"], int)


def mitigation_with(change: Any) -> str:
    data = copy.deepcopy(MITIGATION)
    change(data)
    return json.dumps(data)


def patrols_with(change: Any) -> str:
    data = copy.deepcopy(PATROLS)
    change(data)
    return json.dumps(data)


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(data: Any) -> None:
        for key in path[:-1]:
            data = data[key]
        data[path[-1]] = value

    return change


def _drop(path: tuple[Any, ...]) -> Any:
    def change(data: Any) -> None:
        for key in path[:-1]:
            data = data[key]
        del data[path[-1]]

    return change


BAD_MITIGATION = {
    "not JSON": "{budget: 1}",
    "not an object": "[1, 2]",
    "empty file": "",
    "NaN": json.dumps(MITIGATION).replace('"budget": 100', '"budget": NaN'),
    "Infinity": json.dumps(MITIGATION).replace('"consequence": 1000', '"consequence": Infinity'),
    "overflowing float": json.dumps(MITIGATION).replace('"budget": 100', '"budget": 1e999'),
    "absurd budget": mitigation_with(_set(("budget",), 1e300)),
    "absurdly small threat": mitigation_with(_set(("sites", 0, "threat"), 1e-20)),
    "huge integer": json.dumps(MITIGATION).replace('"budget": 100', '"budget": ' + "9" * 5000),
    "repeated key": json.dumps(MITIGATION).replace('"budget": 100', '"budget": 100, "budget": 5'),
    "budget as string": mitigation_with(_set(("budget",), "100")),
    "budget as boolean": mitigation_with(_set(("budget",), True)),
    "negative budget": mitigation_with(_set(("budget",), -1)),
    "missing budget": mitigation_with(_drop(("budget",))),
    "unknown top field": mitigation_with(_set(("bugdet",), 1)),
    "sites not an array": mitigation_with(_set(("sites",), {"id": "x"})),
    "site not an object": mitigation_with(_set(("sites", 0), "school")),
    "site missing threat": mitigation_with(_drop(("sites", 0, "threat"))),
    "site unknown field": mitigation_with(_set(("sites", 0, "risk"), 1)),
    "threat above 1": mitigation_with(_set(("sites", 0, "threat"), 1.5)),
    "threat negative": mitigation_with(_set(("sites", 0, "threat"), -0.1)),
    "vulnerability zero": mitigation_with(_set(("sites", 0, "vulnerability"), 0)),
    "vulnerability above 1": mitigation_with(_set(("sites", 0, "vulnerability"), 1.01)),
    "negative consequence": mitigation_with(_set(("sites", 0, "consequence"), -5)),
    "consequence as string": mitigation_with(_set(("sites", 0, "consequence"), "1000")),
    "duplicate site id": mitigation_with(_set(("sites", 1, "id"), "school")),
    "site id as boolean": mitigation_with(_set(("sites", 0, "id"), False)),
    "empty site id": mitigation_with(_set(("sites", 0, "id"), " ")),
    "measure at unknown site": mitigation_with(_set(("measures", 2, "site"), "mosque")),
    "duplicate measure id": mitigation_with(_set(("measures", 1, "id"), "camera")),
    "negative cost": mitigation_with(_set(("measures", 0, "cost"), -1)),
    "cost as boolean": mitigation_with(_set(("measures", 0, "cost"), False)),
    "factor zero": mitigation_with(_set(("measures", 0, "vulnerability_factor"), 0)),
    "factor above 1": mitigation_with(_set(("measures", 0, "vulnerability_factor"), 1.2)),
    "measure missing factor": mitigation_with(_drop(("measures", 0, "vulnerability_factor"))),
    "measure unknown field": mitigation_with(_set(("measures", 0, "name"), "CCTV")),
    "excludes not an array": mitigation_with(_set(("measures", 1, "excludes"), "camera")),
    "excludes unknown measure": mitigation_with(_set(("measures", 1, "excludes"), ["fence"])),
    "excludes measure at another site": mitigation_with(
        _set(("measures", 1, "excludes"), ["guard"])
    ),
    "excludes itself": mitigation_with(_set(("measures", 1, "excludes"), ["locks"])),
    "excludes listed twice": mitigation_with(
        _set(("measures", 1, "excludes"), ["camera", "camera"])
    ),
}


@pytest.mark.parametrize("text", BAD_MITIGATION.values(), ids=BAD_MITIGATION.keys())
def test_bad_mitigation_input_is_refused_in_one_line_with_no_output(
    tmp_path: Path, text: str
) -> None:
    code, stderr, output = run(tmp_path, "mitigation", text)
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("Error: ")
    assert not output.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.json"]


BAD_PATROLS = {
    "not JSON": "resources: 1",
    "not an object": '"patrols"',
    "NaN payoff": json.dumps(PATROLS).replace(
        '"attacker_uncovered": 10', '"attacker_uncovered": NaN'
    ),
    "-Infinity payoff": json.dumps(PATROLS).replace(
        '"defender_uncovered": -10', '"defender_uncovered": -Infinity'
    ),
    "absurd payoff": patrols_with(_set(("targets", 0, "attacker_uncovered"), 1e13)),
    "absurdly small payoff": patrols_with(_set(("targets", 2, "attacker_covered"), 1e-300)),
    "no places": patrols_with(_set(("targets",), [])),
    "targets not an array": patrols_with(_set(("targets",), {})),
    "missing resources": patrols_with(_drop(("resources",))),
    "negative units": patrols_with(_set(("resources",), -1)),
    "fractional units": patrols_with(_set(("resources",), 1.5)),
    "units as string": patrols_with(_set(("resources",), "1")),
    "units as boolean": patrols_with(_set(("resources",), True)),
    "absurd units": patrols_with(_set(("resources",), 10**15)),
    "unknown top field": patrols_with(_set(("budget",), 1)),
    "target missing payoff": patrols_with(_drop(("targets", 0, "attacker_covered"))),
    "target unknown field": patrols_with(_set(("targets", 0, "name"), "Mall")),
    "payoff as string": patrols_with(_set(("targets", 0, "defender_covered"), "0")),
    "duplicate id": patrols_with(_set(("targets", 1, "id"), "mall")),
    "id as number and string collide": json.dumps(
        {
            "resources": 1,
            "targets": [{**PATROLS["targets"][0], "id": 1}, {**PATROLS["targets"][1], "id": "1"}],
        }
    ),
    "defender order broken": patrols_with(_set(("targets", 0, "defender_covered"), -11)),
    "attacker order broken": patrols_with(_set(("targets", 0, "attacker_covered"), 11)),
}


@pytest.mark.parametrize("text", BAD_PATROLS.values(), ids=BAD_PATROLS.keys())
def test_bad_patrol_input_is_refused_in_one_line_with_no_output(tmp_path: Path, text: str) -> None:
    code, stderr, _ = run(tmp_path, "patrols", text)
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("Error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.json"]


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("patrols", ["--schedules", "0"]),
        ("patrols", ["--schedules", "many"]),
        ("patrols", ["--schedules", "100001"]),
        ("patrols", ["--seed", "-3"]),
        ("mitigation", ["--time-limit", "0"]),
        ("mitigation", ["--time-limit", "nan"]),
    ],
)
def test_bad_options_are_refused_in_one_line_with_no_output(
    tmp_path: Path, command: str, options: list[str]
) -> None:
    text = json.dumps(PATROLS if command == "patrols" else MITIGATION)
    code, stderr, output = run(tmp_path, command, text, *options)
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("Error: ")
    assert not output.exists()


def test_a_missing_file_or_output_directory_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["plan", "mitigation", str(tmp_path / "none.json"), "--output", str(tmp_path / "o")]
    )
    assert result.exit_code == 2 and "no such file" in result.stderr
    source = tmp_path / "input.json"
    source.write_text(json.dumps(MITIGATION))
    result = runner.invoke(
        app, ["plan", "mitigation", str(source), "--output", str(tmp_path / "no" / "o.json")]
    )
    assert result.exit_code == 2 and "no directory" in result.stderr
    assert not (tmp_path / "no").exists()


def test_input_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "input.json"
    source.write_bytes(b'{"budget": 1, "sites": [], "measures": [], "x": "\xff"}')
    result = runner.invoke(
        app, ["plan", "mitigation", str(source), "--output", str(tmp_path / "o.json")]
    )
    assert result.exit_code == 2 and "UTF-8" in result.stderr
    assert not (tmp_path / "o.json").exists()

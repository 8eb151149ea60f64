"""`vigil link csv`: one file deduplicated or two linked, no database; clear errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.linkage.people import pairs_of, people, precision_recall
from vigil.cli import app

runner = CliRunner()
COLUMNS = "first_name=given,surname=family,dob=born,phone=tel,email=mail,street=addr,city=town"


def _write_people(path: Path, frame: pd.DataFrame) -> None:
    frame.rename(
        columns={
            "unique_id": "rid",
            "first_name": "given",
            "surname": "family",
            "dob": "born",
            "phone": "tel",
            "email": "mail",
            "street": "addr",
            "city": "town",
        }
    ).drop(columns=["postcode"]).to_csv(path, index=False)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def _invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["link", "csv", *args], env={"VIGIL_LINKAGE_BACKEND": "duckdb"})
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, " ".join(result.output.split())


def test_deduplicates_one_file(tmp_path: Path) -> None:
    truth = people(60, seed=5)
    source = tmp_path / "people.csv"
    _write_people(source, truth.frame)
    out = tmp_path / "out.csv"
    code, _ = _invoke(str(source), "--id-column", "rid", "--columns", COLUMNS, "--output", str(out))
    assert code == 0
    rows = _read(out)
    assert [r["id"] for r in rows] == list(truth.frame["unique_id"])
    assert {r["source"] for r in rows} == {"1"}
    clusters = {r["id"]: r["cluster_id"] for r in rows}
    precision, recall = precision_recall(pairs_of(clusters), truth.true_pairs())
    assert precision >= 0.97 and recall >= 0.9


def test_links_two_files_and_keeps_their_ids(tmp_path: Path) -> None:
    truth = people(60, seed=6, max_extra=1)
    frame = truth.frame
    first = frame[frame["unique_id"].str.endswith("-0")]
    second = frame[~frame["unique_id"].str.endswith("-0")]
    # The same ids may appear in both files: they stay as given.
    second = second.assign(unique_id=second["unique_id"].str.replace("-1", "-0"))
    one, two, out = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "out.csv"
    _write_people(one, first)
    _write_people(two, second)
    code, _ = _invoke(
        str(one), str(two), "--id-column", "rid", "--columns", COLUMNS, "-o", str(out)
    )
    assert code == 0
    rows = _read(out)
    assert len(rows) == len(first) + len(second)
    by_cluster: dict[str, set[tuple[str, str]]] = {}
    for row in rows:
        by_cluster.setdefault(row["cluster_id"], set()).add((row["source"], row["id"]))
    linked = [members for members in by_cluster.values() if len(members) > 1]
    assert len(linked) >= 0.9 * len(second)
    for members in linked:
        assert {s for s, _ in members} == {"1", "2"}
        assert len({i for _, i in members}) == 1  # the copy kept its person's id


def test_columns_default_to_field_names(tmp_path: Path) -> None:
    source = tmp_path / "p.csv"
    people(20, seed=8).frame.rename(columns={"unique_id": "id"}).to_csv(source, index=False)
    out = tmp_path / "out.csv"
    code, _ = _invoke(str(source), "--output", str(out))
    assert code == 0 and len(_read(out)) == len(pd.read_csv(source))


def test_almost_nothing_is_never_merged(tmp_path: Path) -> None:
    source = tmp_path / "thin.csv"
    source.write_text("id,first_name\n1,James\n2,James\n3,James\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    code, output = _invoke(str(source), "--output", str(out))
    assert code == 0
    assert len({r["cluster_id"] for r in _read(out)}) == 3
    assert "Nothing linked" in output


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("id,given\n1,Ann\n", ["--columns", "first_name=nope"], "no column 'nope'"),
        ("id,given\n1,Ann\n", ["--columns", "nickname=given"], "unknown field 'nickname'"),
        ("id,given\n1,Ann\n", ["--columns", "first_name"], "is not field=column"),
        ("rid,given\n1,Ann\n", ["--columns", "first_name=given"], "no id column 'id'"),
        ("", [], "is empty"),
        ("id,first_name\n", [], "no rows"),
        ("id,first_name\n1,Ann\n1,Bob\n", [], "appears more than once"),
        ("id,first_name\n1,Ann\n", ["--backend", "oracle"], "duckdb or spark"),
        ("id,given\n1,Ann\n", [], "no column is named after a field"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    tmp_path: Path, content: str, args: list[str], message: str
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(content, encoding="utf-8")
    code, output = _invoke(str(source), *args, "--output", str(tmp_path / "out.csv"))
    assert code == 2
    assert message in output
    assert "Traceback" not in output


def test_bad_encoding_and_missing_file_exit_2(tmp_path: Path) -> None:
    source = tmp_path / "latin1.csv"
    source.write_bytes("id,first_name\n1,Jos\xe9\n".encode("latin-1"))
    code, output = _invoke(str(source), "--output", str(tmp_path / "out.csv"))
    assert code == 2 and "not UTF-8" in output
    code, output = _invoke(str(tmp_path / "missing.csv"), "--output", str(tmp_path / "o.csv"))
    assert code == 2 and "no such file" in output

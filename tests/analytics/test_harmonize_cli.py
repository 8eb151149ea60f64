"""`vigil analytics harmonize DIR --output OUT.csv` on the real data sets, on subsets of
them and on damaged copies: the contract, row keys, determinism, linkage quality."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigil.analytics.evaluation import pairwise, read_labels
from vigil.cli import app

from .conftest import INCIDENTS, require_incidents

runner = CliRunner()
LABELS = Path(__file__).parent / "data" / "labelled_matches.csv"
ROWS = {
    "fbi_active_shooter_2000_2018": 281,
    "gva_incidents_2013_2018": 239_677,
    "gva_mass_shootings_dxzys": 6127,
    "k12_ssdb_chds": 2067,
    "motherjones_codeholics": 151,
    "stanford_msa": 335,
    "wapo_school_shootings": 428,
}


def harmonize(directory: Path, output: Path, *extra: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app, ["analytics", "harmonize", str(directory), "--output", str(output), *extra]
    )
    return result.exit_code, result.stdout, result.stderr


def read_output(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["dataset", "row_key", "incident_id"]
        return list(reader)


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, str]], Path]:
    """One run over every published data set (about 40 s), shared by the tests below."""
    require_incidents()
    out = tmp_path_factory.mktemp("all")
    code, stdout, stderr = harmonize(
        INCIDENTS, out / "out.csv", "--evidence", str(out / "pairs.csv")
    )
    assert code == 0, stderr
    assert "249066 rows from 7 data sets" in stdout
    return read_output(out / "out.csv"), out / "pairs.csv"


def test_one_line_per_source_row_with_the_row_keys_of_the_contract(
    everything: tuple[list[dict[str, str]], Path],
) -> None:
    rows, _ = everything
    assert Counter(row["dataset"] for row in rows) == ROWS
    keys = defaultdict(list)
    for row in rows:
        keys[row["dataset"]].append(row["row_key"])
    # No id column: the 0-based data-row index.
    assert keys["fbi_active_shooter_2000_2018"] == [str(i) for i in range(281)]
    assert keys["motherjones_codeholics"] == [str(i) for i in range(151)]
    # Ids repeated in their file get '#<row index>'.
    assert [k for k in keys["stanford_msa"] if "#" in k] == [
        "156#155",
        "156#156",
        "168#168",
        "168#169",
    ]
    assert [k for k in keys["k12_ssdb_chds"] if "#" in k] == [
        "20210902CASAL#1791",
        "20210902CASAL#1813",
    ]
    assert keys["stanford_msa"][0] == "1" and keys["wapo_school_shootings"][0] == "1"
    assert keys["gva_mass_shootings_dxzys"][0] == "3514157"
    assert keys["k12_ssdb_chds"][0] == "20200727AZCAO"
    for dataset, found in keys.items():
        assert len(set(found)) == len(found), dataset


def _incident(rows: list[dict[str, str]], dataset: str, key: str) -> str:
    return next(
        row["incident_id"] for row in rows if (row["dataset"], row["row_key"]) == (dataset, key)
    )


def test_the_fbi_rows_of_one_event_are_one_incident(
    everything: tuple[list[dict[str, str]], Path],
) -> None:
    rows, _ = everything
    # Inland Region Center, San Bernardino, two shooters: rows 104 and 105.
    inland = _incident(rows, "fbi_active_shooter_2000_2018", "104")
    assert _incident(rows, "fbi_active_shooter_2000_2018", "105") == inland
    assert _incident(rows, "gva_mass_shootings_dxzys", "456893") == inland
    assert _incident(rows, "stanford_msa", "245") == inland


def test_labelled_cross_source_matches(everything: tuple[list[dict[str, str]], Path]) -> None:
    rows, _ = everything
    predicted = {(row["dataset"], row["row_key"]): row["incident_id"] for row in rows}
    score = pairwise(read_labels(LABELS), predicted)
    # Measured 2026-11-26: precision 1.000, recall 0.975 over 282 pairs (Isla Vista's
    # counts differ too much between sources and stays split, in the review queue).
    assert score.true_pairs == 282
    assert score.precision >= 0.98, score.wrong
    assert score.recall >= 0.95, score.missed


def test_other_shootings_in_the_same_town_stay_apart(
    everything: tuple[list[dict[str, str]], Path],
) -> None:
    rows, _ = everything
    vegas = _incident(rows, "fbi_active_shooter_2000_2018", "214")
    assert _incident(rows, "gva_mass_shootings_dxzys", "946496") == vegas
    # Three other Las Vegas shootings GVA recorded on 1 October 2017, one killed each.
    for other in ("946494", "946448", "946298"):
        assert _incident(rows, "gva_incidents_2013_2018", other) != vegas
    # Every GVA mass shooting is its own incident, even on the same day in one city.
    mass = [row["incident_id"] for row in rows if row["dataset"] == "gva_mass_shootings_dxzys"]
    assert len(set(mass)) == len(mass)


def test_evidence_and_review_queue(everything: tuple[list[dict[str, str]], Path]) -> None:
    _, pairs_path = everything
    with pairs_path.open(encoding="utf-8", newline="") as handle:
        pairs = list(csv.DictReader(handle))
    decisions = Counter(pair["decision"] for pair in pairs)
    assert decisions["linked"] > 3000 and decisions["review"] > 100
    columbine = [
        pair
        for pair in pairs
        if {pair["dataset_a"], pair["dataset_b"]} == {"wapo_school_shootings", "stanford_msa"}
        and "1" in (pair["row_key_a"], pair["row_key_b"])
        and "71" in (pair["row_key_a"], pair["row_key_b"])
    ]
    assert columbine and columbine[0]["decision"] == "linked"
    assert columbine[0]["date"].startswith("0 days apart") and columbine[0]["place"].startswith(
        "same city"
    )


SMALL = ("motherjones_codeholics", "stanford_msa", "wapo_school_shootings", "k12_ssdb_chds")


def test_a_subset_of_the_folders_and_the_same_result_twice(
    copy_datasets: Callable[..., Path], tmp_path: Path
) -> None:
    root = copy_datasets(*SMALL)
    (root / "notes").mkdir()  # not a data set: skipped with a word on stderr
    code, _, stderr = harmonize(root, tmp_path / "one.csv")
    assert code == 0 and "skipped" in stderr and "notes" in stderr
    assert harmonize(root, tmp_path / "two.csv")[0] == 0
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
    rows = read_output(tmp_path / "one.csv")
    assert Counter(row["dataset"] for row in rows) == {name: ROWS[name] for name in SMALL}
    # Columbine in all four.
    columbine = {
        _incident(rows, "wapo_school_shootings", "1"),
        _incident(rows, "stanford_msa", "71"),
        _incident(rows, "motherjones_codeholics", "124"),
        _incident(rows, "k12_ssdb_chds", "19990420COCOL"),
    }
    assert len(columbine) == 1 and columbine.pop().startswith("VI-19990420-")


def test_one_folder_alone(copy_datasets: Callable[..., Path], tmp_path: Path) -> None:
    root = copy_datasets("fbi_active_shooter_2000_2018")
    assert harmonize(root, tmp_path / "out.csv")[0] == 0
    rows = read_output(tmp_path / "out.csv")
    assert len(rows) == 281 and len({row["incident_id"] for row in rows}) == 277


def test_damaged_rows_are_reported_and_still_written(
    copy_datasets: Callable[..., Path], tmp_path: Path
) -> None:
    root = copy_datasets("wapo_school_shootings", "stanford_msa")
    path = root / "wapo_school_shootings" / "school-shootings-data.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = lines[0].replace(",lunch,", ",meals,")
    lines[1] = lines[1].replace("4/20/1999", "4/31/1999")
    lines[-1] = lines[-1][:40] + "\n"  # truncated last row
    path.write_text("".join(lines), encoding="utf-8")
    code, _, stderr = harmonize(
        root, tmp_path / "out.csv", "--problems", str(tmp_path / "problems.csv")
    )
    assert code == 0
    assert "file: unknown column 'meals'" in stderr and "missing column 'lunch'" in stderr
    assert "row 0: impossible date '4/31/1999'" in stderr
    assert "row 427: truncated row" in stderr
    rows = read_output(tmp_path / "out.csv")
    assert sum(row["dataset"] == "wapo_school_shootings" for row in rows) == 428
    with (tmp_path / "problems.csv").open(encoding="utf-8", newline="") as handle:
        problems = list(csv.DictReader(handle))
    assert {"dataset": "wapo_school_shootings", "row_index": "0", "row_key": "1"}.items() <= next(
        p for p in problems if "4/31/1999" in p["problem"]
    ).items()


def test_an_unreadable_folder_writes_nothing(
    copy_datasets: Callable[..., Path], tmp_path: Path
) -> None:
    root = copy_datasets("stanford_msa", "wapo_school_shootings")
    path = root / "stanford_msa" / "Stanford_MSA_Database.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("CaseID", "Case", 1), encoding="utf-8")
    out = tmp_path / "out.csv"
    out.write_text("an earlier run\n", encoding="utf-8")
    code, _, stderr = harmonize(root, out)
    assert code == 1
    assert stderr.strip().count("\n") == 0 and "no 'CaseID' column" in stderr
    assert out.read_text(encoding="utf-8") == "an earlier run\n"
    assert list(tmp_path.glob(".out.csv.*")) == []


def test_no_data_set_or_no_output_directory(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, stderr = harmonize(tmp_path / "empty", tmp_path / "out.csv")
    assert code == 2 and "no data set folder" in stderr and not (tmp_path / "out.csv").exists()
    code, _, stderr = harmonize(tmp_path / "nowhere", tmp_path / "out.csv")
    assert code == 1 and "not a directory" in stderr
    code, _, stderr = harmonize(tmp_path / "empty", tmp_path / "missing" / "out.csv")
    assert code == 2 and "is not a directory" in stderr

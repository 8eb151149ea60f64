"""`vigil reunify match`: the command-line contract, the quality on a labelled synthetic
set, and bad input refused with one line on stderr and no output file."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigil.cli import app
from vigil.response import synthetic
from vigil.response.match_files import INQUIRY_COLUMNS, LIST_COLUMNS

runner = CliRunner()
TODAY = date(2026, 11, 26)


def _write(path: Path, columns: tuple[str, ...] | list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def _match(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["reunify", "match", *args])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.stderr


def test_generated_set_meets_recall_and_precision(tmp_path: Path) -> None:
    generated = synthetic.generate(people=3000, inquiries=800, seed=11, today=TODAY)
    lists = _write(tmp_path / "list.csv", LIST_COLUMNS, generated.list_rows)
    inquiries = _write(tmp_path / "inquiries.csv", INQUIRY_COLUMNS, generated.inquiry_rows)
    out = tmp_path / "matches.csv"
    code, _ = _match(str(lists), str(inquiries), "--output", str(out), "--on", TODAY.isoformat())
    assert code == 0
    rows = _read(out)
    assert list(rows[0]) == ["inquiry_id", "person_id", "rank", "score", "likely"]
    ranked: dict[str, list[str]] = {}
    likely: dict[str, str] = {}
    for row in rows:
        ranked.setdefault(row["inquiry_id"], []).append(row["person_id"])
        assert row["likely"] in ("yes", "no")
        if row["likely"] == "yes":
            assert row["rank"] == "1"
            likely[row["inquiry_id"]] = row["person_id"]
    for ids in ranked.values():
        assert len(ids) <= 3 and len(set(ids)) == len(ids)
    quality = synthetic.evaluate(ranked, likely, generated.truth)
    assert quality.on_a_list > 600
    assert quality.top1_recall >= 0.94
    assert quality.top3_recall >= 0.98
    assert quality.likely_precision >= 0.97
    assert quality.likely_recall >= 0.7
    # Inquiries about people on no list: almost never a likely match.
    assert quality.false_likely_for_no_list <= 0.03 * (quality.inquiries - quality.on_a_list)


def test_generated_set_has_the_noise_it_claims() -> None:
    generated = synthetic.generate(people=3000, inquiries=800, seed=11, today=TODAY)
    scenarios = " ".join(generated.scenario.values())
    for noise in (
        "nickname",
        "misspelled surname",
        "twin",
        "unidentified patient",
        "on no list",
        "day and month swapped",
        "two digits transposed",
        "one half of a double surname",
        "age only",
    ):
        assert noise in scenarios, noise
    names = " ".join(r["full_name"] for r in generated.list_rows)
    assert "Unknown Male" in names and ", " in names
    assert {r["list"] for r in generated.list_rows} == {
        "roster",
        "attendees",
        "hospital",
        "medical_examiner",
    }


def test_top_option_and_a_small_file(tmp_path: Path) -> None:
    lists = _write(
        tmp_path / "l.csv",
        LIST_COLUMNS,
        [
            {
                "id": "p1",
                "list": "roster",
                "full_name": "SMITH, WILLIAM J",
                "dob": "2010-03-04",
                "age": "",
                "sex": "M",
                "description": "",
            },
            {
                "id": "p2",
                "list": "hospital",
                "full_name": "Unknown Male",
                "dob": "",
                "age": "about 20",
                "sex": "M",
                "description": "red hoodie, blond hair",
            },
            {
                "id": "p3",
                "list": "attendees",
                "full_name": "Zoë Martínez",
                "dob": "",
                "age": "34",
                "sex": "F",
                "description": "",
            },
        ],
    )
    inquiries = _write(
        tmp_path / "q.csv",
        INQUIRY_COLUMNS,
        [
            {
                "id": "q1",
                "full_name": "Billy Smith",
                "dob": "03/04/2010",
                "age": "",
                "sex": "M",
                "description": "",
                "relationship": "mother",
            },
            {
                "id": "q2",
                "full_name": "Rosa Kowalski",
                "dob": "1950-01-01",
                "age": "",
                "sex": "F",
                "description": "",
                "relationship": "son",
            },
        ],
    )
    out = tmp_path / "m.csv"
    code, _ = _match(str(lists), str(inquiries), "--output", str(out), "--top", "1")
    assert code == 0
    rows = _read(out)
    first = rows[0]
    assert (first["inquiry_id"], first["person_id"], first["rank"], first["likely"]) == (
        "q1",
        "p1",
        "1",
        "yes",
    )
    assert len([r for r in rows if r["inquiry_id"] == "q1"]) == 1
    assert all(r["likely"] == "no" for r in rows if r["inquiry_id"] == "q2")


GOOD_LIST = 'id,list,full_name,dob,age,sex,description\np1,roster,"SMITH, JO",2010-03-04,,F,\n'
GOOD_INQUIRIES = "id,full_name,dob,age,sex,description,relationship\nq1,Jo Smith,,16,F,,mother\n"


@pytest.mark.parametrize(
    ("list_text", "inquiry_text", "expected"),
    [
        ("id,list,name,dob,age,sex,description\np1,roster,A,,,,\n", GOOD_INQUIRIES, "wrong header"),
        (GOOD_LIST, "id,full_name,dob,age,sex,description\nq1,A,,,,\n", "missing relationship"),
        (GOOD_LIST + "p1,roster,B,,,,\n", GOOD_INQUIRIES, "repeats line"),
        (GOOD_LIST.replace("2010-03-04", "2010-02-30"), GOOD_INQUIRIES, "not a calendar date"),
        (GOOD_LIST.replace("2010-03-04", "2099-01-01"), GOOD_INQUIRIES, "in the future"),
        (GOOD_LIST, GOOD_INQUIRIES.replace(",16,", ",207,"), "age 207 is impossible"),
        (GOOD_LIST, GOOD_INQUIRIES.replace(",16,", ",-4,"), "not a number of years"),
        (GOOD_LIST.replace("roster", "morgue"), GOOD_INQUIRIES, "is not one of roster"),
        (GOOD_LIST.replace(",F,", ",Q,"), GOOD_INQUIRIES, "sex 'Q'"),
        (GOOD_LIST + "p2,roster,A,,\n", GOOD_INQUIRIES, "fields, the header"),
        ("id,list,full_name,dob,age,sex,description\n", GOOD_INQUIRIES, "no rows"),
        ("", GOOD_INQUIRIES, "is empty"),
        (GOOD_LIST + ",roster,A,,,,\n", GOOD_INQUIRIES, "has no id"),
    ],
)
def test_bad_input_is_refused_with_one_line_and_no_output(
    tmp_path: Path, list_text: str, inquiry_text: str, expected: str
) -> None:
    lists = tmp_path / "l.csv"
    lists.write_text(list_text, encoding="utf-8")
    inquiries = tmp_path / "q.csv"
    inquiries.write_text(inquiry_text, encoding="utf-8")
    out = tmp_path / "m.csv"
    code, stderr = _match(str(lists), str(inquiries), "--output", str(out))
    assert code == 2
    assert expected in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["l.csv", "q.csv"] or not out.exists()


def test_mixed_encodings_are_refused_in_a_real_process(tmp_path: Path) -> None:
    lists = tmp_path / "l.csv"
    lists.write_bytes(
        GOOD_LIST.encode() + 'p2,hospital,"MU\u00d1OZ, JOS\u00c9",,30,M,\n'.encode("latin-1")
    )
    inquiries = tmp_path / "q.csv"
    inquiries.write_text(GOOD_INQUIRIES, encoding="utf-8")
    out = tmp_path / "m.csv"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "vigil",
            "reunify",
            "match",
            str(lists),
            str(inquiries),
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "line 3 is not UTF-8" in lines[0], done.stderr
    assert not out.exists()


def test_an_existing_output_is_not_touched_on_bad_input(tmp_path: Path) -> None:
    lists = tmp_path / "l.csv"
    lists.write_text(GOOD_LIST.replace("2010-03-04", "2010-13-04"), encoding="utf-8")
    inquiries = tmp_path / "q.csv"
    inquiries.write_text(GOOD_INQUIRIES, encoding="utf-8")
    out = tmp_path / "m.csv"
    out.write_text("earlier results\n", encoding="utf-8")
    code, _ = _match(str(lists), str(inquiries), "--output", str(out))
    assert code == 2 and out.read_text(encoding="utf-8") == "earlier results\n"


def test_bad_options(tmp_path: Path) -> None:
    lists = tmp_path / "l.csv"
    lists.write_text(GOOD_LIST, encoding="utf-8")
    inquiries = tmp_path / "q.csv"
    inquiries.write_text(GOOD_INQUIRIES, encoding="utf-8")
    code, stderr = _match(
        str(lists), str(inquiries), "--output", str(tmp_path / "m.csv"), "--top", "0"
    )
    assert code == 2 and "--top" in stderr
    code, stderr = _match(str(lists), str(inquiries), "--output", str(tmp_path / "no" / "m.csv"))
    assert code == 2 and "no directory" in stderr
    code, stderr = _match(
        str(tmp_path / "none.csv"), str(inquiries), "--output", str(tmp_path / "m.csv")
    )
    assert code == 2 and "no such file" in stderr

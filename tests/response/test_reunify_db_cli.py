"""`vigil incident open`, `vigil reunify upload|inquiries|queue` against a database."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from tests.response.test_pfif_cli import cli_env, run  # noqa: F401 - fixture used by name
from vigil.response import synthetic
from vigil.response.match_files import INQUIRY_COLUMNS, LIST_COLUMNS

TODAY = date(2026, 11, 26)


def write(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_an_incident_from_lists_to_the_queue(cli_env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    assert run(cli_env, "agency", "create", "County Sheriff")[0] == 0
    assert run(cli_env, "agency", "create", "St Mary Hospital")[0] == 0
    code, output = run(
        cli_env,
        "incident",
        "open",
        "Lincoln High shooting",
        "--kind",
        "school_shooting",
        "--place",
        "Lincoln High",
        "--lead-agency",
        "County Sheriff",
        "--agency",
        "St Mary Hospital=hospital",
    )
    assert code == 0 and "Incident 1:" in output, output
    data = synthetic.generate(people=300, inquiries=60, seed=9, today=TODAY)
    lists = write(tmp_path / "lists.csv", LIST_COLUMNS, data.list_rows)
    asked = write(tmp_path / "asked.csv", INQUIRY_COLUMNS, data.inquiry_rows)
    code, output = run(
        cli_env, "reunify", "upload", str(lists), "--incident", "1", "--on", TODAY.isoformat()
    )
    assert code == 0 and f"{len(data.list_rows)} rows" in output, output
    code, output = run(
        cli_env, "reunify", "inquiries", str(asked), "--incident", "1", "--on", TODAY.isoformat()
    )
    assert code == 0, output
    code, output = run(cli_env, "reunify", "queue", "--incident", "1", "--on", TODAY.isoformat())
    assert code == 0, output
    lines = [line for line in output.splitlines() if line.count(",") == 5]
    assert lines[0] == "inquiry_id,person_id,list,rank,score,likely"
    likely = [line.split(",") for line in lines[1:] if line.endswith(",yes")]
    assert likely and sum(1 for q, p, *_ in likely if p in data.truth[q]) / len(likely) >= 0.9
    assert "candidates to confirm" in output
    # The same file again: every row's id is taken; nothing stored, every row named.
    code, output = run(cli_env, "reunify", "upload", str(lists), "--incident", "1")
    assert code == 2 and "nothing was stored" in output
    assert output.count("already on a list of this incident") == len(data.list_rows)
    code, output = run(cli_env, "reunify", "upload", str(lists), "--incident", "7")
    assert code == 2 and "no incident 7" in output


def test_confirm_and_record_an_in_person_notification(
    cli_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    assert run(cli_env, "agency", "create", "County EOC")[0] == 0
    code, _ = run(
        cli_env,
        "incident",
        "open",
        "Mall shooting",
        "--kind",
        "mass_shooting",
        "--place",
        "Eastgate Mall",
        "--lead-agency",
        "County EOC",
    )
    assert code == 0
    lists = write(
        tmp_path / "me.csv",
        LIST_COLUMNS,
        [
            {
                "id": "me1",
                "list": "medical_examiner",
                "full_name": "ROE, DANA",
                "dob": "1990-05-05",
                "age": "",
                "sex": "F",
                "description": "",
            }
        ],
    )
    asked = write(
        tmp_path / "q.csv",
        INQUIRY_COLUMNS,
        [
            {
                "id": "q1",
                "full_name": "Dana Roe",
                "dob": "1990-05-05",
                "age": "",
                "sex": "F",
                "description": "",
                "relationship": "sister",
            }
        ],
    )
    assert run(cli_env, "reunify", "upload", str(lists), "--incident", "1")[0] == 0
    assert run(cli_env, "reunify", "inquiries", str(asked), "--incident", "1")[0] == 0
    code, output = run(cli_env, "reunify", "queue", "--incident", "1")
    assert code == 0 and "q1,me1,medical_examiner,1," in output
    code, output = run(
        cli_env, "reunify", "confirm", "--incident", "1", "--inquiry", "q1", "--person", "me1"
    )
    assert code == 0 and "queued for an in-person notification" in output
    code, output = run(cli_env, "reunify", "queue", "--incident", "1")
    assert "1 families to be told of a death in person" in output
    code, output = run(
        cli_env,
        "reunify",
        "notified",
        "--incident",
        "1",
        "--inquiry",
        "q1",
        "--staff",
        "Chaplain R. Diaz",
    )
    assert code == 0 and "recorded" in output
    code, output = run(
        cli_env, "reunify", "notified", "--incident", "1", "--inquiry", "q1", "--staff", "Again"
    )
    assert code == 2 and "pending in-person notification not found" in output
    code, output = run(
        cli_env, "reunify", "confirm", "--incident", "1", "--inquiry", "q9", "--person", "me1"
    )
    assert code == 2 and "inquiry not found" in output


def test_close_and_purge(
    cli_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    assert run(cli_env, "agency", "create", "County EOC")[0] == 0
    assert (
        run(
            cli_env,
            "incident",
            "open",
            "Fair shooting",
            "--kind",
            "mass_shooting",
            "--place",
            "County fair",
            "--lead-agency",
            "County EOC",
        )[0]
        == 0
    )
    data = synthetic.generate(people=50, inquiries=5, seed=3, today=TODAY)
    lists = write(tmp_path / "l.csv", LIST_COLUMNS, data.list_rows)
    assert run(cli_env, "reunify", "upload", str(lists), "--incident", "1")[0] == 0
    code, output = run(cli_env, "reunify", "purge")
    assert code == 0 and "0 incidents purged" in output
    assert run(cli_env, "incident", "close", "1")[0] == 0
    code, output = run(cli_env, "incident", "close", "1")
    assert code == 2 and "already closed" in output
    code, output = run(cli_env, "reunify", "purge", "--after-days", "0")
    assert code == 0 and f"{len(data.list_rows)} listed people" in output
    assert "1 incidents purged" in output
    code, output = run(cli_env, "reunify", "purge", "--after-days", "-1")
    assert code == 2

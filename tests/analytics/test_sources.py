"""Loading each published data set: rows as published, normalised fields, per-row problems."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from vigil.analytics.sources import (
    DATASETS,
    SourceFileError,
    fbi,
    gva,
    load_directory,
    motherjones,
    ssdb,
    stanford,
    wapo,
)
from vigil.analytics.sources.rows import row_keys

from .conftest import SMALL


def test_every_small_data_set_loads_as_published(incidents: Path) -> None:
    catalog = load_directory(incidents, only=set(SMALL))
    counts = {source.dataset: len(source.rows) for source in catalog.sources}
    assert counts == {
        "fbi_active_shooter_2000_2018": 281,
        "gva_mass_shootings_dxzys": 6127,
        "k12_ssdb_chds": 2067,
        "motherjones_codeholics": 151,
        "stanford_msa": 335,
        "wapo_school_shootings": 428,
    }
    # The published cells are kept as they were, header names included.
    first = catalog.sources[0].rows[0]
    assert first.raw["Active Shooter Event"].startswith("18 Miles of U.S. Route 64")
    assert "Time " in first.raw


def test_normalised_fields_of_known_rows(incidents: Path) -> None:
    columbine = wapo.load(incidents / wapo.DATASET).rows[0]
    assert (columbine.date, columbine.city, columbine.state) == (
        date(1999, 4, 20),
        "littleton",
        "CO",
    )
    assert (columbine.killed, columbine.injured, columbine.school) == (13, 21, True)
    assert columbine.county == "jefferson"

    whitman = stanford.load(incidents / stanford.DATASET).rows[0]
    assert whitman.shooter_names == ("Charles S. Whitman",)
    assert (whitman.killed, whitman.injured) == (16, 32)  # civilians + police, no shooter

    apalachee = motherjones.load(incidents / motherjones.DATASET).rows[0]
    assert apalachee.shooter_names == ("Colt Gray",)
    assert (apalachee.date, apalachee.killed, apalachee.injured) == (date(2024, 9, 4), 4, 9)

    mass = gva.load_mass(incidents / gva.MASS).rows[0]
    assert (mass.row_key, mass.date, mass.city, mass.state) == (
        "3514157",
        date(2026, 7, 22),
        "atlanta",
        "GA",
    )


def test_ssdb_counts_come_from_the_victim_sheet(incidents: Path) -> None:
    rows = {row.row_key: row for row in ssdb.load(incidents / ssdb.DATASET).rows}
    # Santee High School, 2 September 2021: the id appears twice, so both get '#<i>'.
    santee = [row for key, row in rows.items() if key.startswith("20210902CASAL#")]
    assert len(santee) == 2 and santee[0].group == santee[1].group
    assert sum(row.killed or 0 for row in rows.values()) > 300


def test_fbi_shooter_rows_group_into_277_events(incidents: Path) -> None:
    source = fbi.load(incidents / fbi.DATASET)
    assert len({row.group for row in source.rows}) == 277
    inland = [row for row in source.rows if row.title == "Inland Region Center"]
    assert len(inland) == 2 and sum(row.killed or 0 for row in inland) == 14
    corrected = [problem.message for problem in source.problems]
    assert "state 'Georgio' read as GA" in corrected
    assert "state 'Oaklahoma' read as OK" in corrected


def test_row_keys_mark_ids_that_are_not_unique() -> None:
    assert row_keys(["1", "2", "2", "", "3"]) == ["1", "2#1", "2#2", "#3", "3"]


def _rewrite(path: Path, edit: Callable[[list[str]], list[str]], encoding: str = "utf-8") -> None:
    lines = path.read_text(encoding=encoding).splitlines(keepends=True)
    path.write_text("".join(edit(lines)), encoding=encoding)


def test_bad_rows_are_reported_not_fatal(copy_datasets: Callable[..., Path]) -> None:
    root = copy_datasets("wapo_school_shootings")
    path = root / "wapo_school_shootings" / wapo.FILE

    def damage(lines: list[str]) -> list[str]:
        lines[0] = lines[0].rstrip("\n") + ",mystery\n"
        lines[1] = lines[1].replace("4/20/1999", "2/30/1999")
        lines[2] = lines[2].replace(",0,1,1,targeted,", ",-3,1,1,targeted,")
        lines[3] = lines[3][:60] + "\n"
        return lines

    _rewrite(path, damage)
    source = wapo.load(path.parent)
    assert len(source.rows) == 428
    problems = {(p.row_index, p.column, p.message) for p in source.problems}
    assert (None, "mystery", "unknown column 'mystery'") in problems
    assert (0, "date", "impossible date '2/30/1999'") in problems
    assert (1, "killed", "impossible count '-3'") in problems
    assert any(p[0] == 2 and p[2].startswith("truncated row") for p in problems)
    assert source.rows[0].date is None and source.rows[1].killed is None


def test_text_where_a_date_belongs_is_reported(copy_datasets: Callable[..., Path]) -> None:
    root = copy_datasets("wapo_school_shootings")
    path = root / "wapo_school_shootings" / wapo.FILE
    _rewrite(path, lambda lines: [lines[0], lines[1].replace("4/20/1999", "spring"), *lines[2:]])
    assert any(p.message == "not a date: 'spring'" for p in wapo.load(path.parent).problems)


def test_a_future_date_is_impossible(copy_datasets: Callable[..., Path]) -> None:
    root = copy_datasets("stanford_msa")
    path = root / "stanford_msa" / stanford.FILE
    _rewrite(path, lambda lines: [lines[0], lines[1].replace("8/1/1966", "8/1/2966"), *lines[2:]])
    source = stanford.load(path.parent)
    assert any(p.message == "impossible date '8/1/2966'" for p in source.problems)


def test_a_file_without_its_id_column_cannot_be_loaded(copy_datasets: Callable[..., Path]) -> None:
    root = copy_datasets("stanford_msa")
    path = root / "stanford_msa" / stanford.FILE
    _rewrite(path, lambda lines: [lines[0].replace("CaseID", "Case"), *lines[1:]])
    with pytest.raises(SourceFileError, match="no 'CaseID' column"):
        stanford.load(path.parent)


def test_every_data_set_says_its_terms() -> None:
    for dataset in DATASETS.values():
        assert dataset.licence and dataset.attribution and dataset.definition


def test_a_compressed_file_cut_short_keeps_its_rows(copy_datasets: Callable[..., Path]) -> None:
    import gzip

    root = copy_datasets("gva_mass_shootings_dxzys")
    folder = root / "gva_incidents_2013_2018"
    folder.mkdir()
    # A GVA-shaped file: the incidents header and a few rows, gzip'd, then cut.
    header = ",".join(gva.INCIDENT_COLUMNS).encode()
    body = b"\n".join(
        b"%d,2014-01-0%d,Illinois,Chicago,x,0,%d" % (i, i % 9 + 1, i % 5) + b"," * 22
        for i in range(1, 3000)
    )
    packed = gzip.compress(header + b"\n" + body + b"\n")
    (folder / "gva_incidents_2013_2018.csv.gz").write_bytes(packed[: len(packed) // 2])
    source = gva.load_incidents(folder)
    assert 0 < len(source.rows) < 2999
    assert any("the file ends early" in p.message for p in source.problems)


def test_bytes_that_are_not_utf8_are_reported_on_their_row(
    copy_datasets: Callable[..., Path],
) -> None:
    root = copy_datasets("stanford_msa")
    path = root / "stanford_msa" / stanford.FILE
    data = path.read_bytes().replace(b"Charles S. Whitman", b"Charles S. Wh\xffitman", 1)
    path.write_bytes(data)
    source = stanford.load(path.parent)
    assert len(source.rows) == 335
    assert [p.row_index for p in source.problems if "not valid utf-8" in p.message] == [0]

"""Arbitrary input to the readers never escapes as an unexpected exception: a CSV file is
read or refused with BadFile, a PFIF document is checked or refused as unreadable."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.response.pfif_documents import VALID_1_4
from vigil.response.inquiry_matching import match_inquiries
from vigil.response.match_files import BadFile, read_inquiries, read_list
from vigil.response.pfif_validation import UnreadableDocument, validate

TODAY = date(2026, 11, 26)
HEADER = "id,list,full_name,dob,age,sex,description\n"
cell = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=400))
def test_any_bytes_as_a_list_are_read_or_refused(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes(HEADER.encode() + body)
    try:
        people = read_list(path, today=TODAY)
    except BadFile:
        return
    match_inquiries(people, people[:3], top=3)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(cell, cell, cell, cell, cell, cell, cell), max_size=6))
def test_any_cells_are_read_or_refused(tmp_path: Path, rows: list[tuple[str, ...]]) -> None:
    import csv

    path = tmp_path / "q.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "full_name", "dob", "age", "sex", "description", "relationship"])
        writer.writerows(rows)
    try:
        inquiries = read_inquiries(path, today=TODAY)
    except BadFile:
        return
    match_inquiries(inquiries, inquiries, top=2)


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(min_value=0, max_value=len(VALID_1_4)), junk=st.text(max_size=20))
def test_any_damaged_pfif_document_is_checked_or_refused(cut: int, junk: str) -> None:
    text = VALID_1_4[:cut] + junk + VALID_1_4[cut:]
    with contextlib.suppress(UnreadableDocument):
        validate(text.encode("utf-8", "surrogatepass"), now=datetime(2026, 11, 26, tzinfo=UTC))

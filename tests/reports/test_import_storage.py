"""Bulk import storage: the JSON it writes for list columns is json.dumps's, byte for byte."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from vigil.reports.import_storage import json_text as _json


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@given(st.lists(st.text(), max_size=5))
def test_lists_of_text_are_written_as_json_dumps_writes_them(values: list[str]) -> None:
    assert _json(values) == _dumps(values)


def test_quotes_backslashes_controls_and_other_values_are_escaped_by_the_encoder() -> None:
    for value in (['say "hi"'], ["C:\\dir"], ["a\nb", "\x00", "\x1f\x7f"], ["é", "\u2028", "😀"]):
        assert _json(value) == _dumps(value)
    assert _json({"level": "low", "score": 0}) == _dumps({"level": "low", "score": 0})
    assert _json([1, "a"]) == _dumps([1, "a"])
    assert _json([]) == _json(None) == "[]"

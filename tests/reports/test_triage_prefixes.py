"""The triage's prefilter: literal prefixes of patterns, and matching only where they occur."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reports.test_triage_pinned import cases
from vigil.reports import triage
from vigil.reports.triage_prefixes import Prefilter, literal_prefixes, matches_at


@pytest.mark.parametrize(
    ("pattern", "bounded", "anywhere"),
    [
        (r"\bguns?\b", {"gun", "guns"}, set()),
        (r"\b(?:kill|shoot)\w*", {"kill", "shoot"}, set()),
        (r"'ll\s+kill", set(), {"'ll"}),
        (r"\bat [0-9]", {f"at {digit}" for digit in range(10)}, set()),
        (r"\b(?:a|b)c|d", {"ac", "bc"}, {"d"}),
        (r"(?<!x)\bno\b(?!t)", {"no"}, set()),
        (r"\bx{2,3}y", {"x"}, set()),
        (r"\bab?c", {"ac", "abc"}, set()),
        (r"\bverylongword", {"verylong"}, set()),
        (r"a*b", set(), {"a", "b"}),
        (r"(a)\1", set(), {"a"}),
    ],
)
def test_literal_prefixes_start_every_match(
    pattern: str, bounded: set[str], anywhere: set[str]
) -> None:
    assert literal_prefixes(pattern) == (frozenset(bounded), frozenset(anywhere))


@pytest.mark.parametrize(
    "pattern",
    [r"\w+ing", r"(?:)", r"(?i)gun", r"x|", r"(?i:gun)", r"[^a]b", r".b", r"\bx?"],
)
def test_patterns_that_could_start_anyhow_have_no_prefixes(pattern: str) -> None:
    assert literal_prefixes(pattern) is None


def test_every_family_of_the_rules_is_prefiltered() -> None:
    """Otherwise the triage silently scans that family in full again (slow, not wrong)."""
    assert all(triage._PREFILTER.prefixed)


def _assert_same_as_a_full_scan(
    prefilter: Prefilter, regexes: list[re.Pattern[str]], text: str
) -> None:
    positions = prefilter.positions(text)
    for index, regex in enumerate(regexes):
        expected = [match.span() for match in regex.finditer(text)]
        if prefilter.prefixed[index]:
            assert positions[index] == sorted(positions[index])
            assert {start for start, _ in expected} <= set(positions[index])
            found = [match.span() for match in matches_at(regex, text, positions[index])]
            assert found == expected, (regex.pattern[:60], text)


@pytest.mark.parametrize("part", range(4))
def test_matching_where_prefixes_occur_finds_what_a_full_scan_finds(part: int) -> None:
    for number, case in enumerate(cases()):
        if number % 4 == part:
            text = triage._lowercase(case["narrative"])
            _assert_same_as_a_full_scan(triage._PREFILTER, triage._FAMILY_REGEXES, text)


_TOY = [
    re.compile(pattern)
    for pattern in (r"\bab\w*", r"b+a", r"(?<=a)ba\b", r"\b(?:a|ab) b", r"'a\b", r"\w+")
]
_TOY_PREFILTER = Prefilter(_TOY)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab '.", max_size=40))
def test_overlapping_and_adjacent_matches_are_found_as_a_scan_finds_them(text: str) -> None:
    assert _TOY_PREFILTER.prefixed == [True, True, True, True, True, False]
    _assert_same_as_a_full_scan(_TOY_PREFILTER, _TOY, text)

"""Small-cell suppression: no count under the threshold, none that subtraction reveals."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.recovery.statistics import suppress


def test_small_cells_and_their_complement_are_hidden() -> None:
    total, cells = suppress({"a": 40, "b": 3, "c": 25}, 11)
    assert total == 68
    assert cells == {"a": 40, "b": None, "c": None}  # c hidden so that b = 68 - 40 - c fails
    total, cells = suppress({"a": 40, "b": 3, "c": 0}, 11)
    assert cells == {"a": 40, "b": None, "c": None}  # a shown zero would give b away
    total, cells = suppress({"a": 4, "b": 3}, 11)
    assert total is None and cells == {"a": None, "b": None}
    assert suppress({"a": 0, "b": 0}, 11) == (0, {"a": 0, "b": 0})
    assert suppress({"a": 11, "b": 12, "c": 0}, 11) == (23, {"a": 11, "b": 12, "c": 0})
    assert suppress({"a": 5, "b": 6, "c": 30}, 11) == (41, {"a": None, "b": None, "c": 30})


@settings(max_examples=500, deadline=None)
@given(
    st.dictionaries(st.sampled_from("abcdefg"), st.integers(0, 40), min_size=2),
    st.integers(2, 20),
)
def test_no_small_count_is_shown_or_derivable(counts: dict[str, int], threshold: int) -> None:
    total, cells = suppress(counts, threshold)
    for key, shown in cells.items():
        assert shown is None or shown == counts[key]
        assert shown is None or shown == 0 or shown >= threshold
    if total is not None:
        assert total == sum(counts.values()) and (total == 0 or total >= threshold)
        hidden = [key for key, shown in cells.items() if shown is None]
        # Never exactly one hidden cell beside a shown total: it would be the difference.
        assert len(hidden) != 1
        if hidden:
            # What the hidden cells add up to is known; no single one of them is.
            assert sum(counts[k] for k in hidden) == total - sum(
                v for v in cells.values() if v is not None
            )
    else:
        assert all(shown is None for shown in cells.values())

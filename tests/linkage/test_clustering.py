"""Constrained clustering: strongest edges first, reviewers' decisions always hold."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.linkage.engine import cluster


def _pairs(*edges: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(edges, columns=["unique_id_l", "unique_id_r", "match_weight"])


def test_edges_above_threshold_merge_and_ids_are_the_smallest_member() -> None:
    clusters = cluster(
        ["c", "a", "b", "d"],
        _pairs(("c", "b", 12.0), ("a", "b", 9.0), ("c", "d", 2.0)),
        threshold_weight=7.0,
    )
    assert clusters == {"a": "a", "b": "a", "c": "a", "d": "d"}


def test_not_the_same_pair_is_never_joined_even_through_others() -> None:
    # a-b and b-c are strong, but a and c are known to be different people:
    # the stronger edge wins and the weaker one is refused.
    pairs = _pairs(("a", "b", 20.0), ("b", "c", 15.0), ("a", "c", 14.0))
    clusters = cluster(["a", "b", "c"], pairs, threshold_weight=7.0, not_same={("c", "a")})
    assert clusters["a"] == clusters["b"] != clusters["c"]


def test_same_pair_always_joins_even_without_an_edge() -> None:
    clusters = cluster(
        ["a", "b", "c"], _pairs(("a", "b", -3.0)), threshold_weight=7.0, same={("c", "a")}
    )
    assert clusters == {"a": "a", "b": "b", "c": "a"}


def test_result_does_not_depend_on_input_order() -> None:
    edges = [("a", "b", 10.0), ("b", "c", 10.0), ("c", "d", 10.0), ("a", "d", 8.0)]
    one = cluster("abcd", _pairs(*edges), threshold_weight=7.0, not_same={("a", "c")})
    other = cluster("dcba", _pairs(*reversed(edges)), threshold_weight=7.0, not_same={("a", "c")})
    assert one == other


def test_empty_pairs() -> None:
    assert cluster(["x", "y"], _pairs(), threshold_weight=0.0) == {"x": "x", "y": "y"}


ids = st.sampled_from(list("abcdefgh"))


@settings(max_examples=150, deadline=None)
@given(
    edges=st.lists(st.tuples(ids, ids, st.floats(-10, 30)), max_size=25),
    apart=st.lists(st.tuples(ids, ids), max_size=5),
    together=st.lists(st.tuples(ids, ids), max_size=3),
)
def test_constraints_hold_for_any_graph(
    edges: list[tuple[str, str, float]],
    apart: list[tuple[str, str]],
    together: list[tuple[str, str]],
) -> None:
    not_same = {(a, b) for a, b in apart if a != b}
    same = {(a, b) for a, b in together if (a, b) not in not_same and (b, a) not in not_same}
    clusters = cluster(
        "abcdefgh", _pairs(*edges), threshold_weight=5.0, same=same, not_same=not_same
    )
    for a, b in same:
        assert clusters[a] == clusters[b]
    # A "not the same" pair may only share a cluster when "same" pairs force it.
    forced = cluster("abcdefgh", _pairs(), threshold_weight=5.0, same=same)
    for a, b in not_same:
        if forced[a] != forced[b]:
            assert clusters[a] != clusters[b]
    for uid, root in clusters.items():
        assert root == min(u for u, r in clusters.items() if r == root) and uid >= root

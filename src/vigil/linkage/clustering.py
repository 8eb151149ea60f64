"""Constrained clustering of scored pairs into persons, honouring reviewers' decisions."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


class _Forest:
    """Union-find over mention ids, with the "not the same" pairs each root must keep apart."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.parent: dict[str, str] = {i: i for i in ids}
        # Only roots with "not the same" pairs have an entry: a million empty sets
        # would cost more than the clustering.
        self.apart: dict[str, set[str]] = {}

    def find(self, node: str) -> str:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def forbid(self, a: str, b: str) -> None:
        self.apart.setdefault(a, set()).add(b)
        self.apart.setdefault(b, set()).add(a)

    def allowed(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        small, large = sorted((ra, rb), key=lambda r: len(self.apart.get(r, ())))
        return not any(self.find(other) == large for other in self.apart.get(small, ()))

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        keep, gone = (ra, rb) if ra < rb else (rb, ra)
        self.parent[gone] = keep
        moved = self.apart.pop(gone, None)
        if moved:
            self.apart.setdefault(keep, set()).update(moved)


def cluster(
    ids: Iterable[str],
    pairs: pd.DataFrame,
    *,
    threshold_weight: float,
    same: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
    not_same: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
) -> dict[str, str]:
    """Cluster id (the smallest unique_id in it) for each id.

    Pairs at or above `threshold_weight` are merged greedily, strongest first;
    a union that would put a "not the same" pair in one cluster is refused.
    "Same" pairs are merged first and always. If reviewers' decisions
    contradict each other (a "not the same" pair joined through "same"
    pairs), "same" wins and the contradiction is left for review.
    """
    forest = _Forest(sorted({str(i) for i in ids}))
    for a, b in not_same:
        if a in forest.parent and b in forest.parent and a != b:
            forest.forbid(a, b)
    for a, b in sorted(same):
        if a in forest.parent and b in forest.parent:
            forest.union(a, b)
    if len(pairs):
        strong = pairs.loc[
            pairs["match_weight"] >= threshold_weight,
            ["unique_id_l", "unique_id_r", "match_weight"],
        ]
        ordered = strong.assign(
            _l=strong["unique_id_l"].astype(str), _r=strong["unique_id_r"].astype(str)
        ).sort_values(["match_weight", "_l", "_r"], ascending=[False, True, True], kind="stable")
        for a, b in zip(ordered["_l"], ordered["_r"], strict=True):
            if a not in forest.parent or b not in forest.parent:
                continue
            if not forest.apart or forest.allowed(a, b):
                forest.union(a, b)
    return {node: forest.find(node) for node in forest.parent}

"""Pairwise precision and recall of a harmonisation against a labelled set of rows
known (checked by hand) to be one incident."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

RowId = tuple[str, str]  # (dataset, row_key)


@dataclass(frozen=True)
class PairwiseScore:
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    missed: tuple[tuple[RowId, RowId], ...]
    wrong: tuple[tuple[RowId, RowId], ...]

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def read_labels(path: Path) -> dict[RowId, str]:
    """The labelled rows: columns incident, dataset, row_key (others are notes)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {(row["dataset"], row["row_key"]): row["incident"] for row in csv.DictReader(handle)}


def pairwise(labels: Mapping[RowId, str], predicted: Mapping[RowId, str]) -> PairwiseScore:
    """Score the predicted incident of every row against the labels. A predicted pair
    counts when at least one of its rows is labelled (the labels list every row of their
    incidents in the data sets, so a labelled row joined to an unlabelled one is wrong).
    Labelled rows of data sets not in ``predicted`` are left out."""
    labels = {row: label for row, label in labels.items() if row in predicted}
    truth_groups: dict[str, list[RowId]] = defaultdict(list)
    for row, label in labels.items():
        truth_groups[label].append(row)
    true_pairs = {
        tuple(sorted(p)) for group in truth_groups.values() for p in combinations(group, 2)
    }
    touched = {predicted[row] for row in labels}
    predicted_groups: dict[str, list[RowId]] = defaultdict(list)
    for row, incident in predicted.items():
        if incident in touched:
            predicted_groups[incident].append(row)
    predicted_pairs = {
        tuple(sorted(p))
        for group in predicted_groups.values()
        for p in combinations(group, 2)
        if p[0] in labels or p[1] in labels
    }
    correct = true_pairs & predicted_pairs
    return PairwiseScore(
        true_pairs=len(true_pairs),
        predicted_pairs=len(predicted_pairs),
        correct_pairs=len(correct),
        missed=tuple(sorted(true_pairs - predicted_pairs)),  # type: ignore[arg-type]
        wrong=tuple(sorted(predicted_pairs - true_pairs)),  # type: ignore[arg-type]
    )

"""Small-cell suppression for the outcome tables: no published count from 1 to
``threshold - 1``, and no suppressed count that can be worked out from what is shown.

A one-way table (counts and their total) uses the victim-services rule
(vigil.recovery.statistics.suppress): one hidden cell beside a total takes its smallest
neighbour with it. A two-way table publishes its cells, its row totals, its column
totals and the grand total, so a hidden cell can be recovered through a chain of rows
and columns even where every row and column hides two (two blocks of hidden cells
joined by one cell give that cell away). So the two-way rule is exact: after the small
cells are hidden, every hidden entry is tested for whether the published entries and
the table's sums fix its value (it lies in the row space of the sums restricted to
the hidden entries); while one does, the smallest shown entry sharing a sum with it
(a cell before a total) is hidden too. A zero is never hidden: it identifies nobody, and
a hidden zero would be pinned by non-negativity anyway (hidden entries that sum to zero
are all zero). With every hidden entry positive, a value the sums leave free can move
either way while the table stays non-negative, so the linear test is the whole test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from vigil.recovery.statistics import DEFAULT_THRESHOLD, MAX_THRESHOLD, MIN_THRESHOLD, suppress

__all__ = [
    "DEFAULT_THRESHOLD",
    "MAX_THRESHOLD",
    "MIN_THRESHOLD",
    "Grid",
    "determined",
    "protect_grid",
    "suppress",
]

# An entry of a two-way table: ("cell", row, column), ("row", row, ""), ("col", "",
# column) or ("all", "", "").
Entry = tuple[str, str, str]
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Grid:
    """A two-way table after suppression (None: suppressed)."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: dict[tuple[str, str], int | None]
    row_totals: dict[str, int | None]
    column_totals: dict[str, int | None]
    total: int | None

    @property
    def suppressed(self) -> int:
        values = [*self.cells.values(), *self.row_totals.values(), *self.column_totals.values()]
        return sum(value is None for value in [*values, self.total])


def _layout(
    rows: Sequence[str], columns: Sequence[str], counts: Mapping[tuple[str, str], int]
) -> tuple[dict[Entry, int], list[list[tuple[Entry, int]]]]:
    """Every published entry with its value, and the sums that tie them (each a list of
    (entry, coefficient) adding to zero)."""
    values: dict[Entry, int] = {}
    for row in rows:
        for column in columns:
            values[("cell", row, column)] = int(counts.get((row, column), 0))
    for row in rows:
        values[("row", row, "")] = sum(values[("cell", row, c)] for c in columns)
    for column in columns:
        values[("col", "", column)] = sum(values[("cell", r, column)] for r in rows)
    values[("all", "", "")] = sum(values[("row", r, "")] for r in rows)
    sums: list[list[tuple[Entry, int]]] = []
    for row in rows:
        sums.append([*((("cell", row, c), 1) for c in columns), (("row", row, ""), -1)])
    for column in columns:
        sums.append([*((("cell", r, column), 1) for r in rows), (("col", "", column), -1)])
    sums.append([*((("row", r, ""), 1) for r in rows), (("all", "", ""), -1)])
    sums.append([*((("col", "", c), 1) for c in columns), (("all", "", ""), -1)])
    return values, sums


def determined(hidden: Sequence[Entry], sums: Sequence[Sequence[tuple[Entry, int]]]) -> set[Entry]:
    """The hidden entries whose value the sums fix, given every other entry: those
    whose unit vector lies in the row space of the sums restricted to the hidden ones
    (equivalently, which every solution of the homogeneous system leaves at zero)."""
    if not hidden:
        return set()
    index = {entry: i for i, entry in enumerate(hidden)}
    matrix = np.zeros((max(len(sums), 1), len(hidden)))
    for r, terms in enumerate(sums):
        for entry, coefficient in terms:
            if entry in index:
                matrix[r, index[entry]] += coefficient
    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > _TOLERANCE * max(1.0, float(singular.max(initial=0.0)))).sum())
    kernel = vt[rank:]
    if kernel.shape[0] == 0:
        return set(hidden)
    free = np.abs(kernel).max(axis=0) > 1e-7
    return {entry for entry, moves in zip(hidden, free, strict=True) if not moves}


def protect_grid(
    rows: Sequence[str],
    columns: Sequence[str],
    counts: Mapping[tuple[str, str], int],
    threshold: int = DEFAULT_THRESHOLD,
) -> Grid:
    """A two-way table with its totals, small cells and their complements hidden."""
    values, sums = _layout(rows, columns, counts)
    order = list(values)
    hidden = {entry for entry in order if 0 < values[entry] < threshold}
    while True:
        exposed = determined([e for e in order if e in hidden], sums)
        if not exposed:
            break
        target = next(e for e in order if e in exposed)
        partners = {e for terms in sums if any(t == target for t, _ in terms) for e, _ in terms}
        shown = [e for e in order if e not in hidden and values[e] > 0]
        candidates = [e for e in shown if e in partners] or shown
        if not candidates:
            break  # every positive entry hidden: nothing is fixed (the table can be scaled)
        hidden.add(min(candidates, key=lambda e: (e[0] != "cell", values[e], order.index(e))))

    def shown_value(entry: Entry) -> int | None:
        return None if entry in hidden else values[entry]

    return Grid(
        rows=tuple(rows),
        columns=tuple(columns),
        cells={(r, c): shown_value(("cell", r, c)) for r in rows for c in columns},
        row_totals={r: shown_value(("row", r, "")) for r in rows},
        column_totals={c: shown_value(("col", "", c)) for c in columns},
        total=shown_value(("all", "", "")),
    )

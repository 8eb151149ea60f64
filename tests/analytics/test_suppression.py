"""Small-cell suppression: no shown count under the threshold, and no suppressed count
that the shown counts and the table's sums pin down (checked independently of the
algorithm, by linear programming: each hidden entry's least and greatest value over
every non-negative table agreeing with what is shown must differ)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from vigil.analytics.suppression import Grid, protect_grid, suppress

COUNT = st.one_of(st.just(0), st.integers(1, 12), st.integers(11, 400))


def _range_of_hidden(grid: Grid, counts: dict[tuple[str, str], int]) -> list[tuple[float, float]]:
    """(least, greatest) of every hidden entry over the tables consistent with the shown
    entries: unknowns are the cells, the sums are the published totals."""
    rows, columns = grid.rows, grid.columns
    cell_index = {(r, c): i for i, (r, c) in enumerate((r, c) for r in rows for c in columns)}
    n = len(cell_index)
    equalities: list[tuple[np.ndarray, float]] = []

    def vector(keys: list[tuple[str, str]]) -> np.ndarray:
        found = np.zeros(n)
        for key in keys:
            found[cell_index[key]] = 1
        return found

    for (r, c), value in grid.cells.items():
        if value is not None:
            equalities.append((vector([(r, c)]), value))
    for r, value in grid.row_totals.items():
        if value is not None:
            equalities.append((vector([(r, c) for c in columns]), value))
    for c, value in grid.column_totals.items():
        if value is not None:
            equalities.append((vector([(r, c) for r in rows]), value))
    if grid.total is not None:
        equalities.append((np.ones(n), grid.total))
    a_eq = np.array([row for row, _ in equalities]) if equalities else None
    b_eq = np.array([value for _, value in equalities]) if equalities else None
    targets: list[np.ndarray] = []
    for key, value in grid.cells.items():
        if value is None:
            targets.append(vector([key]))
    for r, value in grid.row_totals.items():
        if value is None:
            targets.append(vector([(r, c) for c in columns]))
    for c, value in grid.column_totals.items():
        if value is None:
            targets.append(vector([(r, c) for r in rows]))
    if grid.total is None:
        targets.append(np.ones(n))
    ranges = []
    for objective in targets:
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        # The true table is feasible; with the grand total hidden the maximum is unbounded.
        assert low.status == 0 and high.status in (0, 3)
        ranges.append((low.fun, -high.fun if high.status == 0 else float("inf")))
    return ranges


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[str], dict[tuple[str, str], int], int]:
    rows = [f"r{i}" for i in range(draw(st.integers(1, 5)))]
    columns = [f"c{i}" for i in range(draw(st.integers(1, 5)))]
    counts = {(r, c): draw(COUNT) for r in rows for c in columns}
    return rows, columns, counts, draw(st.integers(2, 15))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_two_way_tables_hide_small_cells_and_cannot_be_worked_back(
    table: tuple[list[str], list[str], dict[tuple[str, str], int], int],
) -> None:
    rows, columns, counts, threshold = table
    grid = protect_grid(rows, columns, counts, threshold)
    truth_rows = {r: sum(counts[(r, c)] for c in columns) for r in rows}
    truth_columns = {c: sum(counts[(r, c)] for r in rows) for c in columns}
    published = [
        *((grid.cells[key], counts[key]) for key in counts),
        *((grid.row_totals[r], truth_rows[r]) for r in rows),
        *((grid.column_totals[c], truth_columns[c]) for c in columns),
        (grid.total, sum(counts.values())),
    ]
    for shown, truth in published:
        assert shown is None or shown == truth  # what is shown is true
        assert shown is None or not 0 < shown < threshold  # and never small
        if 0 < truth < threshold:
            assert shown is None
    for low, high in _range_of_hidden(grid, counts):
        assert high - low > 0.5  # no hidden entry is pinned down


def test_two_blocks_joined_by_one_cell_do_not_give_it_away() -> None:
    # Every row and column of the small cells has two hidden entries, yet the cell
    # joining the two blocks would follow from the sums; it must take a partner.
    rows, columns = ["a", "b", "c", "d"], ["w", "x", "y", "z"]
    counts = {(r, c): 100 for r in rows for c in columns}
    counts.update({("a", "w"): 3, ("a", "x"): 4, ("b", "w"): 5, ("b", "x"): 2})
    counts.update({("c", "y"): 3, ("c", "z"): 4, ("d", "y"): 5, ("d", "z"): 2})
    counts[("a", "y")] = 7
    grid = protect_grid(rows, columns, counts, 11)
    assert grid.cells[("a", "y")] is None
    for low, high in _range_of_hidden(grid, counts):
        assert high - low > 0.5


def test_a_table_with_nothing_small_is_shown_whole() -> None:
    grid = protect_grid(["a", "b"], ["x", "y"], {("a", "x"): 20, ("a", "y"): 0, ("b", "x"): 11})
    assert grid.suppressed == 0 and grid.total == 31 and grid.cells[("a", "y")] == 0


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdefg"), COUNT, min_size=1), st.integers(2, 15))
def test_one_way_tables_use_the_shared_rule(counts: dict[str, int], threshold: int) -> None:
    total, cells = suppress(counts, threshold)
    hidden = [key for key, value in cells.items() if value is None]
    assert all(value is None or not 0 < value < threshold for value in cells.values())
    assert total is None or not 0 < total < threshold
    if total is not None:
        assert len(hidden) != 1  # one hidden cell beside its total would be its difference

"""Public incident data: loading GVA's 239,677-incident file, trend and map queries over
it in DuckDB and in pandas (same data, same run), and harmonising every source.

1. ``load``: Vigil's loader (``vigil.analytics.sources.gva.load_incidents``: CSV parse,
   per-row checks, victims-only counts from the participant fields) over the published
   ``gva_incidents_2013_2018.csv.gz`` in a fresh process: wall time, its RSS after the
   imports and its peak RSS (every row is kept as published, so the catalogue can store
   it). pandas' ``read_csv`` of the same file is timed beside it for scale.
2. ``queries``: the incidents as one frame (date, year, month, state, killed, injured,
   shot4, killed4, school), the Census state populations beside it; three queries,
   each ``--repeat`` times after a warm-up, in DuckDB (in-process, over the same
   pandas frame through its Arrow scan) and in pandas: incidents, killed and injured by
   year for 4+ shot (the trend chart); by state with incidents per million residents a
   year over 2014-2017 (the map); by month for one state (the monthly chart). Results
   are checked equal between the two engines.
3. ``harmonize``: load every data set in the folder and run ``harmonize``; wall time,
   incidents, links, review queue, and pairwise precision and recall on the labelled
   set in tests/analytics/data/labelled_matches.csv.

Run: ``.venv/bin/python -m bench.analytics_bench [--data ../shared/data/incidents]
[--repeat 50] [--only load,queries,harmonize] [--json FILE]``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from bench.timing import load_average, percentile
from vigil.analytics.evaluation import pairwise, read_labels
from vigil.analytics.harmonize import harmonize
from vigil.analytics.sources import gva, load_directory
from vigil.analytics.sources.rows import SourceRow
from vigil.analytics.trends import populations

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "incidents"
LABELS = ROOT / "tests" / "analytics" / "data" / "labelled_matches.csv"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _load_in_child(folder: str) -> tuple[float, float, float, int]:
    """Run in a fresh process: RSS after imports, then time and peak RSS of the load."""
    before = _peak_rss_mib()
    started = time.perf_counter()
    rows = len(gva.load_incidents(Path(folder)).rows)
    return before, time.perf_counter() - started, _peak_rss_mib(), rows


def bench_load(folder: Path) -> tuple[dict[str, Any], list[SourceRow]]:
    _say("load: Vigil's loader, in a fresh process (peak RSS)")
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        before, seconds, peak, rows = pool.apply(_load_in_child, (str(folder),))
    _say("load: pandas read_csv")
    started = time.perf_counter()
    frame = pd.read_csv(next(folder.glob("*.csv.gz")), low_memory=False)
    pandas_seconds = time.perf_counter() - started
    assert len(frame) == rows, (len(frame), rows)
    del frame
    _say("load: again here, for the queries")
    again = gva.load_incidents(folder).rows
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "rss_after_imports_mib": before,
        "peak_rss_mib": peak,
        "rss_for_the_rows_mib": round(peak - before, 1),
        "pandas_read_csv_seconds": round(pandas_seconds, 2),
    }, again


def incident_frame(rows: list[SourceRow]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "occurred_on": [row.date for row in rows],
            "state": [row.state for row in rows],
            "killed": [row.killed for row in rows],
            "injured": [row.injured for row in rows],
            "school": [bool(row.school) for row in rows],
        }
    )
    frame = frame.dropna(subset=["occurred_on"])
    when = pd.to_datetime(frame["occurred_on"])
    frame["year"] = when.dt.year.astype("int32")
    frame["month"] = when.dt.month.astype("int32")
    frame["killed"] = frame["killed"].fillna(0).astype("int32")
    frame["injured"] = frame["injured"].fillna(0).astype("int32")
    frame["shot4"] = (frame["killed"] + frame["injured"]) >= 4
    frame["killed4"] = frame["killed"] >= 4
    return frame.drop(columns=["occurred_on"])


def population_frame() -> pd.DataFrame:
    table = populations()
    return pd.DataFrame(
        {
            "year": [year for year, _ in table],
            "state": [state for _, state in table],
            "population": list(table.values()),
        }
    )


def _by_year_pandas(incidents: pd.DataFrame, _: pd.DataFrame) -> list[tuple[Any, ...]]:
    chosen = incidents[incidents["shot4"]]
    grouped = chosen.groupby("year").agg(
        incidents=("year", "size"), killed=("killed", "sum"), injured=("injured", "sum")
    )
    return [
        (int(y), int(r.incidents), int(r.killed), int(r.injured)) for y, r in grouped.iterrows()
    ]


BY_YEAR_SQL = """
select year, count(*), sum(killed), sum(injured) from incidents
where shot4 group by year order by year
"""


def _by_state_pandas(incidents: pd.DataFrame, people: pd.DataFrame) -> list[tuple[Any, ...]]:
    chosen = incidents[incidents["shot4"] & incidents["year"].between(2014, 2017)]
    counts = chosen.groupby("state").size().rename("incidents")
    exposure = people[people["year"].between(2014, 2017)].groupby("state")["population"].sum()
    joined = pd.concat([counts, exposure], axis=1, join="inner")
    joined["rate"] = (joined["incidents"] / joined["population"] * 1e6).round(4)
    joined = joined.sort_index()
    return [(s, int(r.incidents), float(r.rate)) for s, r in joined.iterrows()]


BY_STATE_SQL = """
with counts as (
  select state, count(*) as incidents from incidents
  where shot4 and year between 2014 and 2017 group by state
), exposure as (
  select state, sum(population) as population from people
  where year between 2014 and 2017 group by state
)
select c.state, c.incidents, round(c.incidents / e.population * 1e6, 4)
from counts c join exposure e using (state) order by c.state
"""


def _by_month_pandas(incidents: pd.DataFrame, _: pd.DataFrame) -> list[tuple[Any, ...]]:
    chosen = incidents[incidents["state"] == "IL"]
    grouped = chosen.groupby(["year", "month"]).agg(
        incidents=("year", "size"), killed=("killed", "sum"), injured=("injured", "sum")
    )
    return [
        (int(y), int(m), int(r.incidents), int(r.killed), int(r.injured))
        for (y, m), r in grouped.iterrows()
    ]


BY_MONTH_SQL = """
select year, month, count(*), sum(killed), sum(injured) from incidents
where state = 'IL' group by year, month order by year, month
"""


def _time(call: Callable[[], Any], repeat: int) -> tuple[dict[str, float], Any]:
    result = call()  # warm-up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return {
        "p50_ms": round(percentile(samples, 0.5) * 1000, 2),
        "p95_ms": round(percentile(samples, 0.95) * 1000, 2),
    }, result


def _duck(connection: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return connection.execute(sql).fetchall()


def bench_queries(rows: list[SourceRow], repeat: int) -> dict[str, Any]:
    incidents = incident_frame(rows)
    people = population_frame()
    connection = duckdb.connect()
    connection.register("incidents", incidents)
    connection.register("people", people)
    figures: dict[str, Any] = {"incidents": len(incidents)}
    for name, sql, in_pandas in (
        ("by_year_shot4", BY_YEAR_SQL, _by_year_pandas),
        ("by_state_rate_2014_2017", BY_STATE_SQL, _by_state_pandas),
        ("by_month_illinois", BY_MONTH_SQL, _by_month_pandas),
    ):
        _say(f"queries: {name}")
        duck, duck_rows = _time(partial(_duck, connection, sql), repeat)
        panda, panda_rows = _time(partial(in_pandas, incidents, people), repeat)
        same = [tuple(float(v) if isinstance(v, float) else v for v in r) for r in duck_rows] == [
            tuple(r) for r in panda_rows
        ]
        figures[name] = {"duckdb": duck, "pandas": panda, "groups": len(duck_rows), "same": same}
    connection.close()
    return figures


def bench_harmonize(data: Path) -> dict[str, Any]:
    _say("harmonize: loading every data set")
    started = time.perf_counter()
    catalog = load_directory(data)
    loaded = time.perf_counter() - started
    _say("harmonize: linking")
    started = time.perf_counter()
    result = harmonize(catalog.rows)
    linked = time.perf_counter() - started
    predicted = {(row.dataset, row.row_key): incident for row, incident in result.rows()}
    score = pairwise(read_labels(LABELS), predicted)
    return {
        "rows": len(predicted),
        "load_seconds": round(loaded, 2),
        "harmonize_seconds": round(linked, 2),
        "incidents": len(set(result.incident_of.values())),
        "links": sum(pair.decision == "linked" for pair in result.pairs),
        "review_queue": len(result.review_queue),
        "labelled_pairs": score.true_pairs,
        "precision": round(score.precision, 4),
        "recall": round(score.recall, 4),
        "missed_pairs": len(score.missed),
        "wrong_pairs": len(score.wrong),
        "peak_rss_mib": _peak_rss_mib(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--only", default="load,queries,harmonize")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    steps = set(args.only.split(","))
    figures: dict[str, Any] = {"load_average_start": load_average()}
    rows: list[SourceRow] = []
    if steps & {"load", "queries"}:
        figures["load"], rows = bench_load(args.data / gva.INCIDENTS)
    if "queries" in steps:
        figures["queries"] = bench_queries(rows, args.repeat)
    del rows
    if "harmonize" in steps:
        figures["harmonize"] = bench_harmonize(args.data)
    figures["load_average_end"] = load_average()
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

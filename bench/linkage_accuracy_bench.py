"""Person-linkage accuracy on data with known truth, beside a `recordlinkage` baseline.

Run: ``.venv/bin/python -m bench.linkage_accuracy_bench`` (all data sets, a few
minutes on two cores) or ``--datasets febrl3,febrl4``. Data: /work/shared/data/er
(``VIGIL_ER_DATA`` to point elsewhere): FEBRL3 (deduplicate 5,000 records) and
FEBRL4 (link 5,000 to 5,000), the historical-figures 50k set and dedupe's CSV
example. Vigil's figures come from `vigil.linkage.engine.link`, the same code
`vigil link csv` runs: a model trained without labels, pairs at or above the
threshold, then constrained clustering.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from vigil.linkage import engine

DATA = Path(os.environ.get("VIGIL_ER_DATA", "/work/shared/data/er"))
Pair = tuple[str, str]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _pairs_within(groups: Iterable[list[str]]) -> set[Pair]:
    out: set[Pair] = set()
    for members in groups:
        ordered = sorted(members)
        out.update(itertools.combinations(ordered, 2))
    return out


def _groups(label_of: dict[str, Any]) -> list[list[str]]:
    by: dict[Any, list[str]] = {}
    for uid, label in label_of.items():
        by.setdefault(label, []).append(uid)
    return list(by.values())


def scores(found: set[Pair], truth: set[Pair]) -> dict[str, float]:
    tp = len(found & truth)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "pairs": len(found)}


def cluster_scores(predicted: dict[str, str], truth: dict[str, Any]) -> dict[str, float]:
    """Exact-cluster precision/recall: share of predicted/true clusters matched exactly."""
    found = {frozenset(g) for g in _groups(predicted)}
    true = {frozenset(g) for g in _groups(truth)}
    both = len(found & true)
    precision, recall = both / len(found), both / len(true)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "clusters": len(found)}


def _cross(pairs: set[Pair]) -> set[Pair]:
    """Only pairs across the two files of a linkage task (ids prefixed a:/b:)."""
    return {(a, b) for a, b in pairs if a[:2] != b[:2]}


# FEBRL ------------------------------------------------------------------------------------


def read_febrl(name: str) -> pd.DataFrame:
    frame = pd.read_csv(
        DATA / "febrl_recordlinkage" / name, skipinitialspace=True, dtype=str, keep_default_na=False
    )
    frame.columns = [c.strip() for c in frame.columns]
    return frame.replace("", None)


def febrl_people(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    street = (frame["street_number"].fillna("") + " " + frame["address_1"].fillna("")).str.strip()
    return pd.DataFrame(
        {
            "unique_id": prefix + frame["rec_id"],
            "first_name": frame["given_name"],
            "surname": frame["surname"],
            "dob": frame["date_of_birth"],
            "street": street.replace("", None),
            "city": frame["suburb"],
            "postcode": frame["postcode"],
            "state": frame["state"],
            "id_number": frame["soc_sec_id"],
        }
    )


def febrl_entity(uid: str) -> str:
    return uid.split("rec-")[1].split("-")[0]


def recordlinkage_baseline(
    first: pd.DataFrame, second: pd.DataFrame | None, truth: set[Pair], prefixes: tuple[str, str]
) -> dict[str, Any]:
    """recordlinkage's ECM classifier over the union of simple blocks (its FEBRL tutorial)."""
    import recordlinkage as rl

    started = time.monotonic()
    a = first.set_index("rec_id")
    b = None if second is None else second.set_index("rec_id")
    pairs = None
    for column in ("given_name", "surname", "date_of_birth", "postcode", "soc_sec_id"):
        indexer = rl.Index()
        indexer.block(column)
        block = indexer.index(a) if b is None else indexer.index(a, b)
        pairs = block if pairs is None else pairs.union(block)
    compare = rl.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85)
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85)
    compare.exact("date_of_birth", "date_of_birth")
    compare.exact("suburb", "suburb")
    compare.exact("state", "state")
    compare.string("address_1", "address_1", method="jarowinkler", threshold=0.85)
    compare.exact("street_number", "street_number")
    compare.exact("postcode", "postcode")
    compare.exact("soc_sec_id", "soc_sec_id")
    features = compare.compute(pairs, a) if b is None else compare.compute(pairs, a, b)
    matches = rl.ECMClassifier(binarize=None).fit_predict(features.astype(int))
    found: set[Pair] = set()
    for left, right in matches:
        x, y = prefixes[0] + left, prefixes[1] + right
        found.add((x, y) if x < y else (y, x))
    result: dict[str, Any] = scores(found, truth)
    result["seconds"] = time.monotonic() - started
    result["candidate_pairs"] = len(pairs) if pairs is not None else 0
    # Its pairs closed transitively (connected components), as a clustering would.
    ids = [prefixes[0] + i for i in a.index] + (
        [] if b is None else [prefixes[1] + i for i in b.index]
    )
    edges = pd.DataFrame(sorted(found), columns=["unique_id_l", "unique_id_r"]).assign(
        match_weight=1.0
    )
    components = engine.cluster(ids, edges, threshold_weight=0.0)
    closed = _pairs_within(_groups(components))
    result["clusters"] = scores(closed if b is None else _cross(closed), truth)
    return result


def run_vigil(
    frame: pd.DataFrame, threshold: float, link_type: engine.LinkType = "dedupe_only"
) -> tuple[engine.LinkResult, float]:
    started = time.monotonic()
    result = engine.link(
        frame,
        link_type=link_type,
        threshold_weight=threshold,
        progress=lambda message, fraction: say(f"  {fraction:4.0%} {message}"),
    )
    return result, time.monotonic() - started


def strong_pairs(result: engine.LinkResult, threshold: float) -> set[Pair]:
    pairs = result.pairs[result.pairs["match_weight"] >= threshold]
    return set(zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True))


def febrl3(threshold: float) -> dict[str, Any]:
    say("FEBRL3: deduplicate 5,000 records")
    raw = read_febrl("dataset3.csv")
    frame = febrl_people(raw, "")
    truth_of = {uid: febrl_entity(uid) for uid in frame["unique_id"]}
    truth = _pairs_within(_groups(truth_of))
    result, seconds = run_vigil(frame, threshold)
    say("  recordlinkage baseline")
    return {
        "records": len(frame),
        "true_pairs": len(truth),
        "vigil_pairs": scores(strong_pairs(result, threshold), truth),
        "vigil_clusters": scores(_pairs_within(_groups(result.clusters)), truth),
        "vigil_exact_clusters": cluster_scores(result.clusters, truth_of),
        "vigil_seconds": seconds,
        "baseline": recordlinkage_baseline(raw, None, truth, ("", "")),
    }


def febrl4(threshold: float) -> dict[str, Any]:
    say("FEBRL4: link 5,000 records to 5,000")
    raw_a, raw_b = read_febrl("dataset4a.csv"), read_febrl("dataset4b.csv")
    frame = pd.concat(
        [
            febrl_people(raw_a, "a:").assign(source_dataset="a"),
            febrl_people(raw_b, "b:").assign(source_dataset="b"),
        ],
        ignore_index=True,
    )
    truth_of = {uid: febrl_entity(uid) for uid in frame["unique_id"]}
    truth = _cross(_pairs_within(_groups(truth_of)))
    result, seconds = run_vigil(frame, threshold, "link_only")
    say("  recordlinkage baseline")
    return {
        "records": len(frame),
        "true_pairs": len(truth),
        "vigil_pairs": scores(_cross(strong_pairs(result, threshold)), truth),
        "vigil_clusters": scores(_cross(_pairs_within(_groups(result.clusters))), truth),
        "vigil_exact_clusters": cluster_scores(result.clusters, truth_of),
        "vigil_seconds": seconds,
        "baseline": recordlinkage_baseline(raw_a, raw_b, truth, ("a:", "b:")),
    }


# Historical figures and dedupe's example ---------------------------------------------------


def historical(threshold: float) -> dict[str, Any]:
    say("Historical figures: deduplicate 50,578 records")
    raw = pd.read_parquet(DATA / "splink_datasets" / "historical_figures_with_errors_50k.parquet")
    frame = pd.DataFrame(
        {
            "unique_id": raw["unique_id"].astype(str),
            "first_name": raw["first_name"],
            "surname": raw["surname"],
            "dob": raw["dob"],
            "city": raw["birth_place"],
            "postcode": raw["postcode_fake"],
            "sex": raw["gender"],
            "school_or_employer": raw["occupation"],
        }
    )
    truth_of = dict(zip(frame["unique_id"], raw["cluster"].astype(str), strict=True))
    truth = _pairs_within(_groups(truth_of))
    result, seconds = run_vigil(frame, threshold)
    say("  one new mention against the other 50k (score_one)")
    return {
        "incremental": incremental_latency(frame, result.model),
        "records": len(frame),
        "true_pairs": len(truth),
        "vigil_pairs": scores(strong_pairs(result, threshold), truth),
        "vigil_clusters": scores(_pairs_within(_groups(result.clusters)), truth),
        "vigil_exact_clusters": cluster_scores(result.clusters, truth_of),
        "vigil_seconds": seconds,
    }


def dedupe_example(threshold: float) -> dict[str, Any]:
    say("dedupe's CSV example: deduplicate 3,337 early-education sites")
    raw = pd.read_csv(
        DATA / "dedupe_csv_example" / "csv_example_input_with_true_ids.csv",
        dtype=str,
        keep_default_na=False,
    ).replace("", None)
    frame = pd.DataFrame(
        {
            "unique_id": raw["Id"],
            # Sites, not people: the site's name is compared as an employer would be.
            "school_or_employer": raw["Site name"],
            "street": raw["Address"],
            "postcode": raw["Zip"],
            "phone": raw["Phone"],
            "email": raw["Email Address"],
        }
    )
    truth_of = dict(zip(frame["unique_id"], raw["True Id"], strict=True))
    truth = _pairs_within(_groups(truth_of))
    result, seconds = run_vigil(frame, threshold)
    return {
        "records": len(frame),
        "true_pairs": len(truth),
        "vigil_pairs": scores(strong_pairs(result, threshold), truth),
        "vigil_clusters": scores(_pairs_within(_groups(result.clusters)), truth),
        "vigil_exact_clusters": cluster_scores(result.clusters, truth_of),
        "vigil_seconds": seconds,
    }


def incremental_latency(
    frame: pd.DataFrame, model: engine.Model, samples: int = 1000
) -> dict[str, float]:
    """One mention matched against all the others as `score_one` would be after submission:
    its blocking keys, the candidates sharing a key (from an in-memory index standing in
    for the database's), then Python scoring. Database fetches are not included."""
    import random
    import statistics

    from vigil.linkage.normalise import prepare

    rows = [
        {k: (None if v is pd.NA else v) for k, v in row.items()}
        for row in prepare(frame).to_dict("records")
    ]
    rules = model.blocking_rule_names()
    index: dict[str, list[int]] = {}
    for position, row in enumerate(rows):
        if engine.is_linkable(row):
            for key in engine.blocking_keys(row, rules):
                index.setdefault(key, []).append(position)
    rng = random.Random(1)
    timings, counts = [], []
    for position in rng.sample(range(len(rows)), min(samples, len(rows))):
        row = rows[position]
        started = time.perf_counter()
        found: set[int] = set()
        for key in engine.blocking_keys(row, rules):
            found.update(index.get(key, ()))
        found.discard(position)
        engine.score_one(model, row, [rows[c] for c in found])
        timings.append((time.perf_counter() - started) * 1000)
        counts.append(len(found))
    cuts = statistics.quantiles(timings, n=100)
    return {
        "p50_ms": cuts[49],
        "p95_ms": cuts[94],
        "p99_ms": cuts[98],
        "max_ms": max(timings),
        "mean_candidates": statistics.fmean(counts),
        "max_candidates": max(counts),
    }


def spark_check(threshold: float, records: int = 300) -> dict[str, Any]:
    """The whole run (train, score, cluster) on Spark and on DuckDB: the same clusters?"""
    import math

    say(f"Spark against DuckDB: deduplicate the first {records} FEBRL3 records on each")
    frame = febrl_people(read_febrl("dataset3.csv").head(records), "")
    truth_of = {uid: febrl_entity(uid) for uid in frame["unique_id"]}
    truth = _pairs_within(_groups(truth_of))
    on_duckdb, duckdb_seconds = run_vigil(frame, threshold)
    started = time.monotonic()
    on_spark = engine.link(frame, backend="spark", threshold_weight=threshold)
    spark_seconds = time.monotonic() - started
    differences = [
        abs(math.log2(a[0] / a[1]) - math.log2(b[0] / b[1]))
        for (_, one), (_, other) in zip(
            on_duckdb.model.comparisons(), on_spark.model.comparisons(), strict=True
        )
        for a, b in zip(one, other, strict=True)
        if a is not None and b is not None
    ]
    return {
        "records": len(frame),
        "true_pairs": len(truth),
        "same_clusters": on_duckdb.clusters == on_spark.clusters,
        "max_level_weight_difference_bits": max(differences),
        "vigil_pairs": scores(strong_pairs(on_spark, threshold), truth),
        "vigil_clusters": scores(_pairs_within(_groups(on_spark.clusters)), truth),
        "vigil_exact_clusters": cluster_scores(on_spark.clusters, truth_of),
        "vigil_seconds": spark_seconds,
        "duckdb_seconds": duckdb_seconds,
    }


RUNS = {"febrl3": febrl3, "febrl4": febrl4, "historical": historical, "dedupe": dedupe_example}
# Slow (minutes on two cores, needs Java 17): only when asked for by name.
EXTRA_RUNS = {"spark": spark_check}


def _row(name: str, what: str, s: dict[str, float]) -> str:
    return f"| {name} | {what} | {s['precision']:.4f} | {s['recall']:.4f} | {s['f1']:.4f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets",
        default=",".join(RUNS),
        help="comma-separated: " + ",".join([*RUNS, *EXTRA_RUNS]) + " (spark: only by name)",
    )
    parser.add_argument("--threshold", type=float, default=engine.DEFAULT_THRESHOLD_WEIGHT)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    results: dict[str, Any] = {"threshold": args.threshold}
    lines = ["| data set | method | precision | recall | F1 |", "|---|---|---|---|---|"]
    for name in args.datasets.split(","):
        figures = {**RUNS, **EXTRA_RUNS}[name](args.threshold)
        results[name] = figures
        lines.append(_row(name, "Vigil, pairs ≥ threshold", figures["vigil_pairs"]))
        lines.append(_row(name, "Vigil, pairs within clusters", figures["vigil_clusters"]))
        lines.append(_row(name, "Vigil, exact clusters", figures["vigil_exact_clusters"]))
        if "baseline" in figures:
            lines.append(_row(name, "recordlinkage ECM, its pairs", figures["baseline"]))
            lines.append(
                _row(
                    name,
                    "recordlinkage ECM, pairs within its clusters",
                    figures["baseline"]["clusters"],
                )
            )
        say(f"  Vigil took {figures['vigil_seconds']:.1f} s")
        if "same_clusters" in figures:
            say(
                f"  Spark: same clusters as DuckDB: {figures['same_clusters']}; largest level "
                f"weight difference {figures['max_level_weight_difference_bits']:.2g} bits; "
                f"DuckDB took {figures['duckdb_seconds']:.1f} s"
            )
        if "incremental" in figures:
            say(
                "  incremental: "
                + json.dumps({k: round(v, 2) for k, v in figures["incremental"].items()})
            )
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

"""The Spark backend (pyspark in local mode) gives the same pairs and clusters as DuckDB.

Slow: starting Spark and running Splink's SQL on it takes minutes on two cores.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from tests.linkage.people import people
from vigil.linkage import engine
from vigil.linkage.normalise import prepare

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java 17")


def test_spark_and_duckdb_give_the_same_pairs_and_clusters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Few partitions: the data are tiny and each one costs a task per stage.
    monkeypatch.setenv("VIGIL_SPARK_PARTITIONS", "2")
    truth = people(50, seed=4)
    odd = pd.DataFrame(
        [
            {"unique_id": "thin-1", "first_name": "James"},
            {"unique_id": "thin-2", "first_name": "James"},
            {"unique_id": "uni-1", "first_name": "Zoë", "surname": "Ñúñez", "dob": "31/31/1990"},
        ]
    )
    prepared = prepare(pd.concat([truth.frame, odd], ignore_index=True))
    model = engine.train(prepared, seed=9)
    on_duckdb = engine.score_pairs(prepared, model, backend="duckdb", min_weight=-1000.0)
    on_spark = engine.score_pairs(prepared, model, backend="spark", min_weight=-1000.0)

    keys = ["unique_id_l", "unique_id_r"]
    assert list(on_spark[keys].itertuples(index=False)) == list(
        on_duckdb[keys].itertuples(index=False)
    )
    assert (on_spark["match_weight"] - on_duckdb["match_weight"]).abs().max() < 1e-6
    levels = [c for c in on_duckdb.columns if c.startswith("level_")]
    assert (on_spark[levels] == on_duckdb[levels]).all().all()

    threshold = engine.DEFAULT_THRESHOLD_WEIGHT
    ids = prepared["unique_id"]
    spark_clusters = engine.cluster(ids, on_spark, threshold_weight=threshold)
    assert spark_clusters == engine.cluster(ids, on_duckdb, threshold_weight=threshold)
    assert spark_clusters["thin-1"] == "thin-1" and spark_clusters["thin-2"] == "thin-2"
    assert len(set(spark_clusters.values())) < len(ids)

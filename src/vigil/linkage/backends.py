"""The database that runs Splink: DuckDB in process by default, Apache Spark for scale."""

from __future__ import annotations

import functools
import os
import tempfile
import uuid
from typing import Any, Literal

import pandas as pd
import pyarrow as pa

from vigil.linkage.normalise import FEATURES

Backend = Literal["duckdb", "spark"]
BACKENDS: tuple[Backend, ...] = ("duckdb", "spark")

_ARROW_TYPES: dict[str, pa.DataType] = {
    "str": pa.string(),
    "list": pa.list_(pa.string()),
    "int": pa.int64(),
}


def check_backend(backend: str) -> Backend:
    if backend == "duckdb":
        return "duckdb"
    if backend == "spark":
        return "spark"
    raise ValueError(f"unknown linkage backend {backend!r}: use duckdb or spark")


def _arrow_schema(columns: list[str]) -> pa.Schema:
    fields = []
    for column in columns:
        kind = FEATURES.get(column, "str")
        fields.append(pa.field(column, _ARROW_TYPES[kind]))
    return pa.schema(fields)


def _arrow_column(values: pd.Series, kind: str) -> pa.Array:
    try:
        # Arrow reads prepare's str/list/int-or-None objects in C; anything else
        # (an int in a text column, a set) takes the per-value path below.
        return pa.array(values.to_numpy(dtype=object), type=_ARROW_TYPES[kind], from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        pass
    items = values.tolist()
    data: list[Any]
    if kind == "int":
        data = [None if v is None or v is pd.NA or v != v else int(v) for v in items]
    elif kind == "list":
        data = [list(v) if isinstance(v, list | tuple) else None for v in items]
    else:
        data = [None if v is None or v is pd.NA or v != v else str(v) for v in items]
    return pa.array(data, type=_ARROW_TYPES[kind])


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """The prepared frame as Arrow with fixed column types (lists stay lists, even all-NULL)."""
    columns = list(frame.columns)
    arrays = [_arrow_column(frame[c], FEATURES.get(c, "str")) for c in columns]
    return pa.Table.from_arrays(arrays, schema=_arrow_schema(columns))


@functools.cache
def spark_session() -> Any:
    """One local Spark session per process, set up for Splink (its similarity jar, checkpoints)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    cores = os.environ.get("VIGIL_SPARK_MASTER", "local[2]")
    spark = (
        SparkSession.builder.master(cores)
        .appName("vigil-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", "4g")
        .config("spark.sql.shuffle.partitions", os.environ.get("VIGIL_SPARK_PARTITIONS", "8"))
        .config("spark.default.parallelism", os.environ.get("VIGIL_SPARK_PARTITIONS", "8"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="vigil-spark-"))
    return spark


def database_api(backend: Backend) -> Any:
    """A fresh Splink database API for `backend`."""
    if backend == "spark":
        from splink import SparkAPI

        return SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=spark_session(),
            break_lineage_method="persist",
            num_partitions_on_repartition=8,
        )
    import duckdb
    from splink import DuckDBAPI

    return DuckDBAPI(connection=duckdb.connect(config=_duckdb_config()))


def _duckdb_config() -> dict[str, str | bool | int | float | list[str]]:
    """Every core, half the machine's memory (the rest is the app's own and pandas'
    copies) and spills into the temporary directory, not the working directory."""
    config: dict[str, str | bool | int | float | list[str]] = {
        "threads": os.cpu_count() or 1,
        "temp_directory": os.path.join(tempfile.gettempdir(), "vigil-duckdb"),
    }
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not on this platform: DuckDB's default
        return config
    config["memory_limit"] = f"{max(1, memory // 2 // 2**20)}MB"
    return config


def register(db_api: Any, backend: Backend, frame: pd.DataFrame, name: str) -> Any:
    """Register a prepared frame with the database API as a Splink input table."""
    table = to_arrow(frame)
    # Spark's temporary views outlive one database API: each table gets its own name.
    table_name = f"{name}_{uuid.uuid4().hex[:12]}"
    if backend == "spark":
        spark = spark_session()
        rows = [tuple(row.values()) for row in table.to_pylist()]
        data = spark.createDataFrame(rows, schema=_spark_schema(table))
        return db_api.register(data, dataset_display_name=name, table_name=table_name)
    return db_api.register(table, dataset_display_name=name, table_name=table_name)


def _spark_schema(table: pa.Table) -> Any:
    from pyspark.sql import types as t

    kinds = {
        pa.string(): t.StringType(),
        pa.int64(): t.LongType(),
        pa.list_(pa.string()): t.ArrayType(t.StringType()),
    }
    return t.StructType([t.StructField(f.name, kinds[f.type], True) for f in table.schema])

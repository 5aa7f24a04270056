"""Choosing the engine: the same feature definitions on DuckDB (default) or PySpark."""
from __future__ import annotations

import os
from pathlib import Path

from data.errors import UpsellError
from data.tables import Tables

ENGINES: tuple[str, ...] = ("duckdb", "spark")


def load_for_engine(data: str | os.PathLike[str], engine: str = "duckdb") -> Tables:
    """Validated tables of ``data`` on the chosen engine's backend."""
    from data.load import load_tables

    if engine == "duckdb":
        return load_tables(Path(data))
    if engine == "spark":
        try:
            import ibis
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise UpsellError("engine 'spark' needs PySpark: pip install 'upsell-propensity[spark]'") from exc
        try:
            from pipeline.spark.load import load_tables_spark  # the shared Spark loader, when installed
        except ImportError:
            load_tables_spark = None
        if load_tables_spark is not None:
            return load_tables_spark(data)
        session = (SparkSession.builder.master("local[*]").appName("upsell-features")
                   .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                   .config("spark.sql.session.timeZone", "UTC").getOrCreate())
        con = ibis.pyspark.connect(session)
        duck = load_tables(Path(data))
        tables = {}
        for name in duck:  # temp views: no warehouse directory left behind
            session.createDataFrame(duck.to_pandas(name)).createOrReplaceTempView(f"src_{name}")
            tables[name] = con.table(f"src_{name}")
        return Tables(con=con, tables=tables, source=duck.source, notes=duck.notes)
    raise UpsellError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")

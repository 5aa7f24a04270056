"""Spark fixtures: one local[2] SparkSession for the whole test session, with a temp warehouse.

Spark tests are slow (a JVM, Python workers, many small jobs on a shared 2-core machine): they are
few, each compares a whole engine output with the DuckDB path, and they share this session.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("pyspark")


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from pipeline.spark.session import SparkSettings, spark_session

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    settings = SparkSettings(master="local[2]", app_name="upsell-tests", warehouse_dir=str(warehouse),
                             conf={"spark.sql.shuffle.partitions": "4", "spark.default.parallelism": "2"})
    session = spark_session(settings)
    yield session
    session.stop()


def write_dir(frames: dict[str, pd.DataFrame], root: Path, fmt: str = "parquet") -> Path:
    """A data directory holding ``frames`` as parquet or CSV files."""
    root.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        if fmt == "parquet":
            frame.to_parquet(root / f"{name}.parquet", index=False)
        else:
            frame.to_csv(root / f"{name}.csv", index=False, date_format="%Y-%m-%dT%H:%M:%S")
    return root


@pytest.fixture(scope="session")
def hand_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The features tests' hand-computed fixture (every point-in-time edge case) as a CSV data directory."""
    from tests.features.conftest import fixture_frames

    return write_dir(fixture_frames(), tmp_path_factory.mktemp("hand") / "data", fmt="csv")


def normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """Engine-neutral dtypes: timestamps [us], numbers float64, everything else object with None."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            out[col] = s.astype("datetime64[us]")
        elif pd.api.types.is_bool_dtype(s.dtype) or str(s.dtype) == "boolean":
            out[col] = s.astype(object).where(s.notna(), None)
        elif pd.api.types.is_numeric_dtype(s.dtype):
            out[col] = s.astype("float64")
        else:
            out[col] = s.astype(object).where(s.notna(), None)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def assert_same(duck: pd.DataFrame, spark: pd.DataFrame, what: str) -> None:
    """Same columns, rows and values (floats to rtol 1e-6) once dtypes are normalised."""
    assert list(spark.columns) == list(duck.columns), f"{what}: columns differ"
    assert len(spark) == len(duck), f"{what}: {len(spark)} rows on Spark, {len(duck)} on DuckDB"
    pd.testing.assert_frame_equal(normalised(duck), normalised(spark), check_exact=False, rtol=1e-6, atol=0,
                                  obj=what)

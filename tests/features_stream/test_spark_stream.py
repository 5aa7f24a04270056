"""write_feature_parquet on PySpark: Ibis collects the result on the driver (no streaming there),
and the file is written the same way: it reads back as Spark's build_features and matches DuckDB's."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("pyspark")

from features import build_features  # noqa: E402
from features.engine import load_for_engine  # noqa: E402
from features.output import write_feature_parquet  # noqa: E402
from tests.features.conftest import assert_same_features, write_fixture_parquet  # noqa: E402

pytestmark = [pytest.mark.spark, pytest.mark.slow]
CUTOFFS = ["2024-03-01", "2024-04-01", "2023-12-01"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fixture_parquet(tmp_path_factory.mktemp("spark_stream"))


def test_spark_file_equals_build_features_and_duckdb(data_dir: Path, tmp_path: Path) -> None:
    spark_tables = load_for_engine(data_dir, "spark")
    out = tmp_path / "spark.parquet"
    result = write_feature_parquet(spark_tables, CUTOFFS, out, row_group_rows=2)
    back = pd.read_parquet(out)
    # Spark may add floats in another order on each run: equal to the last bits, not bit for bit
    pd.testing.assert_frame_equal(back, build_features(spark_tables, CUTOFFS), check_exact=False, rtol=1e-12)
    assert result.rows == len(back)

    duck_out = tmp_path / "duck.parquet"
    write_feature_parquet(load_for_engine(data_dir, "duckdb"), CUTOFFS, duck_out, row_group_rows=2)
    duck = pd.read_parquet(duck_out)
    assert (back.dtypes == duck.dtypes).all()
    assert_same_features(back, duck)

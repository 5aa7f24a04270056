"""The same feature and label definitions on PySpark give the DuckDB results (fixture, two cutoffs)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("pyspark")

from features import build_features, build_labels  # noqa: E402
from features.engine import load_for_engine  # noqa: E402
from tests.features.conftest import assert_same_features, write_fixture_parquet  # noqa: E402

pytestmark = [pytest.mark.spark, pytest.mark.slow]
CUTOFFS = ["2024-03-01", "2024-04-01"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fixture_parquet(tmp_path_factory.mktemp("spark_data"))


def test_features_and_labels_match_duckdb(data_dir: Path) -> None:
    duck_tables = load_for_engine(data_dir, "duckdb")
    spark_tables = load_for_engine(data_dir, "spark")
    duck = build_features(duck_tables, CUTOFFS)
    spark = build_features(spark_tables, CUTOFFS)
    assert_same_features(spark, duck)
    kw = {"label": "expansion", "horizon_days": 90, "addon_categories": ["addon"]}
    pd.testing.assert_frame_equal(build_labels(spark_tables, CUTOFFS, **kw), build_labels(duck_tables, CUTOFFS, **kw))

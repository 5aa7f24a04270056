"""Features do not depend on how DuckDB's threads split the work: reruns are bit-for-bit equal."""
from __future__ import annotations

from pathlib import Path

import ibis
import numpy as np
import pandas as pd

from data.load import load_tables
from features.build import build_features
from tests.features_stream.conftest import CUTOFFS


def test_reruns_on_many_threads_give_identical_features(saas_data: Path) -> None:
    runs = [build_features(load_tables(saas_data, ibis.duckdb.connect(threads=threads)), CUTOFFS)
            for threads in (4, 4, 3, 1)]
    numeric = [c for c in runs[0].columns if runs[0][c].dtype == "float64"]
    assert any(c.endswith("_value_30d") for c in numeric)  # the float sums are really there
    for other in runs[1:]:
        pd.testing.assert_frame_equal(runs[0], other, check_exact=True)
        assert np.array_equal(runs[0][numeric].to_numpy(), other[numeric].to_numpy(), equal_nan=True)

"""Parquet written by pandas 2 and many event pipelines stores nanosecond timestamps. Both read
paths must bring them to microseconds the same way, and only by truncation (flooring) keeps
"before t" true: an order at t - 1 ns happened before the cutoff t.

The pandas path floors (numpy's cast). The DuckDB path serves ``CAST(col AS TIMESTAMP)``, which
rounds to the nearest microsecond: the order at t - 1 ns becomes t (left out at t) and one at
t - 30 days - 1 ns moves into the 30-day window. The fix is in ``data/sql_columns.py`` (not this
sweep's file): for ``TIMESTAMP_NS`` use ``make_timestamp(epoch_us(col))``, which floors exactly as
numpy does (checked: t - 1 ns, -1 ns before 1970, 1900-01-01 + 500 ns).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.robustness3.conftest import CUTOFF, DAY

NEEDED = "data/sql_columns.py _timestamp: TIMESTAMP_NS as make_timestamp(epoch_us(col)) (floor), not CAST (rounds)"
NS = pd.Timedelta(nanoseconds=1)


@pytest.fixture(scope="module")
def nanosecond_dir(hand_frames: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("nanoseconds")
    purchases = hand_frames["purchases"].copy()
    purchases["ordered_at"] = purchases["ordered_at"].astype("datetime64[ns]")
    purchases.loc[0, "ordered_at"] = CUTOFF - NS  # just before the cutoff: counts
    purchases.loc[1, "ordered_at"] = CUTOFF - 30 * DAY - NS  # just older than 30 days: not in the 30-day window
    for name, frame in {**hand_frames, "purchases": purchases}.items():
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), root / f"{name}.parquet")
    assert pq.read_schema(root / "purchases.parquet").field("ordered_at").type == pa.timestamp("ns")
    return root


def _purchase_values(data: Path, in_memory: bool) -> list[float]:
    from data.load import load_tables
    from features.build import build_features

    got = build_features(load_tables(data, in_memory=in_memory), CUTOFF).set_index("account_id")
    return got.loc["a1", ["pur_count_30d", "pur_amount_30d", "pur_count_90d"]].tolist()


def test_the_pandas_path_floors_nanoseconds(nanosecond_dir: Path) -> None:
    assert _purchase_values(nanosecond_dir, in_memory=True) == [2.0, 1001.0, 3.0]  # o1 and o3; o2 in 90 days only


def test_the_duckdb_path_floors_nanoseconds_too(nanosecond_dir: Path) -> None:
    assert _purchase_values(nanosecond_dir, in_memory=False) == [2.0, 1001.0, 3.0]

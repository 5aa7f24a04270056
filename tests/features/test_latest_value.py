"""latest_value: the engines' MAX_BY, the value at the latest time of each group, under a filter."""
from __future__ import annotations

import uuid

import ibis
import pandas as pd

from features.pit import latest_value


FRAME = pd.DataFrame({
    "g": ["a", "a", "a", "b", "b", "c"],
    "t": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-02", "2024-01-05", "2024-01-04", "2024-01-01"]),
    "x": [1.0, None, 3.0, 7.0, 8.0, 5.0],
    "keep": [True, True, True, False, True, False],
})


def _latest(con: ibis.BaseBackend) -> pd.DataFrame:
    # a fresh name, dropped afterwards: a Spark warehouse keeps a managed table's files across sessions
    name = f"latest_value_cases_{uuid.uuid4().hex[:12]}"
    t = con.create_table(name, FRAME)
    try:
        expr = t.group_by("g").agg(
            last=latest_value(t.x, t.t),
            last_known=latest_value(t.x, t.t, where=t.x.notnull()),
            last_kept=latest_value(t.x, t.t, where=t.keep),
        ).order_by("g")
        return con.execute(expr)
    finally:
        con.drop_table(name, force=True)


def _check(got: pd.DataFrame) -> None:
    # a: the latest time (01-03) has no value, so the latest value is 3.0 (01-02), filter or not
    # b: the latest kept row is 01-04 (8.0); c: nothing kept, so null
    assert got["last"].tolist() == got["last_known"].tolist() == [3.0, 7.0, 5.0]
    assert got["last_kept"].iloc[:2].tolist() == [3.0, 8.0] and pd.isna(got["last_kept"].iloc[2])


def test_latest_value_per_group_under_a_filter_on_duckdb() -> None:
    _check(_latest(ibis.duckdb.connect()))

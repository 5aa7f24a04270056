"""Training frames: snapshots whose label window ends by as_of, features plus the label."""
from __future__ import annotations

import pandas as pd
import pytest

from data.errors import UpsellError
from data.tables import Tables
from features import build_training_frame, snapshot_cutoffs


def test_snapshot_cutoffs_end_one_horizon_before_as_of() -> None:
    assert snapshot_cutoffs("2024-06-01", 90, 3) == [pd.Timestamp(d) for d in ("2024-01-01", "2024-02-01", "2024-03-01")]
    # 2024-03-01 + 90 days = 2024-05-30, one day after 05-29: the March snapshot is not ready yet
    assert snapshot_cutoffs("2024-05-29", 90, 2) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")]
    assert snapshot_cutoffs("2024-05-30", 90, 1) == [pd.Timestamp("2024-03-01")]


def test_training_frame_rows_columns_and_labels(tables: Tables) -> None:
    frame = build_training_frame(tables, as_of="2024-06-01", n_snapshots=2)
    assert sorted(set(frame.as_of.dt.strftime("%Y-%m-%d"))) == ["2024-02-01", "2024-03-01"]
    assert frame.columns[-1] == "label" and frame["label"].dtype == "int64"
    assert "acct_plan_tier" not in frame.columns  # a snapshot-only attribute would leak
    got = {(a, t.strftime("%Y-%m-%d")): v for a, t, v in zip(frame.account_id, frame.as_of, frame.label)}
    # 2024-02-01 spine: a1, a5 (a2 created 02-15; a4 churned 02-01 is not before 02-01, so still in)
    assert got == {("a1", "2024-02-01"): 1, ("a4", "2024-02-01"): 0, ("a5", "2024-02-01"): 0,
                   ("a1", "2024-03-01"): 1, ("a2", "2024-03-01"): 0, ("a5", "2024-03-01"): 0}
    keys = list(zip(frame.as_of, frame.account_id))
    assert keys == sorted(keys)


def test_training_frame_features_equal_build_features(tables: Tables) -> None:
    from features import build_features

    frame = build_training_frame(tables, as_of="2024-06-01", n_snapshots=2, snapshot_attributes=True)
    feats = build_features(tables, ["2024-02-01", "2024-03-01"])
    pd.testing.assert_frame_equal(frame.drop(columns="label"), feats)


def test_explicit_cutoffs_after_the_label_window_are_dropped(tables: Tables) -> None:
    frame = build_training_frame(tables, label="purchase", as_of="2024-06-01", cutoffs=["2024-03-01", "2024-04-01"])
    assert set(frame.as_of) == {pd.Timestamp("2024-03-01")}
    with pytest.raises(UpsellError, match="label window"):
        build_training_frame(tables, as_of="2024-06-01", cutoffs=["2024-04-01"])


def test_bad_snapshot_arguments(tables: Tables) -> None:
    with pytest.raises(UpsellError, match="n_snapshots"):
        build_training_frame(tables, as_of="2024-06-01", n_snapshots=0)
    with pytest.raises(UpsellError, match="frequency"):
        build_training_frame(tables, as_of="2024-06-01", freq="not-a-freq")
    with pytest.raises(UpsellError, match="time of day"):
        build_training_frame(tables, as_of="2024-06-01 10:00")

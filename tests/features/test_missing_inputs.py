"""Missing tables and optional columns: their features are absent, never an error."""
from __future__ import annotations

import pandas as pd
import pytest

from data.errors import UpsellError
from data.tables import Tables
from features import build_features, feature_registry
from tests.features.conftest import T, fixture_frames


def _columns(frames: dict[str, pd.DataFrame]) -> list[str]:
    return list(build_features(Tables.from_frames(frames), [T]).columns)


def test_accounts_only() -> None:
    frames = fixture_frames()
    cols = _columns({"accounts": frames["accounts"]})
    assert cols == ["account_id", "as_of", *[f.name for f in feature_registry() if f.source == "accounts"]]


def test_ecommerce_shape_accounts_purchases_offers() -> None:
    frames = fixture_frames()
    cols = _columns({k: frames[k] for k in ("accounts", "purchases", "offers")})
    assert {c.split("_")[0] for c in cols[2:]} == {"acct", "pur", "off"}
    assert len(cols) == 2 + sum(f.source in ("accounts", "purchases", "offers") for f in feature_registry())


@pytest.mark.parametrize(("table", "column", "gone"), [
    ("accounts", "region", {"acct_region"}),
    ("purchases", "category", {"pur_n_categories_365d", "pur_top_category_365d"}),
    ("support_tickets", "csat", {"sup_csat_mean_180d"}),
    ("offers", "reenter_at", {"off_days_to_reentry"}),
])
def test_missing_optional_column_drops_only_its_features(table: str, column: str, gone: set[str]) -> None:
    frames = fixture_frames()
    full = set(_columns(frames))
    frames[table] = frames[table].drop(columns=column)
    assert full - set(_columns(frames)) == gone


def test_usage_without_quota_or_users_keeps_columns_but_no_utilisation() -> None:
    frames = fixture_frames()
    frames["usage"] = frames["usage"].drop(columns=["quota", "active_users"])
    row = build_features(Tables.from_frames(frames), [T]).set_index("account_id").loc["a1"]
    assert row["use_seats_used_value_30d"] == 28
    assert pd.isna(row["use_util_last"]) and pd.isna(row["use_active_users_last"])
    assert row["use_days_above_80pct_30d"] == 0


def test_usage_date_as_timestamp_gives_the_same_features() -> None:
    frames = fixture_frames()
    as_dates = build_features(Tables.from_frames(frames), [T])
    frames["usage"] = frames["usage"].assign(usage_date=pd.to_datetime(frames["usage"].usage_date).astype("datetime64[us]"))
    pd.testing.assert_frame_equal(as_dates, build_features(Tables.from_frames(frames), [T]))


def test_cutoff_before_every_account_gives_an_empty_frame_with_columns() -> None:
    frame = build_features(Tables.from_frames(fixture_frames()), ["2000-01-01"])
    assert frame.empty and "use_util_last" in frame.columns


def test_colliding_metric_names_are_rejected() -> None:
    frames = fixture_frames()
    extra = frames["usage"].iloc[[0]].assign(metric="seats used")  # and "Seats Used" both -> seats_used
    frames["usage"] = pd.concat([frames["usage"], extra], ignore_index=True)
    with pytest.raises(UpsellError, match="seats_used"):
        build_features(Tables.from_frames(frames), [T])


@pytest.mark.parametrize("bad", ["2024-03-01 12:00", "not a date", []])
def test_bad_cutoffs(bad) -> None:
    with pytest.raises(UpsellError):
        build_features(Tables.from_frames(fixture_frames()), bad)

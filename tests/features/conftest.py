"""A tiny hand-made data set whose feature values were worked out by hand (see test_hand_values.py).

Cutoff T = 2024-03-01. Accounts: a1 has rows in every table; a2 was created two weeks before T
and has no other rows (fills); a3 is created exactly at T (not in T's spine); a4 churned before T;
a5's only plan period ends exactly at T with "churned" (still active at T, gone at 2024-04-01).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.tables import Tables

T = pd.Timestamp("2024-03-01")
NaT = pd.NaT


def ts(*values: str | None) -> pd.Series:
    return pd.Series([pd.Timestamp(v) if v else NaT for v in values], dtype="datetime64[us]")


def fixture_frames() -> dict[str, pd.DataFrame]:
    accounts = pd.DataFrame({
        "account_id": ["a1", "a2", "a3", "a4", "a5"],
        "created_at": ts("2023-03-01", "2024-02-15 12:00", "2024-03-01", "2023-01-01", "2023-06-01"),
        "industry": ["software", "retail", "retail", "software", "media"],
        "region": ["emea", "amer", "amer", "apac", "emea"],
        "segment": ["smb", "smb", "enterprise", "smb", "mid_market"],
        "size_band": ["11-50", "1-10", "1000+", "11-50", "51-200"],
        "plan_tier": ["enterprise", None, "basic", "basic", "basic"],
    })
    subscriptions = pd.DataFrame({
        "subscription_id": ["s1", "s2", "s3", "s4", "s5"],
        "account_id": ["a1", "a1", "a1", "a4", "a5"],
        "plan_tier": ["basic", "pro", "enterprise", "basic", "basic"],
        "started_at": ts("2023-03-01", "2023-09-01", "2024-03-15", "2023-01-01", "2023-06-01"),
        "ended_at": ts("2023-09-01", "2024-03-15", None, "2024-02-01", "2024-03-01"),
        "renewal_at": ts(None, "2024-09-01", "2025-03-15", None, "2024-06-01"),
        "mrr": [100.0, 300.0, 900.0, 50.0, 60.0],
        "seats": pd.array([5, 12, 40, 2, 3], dtype="Int64"),
        "end_reason": ["upgraded", "upgraded", None, "churned", "churned"],
    })
    purchases = pd.DataFrame({
        "order_id": [f"p{i}" for i in range(1, 10)],
        "account_id": ["a1", "a1", "a1", "a1", "a1", "a1", "a5", "a5", "a2"],
        "ordered_at": ts("2024-02-20 12:00", "2024-01-15", "2023-11-01", "2023-02-01", "2024-03-01",
                         "2024-03-10", "2022-12-01", "2024-05-29 23:59", "2024-05-30"),
        "amount": [50.0, 30.0, 20.0, 1000.0, 999.0, 5.0, 10.0, 7.0, 3.0],
        "category": ["addon", "core", "addon", "core", "big", "addon", "core", "addon", "core"],
    })
    d = dt.date
    usage = pd.DataFrame({
        "account_id": ["a1"] * 8 + ["a5"],
        "usage_date": [d(2024, 2, 29), d(2024, 2, 28), d(2024, 2, 10), d(2024, 1, 15), d(2024, 3, 1),
                       d(2024, 2, 28), d(2024, 2, 20), d(2023, 12, 1), d(2023, 10, 1)],
        "metric": ["Seats Used"] * 5 + ["api_calls"] * 4,
        "value": [10.0, 12.0, 6.0, 4.0, 100.0, 950.0, 0.0, 500.0, 5.0],
        "quota": [12.0, 12.0, 12.0, 12.0, 12.0, 1000.0, 1000.0, 1000.0, 1000.0],
        "active_users": pd.array([10, 11, 6, 4, 50, 11, 0, 9, 1], dtype="Int64"),
    })
    support_tickets = pd.DataFrame({
        "ticket_id": [f"k{i}" for i in range(1, 7)],
        "account_id": ["a1"] * 6,
        "opened_at": ts("2024-02-25", "2024-02-10", "2024-01-05", "2023-06-01", "2023-10-01", "2024-03-01"),
        "closed_at": ts(None, "2024-02-11 12:00", "2024-03-05", "2023-06-02", "2023-10-01 06:00", None),
        "severity": ["critical", "low", "high", "medium", "high", "critical"],
        "csat": pd.array([None, 4, 1, 2, 5, None], dtype="Int64"),
    })
    offers = pd.DataFrame({
        "offer_id": [f"f{i}" for i in range(1, 8)],
        "account_id": ["a1"] * 6 + ["a5"],
        "offered_at": ts("2023-05-01", "2023-12-01", "2024-02-20", "2022-06-01", "2024-02-01", "2024-03-02",
                         "2024-01-10"),
        "offer_type": ["tier_upgrade"] * 7,
        "channel": ["email", "call", "in_app", "demo", "email", "call", "email"],
        "outcome": ["rejected", "deferred", "accepted", "accepted", "no_response", "accepted", "rejected"],
        "outcome_at": ts("2023-05-10", "2023-12-05", "2024-03-05", None, "2024-02-10", "2024-03-03", "2024-02-09"),
        "reenter_at": ts(None, "2024-04-01", None, None, None, None, None),
        "is_control": pd.array([False, False, False, False, True, False, False], dtype="boolean"),
    })
    return {"accounts": accounts, "subscriptions": subscriptions, "purchases": purchases, "usage": usage,
            "support_tickets": support_tickets, "offers": offers}


def write_fixture_parquet(directory: Path) -> Path:
    """The hand-made fixture as one parquet file per table (usage dates as timestamps), for loaders
    that read files (Spark)."""
    for name, frame in fixture_frames().items():
        if name == "usage":
            frame = frame.assign(usage_date=pd.to_datetime(frame.usage_date).astype("datetime64[us]"))
        frame.to_parquet(directory / f"{name}.parquet", index=False)
    return directory


@pytest.fixture(scope="session")
def frames() -> dict[str, pd.DataFrame]:
    return fixture_frames()


@pytest.fixture(scope="session")
def tables(frames: dict[str, pd.DataFrame]) -> Tables:
    return Tables.from_frames(frames)


@pytest.fixture(scope="session")
def features_at_t(tables: Tables) -> pd.DataFrame:
    from features import build_features

    return build_features(tables, [T, "2024-04-01"])


def assert_same_features(other: pd.DataFrame, duck: pd.DataFrame) -> None:
    """Two engines' feature frames agree: same columns and keys, floats to 1e-6, text exactly."""
    assert list(other.columns) == list(duck.columns)
    pd.testing.assert_frame_equal(other[["account_id", "as_of"]], duck[["account_id", "as_of"]])
    for col in duck.columns[2:]:
        if duck[col].dtype == "float64":
            assert np.allclose(other[col].to_numpy(float), duck[col].to_numpy(float), rtol=1e-6, equal_nan=True), col
        else:
            assert other[col].fillna("<NA>").tolist() == duck[col].fillna("<NA>").tolist(), col

"""Spine membership: created before the cutoff and not churned before it."""
from __future__ import annotations

import pandas as pd

from data.tables import Tables
from features import build_spine
from tests.features.conftest import T, ts

ACCOUNTS = pd.DataFrame({
    "account_id": [f"x{i}" for i in range(1, 10)],
    "created_at": ts("2024-02-29", "2024-03-01", *["2023-01-01"] * 7),
})
# (account, started, ended, end_reason)
PERIODS = [
    ("x3", "2023-01-01", "2024-01-01", "renewed"),       # ended, but not by churn: stays
    ("x4", "2023-01-01", "2023-06-01", "churned"),       # churned, then came back before T: stays
    ("x4", "2023-08-01", None, None),
    ("x5", "2023-01-01", "2024-01-01", "upgraded"),      # two periods end together, one by churn: out
    ("x5", "2023-02-01", "2024-01-01", "churned"),
    ("x6", "2023-01-01", "2023-05-01", "churned"),       # the period that ended last was a downgrade: stays
    ("x6", "2023-02-01", "2023-09-01", "downgraded"),
    ("x7", "2023-01-01", "2024-02-29 23:59", "cancelled"),  # cancelled the minute before T: out
    ("x8", "2023-01-01", "2023-12-01", "churned"),       # churned, back only after T: out at T, in later
    ("x8", "2024-03-10", None, None),
    ("x9", "2024-03-10", None, None),                    # first plan starts after T: no plan at T, stays
]


def _tables() -> Tables:
    subs = pd.DataFrame({
        "subscription_id": [f"s{i}" for i in range(len(PERIODS))],
        "account_id": [p[0] for p in PERIODS],
        "plan_tier": "basic",
        "started_at": ts(*[p[1] for p in PERIODS]),
        "ended_at": ts(*[p[2] for p in PERIODS]),
        "mrr": 10.0,
        "end_reason": [p[3] for p in PERIODS],
    })
    return Tables.from_frames({"accounts": ACCOUNTS, "subscriptions": subs})


def _members(tables: Tables, cutoffs: list) -> set[tuple[str, str]]:
    frame = build_spine(tables, cutoffs).to_pandas()
    return {(a, str(pd.Timestamp(t).date())) for a, t in zip(frame.account_id, frame.as_of)}


def test_spine_membership_rules() -> None:
    got = _members(_tables(), [T, "2024-04-01"])
    at_t = {a for a, d in got if d == "2024-03-01"}
    later = {a for a, d in got if d == "2024-04-01"}
    assert at_t == {"x1", "x3", "x4", "x6", "x9"}
    assert later == {"x1", "x2", "x3", "x4", "x6", "x8", "x9"}


def test_accounts_without_subscriptions_table_are_all_in() -> None:
    tables = Tables.from_frames({"accounts": ACCOUNTS})
    assert {a for a, _ in _members(tables, [T])} == {f"x{i}" for i in range(1, 10)} - {"x2"}


def test_cutoff_before_every_account_gives_an_empty_spine() -> None:
    assert _members(_tables(), ["2020-01-01"]) == set()


def test_fixture_spine(tables: Tables) -> None:
    got = _members(tables, [T, "2024-04-01"])
    assert {a for a, d in got if d == "2024-03-01"} == {"a1", "a2", "a5"}
    assert {a for a, d in got if d == "2024-04-01"} == {"a1", "a2", "a3"}


def test_feature_table_builds_its_own_spine(tables: Tables, features_at_t: pd.DataFrame) -> None:
    """``feature_table`` without a precomputed spine (its documented default) gives the same rows
    as ``build_features``: the spine it builds is joined with partials computed from it."""
    from features import feature_table
    from features.build import to_canonical_frame

    own = to_canonical_frame(feature_table(tables, [T, "2024-04-01"]).to_pyarrow().to_pandas())
    pd.testing.assert_frame_equal(own, features_at_t)

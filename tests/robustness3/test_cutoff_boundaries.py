"""Events exactly at the cutoff, accounts created or churned around it: values worked out by hand.

Windows are [t - N days, t): a row dated at t is not known at t; a ticket closed at t is open at
t; an offer whose outcome comes at t is pending; an account created at t is not in the spine,
one whose last plan ended by churn before t is out of it.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.robustness3.conftest import features_of, write_tables


@pytest.fixture(scope="module")
def at_cutoff(hand_frames: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return features_of(write_tables(tmp_path_factory.mktemp("boundaries"), hand_frames)).set_index("account_id")


def test_spine_at_the_cutoff(at_cutoff: pd.DataFrame) -> None:
    # a2 created at the cutoff, a4 churned an hour before it: neither is scored
    assert list(at_cutoff.index) == ["a1", "a3"]
    assert at_cutoff.loc["a3", "acct_tenure_days"] == pytest.approx(1 / 24)
    assert at_cutoff.loc["a3", "sub_is_active"] == 1.0


def test_a_purchase_at_the_cutoff_does_not_count(at_cutoff: pd.DataFrame) -> None:
    a1 = at_cutoff.loc["a1"]
    # o2 at t - 30 days is inside [t - 30, t); o1 at t is not; o4 at t - 90 days - 1 hour is older than 90 days
    assert (a1.pur_count_30d, a1.pur_count_90d, a1.pur_count_365d) == (2, 2, 3)
    assert (a1.pur_amount_30d, a1.pur_amount_365d) == (11.0, 18.0)
    assert a1.pur_amount_trend_90d == pytest.approx((11 - 7) / (11 + 7))
    assert a1.pur_days_since_last == pytest.approx(1 / 24)


def test_usage_of_the_cutoff_day_does_not_count(at_cutoff: pd.DataFrame) -> None:
    a1 = at_cutoff.loc["a1"]
    assert a1.use_api_value_30d == 12.0  # days t-1 (5) and t-30 (7); day t (999) is after the cutoff
    assert a1.use_api_trend_30d == pytest.approx((12 - 5) / (12 + 5))
    assert (a1.use_api_util_last, a1.use_util_max_30d, a1.use_days_above_100pct_30d) == (0.5, 0.7, 0)
    assert (a1.use_active_days_30d, a1.use_days_since_last) == (2, 1)


def test_a_ticket_closed_at_the_cutoff_is_open(at_cutoff: pd.DataFrame) -> None:
    a1 = at_cutoff.loc["a1"]
    assert (a1.sup_open_tickets, a1.sup_open_critical, a1.sup_tickets_30d) == (1, 1, 3)
    assert a1.sup_csat_mean_180d == 3.0  # t1 (4) and t3 (2); t2's CSAT comes at the cutoff
    assert a1.sup_hours_to_close_mean_180d == 13.0


def test_an_outcome_at_the_cutoff_is_pending(at_cutoff: pd.DataFrame) -> None:
    a1 = at_cutoff.loc["a1"]
    assert (a1.off_pending, a1.off_accepted_365d, a1.off_rejected_365d) == (1, 0, 1)
    assert a1.off_last_outcome == "rejected" and a1.off_acceptance_rate == 0.0
    assert a1.off_days_since_last_rejection == pytest.approx(1 / 24)


def test_rows_after_the_cutoff_change_nothing(hand_frames: dict[str, pd.DataFrame], at_cutoff: pd.DataFrame,
                                              tmp_path: Path) -> None:
    """Data running on past as_of (a backfill) gives the features of data that stopped at as_of."""
    later = {name: frame.copy() for name, frame in hand_frames.items()}
    t = pd.Timestamp("2026-04-01")
    later["purchases"].loc[len(later["purchases"])] = ["o9", "a1", t, 50.0]
    later["usage"].loc[len(later["usage"])] = ["a1", t, "new_metric", 1.0, 1.0]
    later["accounts"].loc[len(later["accounts"])] = ["a9", t]
    later["offers"].loc[1, "outcome_at"] = t  # f2's rejection now known only later: pending at the cutoff
    got = features_of(write_tables(tmp_path, later)).set_index("account_id")
    assert list(got.columns) == list(at_cutoff.columns)  # no column for a metric first seen after as_of
    assert got.loc["a1", "off_pending"] == 2 and got.loc["a1", "off_last_outcome"] == "pending"
    same = got.drop(columns=[c for c in got.columns if c.startswith("off_")])
    pd.testing.assert_frame_equal(same, at_cutoff[same.columns])


def test_leap_day_cutoff(hand_frames: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    """2028-02-29 is a cutoff like any other; a4, created on 2024-02-29, is 1461 days old then."""
    frames = dict(hand_frames)
    frames["subscriptions"] = hand_frames["subscriptions"][lambda s: s.account_id != "a4"]
    got = features_of(write_tables(tmp_path, frames), "2028-02-29").set_index("account_id")
    assert got.loc["a4", "acct_tenure_days"] == 1461.0
    # the last purchase (o1, 2026-03-10) is 721 days back, outside every purchase window
    assert (got.loc["a1", "pur_count_365d"], got.loc["a1", "pur_days_since_last"]) == (0, 721.0)


def test_an_account_churned_exactly_at_the_cutoff_is_still_in(hand_frames: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    """A plan that ends at t is active at t (its end is not known yet): the account is scored."""
    subscriptions = hand_frames["subscriptions"].copy()
    subscriptions.loc[2, "ended_at"] = pd.Timestamp("2026-03-10")
    got = features_of(write_tables(tmp_path, {**hand_frames, "subscriptions": subscriptions})).set_index("account_id")
    assert list(got.index) == ["a1", "a3", "a4"]
    assert (got.loc["a4", "sub_is_active"], got.loc["a4", "sub_mrr"]) == (1.0, 5.0)

"""Every feature against a value worked out by hand on the conftest fixture at T = 2024-03-01.

The numbers below were computed on paper from the rows in conftest.py (day counts with a
calendar: 2024 is a leap year), not with the feature code. ``None`` means missing.
"""
from __future__ import annotations

import math

import pandas as pd
import pytest

from features import feature_registry
from tests.features.conftest import T

NONE = None

A1 = {
    # accounts
    "acct_tenure_days": 366, "acct_industry": "software", "acct_region": "emea", "acct_segment": "smb",
    "acct_size_band": "11-50", "acct_plan_tier": "enterprise",
    # subscriptions: s2 is current (its end on 2024-03-15 is not known at T); s1 was current a year earlier
    "sub_is_active": 1, "sub_plan_tier": "pro", "sub_mrr": 300, "sub_seats": 12, "sub_days_to_renewal": 184,
    "sub_contract_age_days": 182, "sub_n_upgrades_365d": 1, "sub_n_downgrades_365d": 0, "sub_mrr_change_365d": 200,
    # purchases p1 (9.5 days ago), p2 (46), p3 (121); p4 is older than a year, p5 is at T
    "pur_days_since_last": 9.5, "pur_count_30d": 1, "pur_count_90d": 2, "pur_count_365d": 3,
    "pur_amount_30d": 50, "pur_amount_90d": 80, "pur_amount_365d": 100, "pur_avg_order_365d": 100 / 3,
    "pur_n_categories_365d": 2, "pur_top_category_365d": "addon", "pur_amount_trend_90d": 0.6,
    # usage: 30-day window is 2024-01-31 .. 02-29, the 30 before 2024-01-01 .. 01-30
    "use_active_days_30d": 3, "use_days_since_last": 1, "use_util_last": 0.95, "use_util_max_30d": 1.0,
    "use_days_above_80pct_30d": 2, "use_days_above_90pct_30d": 1, "use_days_above_100pct_30d": 1,
    "use_value_trend_30d": 0.875, "use_active_users_last": 10, "use_active_users_max_30d": 11,
    "use_api_calls_value_30d": 950, "use_api_calls_util_last": 0.95, "use_api_calls_util_max_30d": 0.95,
    "use_api_calls_trend_30d": 1.0,
    "use_seats_used_value_30d": 28, "use_seats_used_util_last": 10 / 12, "use_seats_used_util_max_30d": 1.0,
    "use_seats_used_trend_30d": 0.75,
    # support: k3 closed after T so it is open and its CSAT unknown; k4 closed > 180 days ago
    "sup_tickets_30d": 2, "sup_tickets_90d": 3, "sup_tickets_365d": 5, "sup_high_or_critical_90d": 2,
    "sup_open_tickets": 2, "sup_open_critical": 1, "sup_csat_mean_180d": 4.5, "sup_hours_to_close_mean_180d": 21,
    "sup_days_since_last_ticket": 5,
    # offers: f3's acceptance comes after T (pending), f4 accepted without a date, f5 is control
    "off_count_365d": 3, "off_accepted_365d": 0, "off_rejected_365d": 1, "off_last_outcome": "pending",
    "off_days_since_last": 10, "off_days_since_last_rejection": 296, "off_acceptance_rate": 0.5,
    "off_pending": 1, "off_days_to_reentry": 31,
}

A2 = {
    "acct_tenure_days": 14.5, "acct_industry": "retail", "acct_region": "amer", "acct_segment": "smb",
    "acct_size_band": "1-10", "acct_plan_tier": NONE,
    "sub_is_active": 0, "sub_plan_tier": NONE, "sub_mrr": 0, "sub_seats": NONE, "sub_days_to_renewal": NONE,
    "sub_contract_age_days": NONE, "sub_n_upgrades_365d": 0, "sub_n_downgrades_365d": 0, "sub_mrr_change_365d": 0,
    "pur_days_since_last": NONE, "pur_count_30d": 0, "pur_count_90d": 0, "pur_count_365d": 0,
    "pur_amount_30d": 0, "pur_amount_90d": 0, "pur_amount_365d": 0, "pur_avg_order_365d": NONE,
    "pur_n_categories_365d": 0, "pur_top_category_365d": NONE, "pur_amount_trend_90d": 0,
    "use_active_days_30d": 0, "use_days_since_last": NONE, "use_util_last": NONE, "use_util_max_30d": NONE,
    "use_days_above_80pct_30d": 0, "use_days_above_90pct_30d": 0, "use_days_above_100pct_30d": 0,
    "use_value_trend_30d": 0, "use_active_users_last": NONE, "use_active_users_max_30d": NONE,
    "use_api_calls_value_30d": 0, "use_api_calls_util_last": NONE, "use_api_calls_util_max_30d": NONE,
    "use_api_calls_trend_30d": 0,
    "use_seats_used_value_30d": 0, "use_seats_used_util_last": NONE, "use_seats_used_util_max_30d": NONE,
    "use_seats_used_trend_30d": 0,
    "sup_tickets_30d": 0, "sup_tickets_90d": 0, "sup_tickets_365d": 0, "sup_high_or_critical_90d": 0,
    "sup_open_tickets": 0, "sup_open_critical": 0, "sup_csat_mean_180d": NONE, "sup_hours_to_close_mean_180d": NONE,
    "sup_days_since_last_ticket": NONE,
    "off_count_365d": 0, "off_accepted_365d": 0, "off_rejected_365d": 0, "off_last_outcome": NONE,
    "off_days_since_last": NONE, "off_days_since_last_rejection": NONE, "off_acceptance_rate": NONE,
    "off_pending": 0, "off_days_to_reentry": NONE,
}

A5 = dict(A2) | {
    "acct_tenure_days": 274, "acct_industry": "media", "acct_region": "emea", "acct_segment": "mid_market",
    "acct_size_band": "51-200", "acct_plan_tier": "basic",
    # s5 ends exactly at T: still active at T
    "sub_is_active": 1, "sub_plan_tier": "basic", "sub_mrr": 60, "sub_seats": 3, "sub_days_to_renewal": 92,
    "sub_contract_age_days": 274, "sub_mrr_change_365d": 60,
    "pur_days_since_last": 456,  # recency has no window
    "use_days_since_last": 152,  # the 2023-10-01 row is outside every usage window but still the last active day
    "off_count_365d": 1, "off_rejected_365d": 1, "off_last_outcome": "rejected", "off_days_since_last": 51,
    "off_days_since_last_rejection": 21, "off_acceptance_rate": 0.0,
}


def _row(frame: pd.DataFrame, account: str) -> pd.Series:
    hit = frame[(frame.account_id == account) & (frame.as_of == T)]
    assert len(hit) == 1, f"{account} should have exactly one row at {T.date()}"
    return hit.iloc[0]


def test_every_feature_has_a_hand_value(features_at_t: pd.DataFrame) -> None:
    expected_columns = [f.name for f in feature_registry(["Seats Used", "api_calls"])]
    assert list(features_at_t.columns) == ["account_id", "as_of", *expected_columns]
    for table in (A1, A2, A5):
        assert set(table) == set(expected_columns)


@pytest.mark.parametrize(("account", "expected"), [("a1", A1), ("a2", A2), ("a5", A5)])
def test_feature_values_match_hand_computation(features_at_t: pd.DataFrame, account: str, expected: dict) -> None:
    row = _row(features_at_t, account)
    wrong = {}
    for name, want in expected.items():
        got = row[name]
        missing = got is None or (isinstance(got, float) and math.isnan(got))
        if want is None:
            ok = missing
        elif isinstance(want, str):
            ok = got == want
        else:
            ok = not missing and math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-9)
        if not ok:
            wrong[name] = (got, want)
    assert not wrong, f"{account}: (got, expected) {wrong}"


def test_rows_sorted_and_typed(features_at_t: pd.DataFrame) -> None:
    keys = list(zip(features_at_t.as_of, features_at_t.account_id))
    assert keys == sorted(keys)
    assert str(features_at_t["as_of"].dtype) == "datetime64[us]"
    for spec in feature_registry(["Seats Used", "api_calls"]):
        dtype = features_at_t[spec.name].dtype
        assert (dtype == "float64") if spec.kind == "numeric" else (dtype != "float64"), spec.name

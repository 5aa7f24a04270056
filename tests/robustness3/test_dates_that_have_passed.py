"""Renewal and re-entry dates in the past: the features are negative day counts (documented), and
the reason codes ops teams read in the CRM say the date has passed instead of "Renewal in -68
days" (before). A renewal date the CRM never moved on is common in real data."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.registry import render_reason
from models.reasons import registry_renderer
from tests.robustness3.conftest import features_of, write_tables


@pytest.mark.parametrize(("feature", "value", "reason"), [
    ("sub_days_to_renewal", -68.2, "Renewal date passed 68 days ago"),
    ("sub_days_to_renewal", -0.2, "Renewal date passed 0 days ago"),
    ("sub_days_to_renewal", 45.2, "Renewal in 45 days"),
    ("sub_days_to_renewal", 0.0, "Renewal in 0 days"),
    ("off_days_to_reentry", -3.0, "Re-entry date passed 3 days ago"),
    ("off_days_to_reentry", 12.0, "Re-entry date in 12 days"),
])
def test_reason_of_a_date_that_has_passed(feature: str, value: float, reason: str) -> None:
    assert render_reason(feature, value) == reason
    assert registry_renderer(feature, value) == reason  # what the scored list's reason_1..3 hold


def test_a_renewal_date_in_the_past_is_a_negative_day_count(hand_frames: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    subscriptions = hand_frames["subscriptions"].copy()
    subscriptions.loc[0, "renewal_at"] = pd.Timestamp("2026-01-01")  # 68 days before the cutoff
    got = features_of(write_tables(tmp_path, {**hand_frames, "subscriptions": subscriptions})).set_index("account_id")
    assert got.loc["a1", "sub_days_to_renewal"] == -68.0
    assert render_reason("sub_days_to_renewal", got.loc["a1", "sub_days_to_renewal"]) == "Renewal date passed 68 days ago"

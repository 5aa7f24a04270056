"""Support tickets older than a year still count at a cutoff while they are open, or closed within
its last 180 days; every other ticket only sets "days since the last ticket". Values worked by hand
(day counts in the comments) at one cutoff and at two."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from data.tables import Tables
from features import build_features
from tests.features.conftest import ts

T1, T2 = "2024-03-01", "2024-09-01"
ACCOUNTS = pd.DataFrame({"account_id": ["x", "y"], "created_at": ts("2020-01-01", "2020-01-01")})
TICKETS = pd.DataFrame({
    "ticket_id": ["k1", "k2", "k3", "k4", "k5", "k6"],
    "account_id": ["x", "x", "x", "x", "x", "y"],
    "opened_at": ts("2021-05-01", "2022-06-01", "2022-02-01", "2023-12-01", "2023-08-01", "2021-01-01"),
    "closed_at": ts(None, "2024-01-31 12:00", "2022-02-03", "2023-12-02", "2024-03-10", "2021-01-02"),
    "severity": ["critical", "high", "low", "low", "critical", "medium"],
    "csat": pd.array([None, 2, 4, 5, 3, 1], dtype="Int64"),
})
NONE = float("nan")
EXPECTED = {
    # T1 - 365 days = 2023-03-02, T1 - 90 = 2023-12-02, T1 - 180 = 2023-09-03
    # x: k4 and k5 in the year (k4 is 91 days old); k1 (never closed) and k5 (closes 2024-03-10)
    # open, both critical; closed in the 180 days: k2 (609.5 days = 14628 h, CSAT 2) and k4 (24 h, 5)
    ("x", T1): (0, 0, 2, 0, 2, 2, 3.5, (14628 + 24) / 2, 91),
    # y: one ticket three years ago: 2021-01-01 to 2024-03-01 is 1095 + 31 + 29 days
    ("y", T1): (0, 0, 0, 0, 0, 0, NONE, NONE, 1155),
    # T2 - 365 = 2023-09-02, T2 - 180 = 2024-03-05: k4 in the year; k1 open; k5 closed in the 180
    # days after 222 days open (5328 h, CSAT 3); k4 is 275 days old
    ("x", T2): (0, 0, 1, 0, 1, 1, 3.0, 5328, 275),
    ("y", T2): (0, 0, 0, 0, 0, 0, NONE, NONE, 1155 + 184),
}
COLUMNS = ["sup_tickets_30d", "sup_tickets_90d", "sup_tickets_365d", "sup_high_or_critical_90d", "sup_open_tickets",
           "sup_open_critical", "sup_csat_mean_180d", "sup_hours_to_close_mean_180d", "sup_days_since_last_ticket"]


@pytest.mark.parametrize("cutoffs", [[T1], [T2], [T1, T2]], ids=["first", "second", "both"])
def test_old_tickets_count_only_while_they_matter(cutoffs: list[str]) -> None:
    got = build_features(Tables.from_frames({"accounts": ACCOUNTS, "support_tickets": TICKETS}), cutoffs)
    assert len(got) == 2 * len(cutoffs)
    for row in got.itertuples():
        expected = EXPECTED[(row.account_id, str(row.as_of.date()))]
        values = [getattr(row, c) for c in COLUMNS]
        for column, value, want in zip(COLUMNS, values, expected):
            assert (math.isnan(value) and math.isnan(want)) or value == pytest.approx(want), (row.account_id, column)


def test_identical_tickets_each_count() -> None:
    """Two tickets alike in every column but their id are two tickets, recent or old."""
    twins = pd.DataFrame({
        "ticket_id": ["r1", "r2", "o1", "o2"],
        "account_id": ["z"] * 4,
        "opened_at": ts("2024-02-20", "2024-02-20", "2021-01-01", "2021-01-01"),
        "closed_at": ts("2024-02-21", "2024-02-21", None, None),
        "severity": ["high", "high", "critical", "critical"],
        "csat": pd.array([4, 4, None, None], dtype="Int64"),
    })
    accounts = pd.DataFrame({"account_id": ["z"], "created_at": ts("2020-01-01")})
    for cutoffs in ([T1], [T1, T2]):
        got = build_features(Tables.from_frames({"accounts": accounts, "support_tickets": twins}), cutoffs)
        at_t1 = got[got.as_of == pd.Timestamp(T1)].iloc[0]
        assert (at_t1.sup_tickets_30d, at_t1.sup_high_or_critical_90d) == (2, 2)
        assert (at_t1.sup_open_tickets, at_t1.sup_open_critical) == (2, 2)
        assert at_t1.sup_hours_to_close_mean_180d == 24 and at_t1.sup_days_since_last_ticket == 10

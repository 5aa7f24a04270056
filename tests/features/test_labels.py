"""Labels over [t, t + horizon), checked against hand-derived outcomes of the fixture."""
from __future__ import annotations

import pandas as pd
import pytest

from data.errors import UpsellError
from data.tables import Tables
from features import build_labels
from tests.features.conftest import T, fixture_frames, ts


def _labels(tables: Tables, **kw) -> dict[tuple[str, str], int]:
    frame = build_labels(tables, [T, "2024-04-01"], **kw)
    return {(a, str(t.date())): int(v) for a, t, v in zip(frame.account_id, frame.as_of, frame.label)}


def test_expansion_labels(tables: Tables) -> None:
    assert _labels(tables) == {
        ("a1", "2024-03-01"): 1,  # f3 accepted 03-05 and s3 (900 > 300) started 03-15
        ("a2", "2024-03-01"): 0,
        ("a5", "2024-03-01"): 0,  # only a purchase; no add-on categories named
        ("a1", "2024-04-01"): 0,
        ("a2", "2024-04-01"): 0,
        ("a3", "2024-04-01"): 0,
    }


def test_expansion_with_addon_categories(tables: Tables) -> None:
    got = _labels(tables, addon_categories=["addon"])
    assert got[("a5", "2024-03-01")] == 1  # p8 at 2024-05-29 23:59, the last minute of the horizon
    assert got[("a2", "2024-04-01")] == 0  # p9 is "core"


def test_purchase_labels_and_horizon_end_is_exclusive(tables: Tables) -> None:
    got = _labels(tables, label="purchase")
    assert got[("a1", "2024-03-01")] == 1  # p6 on 03-10; p5 exactly at T also counts
    assert got[("a2", "2024-03-01")] == 0  # p9 at 2024-05-30 00:00 = T + 90 days: outside
    assert got[("a5", "2024-03-01")] == 1
    assert got[("a2", "2024-04-01")] == 1  # p9 is inside [04-01, 06-30)
    assert got[("a1", "2024-04-01")] == 0


@pytest.mark.parametrize("drop", ["offers", "subscriptions"])
def test_each_expansion_route_alone(drop: str) -> None:
    frames = fixture_frames()
    del frames[drop]
    assert _labels(Tables.from_frames(frames))[("a1", "2024-03-01")] == 1


def test_no_expansion_route_means_zero_labels() -> None:
    frames = fixture_frames()
    del frames["offers"], frames["subscriptions"]
    assert set(_labels(Tables.from_frames(frames)).values()) == {0}


def test_accepted_offer_without_outcome_time_is_dated_by_offer_and_lower_mrr_is_not_expansion() -> None:
    frames = fixture_frames()
    frames["offers"] = pd.DataFrame({
        "offer_id": ["g1", "g2"], "account_id": ["a2", "a2"], "offered_at": ts("2024-03-10", "2024-02-20"),
        "offer_type": ["add_on"] * 2, "channel": ["email"] * 2, "outcome": ["accepted", "accepted"],
        "outcome_at": ts(None, None),
    })
    subs = frames["subscriptions"]
    frames["subscriptions"] = subs.assign(mrr=subs.mrr.where(subs.subscription_id != "s3", 250.0))
    got = _labels(Tables.from_frames(frames))
    assert got[("a2", "2024-03-01")] == 1  # g1 offered (and so accepted) 03-10; g2 accepted before T
    assert got[("a1", "2024-03-01")] == 0  # a1's offers replaced; s3 at 250 < 300 is a downgrade


def test_bad_label_arguments(tables: Tables) -> None:
    with pytest.raises(UpsellError, match="unknown label"):
        build_labels(tables, [T], label="churn")
    with pytest.raises(UpsellError, match="horizon_days"):
        build_labels(tables, [T], horizon_days=0)

"""Realised calibration judges past scores by the ``expansion`` label they predict, computed by the
label's own code: a subscription period started in [as_of, as_of + horizon) counts when its MRR
beats the plan in force at as_of (0 when none was), not the account's previous period."""
from __future__ import annotations

import pandas as pd

from pipeline.review import build_review
from pipeline.review_calibration import realised_outcomes

AS_OF = pd.Timestamp("2026-03-01")
T = lambda days: AS_OF + pd.Timedelta(days=days)  # noqa: E731


def _sub(sid: str, account: str, start: pd.Timestamp, mrr: float, end: pd.Timestamp | None = None) -> dict:
    return {"subscription_id": sid, "account_id": account, "plan_tier": "pro", "started_at": start,
            "ended_at": end, "mrr": mrr}


SUBSCRIPTIONS = pd.DataFrame([
    _sub("n1", "NEW", T(10), 50.0),                                   # first paid plan, none before: expansion
    _sub("b1", "BACK", T(-90), 200.0, T(-30)), _sub("b2", "BACK", T(40), 50.0),  # lapsed, back on a smaller plan
    _sub("d1", "DOWN", T(-60), 100.0, T(5)), _sub("d2", "DOWN", T(5), 50.0, T(20)),
    _sub("d3", "DOWN", T(20), 80.0),                                  # 80 beats 50, not the 100 in force: none
    _sub("u1", "UP", T(-60), 100.0, T(30)), _sub("u2", "UP", T(30), 150.0),
    _sub("c1", "EDGE", T(-60), 100.0, T(0)), _sub("c2", "EDGE", T(0), 120.0),   # at as_of itself: in the window
    _sub("l1", "LATE", T(-60), 100.0, T(90)), _sub("l2", "LATE", T(90), 150.0),  # at as_of + 90: outside
])
HISTORY = pd.DataFrame({"account_id": ["BACK", "DOWN", "EDGE", "LATE", "NEW", "UP"], "as_of": AS_OF,
                        "score": [0.1, 0.2, 0.25, 0.3, 0.4, 0.5]})
EXPECTED = {"BACK": 1, "DOWN": 0, "EDGE": 1, "LATE": 0, "NEW": 1, "UP": 1}  # by hand, from the label's definition


def test_realised_outcome_is_the_expansion_label() -> None:
    got = realised_outcomes(HISTORY, None, SUBSCRIPTIONS, pd.Timestamp("2026-07-01"), 90)
    # before: NEW and BACK 0 (no previous period, or a dearer one, to beat), DOWN 1 (80 beat the previous 50)
    assert dict(zip(got["account_id"], got["realised"])) == EXPECTED
    assert got["as_of"].eq(AS_OF).all() and got["score"].tolist() == [0.1, 0.2, 0.25, 0.3, 0.4, 0.5]


def test_review_calibration_counts_the_same() -> None:
    review = build_review(None, HISTORY, as_of="2026-07-01", subscriptions=SUBSCRIPTIONS, horizon_days=90)
    summary = review.calibration_summary
    assert summary["n"] == 6 and summary["realised_rate"] == sum(EXPECTED.values()) / 6  # before: 3 / 6 (DOWN, EDGE, UP)


def test_addon_purchases_count_where_the_playbook_names_their_categories() -> None:
    """The playbook's ``objective.addon_categories`` make an add-on purchase an expansion, in the
    label and so in realised calibration; other categories, or a purchase after the window, do not."""
    from types import SimpleNamespace

    history = pd.DataFrame({"account_id": ["P1", "P2", "P3"], "as_of": AS_OF, "score": [0.5, 0.5, 0.5]})
    purchases = pd.DataFrame({"account_id": ["P1", "P2", "P3"], "category": ["care_kits", "shoes", "care_kits"],
                              "ordered_at": [T(3), T(3), T(95)]})
    got = realised_outcomes(history, None, None, pd.Timestamp("2026-07-01"), 90, purchases=purchases,
                            addon_categories=("care_kits",))
    assert got["realised"].tolist() == [1, 0, 0]
    assert realised_outcomes(history, None, None, pd.Timestamp("2026-07-01"), 90, purchases=purchases)["realised"].sum() == 0
    book = SimpleNamespace(name="shop", objective=SimpleNamespace(revenue_target=1.0, period="quarter",
                                                                 addon_categories=["care_kits"]))
    summary = build_review(None, history, as_of="2026-07-01", purchases=purchases, playbook=book,
                           horizon_days=90).calibration_summary
    assert summary["realised_rate"] == 1 / 3 and summary["label_sources"][-1] == "add-on purchases (care_kits)"

"""The review report: figures hand-checked on a tiny fixture, JSON and HTML rendering."""
from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from pipeline.review import build_review, review_to_json
from pipeline.review_drift import drift_table, psi, psi_status
from pipeline.review_html import render_review_html


def _night(as_of: str, scores: dict[str, float]) -> pd.DataFrame:
    ids = list(scores)
    s = [scores[i] for i in ids]
    band = ["hot" if v >= 0.5 else "warm" if v >= 0.25 else "cold" for v in s]
    action = {"hot": "am_call", "warm": "nurture_email", "cold": None}
    return pd.DataFrame({
        "account_id": ids,
        "as_of": pd.Timestamp(as_of),
        "score": s,
        "score_band": band,
        "decision_path": [f"usage_trigger>fit>{b}_node" for b in band],
        "final_node": [f"{b}_node" for b in band],
        "action": [action[b] for b in band],
        "channel": ["call" if b == "hot" else "email" for b in band],
        "owner_role": ["account_manager" if b == "hot" else "automated" for b in band],
        "expected_value": [round(v * 1000, 6) for v in s],
    })


HISTORY = pd.concat([
    _night("2026-07-01", {"A1": 0.8, "A2": 0.3, "A3": 0.1, "A4": 0.6}),
    _night("2026-10-01", {"A1": 0.7, "A2": 0.4, "A3": 0.05, "A4": 0.55}),
], ignore_index=True)


def _offer(offer_id, account, offered, channel, role, outcome, outcome_at=None, revenue=None, control=False):
    return {"offer_id": offer_id, "account_id": account, "offered_at": pd.Timestamp(offered), "offer_type": "tier_upgrade",
            "channel": channel, "owner_role": role, "outcome": outcome,
            "outcome_at": pd.Timestamp(outcome_at) if outcome_at else pd.NaT, "revenue": revenue, "is_control": control}


OFFERS = pd.DataFrame([
    _offer("O1", "A1", "2026-07-05", "call", "account_manager", "accepted", "2026-07-20", 1000.0),
    _offer("O2", "A2", "2026-07-10", "email", "automated", "rejected", "2026-07-15"),
    _offer("O3", "A4", "2026-07-03", "call", "account_manager", "no_response", "2026-07-30"),
    _offer("O4", "A3", "2026-06-15", "email", None, "accepted", "2026-06-20", 200.0),  # before any score
    _offer("O5", "A2", "2026-10-01", "demo", "sales_rep", "pending"),  # same day as a scoring night
    _offer("O6", "A1", "2026-11-01", "call", "account_manager", "accepted", "2026-11-05", 500.0),  # after review
    _offer("O7", "A3", "2026-07-02", "email", "automated", "no_response", "2026-07-20", control=True),
])
BANDS = SimpleNamespace(name="test", objective=SimpleNamespace(revenue_target=4000.0, period="year"),
                        roles={"account_manager": SimpleNamespace(weekly_capacity=2),
                               "automated": SimpleNamespace(weekly_capacity=None)},
                        score_bands=[SimpleNamespace(name="hot", min_score=0.5), SimpleNamespace(name="warm", min_score=0.25),
                                     SimpleNamespace(name="cold", min_score=0.0)],
                        review=SimpleNamespace(min_offers_per_cell=2))


@pytest.fixture(scope="module")
def review():
    return build_review(OFFERS, HISTORY, playbook=BANDS, horizon_days=90)


def _row(table: pd.DataFrame, value: str) -> dict:
    return table.set_index("value").loc[value].to_dict()


def test_conversion_by_band_node_action_channel_role(review) -> None:
    assert review.as_of == "2026-10-01"
    bands = review.conversion["score_band"]
    assert list(bands["value"]) == ["hot", "warm", "(unscored)"]  # by mean score, highest first
    hot = _row(bands, "hot")
    assert (hot["offers"], hot["decided"], hot["accepted"], hot["no_response"]) == (2, 2, 1, 1)
    assert hot["conversion"] == 0.5 and hot["revenue"] == 1000.0 and hot["mean_score"] == pytest.approx(0.7)
    assert hot["enough_data"]
    warm = _row(bands, "warm")  # O2 rejected under the July score; O5 pending under the Oct score
    assert (warm["offers"], warm["decided"], warm["pending"], warm["conversion"]) == (2, 1, 1, 0.0)
    assert warm["mean_score"] == pytest.approx(0.35) and not warm["enough_data"]
    unscored = _row(bands, "(unscored)")
    assert (unscored["offers"], unscored["accepted"], unscored["revenue"]) == (1, 1, 200.0)
    assert _row(review.conversion["final_node"], "hot_node")["accepted"] == 1
    assert _row(review.conversion["action"], "am_call")["offers"] == 2
    channels = review.conversion["channel"]
    assert set(channels["value"]) == {"call", "email", "demo"}  # the offer's own channel
    assert _row(channels, "email")["offers"] == 2
    roles = review.conversion["owner_role"]
    # O7 (automated) is a control offer; O4 has no role and no score to fall back on
    assert {v: _row(roles, v)["offers"] for v in roles["value"]} == {
        "account_manager": 2, "automated": 1, "sales_rep": 1, "(none)": 1}


def test_summary_and_control_uplift(review) -> None:
    s = review.summary
    assert (s["offers"], s["decided"], s["accepted"], s["unscored_offers"]) == (5, 4, 2, 1)
    assert s["conversion"] == 0.5 and s["revenue"] == 1200.0
    assert (s["control_offers"], s["control_conversion"], s["uplift"]) == (1, 0.0, 0.5)


def test_realised_calibration(review) -> None:
    s = review.calibration_summary
    assert (s["n"], s["nights"], s["first_night"]) == (4, 1, "2026-07-01")  # the October night is still open
    # realised: A1 accepted on 07-20 (in window); A3's acceptance was before the night
    assert s["brier"] == pytest.approx((0.2**2 + 0.3**2 + 0.1**2 + 0.6**2) / 4)
    assert s["ece"] == pytest.approx((0.2 + 0.3 + 0.1 + 0.6) / 4)
    assert list(review.calibration["bin"]) == [1, 3, 6, 8]


def test_calibration_counts_mrr_increases_when_subscriptions_given() -> None:
    subs = pd.DataFrame({"account_id": ["A2", "A2"], "started_at": pd.to_datetime(["2026-01-01", "2026-08-01"]),
                         "mrr": [100.0, 150.0]})
    result = build_review(OFFERS, HISTORY, subscriptions=subs, horizon_days=90)
    assert result.calibration_summary["brier"] == pytest.approx((0.04 + 0.49 + 0.01 + 0.36) / 4)
    assert result.calibration_summary["label_sources"] == ["accepted offers", "MRR increases"]


def test_revenue_progress_against_target(review) -> None:
    r = review.revenue
    assert (r["period_start"], r["period_end"]) == ("2026-01-01", "2027-01-01")
    assert r["realised_revenue"] == 1200.0  # O1 + O4; O6 is after the review date
    assert r["elapsed_fraction"] == pytest.approx(273 / 365)
    assert r["projected_revenue"] == pytest.approx(1200 * 365 / 273)
    assert r["progress"] == pytest.approx(0.3) and r["on_track"] is False
    assert r["pending_offers"] == 1
    custom = build_review(OFFERS, HISTORY, revenue_target=1000.0, period_start="2026-07-01", period_end="2026-10-01")
    assert custom.revenue["realised_revenue"] == 1000.0 and custom.revenue["on_track"] is True


def test_threshold_recommendation_under_capacity(review) -> None:
    rec = review.recommendation
    assert rec["capacity"] == 2 and rec["accounts_with_action"] == 3  # A3 (cold) has no action
    assert rec["band"]["band"] == "hot" and rec["band"]["volume"] == 2
    assert rec["band"]["expected_revenue"] == pytest.approx(700 + 550)
    assert rec["score"]["threshold"] == pytest.approx(0.55) and rec["score"]["volume"] == 2
    table = review.threshold.set_index("threshold")
    assert table.loc[0.25, "volume"] == 3 and not table.loc[0.25, "fits_capacity"]
    costly = build_review(OFFERS, HISTORY, playbook=BANDS, cost_per_contact=600.0)
    assert costly.recommendation["score"]["threshold"] == pytest.approx(0.7)  # 700-600 beats 1250-1200
    unlimited = build_review(OFFERS, HISTORY, capacity=10)
    assert unlimited.recommendation["band"]["volume"] == 3


def test_psi_hand_checked() -> None:
    ref = pd.Series(["a"] * 50 + ["b"] * 50)
    cur = pd.Series(["a"] * 80 + ["b"] * 20)
    assert psi(ref, cur) == pytest.approx(0.3 * math.log(4), abs=1e-9)
    rng = np.random.default_rng(0)
    x = pd.Series(rng.normal(size=5000))
    assert psi(x, pd.Series(rng.normal(size=5000))) < 0.02
    assert psi(x, x + 1.0) > 0.25
    assert [psi_status(v) for v in (0.05, 0.1, 0.25, 0.3)] == ["stable", "moderate", "moderate", "major"]
    missing = psi(x, x.where(x > 0))  # half the values go missing: its own bin shows it
    assert missing > 0.25


def test_drift_section(review) -> None:
    assert review.drift.empty and any("drift not computed" in n for n in review.notes)
    rng = np.random.default_rng(1)
    reference = pd.DataFrame({"account_id": range(2000), "sub_mrr": rng.gamma(2, 100, 2000),
                              "acct_region": rng.choice(["eu", "us"], 2000), "score": rng.uniform(size=2000)})
    current = reference.assign(sub_mrr=reference["sub_mrr"] * 3, account_id=range(2000))
    result = build_review(OFFERS, HISTORY, reference=reference, current_features=current)
    table = result.drift.set_index("feature")
    assert list(result.drift["feature"])[0] == "sub_mrr" and table.loc["sub_mrr", "status"] == "major"
    assert table.loc["acct_region", "status"] == "stable" and table.loc["score", "psi"] == pytest.approx(0.0)
    assert "account_id" not in table.index
    assert result.drift_summary["major"] == 1 and result.drift_summary["score_psi"] == pytest.approx(0.0)
    assert drift_table(reference, current, ["acct_region"])["kind"].tolist() == ["categorical"]


def test_sop_counts(review) -> None:
    counts = review.sop["counts"]
    assert counts["usage_trigger"] == 4 and counts["fit"] == 4 and counts["hot_node"] == 2
    assert counts["am_call"] == 2
    assert review.sop["conversion_by_final_node"]["hot_node"] == 0.5


def test_json_and_html_are_deterministic_and_self_contained(review) -> None:
    text = review_to_json(review)
    again = review_to_json(build_review(OFFERS.sample(frac=1, random_state=1), HISTORY, playbook=BANDS, horizon_days=90))
    assert text == again
    data = json.loads(text)
    assert data["summary"]["accepted"] == 2 and data["conversion"]["score_band"][0]["value"] == "hot"
    assert data["threshold"]["recommendation"]["band"]["band"] == "hot"
    page = render_review_html(review)
    assert page == render_review_html(review)
    assert page.startswith("<!DOCTYPE html>") and "data:image/png;base64," in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    for heading in ("Conversion of past offers", "Realised calibration", "revenue target", "Drift",
                    "Recommended score threshold", "The SOP today"):
        assert heading in page


def test_html_escapes_user_text() -> None:
    history = HISTORY.assign(final_node=HISTORY["final_node"].where(HISTORY["account_id"] != "A1", "<script>x</script>"))
    page = render_review_html(build_review(OFFERS, history))
    assert "<script>x" not in page and "&lt;script&gt;x" in page


def test_no_history_needs_a_date() -> None:
    from data.errors import UpsellError

    with pytest.raises(UpsellError, match="--as-of"):
        build_review(OFFERS, None)
    result = build_review(OFFERS, None, as_of="2026-10-01")
    assert result.summary["unscored_offers"] == 5 and result.calibration_summary["n"] == 0


def test_calibration_uses_the_latest_complete_nights_only() -> None:
    history = pd.concat([HISTORY, _night("2026-06-01", {"A1": 0.9, "A2": 0.9, "A3": 0.9, "A4": 0.9})], ignore_index=True)
    both = build_review(OFFERS, history, horizon_days=90, calibration_nights=None)
    assert both.calibration_summary["nights"] == 2 and both.calibration_summary["n"] == 8
    latest = build_review(OFFERS, history, horizon_days=90, calibration_nights=1)
    assert latest.calibration_summary["first_night"] == "2026-07-01" and latest.calibration_summary["n"] == 4

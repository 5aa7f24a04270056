"""Control offers (``is_control``: held out, nothing sent) count only as the control group.

Every figure of the review about the SOP's offers — revenue against the target, pending offers,
the revenue per acceptance that values today's list, realised calibration, the conversion tables,
the SOP diagram's conversion — must be the same with or without the control group; only the
summary's control conversion and uplift (and, per offer type, the control columns) may move.
"""
from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pandas as pd
import pytest

from pipeline.review import build_review, revenue_progress, review_to_json
from pipeline.review_html import render_review_html


def _night(as_of: str, scores: dict[str, float]) -> pd.DataFrame:
    band = {a: "hot" if s >= 0.5 else "warm" if s >= 0.25 else "cold" for a, s in scores.items()}
    return pd.DataFrame({
        "account_id": list(scores),
        "as_of": pd.Timestamp(as_of),
        "score": list(scores.values()),
        "score_band": [band[a] for a in scores],
        "decision_path": [f"trigger>{band[a]}_node" for a in scores],
        "final_node": [f"{band[a]}_node" for a in scores],
        "action": ["am_call" if band[a] == "hot" else "nurture_email" for a in scores],
    })  # no expected_value: the threshold values scores by the mean accepted revenue


HISTORY = pd.concat([_night("2026-07-01", {"A1": 0.8, "A2": 0.3, "A3": 0.1, "A4": 0.6}),
                     _night("2026-10-01", {"A1": 0.7, "A2": 0.4, "A3": 0.2, "A4": 0.55})], ignore_index=True)


def _offer(offer_id: str, account: str, offered: str, outcome: str, outcome_at: str | None = None,
           revenue: float | None = None, control: bool = False, offer_type: str = "tier_upgrade") -> dict:
    return {"offer_id": offer_id, "account_id": account, "offered_at": pd.Timestamp(offered),
            "offer_type": offer_type, "channel": "email", "owner_role": "automated", "outcome": outcome,
            "outcome_at": pd.Timestamp(outcome_at) if outcome_at else pd.NaT, "revenue": revenue,
            "is_control": control}


TREATED = pd.DataFrame([
    _offer("T1", "A1", "2026-07-05", "accepted", "2026-07-20", 1000.0),
    _offer("T2", "A2", "2026-07-10", "rejected", "2026-07-15"),
    _offer("T3", "A4", "2026-09-25", "pending"),
])
CONTROL = pd.DataFrame([
    # A3 bought without being sent anything, inside its July score's window
    _offer("C1", "A3", "2026-07-06", "accepted", "2026-07-25", 5000.0, control=True),
    _offer("C2", "A4", "2026-09-20", "pending", control=True),
    _offer("C3", "A2", "2026-08-01", "no_response", "2026-08-20", control=True),
])
ALL = pd.concat([TREATED, CONTROL], ignore_index=True)
PLAYBOOK = SimpleNamespace(name="test", objective=SimpleNamespace(revenue_target=4000.0, period="year"),
                           roles={"account_manager": SimpleNamespace(weekly_capacity=2)},
                           score_bands=[SimpleNamespace(name="hot", min_score=0.5),
                                        SimpleNamespace(name="warm", min_score=0.25),
                                        SimpleNamespace(name="cold", min_score=0.0)],
                           review=SimpleNamespace(min_offers_per_cell=1))
CONTROL_FIGURES = ("control_offers", "control_conversion", "uplift")


def _review(offers: pd.DataFrame):
    return build_review(offers, HISTORY, playbook=PLAYBOOK, horizon_days=90)


def test_revenue_progress_counts_only_offers_made() -> None:
    r = _review(ALL).revenue
    assert (r["accepted_offers"], r["realised_revenue"], r["pending_offers"]) == (1, 1000.0, 1)  # was 2, 6000, 2
    assert r["progress"] == pytest.approx(0.25)
    direct = revenue_progress(ALL, pd.Timestamp("2026-10-01"), 4000.0, "year")  # the public function, raw frame
    assert (direct["accepted_offers"], direct["realised_revenue"], direct["pending_offers"]) == (1, 1000.0, 1)


def test_threshold_values_scores_by_revenue_of_offers_made() -> None:
    rec = _review(ALL).recommendation
    assert rec["value_unit"] == "score x mean accepted revenue"
    # capacity 2: the hot band (A1 0.7, A4 0.55) at 1000 per acceptance, not (1000 + 5000) / 2
    assert rec["band"]["band"] == "hot" and rec["band"]["expected_revenue"] == pytest.approx((0.7 + 0.55) * 1000)


def test_calibration_ignores_a_control_purchase() -> None:
    s = _review(ALL).calibration_summary
    assert (s["n"], s["first_night"]) == (4, "2026-07-01")
    assert s["realised_rate"] == pytest.approx(0.25)  # A1 only; A3's purchase was a control's


def test_summary_keeps_the_control_group_apart() -> None:
    s = _review(ALL).summary
    assert (s["offers"], s["accepted"], s["revenue"]) == (3, 1, 1000.0)
    assert (s["control_offers"], s["control_conversion"]) == (3, 0.5)
    assert s["uplift"] == pytest.approx(0.5 - 0.5)


def _without_control_figures(result) -> dict:
    data = json.loads(review_to_json(result))
    for key in CONTROL_FIGURES:
        data["summary"].pop(key, None)
    for row in data["conversion"].get("offer_type", []):
        for key in list(row):
            if key.startswith("control_") or key == "uplift":
                row.pop(key)
    return data


def test_every_other_figure_is_the_same_with_or_without_the_control_group() -> None:
    with_control, without = _review(ALL), _review(TREATED)
    assert _without_control_figures(with_control) == _without_control_figures(without)
    assert with_control.sop == without.sop

    def sections(page: str) -> str:  # all but the summary's KPIs and the offer types' control columns
        return page[page.index("<h2>Progress"):page.index("<h3>By offer type")] + page[page.index("<h3>By channel"):]
    assert sections(render_review_html(with_control)) == sections(render_review_html(without))
    assert "Accepted revenue 1,000 from 1 offers" in render_review_html(with_control)
    assert "Pending offers: 1." in render_review_html(with_control)


def test_only_control_offers_say_so() -> None:
    result = _review(CONTROL)
    assert any("only control offers (3)" in note for note in result.notes)
    assert result.summary["offers"] == 0 and result.revenue["accepted_offers"] == 0
    assert all(table.empty for table in result.conversion.values())


def test_a_missing_or_null_control_flag_means_treated() -> None:
    mixed = ALL.assign(is_control=pd.array([False, None, False, True, True, True], dtype="boolean"))
    assert _review(mixed).revenue["accepted_offers"] == 1
    no_flag = ALL.drop(columns="is_control")
    assert _review(no_flag).revenue["accepted_offers"] == 2  # nothing says C1 was held out
    assert re.search(r"only control", " ".join(_review(no_flag).notes)) is None

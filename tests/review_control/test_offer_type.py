"""Conversion by what was offered (``offer_type``), with uplift against the control group.

Each offer type is compared with its own control offers when it has decided ones, else with the
pooled control (every control offer reviewed): the rule ``pipeline.review_control`` documents.
"""
from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline.review import DIMENSIONS, build_review, review_to_json
from pipeline.review_html import render_review_html
from tests.review_control.test_control_left_out import HISTORY, PLAYBOOK, _offer

AS_OF = "2026-10-01"
OLD_COLUMNS = {"value", "offers", "decided", "accepted", "rejected", "deferred", "no_response", "pending",
               "conversion", "revenue", "revenue_per_offer", "mean_score", "enough_data"}
CONTROL_COLUMNS = {"control_match", "control_offers", "control_decided", "control_accepted",
                   "control_conversion", "uplift"}


def _offers(rows: list[tuple]) -> pd.DataFrame:
    """(offer_type, outcome, control) per row, on four accounts in turn, all in July."""
    out = []
    for i, (offer_type, outcome, control) in enumerate(rows):
        revenue = 100.0 if outcome == "accepted" else None
        at = None if outcome == "pending" else "2026-07-20"
        out.append(_offer(f"O{i}", f"A{i % 4 + 1}", f"2026-07-{2 + i % 20:02d}", outcome, at, revenue,
                          control=control, offer_type=offer_type))
    return pd.DataFrame(out)


# seat_pack: 4 treated (3 accepted), own controls 4 decided (1 accepted)
# addon: 2 treated (1 accepted), no control of its own -> pooled: 4 seat_pack + 2 holdout controls
# holdout: control only (a campaign's "nothing sent" arm), not a row of the table
CAMPAIGN = _offers(
    [("seat_pack", "accepted", False)] * 3 + [("seat_pack", "rejected", False)]
    + [("seat_pack", "accepted", True)] + [("seat_pack", "no_response", True)] * 3
    + [("addon", "accepted", False), ("addon", "no_response", False)]
    + [("holdout", "no_response", True), ("holdout", "accepted", True)]
)


def _by_type(offers: pd.DataFrame) -> pd.DataFrame:
    return build_review(offers, HISTORY, as_of=AS_OF, playbook=PLAYBOOK).conversion["offer_type"].set_index("value")


def test_offer_type_is_a_dimension_like_the_others() -> None:
    assert "offer_type" in DIMENSIONS
    table = _by_type(CAMPAIGN)
    assert table.index.tolist() == ["seat_pack", "addon"]  # most offers first; control-only types absent
    seat = table.loc["seat_pack"]
    assert (seat["offers"], seat["decided"], seat["accepted"], seat["rejected"]) == (4, 4, 3, 1)
    assert seat["conversion"] == 0.75 and seat["revenue"] == 300.0


def test_uplift_against_the_same_types_controls() -> None:
    seat = _by_type(CAMPAIGN).loc["seat_pack"]
    assert seat["control_match"] == "same_offer_type"
    assert (seat["control_offers"], seat["control_decided"], seat["control_accepted"]) == (4, 4, 1)
    assert seat["control_conversion"] == 0.25 and seat["uplift"] == pytest.approx(0.5)


def test_a_type_without_its_own_controls_is_compared_with_the_pooled_control() -> None:
    result = build_review(CAMPAIGN, HISTORY, as_of=AS_OF, playbook=PLAYBOOK)
    addon = result.conversion["offer_type"].set_index("value").loc["addon"]
    assert addon["control_match"] == "pooled"
    assert (addon["control_offers"], addon["control_decided"], addon["control_accepted"]) == (6, 6, 2)
    assert addon["control_conversion"] == pytest.approx(result.summary["control_conversion"])  # the summary's control
    assert addon["uplift"] == pytest.approx(0.5 - 2 / 6)


def test_controls_of_a_type_still_pending_give_way_to_the_pool() -> None:
    pending = _offers([("seat_pack", "accepted", False), ("seat_pack", "pending", True),
                       ("holdout", "no_response", True), ("holdout", "no_response", True)])
    seat = _by_type(pending).loc["seat_pack"]
    assert seat["control_match"] == "pooled" and (seat["control_offers"], seat["control_decided"]) == (3, 2)
    assert seat["control_conversion"] == 0.0 and seat["uplift"] == 1.0


def test_without_a_control_group_the_uplift_is_null() -> None:
    treated = CAMPAIGN[~CAMPAIGN["is_control"]]
    table = _by_type(treated)
    assert table["control_match"].isna().all() and table["uplift"].isna().all()
    assert (table["control_offers"] == 0).all()
    rows = json.loads(review_to_json(build_review(treated, HISTORY, as_of=AS_OF)))["conversion"]["offer_type"]
    assert rows[0]["control_match"] is None and rows[0]["uplift"] is None and rows[0]["control_offers"] == 0


def test_a_missing_offer_type_is_its_own_row() -> None:
    offers = CAMPAIGN.assign(offer_type=CAMPAIGN["offer_type"].where(CAMPAIGN["offer_type"] != "addon", None))
    table = _by_type(offers)
    assert table.loc["(none)", "offers"] == 2 and table.loc["(none)", "control_match"] == "pooled"


def test_json_extends_keys_and_leaves_the_other_dimensions_as_they_were() -> None:
    data = json.loads(review_to_json(build_review(CAMPAIGN, HISTORY, as_of=AS_OF, playbook=PLAYBOOK)))
    conversion = data["conversion"]
    assert set(conversion) == {"score_band", "final_node", "action", "offer_type", "channel", "owner_role"}
    for dimension in ("score_band", "final_node", "action", "channel", "owner_role"):
        assert all(set(row) == OLD_COLUMNS for row in conversion[dimension]), dimension
    assert all(set(row) == OLD_COLUMNS | CONTROL_COLUMNS for row in conversion["offer_type"])
    assert set(data["summary"]) >= {"control_offers", "control_conversion", "uplift"}


def test_html_shows_the_offer_types_with_their_uplift() -> None:
    page = render_review_html(build_review(CAMPAIGN, HISTORY, as_of=AS_OF, playbook=PLAYBOOK))
    section = page[page.index("<h3>By offer type</h3>"):page.index("<h3>By channel</h3>")]
    assert "<th>uplift</th>" in section and "pooled" in section and "same type" in section
    assert "<td>seat_pack</td>" in section and "+50.00 pt" in section and "+16.67 pt" in section
    no_control = render_review_html(build_review(CAMPAIGN[~CAMPAIGN["is_control"]], HISTORY, as_of=AS_OF,
                                                 playbook=PLAYBOOK))
    plain = no_control[no_control.index("<h3>By offer type</h3>"):no_control.index("<h3>By channel</h3>")]
    assert "uplift" not in plain and "<td>seat_pack</td>" in plain  # no control group: no control columns


def test_the_same_offers_in_another_order_give_the_same_bytes() -> None:
    shuffled = CAMPAIGN.sample(frac=1, random_state=3).reset_index(drop=True)
    first = build_review(CAMPAIGN, HISTORY, as_of=AS_OF, playbook=PLAYBOOK)
    again = build_review(shuffled, HISTORY, as_of=AS_OF, playbook=PLAYBOOK)
    assert review_to_json(first) == review_to_json(again)
    assert render_review_html(first) == render_review_html(again)

"""The scored list's assembly and the choice of accounts that get reason codes."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data.errors import UpsellError
from pipeline.scoring import assemble_scored_list, reason_targets


def _decisions(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"account_id": pd.array(ids, dtype="str"), "action": [f"act_{i}" for i in ids]})


@pytest.mark.parametrize("decision_order", [["a", "b", "c", "d"], ["d", "b", "a", "c"]])
def test_assemble_ranks_by_score_then_account_id(decision_order: list[str]) -> None:
    scores = pd.DataFrame({"account_id": ["c", "a", "d", "b"], "score": [0.5, 0.5, np.nan, 0.9]})
    out = assemble_scored_list(scores, _decisions(decision_order), pd.Timestamp("2026-01-05"))
    assert out["account_id"].tolist() == ["b", "a", "c", "d"]  # 0.9, then the tie a < c, NaN last
    assert out["action"].tolist() == ["act_b", "act_a", "act_c", "act_d"]
    assert out["rank"].tolist() == [1, 2, 3, 4]
    assert list(out.columns[:4]) == ["account_id", "as_of", "score", "rank"]
    assert (out["as_of"] == pd.Timestamp("2026-01-05")).all()


def test_assemble_refuses_a_decision_per_account_missing_or_twice() -> None:
    scores = pd.DataFrame({"account_id": ["a", "b"], "score": [0.1, 0.2]})
    with pytest.raises(UpsellError, match="no decision"):
        assemble_scored_list(scores, _decisions(["a", "z"]), pd.Timestamp("2026-01-05"))
    with pytest.raises(UpsellError, match="unique"):
        assemble_scored_list(scores, _decisions(["a", "a"]), pd.Timestamp("2026-01-05"))


@pytest.mark.parametrize("decision_order", [["b", "a", "c", "d"], ["a", "b", "c", "d"], ["d", "c", "b", "a"]])
def test_assemble_over_id_sorted_scores(decision_order: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Scores in id order (as features come) and decisions in rank order need no hash join; any
    other decision order still comes out ranked."""
    import pipeline.scoring as scoring

    scores = pd.DataFrame({"account_id": pd.array(["a", "b", "c", "d"], dtype="str"), "score": [0.5, 0.9, 0.5, np.nan]})
    if decision_order == ["b", "a", "c", "d"]:  # the rank order: must not join by id
        monkeypatch.setattr(scoring, "positions_in", lambda *a: pytest.fail("joined by id"))
    out = assemble_scored_list(scores, _decisions(decision_order), pd.Timestamp("2026-01-05"))
    assert out["account_id"].tolist() == ["b", "a", "c", "d"]
    assert out["action"].tolist() == ["act_b", "act_a", "act_c", "act_d"]
    np.testing.assert_array_equal(out["score"].to_numpy(), [0.9, 0.5, 0.5, np.nan])
    assert out["rank"].tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize("decided", [["b", "a", "c", "z"], ["b", "a", "c", "c"], ["b", "a", "c"], ["b", "a", "c", None]])
def test_assemble_over_id_sorted_scores_refuses_a_bad_decision_list(decided: list) -> None:
    scores = pd.DataFrame({"account_id": ["a", "b", "c", "d"], "score": [0.5, 0.9, 0.5, 0.1]})
    with pytest.raises(UpsellError, match="no decision|unique"):
        assemble_scored_list(scores, _decisions(decided), pd.Timestamp("2026-01-05"))


def test_reason_targets_people_first_then_expected_value() -> None:
    scored = pd.DataFrame({
        "account_id": ["a", "b", "c", "d", "e", "f"],
        "action": ["email", None, "call", "email", "demo", "email"],
        "owner_role": ["automated", None, "account_manager", "automated", "sales_rep", "automated"],
        "expected_value": [900.0, np.nan, 10.0, 900.0, 50.0, np.nan],
    })
    people = ["account_manager", "sales_rep"]
    assert reason_targets(scored, 10, people).tolist() == [4, 2, 0, 3, 5]  # e, c (people), then a = d by id, f
    assert reason_targets(scored, 3, people).tolist() == [4, 2, 0]
    assert reason_targets(scored, 2, []).tolist() == [0, 3]  # no person roles: value, then id
    assert reason_targets(scored, 0, people).size == 0


def test_reason_targets_only_for_the_actions_that_read_them() -> None:
    scored = pd.DataFrame({
        "account_id": ["a", "b", "c", "d", "e"],
        "action": ["banner", "call", "seat_email", None, "banner"],
        "owner_role": ["automated", "account_manager", "automated", None, "automated"],
        "expected_value": [900.0, 10.0, 50.0, np.nan, 800.0],
    })
    people = ["account_manager"]
    assert reason_targets(scored, 10, people, ["call", "seat_email"]).tolist() == [1, 2]
    assert reason_targets(scored, 1, people, ["call", "seat_email"]).tolist() == [1]
    assert reason_targets(scored, 10, people, []).size == 0
    assert reason_targets(scored, 10, people, None).tolist() == [1, 0, 4, 2]  # None: every action


def test_playbook_reason_actions_default_to_person_owned() -> None:
    from pipeline.playbook.load import resolve_playbook

    book = resolve_playbook("saas")
    assert book.reason_actions() == ["am_expansion_call", "sales_upgrade_demo", "cs_seat_review", "seat_pack_email"]
    actions = dict(book.actions)
    actions["am_expansion_call"] = actions["am_expansion_call"].model_copy(update={"reasons": False})
    actions["upgrade_in_app"] = actions["upgrade_in_app"].model_copy(update={"reasons": True})
    book = book.model_copy(update={"actions": actions})
    assert "am_expansion_call" not in book.reason_actions() and "upgrade_in_app" in book.reason_actions()


def test_decisions_ordered_by_score_match_the_reshuffled_list(tmp_path) -> None:
    from pipeline.playbook.decide import decide, decide_with_rows
    from pipeline.playbook.load import resolve_playbook

    rng = np.random.default_rng(3)
    n = 300
    ids = [f"acc{i:04d}" for i in rng.permutation(n)]
    score = np.round(rng.uniform(0, 1, n), 1)  # many ties
    score[:5] = np.nan
    scored = pd.DataFrame({"account_id": ids, "score": score, "use_seats_used_util_last": rng.uniform(0.5, 1.2, n),
                           "sub_is_active": 1.0, "sub_n_downgrades_365d": 0.0, "use_days_since_last": 1.0,
                           "use_value_trend_30d": 0.3})
    book = resolve_playbook("saas")
    as_of = pd.Timestamp("2026-01-05")
    by_id = decide(scored, book, None, as_of)
    by_score = decide(scored, book, None, as_of, order_by_score=True)
    assert by_id["account_id"].is_monotonic_increasing
    scores = scored[["account_id", "score"]]
    pd.testing.assert_frame_equal(assemble_scored_list(scores, by_id, as_of), assemble_scored_list(scores, by_score, as_of))
    assert by_score["account_id"].tolist() == assemble_scored_list(scores, by_id, as_of)["account_id"].tolist()
    # the rows decide reports line the scores up as the join would (unsorted ids, ties, NaN)
    decided, rows = decide_with_rows(scored, book, None, as_of, order_by_score=True)
    assert scored["account_id"].iloc[rows].tolist() == decided["account_id"].tolist()
    pd.testing.assert_frame_equal(assemble_scored_list(scores, decided, as_of, rows=rows),
                                  assemble_scored_list(scores, by_id, as_of))
    # rows of decisions in account_id order are not a rank order: the list is still ranked
    decided, rows = decide_with_rows(scored, book, None, as_of)
    pd.testing.assert_frame_equal(assemble_scored_list(scores, decided, as_of, rows=rows),
                                  assemble_scored_list(scores, by_id, as_of))


def test_cli_reasons_limit_default_is_the_library_default() -> None:
    import typer.main

    from pipeline.cli import app
    from pipeline.scoring import DEFAULT_REASONS_LIMIT

    command = typer.main.get_command(app)
    for name in ("score", "nightly"):
        option = next(p for p in command.commands[name].params if p.name == "reasons_limit")
        assert option.default == DEFAULT_REASONS_LIMIT


def test_stale_data_is_judged_by_the_freshest_recency_feature() -> None:
    from pipeline.scoring import freshest_event_days, stale_data_notes

    features = pd.DataFrame({"account_id": ["a", "b", "c"], "use_days_since_last": [45.0, np.nan, 80.0],
                             "off_days_since_last": [np.nan, 33.5, np.nan], "sub_mrr": [1.0, 0.0, 2.0]})
    assert freshest_event_days(features) == 33.5
    assert freshest_event_days(features[["account_id", "sub_mrr"]]) is None  # no recency feature
    assert freshest_event_days(features.assign(off_days_since_last=np.nan, use_days_since_last=np.nan)) is None
    assert stale_data_notes(33.5, pd.Timestamp("2026-03-01")) == ["the newest usage, purchase, ticket or offer before "
        "2026-03-01 is 34 days old: features describe the accounts as of then (is a source feed stalled, or is --as-of mistyped?)"]
    assert stale_data_notes(30.0, pd.Timestamp("2026-03-01")) == [] and stale_data_notes(None, pd.Timestamp("2026-03-01")) == []

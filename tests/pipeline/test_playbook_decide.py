"""decide(): hand-checked decisions on a tiny fixture, plus each rule on its own."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.errors import UpsellError
from pipeline.playbook import DECISION_COLUMNS, decide, load_playbook, parse_playbook, resolve_playbook
from pipeline.playbook.conditions import parse_condition

TINY_PATH = Path(__file__).parent / "playbook_fixtures" / "tiny.yaml"
AS_OF = pd.Timestamp("2026-11-25")  # a Wednesday: the capacity week started Monday 2026-11-23
T = pd.Timestamp


@pytest.fixture(scope="module")
def tiny():
    return load_playbook(TINY_PATH)


def _scored() -> pd.DataFrame:
    rows = [  # account, score, use_util_last, sub_days_to_renewal, sup_open_critical
        ("a01", 0.90, 0.95, None, 0), ("a02", 0.80, 0.95, 30, 0), ("a03", 0.70, None, 10, 0),
        ("a04", 0.30, 0.95, None, 0), ("a05", 0.05, 0.95, None, 0), ("a06", 0.90, 0.95, None, 1),
        ("a07", 0.90, 0.50, None, 0), ("a08", 0.90, 0.95, None, 0), ("a09", 0.60, 0.95, None, 0),
        ("a10", 0.30, 0.95, None, 0), ("a11", 0.55, 0.95, None, 0), ("a12", None, 0.95, None, 0),
        ("a13", 0.95, 0.95, None, 0), ("a14", 0.90, 0.95, None, 0), ("a15", 0.90, 0.95, None, 0),
        ("a16", 0.30, 0.95, None, 0),
    ]
    frame = pd.DataFrame(rows, columns=["account_id", "score", "use_util_last", "sub_days_to_renewal", "sup_open_critical"])
    return frame.sample(frac=1.0, random_state=3).reset_index(drop=True)  # input order must not matter


def _offers() -> pd.DataFrame:
    rows = [  # offer, account, offered_at, outcome, outcome_at, reenter_at, owner_role
        ("o1", "a08", T("2026-10-25"), "rejected", T("2026-10-30"), None, "sales_rep"),
        ("o2", "a09", T("2026-11-20"), "pending", None, None, "account_manager"),
        ("o3", "a10", T("2026-11-10"), "no_response", T("2026-11-12"), None, "automated"),
        ("o4", "a11", T("2026-10-01"), "deferred", T("2026-10-03"), T("2026-12-10"), "account_manager"),
        ("o5", "a13", T("2026-08-20"), "rejected", T("2026-09-01"), None, "account_manager"),
        ("o6", "a14", T("2026-11-10"), "rejected", T("2026-11-26"), None, "account_manager"),
        ("o7", "a15", T("2026-11-24"), "accepted", T("2026-11-24"), None, "account_manager"),
        ("o8", "a16", T("2026-11-01"), "deferred", T("2026-11-02"), T("2026-11-20"), "automated"),
        ("o9", "a16", T("2026-11-05"), "deferred", T("2026-11-06"), T("2026-11-20"), "automated"),
        ("o10", "a01", T("2026-11-25"), "rejected", T("2026-11-25"), None, "account_manager"),  # at as_of: not yet known
    ]
    return pd.DataFrame(rows, columns=["offer_id", "account_id", "offered_at", "outcome", "outcome_at", "reenter_at", "owner_role"]).assign(
        offer_type="tier_upgrade", channel="email")


def _accounts() -> pd.DataFrame:
    ids = [f"a{i:02d}" for i in range(1, 17)]
    return pd.DataFrame({"account_id": ids, "owner_id": [f"u{i[1:]}" for i in ids]})


def test_hand_checked_decisions(tiny) -> None:
    out = decide(_scored(), tiny, _offers(), AS_OF, _accounts())
    assert tuple(out.columns) == DECISION_COLUMNS
    assert out["account_id"].tolist() == sorted(out["account_id"])
    got = {r.account_id: r for r in out.itertuples()}
    am_full = "account_manager at weekly capacity (2/week, 1 used before today): am_call → upgrade_email"
    expected = {  # account: (band, triggers, path, final, action, owner_role, owner_id, priority, ev, due, note)
        "a01": ("hot", "seat_limit", "seat_limit>health>gate>am_call>upgrade_email", "upgrade_email", "upgrade_email",
                "automated", None, 1, 90.0, "2026-11-26", am_full),
        "a02": ("hot", "seat_limit;renewal", "seat_limit>health>gate>am_call>upgrade_email", "upgrade_email", "upgrade_email",
                "automated", None, 2, 80.0, "2026-11-26", am_full),
        "a03": ("hot", "renewal", "renewal>health>gate>am_call>upgrade_email", "upgrade_email", "upgrade_email",
                "automated", None, 3, 70.0, "2026-11-26", am_full),
        "a04": ("warm", "seat_limit", "seat_limit>health>gate>upgrade_email", "upgrade_email", "upgrade_email",
                "automated", None, 4, 30.0, "2026-11-26", None),
        "a05": ("cold", "seat_limit", "seat_limit>health>gate>nurture", "nurture", None, None, None, None, None, None, None),
        "a06": ("hot", "seat_limit", "seat_limit>health>fix_first", "fix_first", None, None, None, None, None, None, None),
        "a07": ("hot", None, "no_trigger", "no_trigger", None, None, None, None, None, None, None),
        "a10": ("warm", "seat_limit", "follow_up>upgrade_email", "upgrade_email", "upgrade_email",
                "automated", None, 5, 30.0, "2026-11-26", None),
        "a12": (None, "seat_limit", "seat_limit>health>gate>nurture", "nurture", None, None, None, None, None, None, None),
        "a13": ("hot", "seat_limit", "seat_limit>health>gate>am_call", "am_call", "am_call",
                "account_manager", "u13", 1, 950.0, "2026-11-28", None),
    }
    for acc, (band, trig, path, final, action, role, owner, prio, ev, due, note) in expected.items():
        r = got[acc]
        assert (_na(r.score_band), _na(r.triggers), r.decision_path, r.final_node) == (band, trig, path, final), acc
        assert (_na(r.action), _na(r.owner_role), _na(r.owner_id)) == (action, role, owner), acc
        assert (None if pd.isna(r.priority) else int(r.priority)) == prio, acc
        assert (None if np.isnan(r.expected_value) else round(r.expected_value, 6)) == ev, acc
        assert (None if pd.isna(r.due_at) else r.due_at.strftime("%Y-%m-%d")) == due, acc
        assert _na(r.capacity_note) == note, acc
        assert _na(r.suppression_reason) is None, acc
    suppressed = {
        "a08": "rejected on 2026-10-30: cool-down until 2026-12-29",
        "a09": "pending offer since 2026-11-20: not duplicated",
        "a11": "deferred: re-entry on 2026-12-10",
        "a14": "pending offer since 2026-11-10: not duplicated",  # its rejection is dated after as_of
        "a15": "accepted on 2026-11-24: out of the upsell flow until 2027-02-22",
        "a16": "contact limit: 2 offer(s) in the last 30 days (max 2)",
    }
    for acc, reason in suppressed.items():
        r = got[acc]
        assert r.final_node == "suppressed" and r.decision_path.endswith(">am_call>suppressed" if r.score_band == "hot"
                                                                         else ">suppressed"), acc
        assert _na(r.action) is None and pd.isna(r.priority) and pd.isna(r.due_at), acc
        assert r.suppression_reason == reason, acc
    assert got["a16"].decision_path == "seat_limit>health>gate>upgrade_email>suppressed"


def _na(value: object) -> object:
    return None if pd.isna(value) else value


def test_output_is_deterministic_and_independent_of_input_order(tiny) -> None:
    scored, offers = _scored(), _offers()
    first = decide(scored, tiny, offers, AS_OF, _accounts())
    again = decide(scored.iloc[::-1], tiny, offers.iloc[::-1], AS_OF, _accounts().iloc[::-1])
    pd.testing.assert_frame_equal(first, again)


def test_owner_ids_come_from_the_accounts_table_whatever_its_order_or_extra_rows(tiny) -> None:
    accounts = pd.concat([_accounts(), pd.DataFrame({"account_id": ["zz1", "a00"], "owner_id": ["ux", "uy"]})])
    accounts.loc[accounts["account_id"] == "a13", "owner_id"] = None
    out = decide(_scored(), tiny, None, AS_OF, accounts.iloc[::-1].reset_index(drop=True)).set_index("account_id")
    am = out[out["action"] == "am_call"]
    assert am.index.tolist() == ["a01", "a13"] and am["owner_id"].isna().tolist() == [False, True]
    assert am.loc["a01", "owner_id"] == "u01"
    assert out["owner_id"].notna().sum() == 1  # only where the account's owner gets the action


def test_an_account_listed_twice_for_an_owner_action_is_an_error(tiny) -> None:
    accounts = pd.concat([_accounts(), pd.DataFrame({"account_id": ["a13"], "owner_id": ["u99"]})])
    with pytest.raises(UpsellError, match="accounts.account_id: ids must be unique; duplicated e.g. \\['a13'\\]"):
        decide(_scored(), tiny, None, AS_OF, accounts)


def test_no_offers_table_means_no_suppression(tiny) -> None:
    out = decide(_scored(), tiny, None, AS_OF)
    assert out["suppression_reason"].isna().all()
    assert out["owner_id"].isna().all()  # no accounts frame: nobody to name
    am = out[out["action"] == "am_call"]
    assert am["account_id"].tolist() == ["a01", "a13"]  # a13 (0.95), then a01/a08/a14/a15 tie at 0.90: a01 wins
    assert sorted(am["priority"]) == [1, 2] and am.set_index("account_id").loc["a13", "priority"] == 1
    assert (out["owner_role"] == "account_manager").sum() == 2  # capacity 2, none used this week


def test_follow_up_gives_up_after_max_and_silence_counts_as_rejection(tiny) -> None:
    scored = pd.DataFrame({"account_id": ["x"], "score": [0.3], "use_util_last": [0.95]})
    offers = pd.DataFrame({
        "offer_id": ["1", "2"], "account_id": ["x", "x"],
        "offered_at": [T("2026-10-01"), T("2026-10-20")], "outcome": ["no_response", "no_response"],
        "outcome_at": [T("2026-10-05"), T("2026-10-25")], "offer_type": "t", "channel": "email",
    })
    out = decide(scored, tiny, offers, AS_OF)
    assert out.loc[0, "final_node"] == "suppressed"
    assert out.loc[0, "suppression_reason"] == ("no response to 2 offer(s), last on 2026-10-25: treated as a rejection, "
                                                "cool-down until 2026-12-24")
    later = decide(scored, tiny, offers, "2027-01-05")
    assert later.loc[0, "final_node"] == "upgrade_email"  # cool-down over: back to the normal flow
    assert later.loc[0, "decision_path"] == "seat_limit>health>gate>upgrade_email"


def test_follow_up_waits_for_its_day(tiny) -> None:
    scored = pd.DataFrame({"account_id": ["x"], "score": [0.3], "use_util_last": [0.95]})
    offers = pd.DataFrame({"offer_id": ["1"], "account_id": ["x"], "offered_at": [T("2026-11-18")],
                           "outcome": ["no_response"], "outcome_at": [T("2026-11-20")], "offer_type": "t", "channel": "email"})
    out = decide(scored, tiny, offers, AS_OF)
    assert out.loc[0, "suppression_reason"] == "no response to the offer of 2026-11-20: follow-up due on 2026-11-27"


def test_defer_fallback_and_capacity_used_this_week(tiny) -> None:
    text = TINY_PATH.read_text().replace("capacity: {fallback: automated_action, fallback_action: upgrade_email}",
                                         "capacity: {fallback: defer}")
    pb = parse_playbook(text, "defer.yaml")
    scored = pd.DataFrame({"account_id": ["b", "a", "c"], "score": [0.9, 0.9, 0.6], "use_util_last": [0.95] * 3})
    offers = pd.DataFrame({"offer_id": ["1"], "account_id": ["zz"], "offered_at": [T("2026-11-23 09:00")],
                           "outcome": ["pending"], "offer_type": "t", "channel": "call", "owner_role": ["account_manager"]})
    out = decide(scored, pb, offers, AS_OF).set_index("account_id")
    # one AM slot left; a and b tie on expected value: account_id decides
    assert out.loc["a", "action"] == "am_call" and out.loc["a", "priority"] == 1
    for acc in ("b", "c"):
        assert out.loc[acc, "final_node"] == "capacity_deferred" and pd.isna(out.loc[acc, "action"])
        assert out.loc[acc, "decision_path"] == "seat_limit>health>gate>am_call>capacity_deferred"
        assert out.loc[acc, "capacity_note"] == ("account_manager at weekly capacity (2/week, 1 used before today): "
                                                 "deferred to next week (2026-11-30)")


def test_overflow_to_a_capacity_limited_fallback_is_deferred_when_that_is_full_too(tiny) -> None:
    text = TINY_PATH.read_text().replace("  automated: {weekly_capacity: null}", "  automated: {weekly_capacity: 1}")
    pb = parse_playbook(text, "tight.yaml")
    scored = pd.DataFrame({"account_id": list("abcd"), "score": [0.9, 0.8, 0.7, 0.6], "use_util_last": [0.95] * 4})
    out = decide(scored, pb, None, AS_OF).set_index("account_id")
    assert out["final_node"].tolist() == ["am_call", "am_call", "upgrade_email", "capacity_deferred"]
    assert out.loc["d", "decision_path"] == "seat_limit>health>gate>am_call>upgrade_email>capacity_deferred"
    assert "automated at weekly capacity (1/week" in out.loc["d", "capacity_note"]


def test_scope_from_objective_segments(tiny) -> None:
    text = TINY_PATH.read_text().replace("  revenue_target: 1000", "  revenue_target: 1000\n  segments: [enterprise]")
    pb = parse_playbook(text, "scoped.yaml")
    scored = pd.DataFrame({"account_id": ["a", "b", "c"], "score": [0.3] * 3, "use_util_last": [0.95] * 3})
    accounts = pd.DataFrame({"account_id": ["a", "b", "c"], "segment": ["enterprise", "smb", None]})
    out = decide(scored, pb, None, AS_OF, accounts)
    assert out["final_node"].tolist() == ["upgrade_email", "out_of_scope", "out_of_scope"]
    with pytest.raises(UpsellError, match="objective.segments limits the scope"):
        decide(scored, pb, None, AS_OF)


def test_missing_feature_columns_are_missing_values_and_reported(tiny, caplog) -> None:
    out = decide(pd.DataFrame({"account_id": ["a"], "score": [0.9]}), tiny, None, AS_OF)
    assert out.loc[0, "final_node"] == "no_trigger"
    assert out.attrs["missing_features"] == ["sub_days_to_renewal", "sup_open_critical", "use_util_last"]
    assert "treated as missing" in caplog.text


@pytest.mark.parametrize(("scored", "message"), [
    (pd.DataFrame({"account_id": ["a", "a"], "score": [0.1, 0.2]}), "ids must be unique"),
    (pd.DataFrame({"account_id": ["a"]}), "missing column 'score'"),
    (pd.DataFrame({"account_id": ["a"], "score": [1.5]}), r"must be in \[0, 1\]"),
    (pd.DataFrame({"account_id": [None], "score": [0.5]}), "missing id"),
])
def test_bad_scored_input_is_a_clear_error(tiny, scored: pd.DataFrame, message: str) -> None:
    with pytest.raises(UpsellError, match=message):
        decide(scored, tiny, None, AS_OF)


def test_bad_offers_input_is_a_clear_error(tiny) -> None:
    offers = pd.DataFrame({"account_id": ["a"], "offered_at": [T("2026-01-01")]})
    with pytest.raises(UpsellError, match=r"offers: missing column\(s\) \['outcome'\]"):
        decide(pd.DataFrame({"account_id": ["a"], "score": [0.5]}), tiny, offers, AS_OF)


@pytest.mark.parametrize("name", ["saas", "ecommerce", "b2b_services", "telecom"])
def test_shipped_playbooks_decide_on_fixture_scores(name: str) -> None:
    rng = np.random.default_rng(7)
    n = 400
    pb = resolve_playbook(name)
    texts = [t.when for t in pb.triggers] + [b.when for nd in pb.nodes.values() for b in nd.branches]
    names = sorted(set().union(*(parse_condition(t).names for t in texts)))
    frame = pd.DataFrame({"account_id": [f"acc{i:04d}" for i in range(n)], "score": rng.uniform(0, 1, n)})
    for col in names:
        if col in ("score", "score_band"):
            continue
        if col == "acct_segment":
            frame[col] = rng.choice(["smb", "mid_market", "enterprise"], n)
        elif col == "sub_is_active":
            frame[col] = rng.choice([0, 1], n, p=[0.1, 0.9])
        elif col.endswith(("_util_last", "_util_max_30d")):
            frame[col] = rng.uniform(0.3, 1.3, n)
        elif col.startswith("sub_n_") or col.startswith("sup_open") or col.startswith("sup_high") or col == "off_rejected_365d":
            frame[col] = rng.poisson(0.2, n)
        else:
            frame[col] = rng.uniform(0, 100, n)
    out = decide(frame, pb, None, AS_OF)
    assert len(out) == n and out["final_node"].notna().all()
    assert out["action"].notna().sum() > 0
    for role, spec in pb.roles.items():
        if spec.weekly_capacity is not None:
            assert (out["owner_role"] == role).sum() <= spec.weekly_capacity
    acted = out[out["action"].notna()]
    assert (acted["final_node"] == acted["action"]).all()
    assert (out["decision_path"].str.split(">").str[-1] == out["final_node"]).all()


def test_a_stale_pending_offer_counts_as_unanswered_when_the_playbook_says_so(tiny) -> None:
    text = TINY_PATH.read_text().replace("max_follow_ups: 1}", "max_follow_ups: 1, pending_counts_after_days: 20}")
    pb = parse_playbook(text, "stale.yaml")
    scored = pd.DataFrame({"account_id": ["old", "new"], "score": [0.3, 0.3], "use_util_last": [0.95, 0.95]})
    offers = pd.DataFrame({"offer_id": ["1", "2"], "account_id": ["old", "new"],
                           "offered_at": [T("2026-10-01"), T("2026-11-15")], "outcome": ["pending", "pending"],
                           "offer_type": "t", "channel": "email"})
    out = decide(scored, pb, offers, AS_OF).set_index("account_id")
    assert out.loc["old", "decision_path"] == "follow_up>upgrade_email"  # silent since 2026-10-21, follow-up due 10-28
    assert out.loc["new", "suppression_reason"] == "pending offer since 2026-11-15: not duplicated"
    plain = decide(scored, tiny, offers, AS_OF).set_index("account_id")  # tiny does not set it: pending is pending
    assert plain.loc["old", "suppression_reason"] == "pending offer since 2026-10-01: not duplicated"


def test_offers_tied_on_offered_at_are_ordered_by_offer_id_read_only_for_the_tied_rows() -> None:
    from pipeline.playbook.suppression import _latest_order

    day = np.datetime64("2026-11-01", "ns")
    row = np.array([1, 0, 0, 0])
    offered = np.array([day, day, day, day - np.timedelta64(1, "D")])
    ids = np.array(["7", "9", "10", "1"], dtype=object)
    asked: list[list[int]] = []

    def offer_ids(rows: np.ndarray) -> np.ndarray:
        asked.append(sorted(rows.tolist()))
        return ids[rows]

    order = _latest_order(row, offered, offer_ids)
    # account 0: the day-before offer first, then "10" < "9" as text; account 1 last
    assert order.tolist() == [3, 2, 1, 0]
    assert asked == [[1, 2]]  # only the two offers that tie on (account, offered_at)

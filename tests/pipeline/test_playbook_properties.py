"""Property tests of decide(): invariants that must hold for any scores, features and offers history."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.playbook import decide, parse_playbook
from pipeline.playbook.capacity import week_start
from pipeline.playbook.schema import RESERVED_IDS

TINY = (Path(__file__).parent / "playbook_fixtures" / "tiny.yaml").read_text()
AS_OF = pd.Timestamp("2026-11-25")
OUTCOMES = ["accepted", "rejected", "deferred", "no_response", "pending"]
ROLES = ["account_manager", "automated", "sales_rep"]

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
maybe_nan = lambda s: st.one_of(st.just(np.nan), s)  # noqa: E731


@st.composite
def worlds(draw):
    n = draw(st.integers(1, 25))
    ids = [f"acc{i:03d}" for i in draw(st.permutations(range(n)))]
    scored = pd.DataFrame({
        "account_id": ids,
        "score": draw(st.lists(maybe_nan(st.floats(0, 1)), min_size=n, max_size=n)),
        "use_util_last": draw(st.lists(maybe_nan(st.floats(0, 1.5)), min_size=n, max_size=n)),
        "sub_days_to_renewal": draw(st.lists(maybe_nan(st.integers(-30, 400).map(float)), min_size=n, max_size=n)),
        "sup_open_critical": draw(st.lists(st.sampled_from([0, 0, 0, 1]), min_size=n, max_size=n)),
    })
    offer_rows = draw(st.lists(st.tuples(
        st.sampled_from(ids), st.integers(-200, 3), st.sampled_from(OUTCOMES),
        st.one_of(st.none(), st.integers(0, 30)), st.one_of(st.none(), st.integers(-60, 90)), st.sampled_from(ROLES),
    ), max_size=30))
    offers = pd.DataFrame({
        "offer_id": [f"o{i}" for i in range(len(offer_rows))],
        "account_id": [r[0] for r in offer_rows],
        "offered_at": [AS_OF + pd.Timedelta(days=r[1]) for r in offer_rows],
        "outcome": [r[2] for r in offer_rows],
        "outcome_at": [None if r[3] is None or r[2] == "pending" else AS_OF + pd.Timedelta(days=r[1] + r[3]) for r in offer_rows],
        "reenter_at": [None if r[4] is None or r[2] != "deferred" else AS_OF + pd.Timedelta(days=r[4]) for r in offer_rows],
        "owner_role": [r[5] for r in offer_rows],
        "offer_type": "tier_upgrade", "channel": "email",
    })
    for col in ("offered_at", "outcome_at", "reenter_at"):
        offers[col] = pd.to_datetime(offers[col])
    am_cap = draw(st.integers(0, 6))
    auto_cap = draw(st.one_of(st.none(), st.integers(0, 6)))
    fallback = draw(st.sampled_from(["automated_action", "defer"]))
    text = TINY.replace("account_manager: {weekly_capacity: 2}", f"account_manager: {{weekly_capacity: {am_cap}}}")
    text = text.replace("automated: {weekly_capacity: null}", f"automated: {{weekly_capacity: {'null' if auto_cap is None else auto_cap}}}")
    if fallback == "defer":
        text = text.replace("capacity: {fallback: automated_action, fallback_action: upgrade_email}", "capacity: {fallback: defer}")
    return scored, offers, parse_playbook(text, "tiny-variant.yaml")


def _known_at(offers: pd.DataFrame) -> pd.DataFrame:
    """Offers as known at AS_OF (made before it; outcome dated before it, else pending)."""
    made = offers[offers["offered_at"] < AS_OF].copy()
    known = made["outcome_at"].isna() | (made["outcome_at"] < AS_OF)
    made["effective"] = made["outcome"].where(known, "pending")
    made["known_at"] = made["outcome_at"].where(known).fillna(made["offered_at"])
    return made


@FAST
@given(worlds())
def test_every_account_ends_in_exactly_one_final_node(world) -> None:
    _check_one_final_node(*world)


@FAST
@given(worlds())
def test_no_role_gets_more_than_its_capacity(world) -> None:
    _check_capacity(*world)


@FAST
@given(worlds())
def test_a_rejection_inside_the_cool_down_never_yields_a_new_action(world) -> None:
    _check_suppression(*world)


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # 200 took 26 s of CI
@given(worlds())
def test_all_invariants_many_examples(world) -> None:
    _check_one_final_node(*world)
    _check_capacity(*world)
    _check_suppression(*world)


def _check_one_final_node(scored: pd.DataFrame, offers: pd.DataFrame, pb) -> None:
    out = decide(scored, pb, offers, AS_OF)
    assert sorted(out["account_id"]) == sorted(scored["account_id"]) and out["account_id"].is_unique
    defined = set(pb.nodes) | set(pb.actions) | set(pb.exits) | set(RESERVED_IDS)
    assert out["final_node"].notna().all() and set(out["final_node"]) <= defined
    assert not set(out["final_node"]) & set(pb.nodes)  # never stuck on a decision node
    assert (out["decision_path"].str.split(">").str[-1] == out["final_node"]).all()
    acted = out["action"].notna()
    assert (out.loc[acted, "final_node"] == out.loc[acted, "action"]).all()
    assert out.loc[~acted, "expected_value"].isna().all() and out.loc[acted, "due_at"].notna().all()


def _check_capacity(scored: pd.DataFrame, offers: pd.DataFrame, pb) -> None:
    out = decide(scored, pb, offers, AS_OF)
    this_week = offers[(offers["offered_at"] >= week_start(AS_OF)) & (offers["offered_at"] < AS_OF)]
    for role, spec in pb.roles.items():
        if spec.weekly_capacity is None:
            continue
        left = max(spec.weekly_capacity - int((this_week["owner_role"] == role).sum()), 0)
        assigned = out[out["owner_role"] == role]
        assert len(assigned) <= left, role
        assert sorted(assigned["priority"]) == list(range(1, len(assigned) + 1))


def _check_suppression(scored: pd.DataFrame, offers: pd.DataFrame, pb) -> None:
    out = decide(scored, pb, offers, AS_OF).set_index("account_id")
    made = _known_at(offers)
    cool = pd.Timedelta(days=pb.exit_paths.rejected.cool_down_days)
    cooling = made[(made["effective"] == "rejected") & (made["known_at"] + cool > AS_OF)]["account_id"].unique()
    pending = made[made["effective"] == "pending"]["account_id"].unique()
    window = made[made["offered_at"] >= AS_OF - pd.Timedelta(days=pb.contact_limits.window_days)]
    at_limit = window.groupby("account_id").size()
    at_limit = at_limit[at_limit >= pb.contact_limits.max_contacts].index
    for acc in set(cooling) | set(pending) | set(at_limit):
        if acc in out.index:
            assert pd.isna(out.loc[acc, "action"]), (acc, out.loc[acc].to_dict())

"""Property tests: nothing dated on or after the cutoff (or not yet true at it) can move a feature,
and labels see only [cutoff, cutoff + horizon).

Random small data sets are drawn with hypothesis; a perturbation then deletes, changes and adds
rows dated on or after the cutoff, and rewrites fields that only become true after it (a later
close time and CSAT, a later offer outcome, a later end of a plan period).
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.tables import Tables
from features import build_features, build_labels

BASE = pd.Timestamp("2023-07-01")
HORIZON = 30
ACCOUNTS = [f"acc{i}" for i in range(4)]
# Each example builds features twice (~1-3 s of Ibis compile on this machine): a few examples in
# the default run, more in the slow run (10 each: at 40 the three slow properties took ~5 minutes
# of CI's 20 on 2 cores; UPSELL_PROPERTY_EXAMPLES=200 searches longer on demand).
QUICK = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(max_examples=int(os.environ.get("UPSELL_PROPERTY_EXAMPLES", "10")), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _t(day: int, half: bool = False) -> pd.Timestamp:
    return BASE + pd.Timedelta(days=day, hours=12 if half else 0)


acct = st.sampled_from(range(len(ACCOUNTS)))
day = st.integers(0, 240)
half = st.booleans()
sub_row = st.tuples(acct, day, half, st.one_of(st.none(), st.integers(0, 200)), st.floats(0, 500),
                    st.sampled_from(["churned", "upgraded", "downgraded", "renewed", "cancelled", None]))
pur_row = st.tuples(acct, day, half, st.floats(0, 100), st.sampled_from(["x", "y", None]))
use_row = st.tuples(acct, day, st.sampled_from(["m1", "Metric 2"]), st.floats(0, 20),
                    st.one_of(st.none(), st.floats(1, 20)), st.integers(0, 9))
tic_row = st.tuples(acct, day, half, st.one_of(st.none(), st.integers(0, 60)),
                    st.sampled_from(["low", "medium", "high", "critical"]), st.one_of(st.none(), st.integers(1, 5)))
off_row = st.tuples(acct, day, st.sampled_from(["accepted", "rejected", "deferred", "no_response", "pending"]),
                    st.one_of(st.none(), st.integers(0, 40)), st.one_of(st.none(), st.integers(0, 90)), st.booleans())


@st.composite
def datasets(draw) -> dict[str, pd.DataFrame]:
    created = draw(st.lists(st.integers(0, 200), min_size=len(ACCOUNTS), max_size=len(ACCOUNTS)))
    accounts = pd.DataFrame({"account_id": ACCOUNTS, "created_at": [_t(d) for d in created],
                             "industry": draw(st.lists(st.sampled_from(["a", "b"]), min_size=4, max_size=4))})
    subs = draw(st.lists(sub_row, max_size=8))
    purs = draw(st.lists(pur_row, max_size=10))
    uses = draw(st.lists(use_row, max_size=25))
    tics = draw(st.lists(tic_row, max_size=8))
    offs = draw(st.lists(off_row, max_size=8))
    return {
        "accounts": accounts,
        "subscriptions": _subs([(ACCOUNTS[a], _t(d, h), None if n is None else _t(d + n, h), m, r if n is not None else None)
                                for a, d, h, n, m, r in subs]),
        "purchases": _purchases([(ACCOUNTS[a], _t(d, h), amt, c) for a, d, h, amt, c in purs]),
        "usage": _usage([(ACCOUNTS[a], _t(d).date(), m, v, q, u) for a, d, m, v, q, u in uses]),
        "support_tickets": _tickets([(ACCOUNTS[a], _t(d, h), None if n is None else _t(d + n, h), s,
                                      c if n is not None else None) for a, d, h, n, s, c in tics]),
        "offers": _offers([(ACCOUNTS[a], _t(d), o, None if n is None else _t(d + n),
                            None if r is None else _t(d + r), c) for a, d, o, n, r, c in offs]),
    }


def _ts(values) -> pd.Series:
    return pd.Series(list(values), dtype="datetime64[us]")


def _subs(rows) -> pd.DataFrame:
    return pd.DataFrame({
        "subscription_id": [f"s{i}" for i in range(len(rows))], "account_id": pd.Series([r[0] for r in rows], dtype="str"),
        "plan_tier": pd.Series([f"tier{int(r[3]) // 100}" for r in rows], dtype="str"),
        "started_at": _ts(r[1] for r in rows), "ended_at": _ts(r[2] for r in rows),
        "renewal_at": _ts(r[1] + pd.Timedelta(days=365) for r in rows),
        "mrr": pd.Series([r[3] for r in rows], dtype="float64"),
        "seats": pd.array([int(r[3]) // 10 for r in rows], dtype="Int64"),
        "end_reason": pd.Series([r[4] for r in rows], dtype="str"),
    })


def _purchases(rows) -> pd.DataFrame:
    return pd.DataFrame({
        "order_id": [f"p{i}" for i in range(len(rows))], "account_id": pd.Series([r[0] for r in rows], dtype="str"),
        "ordered_at": _ts(r[1] for r in rows), "amount": pd.Series([r[2] for r in rows], dtype="float64"),
        "category": pd.Series([r[3] for r in rows], dtype="str"),
    })


def _usage(rows) -> pd.DataFrame:
    seen, unique = set(), []
    for r in rows:
        if (r[0], r[1], r[2]) not in seen:
            seen.add((r[0], r[1], r[2]))
            unique.append(r)
    return pd.DataFrame({
        "account_id": pd.Series([r[0] for r in unique], dtype="str"),
        "usage_date": pd.Series([pd.Timestamp(r[1]) for r in unique], dtype="datetime64[us]"),
        "metric": pd.Series([r[2] for r in unique], dtype="str"),
        "value": pd.Series([r[3] for r in unique], dtype="float64"),
        "quota": pd.Series([r[4] for r in unique], dtype="float64"),
        "active_users": pd.array([r[5] for r in unique], dtype="Int64"),
    })


def _tickets(rows) -> pd.DataFrame:
    return pd.DataFrame({
        "ticket_id": [f"k{i}" for i in range(len(rows))], "account_id": pd.Series([r[0] for r in rows], dtype="str"),
        "opened_at": _ts(r[1] for r in rows), "closed_at": _ts(r[2] for r in rows),
        "severity": pd.Series([r[3] for r in rows], dtype="str"), "csat": pd.array([r[4] for r in rows], dtype="Int64"),
    })


def _offers(rows) -> pd.DataFrame:
    return pd.DataFrame({
        "offer_id": [f"f{i}" for i in range(len(rows))], "account_id": pd.Series([r[0] for r in rows], dtype="str"),
        "offered_at": _ts(r[1] for r in rows), "offer_type": pd.Series(["tier_upgrade"] * len(rows), dtype="str"),
        "channel": pd.Series(["email"] * len(rows), dtype="str"), "outcome": pd.Series([r[2] for r in rows], dtype="str"),
        "outcome_at": _ts(r[3] for r in rows), "reenter_at": _ts(r[4] for r in rows),
        "is_control": pd.array([r[5] for r in rows], dtype="boolean"),
    })


TIME = {"accounts": "created_at", "subscriptions": "started_at", "purchases": "ordered_at", "usage": "usage_date",
        "support_tickets": "opened_at", "offers": "offered_at"}


def _after(frames: dict[str, pd.DataFrame], cutoff: pd.Timestamp, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Delete, change and add rows dated on or after ``cutoff``; rewrite fields not yet true at it."""
    out = {}
    for name, frame in frames.items():
        f = frame.copy()
        late = f[TIME[name]] >= cutoff
        if name != "accounts":
            keep = ~late | (rng.random(len(f)) < 0.5)  # delete about half of the late rows
            f = f[keep].reset_index(drop=True)
            late = late[keep].reset_index(drop=True)
        later_times = _ts(cutoff + pd.Timedelta(days=int(d), hours=int(h))
                          for d, h in zip(rng.integers(0, 60, len(f)), rng.integers(0, 24, len(f))))
        if name == "usage":
            later_times = later_times.dt.normalize()
        if name == "accounts":
            f.loc[late, "industry"] = "changed"
        else:  # move the surviving late rows around (still late) and change their values
            f.loc[late, TIME[name]] = later_times[late]
            for col in ("mrr", "amount", "value"):
                if col in f:
                    f.loc[late, col] = f.loc[late, col] * 3 + 1
        if name == "support_tickets":
            closes_late = f.closed_at.notna() & (f.closed_at >= cutoff)
            f.loc[closes_late, "closed_at"] = later_times[closes_late]
            f.loc[closes_late, "csat"] = 1
            f.loc[f.opened_at > f.closed_at, "closed_at"] = f.opened_at
        if name == "offers":
            decides_late = f.outcome_at.notna() & (f.outcome_at >= cutoff)
            f.loc[decides_late, "outcome"] = "accepted"
            f.loc[decides_late, "outcome_at"] = later_times[decides_late]
            f.loc[decides_late, "reenter_at"] = later_times[decides_late]
        if name == "subscriptions":
            ends_late = f.ended_at.notna() & (f.ended_at >= cutoff)
            f.loc[ends_late, "ended_at"] = later_times[ends_late]
            f.loc[ends_late, "end_reason"] = "churned"
            f.loc[f.started_at > f.ended_at, "ended_at"] = f.started_at
        out[name] = f
    extra = _new_rows(cutoff, rng)
    for name, rows in extra.items():
        if name in out:
            out[name] = pd.concat([out[name], rows], ignore_index=True)
    out["accounts"] = pd.concat([out["accounts"], pd.DataFrame({
        "account_id": ["late_account"], "created_at": _ts([cutoff]), "industry": ["z"]})], ignore_index=True)
    return out


def _new_rows(cutoff: pd.Timestamp, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    a = ACCOUNTS[int(rng.integers(0, len(ACCOUNTS)))]
    at = cutoff + pd.Timedelta(days=int(rng.integers(0, 40)))
    return {
        "subscriptions": _subs([(a, at, None, 999.0, None)]).assign(subscription_id="s_new"),
        "purchases": _purchases([(a, at, 50.0, "new_category")]).assign(order_id="p_new"),
        "usage": _usage([(a, at.date(), "brand_new_metric", 5.0, 1.0, 3), (a, at.date(), "m1", 7.0, 1.0, 3)]),
        "support_tickets": _tickets([(a, at, None, "critical", None)]).assign(ticket_id="k_new"),
        "offers": _offers([(a, at, "accepted", at, None, False)]).assign(offer_id="f_new"),
    }


def _features(frames: dict[str, pd.DataFrame], cutoff: pd.Timestamp) -> pd.DataFrame:
    return build_features(Tables.from_frames(frames), [cutoff])


def _assert_same_features(before: pd.DataFrame, after: pd.DataFrame) -> None:
    common = [c for c in before.columns if c in after.columns]
    pd.testing.assert_frame_equal(before[common], after[common], check_exact=False, rtol=1e-9)
    for col in set(after.columns) - set(before.columns):  # e.g. a metric first seen after the cutoff
        vals = after[col]
        assert vals.isna().all() or (vals.fillna(0) == 0).all(), col


def check_features_ignore_the_future(frames, cut_day, seed) -> None:
    cutoff = _t(cut_day)
    before = _features(frames, cutoff)
    after = _features(_after(frames, cutoff, np.random.default_rng(seed)), cutoff)
    _assert_same_features(before, after)


def check_labels_see_only_their_horizon(frames, cut_day, seed) -> None:
    cutoff = _t(cut_day)
    end = cutoff + pd.Timedelta(days=HORIZON)
    rng = np.random.default_rng(seed)
    changed = _after(frames, end, rng)  # everything from the end of the horizon on
    # purchases before the cutoff, and offers decided before it, are outside the window too
    p = changed["purchases"]
    early = p.ordered_at < cutoff
    changed["purchases"] = pd.concat([p[~early | (rng.random(len(p)) < 0.5)],
                                      _purchases([(ACCOUNTS[0], cutoff - pd.Timedelta(days=3), 9.0, "x")])
                                      .assign(order_id="p_early")], ignore_index=True)
    o = changed["offers"]
    decided_early = o.outcome.ne("pending") & o.outcome_at.fillna(o.offered_at).lt(cutoff)
    changed["offers"] = o[~decided_early | (rng.random(len(o)) < 0.5)].reset_index(drop=True)
    for label in ("expansion", "purchase"):
        kw = {"label": label, "horizon_days": HORIZON, "addon_categories": ["x"]}
        want = build_labels(Tables.from_frames(frames), [cutoff], **kw)
        got = build_labels(Tables.from_frames(changed), [cutoff], **kw)
        pd.testing.assert_frame_equal(want, got)


CASES = {"frames": datasets(), "cut_day": st.integers(30, 220), "seed": st.integers(0, 2**32 - 1)}


@QUICK
@given(**CASES)
def test_rows_on_or_after_the_cutoff_never_change_features(frames, cut_day, seed) -> None:
    check_features_ignore_the_future(frames, cut_day, seed)


@QUICK
@given(**CASES)
def test_labels_see_only_their_horizon(frames, cut_day, seed) -> None:
    check_labels_see_only_their_horizon(frames, cut_day, seed)


@pytest.mark.slow
@THOROUGH
@given(**CASES)
def test_rows_on_or_after_the_cutoff_never_change_features_thorough(frames, cut_day, seed) -> None:
    check_features_ignore_the_future(frames, cut_day, seed)


@pytest.mark.slow
@THOROUGH
@given(**CASES)
def test_labels_see_only_their_horizon_thorough(frames, cut_day, seed) -> None:
    check_labels_see_only_their_horizon(frames, cut_day, seed)


def test_perturbation_is_not_a_no_op() -> None:
    """Guard for the property tests: the perturbation does change features at a later cutoff."""
    frames = {name: fn for name, fn in {
        "accounts": pd.DataFrame({"account_id": ACCOUNTS, "created_at": _ts([_t(0)] * 4), "industry": ["a"] * 4}),
        "purchases": _purchases([(ACCOUNTS[0], _t(50), 10.0, "x")]),
    }.items()}
    cutoff = _t(40)
    changed = _after(frames, cutoff, np.random.default_rng(1))
    later = _t(120)
    assert not _features(frames, later).equals(_features(changed, later))


def check_many_cutoffs_equal_one_at_a_time(frames, cut_days) -> None:
    cutoffs = sorted({_t(d) for d in cut_days})
    tables = Tables.from_frames(frames)
    together = build_features(tables, cutoffs)
    metrics = sorted(set(frames["usage"].metric))
    one_by_one = pd.concat([build_features(tables, [c], metrics=metrics) for c in cutoffs], ignore_index=True)
    together = together[[c for c in together.columns if c in one_by_one.columns]]
    pd.testing.assert_frame_equal(together, one_by_one[together.columns], check_exact=False, rtol=1e-9)


@QUICK
@given(frames=datasets(), cut_days=st.lists(st.integers(30, 240), min_size=2, max_size=4))
def test_many_cutoffs_in_one_pass_equal_one_cutoff_at_a_time(frames, cut_days) -> None:
    check_many_cutoffs_equal_one_at_a_time(frames, cut_days)


@pytest.mark.slow
@THOROUGH
@given(frames=datasets(), cut_days=st.lists(st.integers(30, 240), min_size=2, max_size=6))
def test_many_cutoffs_in_one_pass_equal_one_cutoff_at_a_time_thorough(frames, cut_days) -> None:
    check_many_cutoffs_equal_one_at_a_time(frames, cut_days)


def test_fixture_many_close_cutoffs_equal_one_at_a_time() -> None:
    from tests.features.conftest import fixture_frames

    frames = fixture_frames()
    cutoffs = [pd.Timestamp(d) for d in ("2023-12-31", "2024-02-01", "2024-02-15", "2024-02-29", "2024-03-01",
                                         "2024-04-01", "2025-01-01")]
    tables = Tables.from_frames(frames)
    together = build_features(tables, cutoffs, metrics=["Seats Used", "api_calls"])
    one_by_one = pd.concat([build_features(tables, [c], metrics=["Seats Used", "api_calls"]) for c in cutoffs],
                           ignore_index=True)
    pd.testing.assert_frame_equal(together, one_by_one, check_exact=False, rtol=1e-9)

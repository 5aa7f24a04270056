"""The synthetic generator: contract shape, invariants, determinism, useful truth, the CLI."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from data.contract import COLUMNS, TABLE_NAMES
from data.errors import UpsellError
from data.synthetic import SCENARIOS, TRUTH, generate, write_dataset
from tests.data.synthetic_fixtures import END, N_ACCOUNTS, SEED, realised_labels, synthetic_sets  # noqa: F401

EXPECTED_TABLES = {
    "saas": {"accounts", "subscriptions", "usage", "support_tickets", "offers"},
    "telecom": {"accounts", "subscriptions", "usage", "support_tickets", "offers"},
    "b2b_services": {"accounts", "subscriptions", "usage", "support_tickets", "offers"},
    "ecommerce": {"accounts", "purchases", "offers"},
}
EXPECTED_METRICS = {
    "saas": {"seats_used", "api_calls", "storage_gb"},
    "telecom": {"data_gb", "voice_minutes"},
    "b2b_services": {"billable_hours", "milestones_completed"},
}
END_TS = pd.Timestamp(END)
scenarios = pytest.mark.parametrize("scenario", sorted(SCENARIOS))


def _tables(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {k: v for k, v in frames.items() if k != TRUTH}


@scenarios
def test_scenario_has_its_tables_and_metrics(synthetic_sets, scenario):
    frames = synthetic_sets[scenario]
    assert set(_tables(frames)) == EXPECTED_TABLES[scenario]
    assert len(frames["accounts"]) == N_ACCOUNTS
    for name, frame in _tables(frames).items():
        assert len(frame) > 0, name
    if scenario in EXPECTED_METRICS:
        assert set(frames["usage"]["metric"].unique()) == EXPECTED_METRICS[scenario]


@scenarios
def test_columns_and_kinds_follow_the_contract(synthetic_sets, scenario):
    for name, frame in _tables(synthetic_sets[scenario]).items():
        assert list(frame.columns) == [c.name for c in COLUMNS[name]], name
        for col in COLUMNS[name]:
            s = frame[col.name]
            where = f"{name}.{col.name}"
            if col.kind == "str":
                assert pd.api.types.is_string_dtype(s.dtype) and s.dtype != object, where
            elif col.kind in ("timestamp", "date"):
                assert s.dtype == np.dtype("datetime64[us]"), (where, s.dtype)
                if col.kind == "date":
                    assert (s.dt.normalize() == s).all(), where
            elif col.kind == "float":
                assert s.dtype == np.float64, where
            elif col.kind == "int":
                assert s.dtype == pd.Int64Dtype(), where
            elif col.kind == "bool":
                assert s.dtype == bool, where
            if not col.nullable:
                assert s.notna().all(), f"{where} has nulls"
            if col.allowed is not None:
                assert set(s.dropna().unique()) <= set(col.allowed), where
            values = s.dropna()
            if col.ge is not None:
                assert (values >= col.ge).all(), where
            if col.gt is not None:
                assert (values > col.gt).all(), where
            if col.le is not None:
                assert (values <= col.le).all(), where


@scenarios
def test_ids_unique_and_every_account_known(synthetic_sets, scenario):
    frames = synthetic_sets[scenario]
    known = set(frames["accounts"]["account_id"])
    for name, frame in _tables(frames).items():
        for col in COLUMNS[name]:
            if col.unique:
                assert frame[col.name].is_unique, f"{name}.{col.name}"
        assert set(frame["account_id"]) <= known, name
    if "usage" in frames:
        assert not frames["usage"].duplicated(["account_id", "usage_date", "metric"]).any()
    assert set(frames[TRUTH]["account_id"]) <= known


@scenarios
def test_every_timestamp_is_before_end_and_orders_hold(synthetic_sets, scenario):
    frames = synthetic_sets[scenario]
    for name, frame in _tables(frames).items():
        for col in COLUMNS[name]:
            # reenter_at and renewal_at are scheduled dates (future by nature), not observed events
            if col.kind in ("timestamp", "date") and col.name not in ("reenter_at", "renewal_at"):
                assert (frame[col.name].dropna() < END_TS).all(), f"{name}.{col.name}"
    t = frames.get("support_tickets")
    if t is not None:
        closed = t.dropna(subset=["closed_at"])
        assert (closed["closed_at"] >= closed["opened_at"]).all()
    o = frames["offers"]
    done = o.dropna(subset=["outcome_at"])
    assert (done["outcome_at"] >= done["offered_at"]).all()
    deferred = o[o["outcome"] == "deferred"]
    assert len(deferred) and (deferred["reenter_at"] > deferred["outcome_at"]).all()
    s = frames.get("subscriptions")
    if s is not None:
        ended = s.dropna(subset=["ended_at"])
        assert (ended["ended_at"] >= ended["started_at"]).all()
        assert (s["renewal_at"].dropna() > s.loc[s["renewal_at"].notna(), "started_at"]).all()
        # plan periods of one account chain without gaps or overlaps
        s = s.sort_values(["account_id", "started_at"])
        same = s["account_id"].eq(s["account_id"].shift(-1))
        assert (s["ended_at"][same] == s["started_at"].shift(-1)[same]).all()
    acc = frames["accounts"].set_index("account_id")["created_at"]
    for name, col in (("offers", "offered_at"), ("support_tickets", "opened_at"), ("purchases", "ordered_at")):
        if name in frames:
            f = frames[name]
            assert (f[col] >= f["account_id"].map(acc)).all(), name


@scenarios
def test_offers_record_the_legacy_process(synthetic_sets, scenario):
    o = synthetic_sets[scenario]["offers"]
    assert {"accepted", "rejected", "deferred", "no_response", "pending"} <= set(o["outcome"])
    pending = o[o["outcome"] == "pending"]
    assert pending["outcome_at"].isna().all()
    assert (pending["offered_at"] >= END_TS - pd.Timedelta(days=31)).all()
    control = o[o["is_control"]]
    assert 0.03 < len(control) / len(o) < 0.2
    assert (control["outcome"] == "no_response").all() and control["outcome_at"].isna().all()
    accepted = o[o["outcome"] == "accepted"]
    assert (accepted["revenue"] > 0).all()
    assert o.loc[o["outcome"] != "accepted", "revenue"].isna().all()
    assert set(o["owner_role"].dropna()) <= {"sales_rep", "account_manager", "customer_success", "automated"}
    assert o["owner_role"].isna().any()


@pytest.mark.parametrize("scenario", ["saas", "telecom", "b2b_services"])
def test_subscriptions_show_upgrades_renewals_and_churn(synthetic_sets, scenario):
    frames = synthetic_sets[scenario]
    s = frames["subscriptions"].sort_values(["account_id", "started_at"])
    reasons = set(s["end_reason"].dropna())
    assert {"upgraded", "renewed", "churned"} <= reasons
    nxt = s.groupby("account_id")["mrr"].shift(-1)
    assert (nxt[s["end_reason"] == "upgraded"] > s["mrr"][s["end_reason"] == "upgraded"]).all()
    assert (nxt[s["end_reason"] == "renewed"] == s["mrr"][s["end_reason"] == "renewed"]).all()
    assert (nxt[s["end_reason"] == "downgraded"] <= s["mrr"][s["end_reason"] == "downgraded"]).all()
    # an account that churned is gone: its churn row is its last row and its usage stops
    gone = s[s["end_reason"].isin(["churned", "cancelled"])]
    assert gone["account_id"].is_unique
    assert (gone.groupby("account_id")["started_at"].max()
            == s[s["account_id"].isin(gone["account_id"])].groupby("account_id")["started_at"].max()).all()
    u = frames["usage"]
    last_use = u.groupby("account_id")["usage_date"].max()
    churn_at = gone.set_index("account_id")["ended_at"]
    common = churn_at.index.intersection(last_use.index)
    assert len(common) > 10
    assert (last_use[common] < churn_at[common]).all()
    # every accepted offer is realised as a higher-mrr plan row at the same instant
    o = frames["offers"]
    acc = o[o["outcome"] == "accepted"][["account_id", "outcome_at"]]
    ups = s[s["mrr"] > s.groupby("account_id")["mrr"].shift(1)][["account_id", "started_at"]]
    joined = acc.merge(ups, left_on=["account_id", "outcome_at"], right_on=["account_id", "started_at"])
    assert len(joined) == len(acc)


def test_ecommerce_accepted_offers_are_add_on_purchases(synthetic_sets):
    frames = synthetic_sets["ecommerce"]
    o, p = frames["offers"], frames["purchases"]
    acc = o[o["outcome"] == "accepted"]
    addons = p[p["category"].isin(["accessories", "care_kits", "extended_warranty"])]
    joined = acc.merge(addons, left_on=["account_id", "outcome_at"], right_on=["account_id", "ordered_at"])
    assert len(joined) == len(acc) > 0
    assert np.allclose(joined["revenue"], joined["amount"])
    # every account's first order is its signup
    first = p.groupby("account_id")["ordered_at"].min()
    created = frames["accounts"].set_index("account_id")["created_at"]
    assert (first == created[first.index]).mean() > 0.99


@scenarios
def test_usage_quotas_positive_and_upgrades_relieve_pressure(synthetic_sets, scenario):
    frames = synthetic_sets[scenario]
    if "usage" not in frames:
        pytest.skip("no usage table in this scenario")
    u = frames["usage"]
    with_quota = u[u["quota"].notna()]
    assert (with_quota["quota"] > 0).all()
    assert u["quota"].isna().any()  # missing values in an optional column
    metric = {"saas": "seats_used", "telecom": "data_gb", "b2b_services": "billable_hours"}[scenario]
    m = u[(u["metric"] == metric) & u["quota"].notna()].assign(util=lambda d: d["value"] / d["quota"])
    s = frames["subscriptions"].sort_values(["account_id", "started_at"])
    ups = s[s["mrr"] > s.groupby("account_id")["mrr"].shift(1)][["account_id", "started_at"]]
    x = m.merge(ups, on="account_id")
    delta = (x["usage_date"] - x["started_at"]).dt.days
    before = x[(delta >= -30) & (delta < 0)]["util"].mean()
    after = x[(delta >= 1) & (delta <= 30)]["util"].mean()
    assert after < before - 0.1, (before, after)


@scenarios
def test_realistic_populations(synthetic_sets, scenario):
    frames = synthetic_sets[scenario]
    a = frames["accounts"]
    created_in_history = (a["created_at"] >= END_TS - pd.DateOffset(months=24)).mean()
    assert 0.3 < created_in_history < 0.8
    for col in ("industry", "region", "size_band"):
        assert a[col].isna().any() and a[col].notna().mean() > 0.6, col
    if "subscriptions" in frames:
        seats = frames["subscriptions"]["seats"].dropna().astype(float)
        mrr = frames["subscriptions"].groupby("account_id")["mrr"].first()
        assert mrr.max() > 20 * mrr.median()  # heavy-tailed account sizes
        if len(seats):
            assert seats.max() > 20 * seats.median()


@scenarios
def test_truth_is_a_well_formed_probability(synthetic_sets, scenario):
    frames = synthetic_sets[scenario]
    t = frames[TRUTH]
    assert list(t.columns) == ["account_id", "as_of", "horizon_days", "probability"]
    assert t["as_of"].dtype == np.dtype("datetime64[us]")
    assert (t["as_of"].dt.day == 1).all() and (t["as_of"].dt.normalize() == t["as_of"]).all()
    assert set(t["horizon_days"]) == {30, 90, 180}
    assert t["probability"].between(0, 1).all()
    assert not t.duplicated(["account_id", "as_of", "horizon_days"]).any()
    wide = t.pivot_table(index=["account_id", "as_of"], columns="horizon_days", values="probability")
    assert (wide[30] <= wide[90] + 1e-12).all() and (wide[90] <= wide[180] + 1e-12).all()
    # in scope: accounts that existed before the cutoff (and, with subscriptions, had not churned)
    created = frames["accounts"].set_index("account_id")["created_at"]
    assert (t["account_id"].map(created) < t["as_of"]).all()
    if "subscriptions" in frames:
        s = frames["subscriptions"]
        gone = s[s["end_reason"].isin(["churned", "cancelled"])].set_index("account_id")["ended_at"]
        churn_at = t["account_id"].map(gone)
        assert not (churn_at < t["as_of"]).any()


@scenarios
def test_truth_predicts_realised_expansions(synthetic_sets, scenario):
    labelled = realised_labels(synthetic_sets[scenario], scenario, horizon=90)
    rate = labelled["label"].mean()
    auc = roc_auc_score(labelled["label"], labelled["probability"])
    assert 0.04 < rate < 0.3, rate
    assert 0.6 < auc < 0.97, auc
    # calibrated: the oracle's mean matches the realised rate, overall and in its top decile
    assert abs(labelled["probability"].mean() - rate) < 0.02
    top = labelled[labelled["probability"] >= labelled["probability"].quantile(0.9)]
    assert abs(top["probability"].mean() - top["label"].mean()) < 0.06


def test_same_seed_gives_byte_identical_files_and_other_seeds_differ(tmp_path):
    dirs = []
    for i, seed in enumerate((SEED, SEED, SEED + 1)):
        frames = generate("telecom", 300, seed, END, months=6)
        dirs.append(write_dataset(frames, tmp_path / f"run{i}"))
    files = sorted(p.relative_to(dirs[0]) for p in dirs[0].rglob("*.parquet"))
    assert {str(f) for f in files} == {f"{n}.parquet" for n in EXPECTED_TABLES["telecom"]} | {"_truth/propensity.parquet"}
    for f in files:
        assert (dirs[0] / f).read_bytes() == (dirs[1] / f).read_bytes(), f
    assert any((dirs[0] / f).read_bytes() != (dirs[2] / f).read_bytes() for f in files)


def test_written_files_read_back_with_contract_types(tmp_path, synthetic_sets):
    frames = synthetic_sets["saas"]
    out = write_dataset(frames, tmp_path / "saas")
    for name in TABLE_NAMES:
        if name in frames:
            back = pd.read_parquet(out / f"{name}.parquet")
            pd.testing.assert_frame_equal(back, frames[name], check_dtype=True)
    truth = pd.read_parquet(out / "_truth" / "propensity.parquet")
    pd.testing.assert_frame_equal(truth, frames[TRUTH])


def test_a_failed_write_leaves_the_previous_data_set(tmp_path):
    frames = generate("ecommerce", 200, SEED, END, months=4)
    out = write_dataset(frames, tmp_path / "d")
    before = {p.name: p.read_bytes() for p in out.rglob("*.parquet")}
    broken = dict(frames)
    broken["offers"] = frames["offers"].assign(revenue=[object()] * len(frames["offers"]))
    with pytest.raises(Exception):
        write_dataset(broken, out)
    assert {p.name: p.read_bytes() for p in out.rglob("*.parquet")} == before
    assert [p.name for p in tmp_path.iterdir()] == ["d"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scenario": "retail"}, "unknown scenario"),
        ({"n_accounts": 0}, "--accounts"),
        ({"months": 1}, "--months"),
        ({"usage_interval_days": 0}, "--usage-interval-days"),
        ({"seed": -1}, "--seed"),
    ],
)
def test_bad_arguments_raise_user_errors(kwargs, message):
    args = {"scenario": "saas", "n_accounts": 10, "seed": 1, "end": END} | kwargs
    with pytest.raises(UpsellError, match=message):
        generate(**args)


def test_usage_interval_controls_sampling():
    daily = generate("saas", 50, SEED, END, months=3, usage_interval_days=1)["usage"]
    weekly = generate("saas", 50, SEED, END, months=3, usage_interval_days=7)["usage"]
    gaps = daily.groupby(["account_id", "metric"])["usage_date"].diff().dropna().dt.days
    assert set(gaps) == {1}
    assert 5 < len(daily) / len(weekly) < 9

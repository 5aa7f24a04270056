"""A straightforward pandas implementation of the features at ONE cutoff: the benchmark's baseline.

Written the way an analyst would (read everything, filter, groupby, merge), independently of the
Ibis builders, so the benchmark can also check that both agree. Not part of the package.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

DAY = pd.Timedelta(days=1)


def read_tables(data: str | Path) -> dict[str, pd.DataFrame]:
    data = Path(data)
    return {p.stem: pd.read_parquet(p) for p in sorted(data.glob("*.parquet"))}


def _days(later: pd.Series | pd.Timestamp, earlier: pd.Series | pd.Timestamp) -> pd.Series:
    return (later - earlier) / DAY


def _trend(a: pd.Series, b: pd.Series) -> pd.Series:
    a, b = a.fillna(0), b.fillna(0)
    return ((a - b) / (a + b)).where((a + b) != 0, 0.0)


def spine(t: dict[str, pd.DataFrame], at: pd.Timestamp) -> pd.Index:
    acc = t["accounts"]
    ids = acc.loc[acc.created_at < at, "account_id"]
    if "subscriptions" not in t:
        return pd.Index(ids, name="account_id")
    s = t["subscriptions"]
    s = s[s.started_at < at]
    ended = s.ended_at.notna() & (s.ended_at < at)
    g = pd.DataFrame({"account_id": s.account_id, "active": ~ended,
                      "end": s.ended_at.where(ended),
                      "churn_end": s.ended_at.where(ended & s.end_reason.isin(["churned", "cancelled"]))})
    agg = g.groupby("account_id").agg(active=("active", "sum"), end=("end", "max"), churn_end=("churn_end", "max"))
    churned = agg.index[(agg.active == 0) & (agg.churn_end == agg.end)]
    return pd.Index(ids[~ids.isin(churned)], name="account_id")


def _current(s: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
    c = s[(s.started_at < at) & (s.ended_at.isna() | (s.ended_at >= at))]
    return c.sort_values(["account_id", "started_at", "subscription_id"]).groupby("account_id").tail(1).set_index("account_id")


def features(t: dict[str, pd.DataFrame], at: pd.Timestamp) -> pd.DataFrame:
    ids = spine(t, at)
    out = pd.DataFrame(index=ids)
    acc = t["accounts"].set_index("account_id").reindex(ids)
    out["acct_tenure_days"] = _days(at, acc.created_at)
    for col in ("industry", "region", "segment", "size_band", "plan_tier"):
        if col in acc:
            out[f"acct_{col}"] = acc[col]

    if "subscriptions" in t:
        s = t["subscriptions"]
        cur = _current(s, at).reindex(ids)
        then = _current(s, at - 365 * DAY).reindex(ids)
        out["sub_is_active"] = cur.started_at.notna().astype(float)
        out["sub_plan_tier"] = cur.plan_tier
        out["sub_mrr"] = cur.mrr.fillna(0)
        out["sub_seats"] = cur.seats.astype(float)
        out["sub_days_to_renewal"] = _days(cur.renewal_at, at)
        out["sub_contract_age_days"] = _days(at, cur.started_at)
        e = s[(s.ended_at < at) & (s.ended_at >= at - 365 * DAY)]
        out["sub_n_upgrades_365d"] = e[e.end_reason == "upgraded"].groupby("account_id").size().reindex(ids).fillna(0)
        out["sub_n_downgrades_365d"] = e[e.end_reason == "downgraded"].groupby("account_id").size().reindex(ids).fillna(0)
        out["sub_mrr_change_365d"] = cur.mrr.fillna(0) - then.mrr.fillna(0)

    if "purchases" in t:
        p = t["purchases"]
        p = p[p.ordered_at < at]
        out["pur_days_since_last"] = _days(at, p.groupby("account_id").ordered_at.max().reindex(ids))
        age = _days(at, p.ordered_at)
        for d in (30, 90, 365):
            w = p[age <= d].groupby("account_id").amount
            out[f"pur_count_{d}d"] = w.size().reindex(ids).fillna(0)
            out[f"pur_amount_{d}d"] = w.sum().reindex(ids).fillna(0)
        out["pur_avg_order_365d"] = (out.pur_amount_365d / out.pur_count_365d).where(out.pur_count_365d > 0)
        y = p[age <= 365]
        if "category" in p:
            out["pur_n_categories_365d"] = y.groupby("account_id").category.nunique().reindex(ids).fillna(0)
            tot = y.dropna(subset=["category"]).groupby(["account_id", "category"]).amount.sum().reset_index()
            tot = tot.sort_values(["account_id", "amount", "category"], ascending=[True, False, True])
            out["pur_top_category_365d"] = tot.groupby("account_id").category.first().reindex(ids)
        prev = p[(age > 90) & (age <= 180)].groupby("account_id").amount.sum().reindex(ids)
        out["pur_amount_trend_90d"] = _trend(out.pur_amount_90d, prev)

    if "usage" in t:
        u = t["usage"].copy()
        u["day"] = pd.to_datetime(u.usage_date).dt.normalize()
        u = u[u.day < at]
        last_active = u[u.value > 0].groupby("account_id").day.max()
        u = u[u.day >= at - 60 * DAY].copy()
        u["metric"] = u.metric.str.lower().map(lambda m: re.sub(r"[^a-z0-9_]", "_", m))
        u["util"] = u.value / u.quota if "quota" in u else np.nan
        u["users"] = u.active_users.astype(float) if "active_users" in u else np.nan
        recent = _days(at, u.day) <= 30
        r = u[recent]
        pm = pd.DataFrame({
            "value_30d": r.groupby(["account_id", "metric"]).value.sum(),
            "value_prev": u[~recent].groupby(["account_id", "metric"]).value.sum(),
        })
        ru = r.dropna(subset=["util"]).sort_values("day").groupby(["account_id", "metric"])
        pm["util_last"] = ru.util.last()
        pm["util_max"] = r.groupby(["account_id", "metric"]).util.max()
        rs = r.dropna(subset=["users"]).sort_values("day").groupby(["account_id", "metric"])
        pm["users_last"] = rs.users.last()
        pm["users_day"] = rs.day.last()
        pm["trend"] = _trend(pm.value_30d, pm.value_prev)
        pm = pm.reset_index()
        by_acc = pm.groupby("account_id")
        out["use_active_days_30d"] = r[r.value > 0].groupby("account_id").day.nunique().reindex(ids).fillna(0)
        out["use_days_since_last"] = _days(at, last_active.reindex(ids))
        out["use_util_last"] = by_acc.util_last.max().reindex(ids)
        out["use_util_max_30d"] = r.groupby("account_id").util.max().reindex(ids)
        for pct in (80, 90, 100):
            hit = r[r.util >= pct / 100]
            out[f"use_days_above_{pct}pct_30d"] = hit.groupby("account_id").day.nunique().reindex(ids).fillna(0)
        out["use_value_trend_30d"] = by_acc.trend.mean().reindex(ids).fillna(0)
        latest = pm.users_day == pm.groupby("account_id").users_day.transform("max")
        out["use_active_users_last"] = pm[latest].groupby("account_id").users_last.max().reindex(ids)
        out["use_active_users_max_30d"] = r.groupby("account_id").users.max().reindex(ids)
        for m in sorted(pm.metric.unique()):
            one = pm[pm.metric == m].set_index("account_id").reindex(ids)
            out[f"use_{m}_value_30d"] = one.value_30d.fillna(0)
            out[f"use_{m}_util_last"] = one.util_last
            out[f"use_{m}_util_max_30d"] = one.util_max
            out[f"use_{m}_trend_30d"] = one.trend.fillna(0)

    if "support_tickets" in t:
        k = t["support_tickets"]
        k = k[k.opened_at < at]
        age = _days(at, k.opened_at)
        severe = k.severity.isin(["high", "critical"])
        cnt = lambda mask: k[mask].groupby("account_id").size().reindex(ids).fillna(0)  # noqa: E731
        out["sup_tickets_30d"] = cnt(age <= 30)
        out["sup_tickets_90d"] = cnt(age <= 90)
        out["sup_tickets_365d"] = cnt(age <= 365)
        out["sup_high_or_critical_90d"] = cnt((age <= 90) & severe)
        is_open = k.closed_at.isna() | (k.closed_at >= at)
        out["sup_open_tickets"] = cnt(is_open)
        out["sup_open_critical"] = cnt(is_open & (k.severity == "critical"))
        c = k[(k.closed_at < at) & (k.closed_at >= at - 180 * DAY)]
        if "csat" in c:
            out["sup_csat_mean_180d"] = c.groupby("account_id").csat.mean().reindex(ids).astype(float)
        hours = (c.closed_at - c.opened_at) / pd.Timedelta(hours=1)
        out["sup_hours_to_close_mean_180d"] = hours.groupby(c.account_id).mean().reindex(ids)
        out["sup_days_since_last_ticket"] = _days(at, k.groupby("account_id").opened_at.max().reindex(ids))

    if "offers" in t:
        o = t["offers"]
        if "is_control" in o:
            o = o[~o.is_control.fillna(False).astype(bool)]
        o = o[o.offered_at < at].copy()
        decided = o.outcome_at.fillna(o.offered_at).where(o.outcome != "pending")
        o["known"] = o.outcome.where(decided < at, "pending")
        o["decided"] = decided
        year = _days(at, o.offered_at) <= 365
        cnt = lambda mask: o[mask].groupby("account_id").size().reindex(ids).fillna(0)  # noqa: E731
        out["off_count_365d"] = cnt(year)
        out["off_accepted_365d"] = cnt(year & (o.known == "accepted"))
        out["off_rejected_365d"] = cnt(year & (o.known == "rejected"))
        last = o.sort_values(["account_id", "offered_at", "offer_id"]).groupby("account_id").tail(1).set_index("account_id")
        out["off_last_outcome"] = last.known.reindex(ids)
        out["off_days_since_last"] = _days(at, o.groupby("account_id").offered_at.max().reindex(ids))
        rej = o[o.known == "rejected"]
        out["off_days_since_last_rejection"] = _days(at, rej.groupby("account_id").decided.max().reindex(ids))
        acc_n = o[o.known == "accepted"].groupby("account_id").size().reindex(ids).fillna(0)
        dec_n = o[o.known.isin(["accepted", "rejected"])].groupby("account_id").size().reindex(ids).fillna(0)
        out["off_acceptance_rate"] = (acc_n / dec_n).where(dec_n > 0)
        out["off_pending"] = cnt(o.known == "pending")
        if "reenter_at" in o:
            re_at = o[o.known == "deferred"].groupby("account_id").reenter_at.max().reindex(ids)
            out["off_days_to_reentry"] = _days(re_at, at)

    out = out.reset_index()
    out.insert(1, "as_of", at)
    return out.sort_values("account_id").reset_index(drop=True)

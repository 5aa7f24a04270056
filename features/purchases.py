"""Purchase features: recency, frequency and monetary value over 30/90/365 days, category mix, trend."""
from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from features.pit import attach, days_between, latest_before, spine_cutoffs, trend, window_join
from features.registry import feature_registry

SOURCE = "purchases"


def build_purchases_features(tables: Mapping[str, ir.Table], spine: ir.Table) -> ir.Table:
    """pur_* features for every spine row (category features only when ``category`` exists)."""
    p = tables[SOURCE]
    has_category = "category" in p.columns
    cuts = spine_cutoffs(spine)
    ev = p.select("account_id", "ordered_at", "amount", *(["category"] if has_category else []))
    j = window_join(ev, "ordered_at", cuts, 365)
    age = days_between(j.as_of, j.ordered_at)
    within = {d: age <= d for d in (30, 90, 365)}  # ordered_at >= as_of - d  <=>  age <= d
    aggs = {}
    for d in (30, 90, 365):
        aggs[f"pur_count_{d}d"] = j.amount.count(where=within[d])
        aggs[f"pur_amount_{d}d"] = j.amount.sum(where=within[d])
    aggs["_amount_90_180"] = j.amount.sum(where=(age > 90) & (age <= 180))
    if has_category:
        aggs["pur_n_categories_365d"] = j.category.nunique()
    agg = j.group_by(["account_id", "as_of"]).agg(**aggs)
    values = agg.mutate(
        pur_avg_order_365d=ibis.ifelse(agg.pur_count_365d > 0, agg.pur_amount_365d / agg.pur_count_365d, ibis.null()),
        pur_amount_trend_90d=trend(agg.pur_amount_90d, agg._amount_90_180),
    ).drop("_amount_90_180")

    last = latest_before(spine, ev, "ordered_at", "last_at")  # exactly the spine's rows
    values = last.left_join(values, ["account_id", "as_of"]).select(
        last.account_id, last.as_of, *[values[c] for c in values.columns if c not in ("account_id", "as_of")],
        pur_days_since_last=days_between(last.as_of, last.last_at),
    )
    if has_category:
        values = values.left_join(_top_category(j), ["account_id", "as_of"]).select(values, "pur_top_category_365d")
    names = set(values.columns)
    specs = [f for f in feature_registry() if f.source == SOURCE and f.name in names]
    return attach(spine, values, specs)


def _top_category(joined: ir.Table) -> ir.Table:
    """The category with the highest amount in the 365-day window (ties: first by name)."""
    c = joined.filter(joined.category.notnull())
    per = c.group_by(["account_id", "as_of", "category"]).agg(total=c.amount.sum())
    order = ibis.window(group_by=["account_id", "as_of"], order_by=[ibis.desc("total"), "category"])
    per = per.mutate(_rank=ibis.row_number().over(order))
    return per.filter(per._rank == 0).select("account_id", "as_of", pur_top_category_365d="category")

"""Purchase features: recency, frequency and monetary value over 30/90/365 days, category mix, trend."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from features.pit import (
    SourceValues, assemble, days_between, exact_sum, latest_before, spine_cutoff_values, trend, window_join,
)
from features.registry import feature_registry

SOURCE = "purchases"
_WINDOWS = (30, 90, 365)


def purchases_values(tables: Mapping[str, ir.Table], spine: ir.Table,
                     cutoffs: Sequence[pd.Timestamp] | None = None) -> SourceValues:
    """Partial values of the pur_* features (category features only when ``category`` exists).

    ``cutoffs`` are the spine's cutoffs when the caller knows them (saves a small query).
    """
    p = tables[SOURCE]
    has_category = "category" in p.columns
    cutoffs = cutoffs if cutoffs is not None else spine_cutoff_values(spine)
    ev = p.select("account_id", "ordered_at", "amount", *(["category"] if has_category else []))
    j = window_join(ev, "ordered_at", cutoffs, 365)
    age = days_between(j.as_of, j.ordered_at)  # ordered_at >= as_of - d days  <=>  age <= d
    aggs = {}
    for d in _WINDOWS:
        aggs[f"pur_count_{d}d"] = j.amount.count(where=age <= d)
        aggs[f"pur_amount_{d}d"] = exact_sum(j.amount, where=age <= d)
    aggs["_pur_amount_90_180"] = exact_sum(j.amount, where=(age > 90) & (age <= 180))
    if has_category:
        aggs["pur_n_categories_365d"] = j.category.nunique()
    windows = j.group_by(["account_id", "as_of"]).agg(**aggs)
    last = latest_before(spine, ev, "ordered_at", "_pur_last_at", cutoffs)
    partials = [windows, last]
    if has_category:
        partials.append(_top_category(j))

    def finish(g: ir.Table) -> dict[str, ir.Value]:
        out = {name: g[name] for name in aggs if not name.startswith("_")}
        out["pur_days_since_last"] = days_between(g.as_of, g._pur_last_at)
        count, amount = g.pur_count_365d.fill_null(0), g.pur_amount_365d
        out["pur_avg_order_365d"] = ibis.ifelse(count > 0, amount / count, ibis.null("float64"))
        out["pur_amount_trend_90d"] = trend(g.pur_amount_90d, g._pur_amount_90_180)
        if has_category:
            out["pur_top_category_365d"] = g.pur_top_category_365d
        return out

    return SourceValues(tuple(partials), finish)


def _top_category(joined: ir.Table) -> ir.Table:
    """The category with the highest amount in the 365-day window (ties: first by name)."""
    c = joined.filter(joined.category.notnull())
    per = c.group_by(["account_id", "as_of", "category"]).agg(total=exact_sum(c.amount))
    order = ibis.window(group_by=["account_id", "as_of"], order_by=[ibis.desc("total"), "category"])
    per = per.mutate(_rank=ibis.row_number().over(order))
    return per.filter(per._rank == 0).select("account_id", "as_of", pur_top_category_365d="category")


def build_purchases_features(tables: Mapping[str, ir.Table], spine: ir.Table) -> ir.Table:
    """pur_* features for every spine row."""
    has_category = "category" in tables[SOURCE].columns
    specs = [f for f in feature_registry() if f.source == SOURCE
             and (has_category or f.name not in ("pur_n_categories_365d", "pur_top_category_365d"))]
    return assemble(spine, [purchases_values(tables, spine)], specs)

"""Usage features: activity, utilisation against quota, trends and active users, overall and per metric.

Usage rows are daily: a row dated d is known at cutoff t when d < t (as dates; cutoffs are
midnight, so comparing the day's midnight timestamp with t is the same test). Utilisation is
value / quota (missing when there is no quota). Trends compare the last 30 days with the 30
before, so the window join reaches back 60 days. Per-metric columns are named with
``metric_key(metric)`` for the metrics seen in rows dated before the last cutoff.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from data.errors import UpsellError
from features.pit import (
    SourceValues, assemble, days_between, latest_before, spine_cutoff_values, trend, window_join,
)
from features.registry import PER_METRIC_TEMPLATES, check_metric_names, expand_metric, feature_registry, metric_key

SOURCE = "usage"
THRESHOLDS = (80, 90, 100)


def usage_metrics(usage: ir.Table, before: object | None = None) -> list[str]:
    """Distinct raw metric names (of rows dated before ``before`` when given), sorted."""
    u = usage
    if before is not None:
        u = u.filter(u.usage_date.cast("timestamp") < ibis.literal(before, type="timestamp"))
    names = u.select("metric").distinct().to_pyarrow().column("metric").to_pylist()
    metrics = sorted(m for m in names if m is not None)
    check_metric_names(metrics)
    return metrics


def usage_values(tables: Mapping[str, ir.Table], spine: ir.Table, metrics: Sequence[str],
                 cutoffs: Sequence[pd.Timestamp] | None = None) -> SourceValues:
    """Partial values of the use_* features, with per-metric columns for ``metrics``.

    ``cutoffs`` are the spine's cutoffs when the caller knows them (saves a small query).
    """
    usage = tables[SOURCE]
    keys = sorted({metric_key(m) for m in metrics})
    if len(keys) != len(set(metrics)):
        raise UpsellError("usage.metric: two metric names map to the same feature key; rename one of them")
    cols = usage.columns
    ev = usage.select(
        "account_id",
        day=usage.usage_date.cast("date").cast("timestamp"),
        metric=usage.metric.lower().re_replace(r"[^a-z0-9_]", "_"),
        value=usage.value.cast("float64"),
        util=(usage.value / usage.quota).cast("float64") if "quota" in cols else ibis.null("float64"),
        users=usage.active_users.cast("float64") if "active_users" in cols else ibis.null("float64"),
    )
    cutoffs = cutoffs if cutoffs is not None else spine_cutoff_values(spine)
    j = window_join(ev, "day", cutoffs, 60)
    recent = days_between(j.as_of, j.day) <= 30  # day >= as_of - 30 days

    per_metric = j.group_by(["account_id", "as_of", "metric"]).agg(
        value_30d=j.value.sum(where=recent),
        value_prev=j.value.sum(where=~recent),
        util_last=j.util.argmax(j.day, where=recent & j.util.notnull()),
        util_max=j.util.max(where=recent),
        users_last=j.users.argmax(j.day, where=recent & j.users.notnull()),
        users_day=j.day.max(where=recent & j.users.notnull()),
    )
    per_metric = per_metric.mutate(trend=trend(per_metric.value_30d, per_metric.value_prev))
    # active users on the account's latest day with a reading, whichever metric carries it
    latest_users_day = per_metric.users_day.max().over(ibis.window(group_by=["account_id", "as_of"]))
    pm = per_metric.mutate(on_latest=per_metric.users_day == latest_users_day)
    wide = {}
    for key in keys:
        here = pm.metric == key
        name = {t.name: expand_metric(t, key).name for t in PER_METRIC_TEMPLATES}
        wide[name["use_{metric}_value_30d"]] = pm.value_30d.max(where=here)
        wide[name["use_{metric}_util_last"]] = pm.util_last.max(where=here)
        wide[name["use_{metric}_util_max_30d"]] = pm.util_max.max(where=here)
        wide[name["use_{metric}_trend_30d"]] = pm.trend.max(where=here)
    across = pm.group_by(["account_id", "as_of"]).agg(
        use_util_last=pm.util_last.max(),
        use_value_trend_30d=pm.trend.mean(),
        use_active_users_last=pm.users_last.max(where=pm.on_latest),
        **wide,
    )

    # one row per account, cutoff and day first: day counts become plain sums (no COUNT DISTINCT)
    r = j.filter(recent)
    per_day = r.group_by(["account_id", "as_of", "day"]).agg(
        active=(r.value > 0).any(), util=r.util.max(), users=r.users.max())
    daily_aggs = {
        "use_active_days_30d": per_day.active.sum(),
        "use_util_max_30d": per_day.util.max(),
        "use_active_users_max_30d": per_day.users.max(),
    }
    for pct in THRESHOLDS:
        daily_aggs[f"use_days_above_{pct}pct_30d"] = (per_day.util >= pct / 100).sum()
    day_level = per_day.group_by(["account_id", "as_of"]).agg(**daily_aggs)
    last = latest_before(spine, ev.filter(ev.value > 0), "day", "_use_last_day", cutoffs)
    names = [c for c in (*across.columns, *day_level.columns) if c not in ("account_id", "as_of")]

    def finish(g: ir.Table) -> dict[str, ir.Value]:
        out = {n: g[n] for n in names}
        out["use_days_since_last"] = days_between(g.as_of, g._use_last_day)
        return out

    return SourceValues((across, day_level, last), finish)


def build_usage_features(tables: Mapping[str, ir.Table], spine: ir.Table,
                         metrics: Sequence[str] | None = None) -> ir.Table:
    """use_* features for every spine row; per-metric columns for ``metrics`` (default: all in the data)."""
    if metrics is None:
        metrics = usage_metrics(tables[SOURCE])
    specs = [f for f in feature_registry(metrics) if f.source == SOURCE]
    return assemble(spine, [usage_values(tables, spine, metrics)], specs)

"""Usage features: activity, utilisation against quota, trends and active users, overall and per metric.

Usage rows are daily: a row dated d is known at cutoff t when d < t (as dates; cutoffs are
midnight, so comparing the day's midnight timestamp with t is the same test). Utilisation is
value / quota (missing when there is no quota), at most ``MAX_UTILISATION``: the contract only
asks quota > 0, and a quota next to 0 would make the ratio infinite. Trends compare the last 30 days with the 30
before, so the window join reaches back 60 days. Per-metric columns are named with
``metric_key(metric)`` for the metrics seen in rows dated before the last cutoff.

Two aggregation levels over one scan of the window: first one row per (account, cutoff, day)
holding the day's activity and each metric's value and utilisation side by side, then one row
per (account, cutoff). Day counts become plain sums and "the latest reading" a ``MAX_BY`` over
unique days, so nothing needs COUNT DISTINCT or window functions over the large table.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from data.errors import UpsellError
from features.pit import (
    SourceValues, assemble, days_between, exact_sum, latest_before, latest_value, spine_cutoff_values, timestamp_literal,
    trend, window_join,
)
from features.registry import PER_METRIC_TEMPLATES, check_metric_names, expand_metric, feature_registry, metric_key

SOURCE = "usage"
THRESHOLDS = (80, 90, 100)
WINDOW_DAYS = 60  # the last 30 days and the 30 before them (trends)
MAX_UTILISATION = 1e18  # the largest magnitude an input number may have (data.schemas.MAX_MAGNITUDE)


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
    """Partial values of the use_* features, with per-metric columns for ``metrics`` (raw names).

    ``cutoffs`` are the spine's cutoffs when the caller knows them (saves a small query).
    """
    usage = tables[SOURCE]
    by_key: dict[str, list[str]] = {}
    for m in metrics:
        by_key.setdefault(metric_key(m), []).append(m)
    if any(len(raw) > 1 for raw in by_key.values()):
        raise UpsellError("usage.metric: two metric names map to the same feature key; rename one of them")
    keys = sorted(by_key)
    cutoffs = cutoffs if cutoffs is not None else spine_cutoff_values(spine)
    # Filter on the stored column (cutoffs are midnight, so it is the same test as on the day):
    # the engine can then skip data in the scan instead of computing the day for every row.
    first, last = timestamp_literal(cutoffs[0] - pd.Timedelta(days=WINDOW_DAYS)), timestamp_literal(cutoffs[-1])
    ev = _events(usage.filter(usage.usage_date >= first, usage.usage_date < last))
    # Day level first (metrics side by side), then the join to cutoffs: the join repeats each
    # day for every cutoff whose window holds it, so it should repeat as few rows as possible.
    per_day: dict[str, ir.Value] = {"active": (ev.value > 0).any(), "util": ev.util.max(), "users": ev.users.max()}
    for key in keys:
        here = ev.metric == by_key[key][0]
        per_day[f"v_{key}"] = exact_sum(ev.value, where=here)
        per_day[f"u_{key}"] = ev.util.max(where=here)
    d = window_join(ev.group_by(["account_id", "day"]).agg(**per_day), "day", cutoffs, WINDOW_DAYS)
    recent = d.day >= d.as_of - ibis.interval(days=30)

    aggs: dict[str, ir.Value] = {
        "use_active_days_30d": (recent & d.active).sum(),
        "use_util_max_30d": d.util.max(where=recent),
        "use_active_users_max_30d": d.users.max(where=recent),
        "use_active_users_last": latest_value(d.users, d.day, where=recent),
        **{f"use_days_above_{pct}pct_30d": (recent & (d.util >= pct / 100)).sum() for pct in THRESHOLDS},
    }
    for key in keys:
        name = {t.name: expand_metric(t, key).name for t in PER_METRIC_TEMPLATES}
        v, u = d[f"v_{key}"], d[f"u_{key}"]
        aggs[name["use_{metric}_value_30d"]] = exact_sum(v, where=recent)
        aggs[f"_use_{key}_prev"] = exact_sum(v, where=~recent)
        aggs[name["use_{metric}_util_last"]] = latest_value(u, d.day, where=recent)
        aggs[name["use_{metric}_util_max_30d"]] = u.max(where=recent)
    values = d.group_by(["account_id", "as_of"]).agg(**aggs)
    # The latest active row's time, truncated to its day afterwards (in ``finish``): the day of
    # the latest time is the latest day, and one cast per account is cheaper than one per row.
    active = usage.filter(usage.usage_date < last, usage.value > 0).select("account_id", "usage_date")
    last_seen = latest_before(spine, active, "usage_date", "_use_last_seen", cutoffs)
    names = [n for n in aggs if not n.startswith("_")]

    def finish(g: ir.Table) -> dict[str, ir.Value]:
        out = {n: g[n] for n in names}
        trends, present, util_lasts = [], [], []
        for key in keys:
            name = {t.name: expand_metric(t, key).name for t in PER_METRIC_TEMPLATES}
            out[name["use_{metric}_trend_30d"]] = t = trend(g[name["use_{metric}_value_30d"]], g[f"_use_{key}_prev"])
            # a sum over no readings is null: the metric was read in the 60 days iff either sum is not
            seen = g[name["use_{metric}_value_30d"]].notnull() | g[f"_use_{key}_prev"].notnull()
            trends.append(ibis.ifelse(seen, t, 0.0))
            present.append(seen.cast("float64"))
            util_lasts.append(g[name["use_{metric}_util_last"]])
        n_present = sum(present) if present else ibis.literal(0.0)
        mean_trend = sum(trends) / n_present if trends else ibis.null("float64")
        out["use_value_trend_30d"] = ibis.ifelse(n_present > 0, mean_trend, ibis.null("float64"))
        out["use_util_last"] = _greatest(util_lasts)
        out["use_days_since_last"] = days_between(g.as_of, _day(g._use_last_seen))
        return out

    return SourceValues((values, last_seen), finish)


def _day(time: ir.Value) -> ir.TimestampValue:
    """The midnight that starts ``time``'s day (a timestamp)."""
    return time.cast("date").cast("timestamp")


def _events(usage: ir.Table) -> ir.Table:
    """Usage rows as (account_id, metric, day, value, util, users); util and users null when not recorded."""
    cols = usage.columns
    return usage.select(
        "account_id", "metric",
        day=_day(usage.usage_date),
        value=usage.value.cast("float64"),
        util=_utilisation(usage.value, usage.quota) if "quota" in cols else ibis.null("float64"),
        users=usage.active_users.cast("float64") if "active_users" in cols else ibis.null("float64"),
    )


def _utilisation(value: ir.NumericValue, quota: ir.NumericValue) -> ir.FloatingValue:
    """value / quota, capped at ``MAX_UTILISATION`` (null when either is null), the same on every engine."""
    ratio = (value / quota).cast("float64")
    return ibis.ifelse(ratio > MAX_UTILISATION, MAX_UTILISATION, ratio)


def _greatest(values: list[ir.NumericValue]) -> ir.Value:
    """The largest non-null value (null when all are null), the same on every engine."""
    if not values:
        return ibis.null("float64")
    out = values[0]
    for v in values[1:]:
        out = ibis.cases((out.isnull(), v), (v.isnull(), out), (v > out, v), else_=out)
    return out


def build_usage_features(tables: Mapping[str, ir.Table], spine: ir.Table,
                         metrics: Sequence[str] | None = None) -> ir.Table:
    """use_* features for every spine row; per-metric columns for ``metrics`` (default: all in the data)."""
    if metrics is None:
        metrics = usage_metrics(tables[SOURCE])
    specs = [f for f in feature_registry(metrics) if f.source == SOURCE]
    return assemble(spine, [usage_values(tables, spine, metrics)], specs)

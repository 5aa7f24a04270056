"""Subscription features: the plan in force at the cutoff and the plan changes before it.

The *current* subscription at t is the latest-started plan period that started before t and had
not ended before t (an end on or after t is not known at t, so that period is still active).
Ties on the start time are broken by the larger ``subscription_id``, so the choice is
deterministic. Labels reuse :func:`current_subscription` to compare a later plan's MRR with it.
"""
from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from features.pit import SourceValues, assemble, days_between, spine_cutoffs, window_join
from features.registry import feature_registry

SOURCE = "subscriptions"


def current_subscription(subscriptions: ir.Table, cutoffs: ir.Table, days_before: int = 0) -> ir.Table:
    """(account_id, as_of, plan_tier, mrr, seats, started_at, renewal_at) of the plan in force at as_of - days_before."""
    s = subscriptions
    cols = ["subscription_id", "account_id", "plan_tier", "started_at", "ended_at", "mrr"]
    cols += [c for c in ("seats", "renewal_at") if c in s.columns]
    s = s.select(*cols)
    at = cutoffs.as_of - ibis.interval(days=days_before) if days_before else cutoffs.as_of
    j = s.join(cutoffs, [s.started_at < at, s.ended_at.isnull() | (s.ended_at >= at)])
    order = ibis.window(group_by=["account_id", "as_of"], order_by=[ibis.desc("started_at"), ibis.desc("subscription_id")])
    j = j.mutate(_rank=ibis.row_number().over(order))
    out = j.filter(j._rank == 0)
    return out.select("account_id", "as_of", "plan_tier", "mrr", "started_at",
                      seats=out.seats if "seats" in out.columns else ibis.null("int64"),
                      renewal_at=out.renewal_at if "renewal_at" in out.columns else ibis.null("timestamp"))


def subscriptions_values(tables: Mapping[str, ir.Table], spine: ir.Table) -> SourceValues:
    """Partial values of the sub_* features."""
    subs = tables[SOURCE]
    cuts = spine_cutoffs(spine)
    now = current_subscription(subs, cuts)
    now = now.select("account_id", "as_of", _sub_tier="plan_tier", _sub_mrr="mrr", _sub_seats="seats",
                     _sub_started="started_at", _sub_renewal="renewal_at")
    year_ago = current_subscription(subs, cuts, days_before=365).select("account_id", "as_of", _sub_mrr_then="mrr")
    ended = window_join(subs.select("account_id", "ended_at", "end_reason"), "ended_at", cuts, 365)
    changes = ended.group_by(["account_id", "as_of"]).agg(
        sub_n_upgrades_365d=(ended.end_reason == "upgraded").sum(),
        sub_n_downgrades_365d=(ended.end_reason == "downgraded").sum(),
    )

    def finish(g: ir.Table) -> dict[str, ir.Value]:
        return {
            "sub_is_active": g._sub_started.notnull().cast("int64"),
            "sub_plan_tier": g._sub_tier,
            "sub_mrr": g._sub_mrr,
            "sub_seats": g._sub_seats,
            "sub_days_to_renewal": days_between(g._sub_renewal, g.as_of),
            "sub_contract_age_days": days_between(g.as_of, g._sub_started),
            "sub_n_upgrades_365d": g.sub_n_upgrades_365d,
            "sub_n_downgrades_365d": g.sub_n_downgrades_365d,
            "sub_mrr_change_365d": g._sub_mrr.fill_null(0) - g._sub_mrr_then.fill_null(0),
        }

    return SourceValues((now, year_ago, changes), finish)


def build_subscriptions_features(tables: Mapping[str, ir.Table], spine: ir.Table) -> ir.Table:
    """sub_* features for every spine row."""
    return assemble(spine, [subscriptions_values(tables, spine)], [f for f in feature_registry() if f.source == SOURCE])

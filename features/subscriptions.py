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

from features.pit import attach, days_between, spine_cutoffs, window_join
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


def build_subscriptions_features(tables: Mapping[str, ir.Table], spine: ir.Table) -> ir.Table:
    """sub_* features for every spine row."""
    subs = tables[SOURCE]
    cuts = spine_cutoffs(spine)
    now = current_subscription(subs, cuts)
    year_ago = current_subscription(subs, cuts, days_before=365).select("account_id", "as_of", mrr_then="mrr")

    ended = window_join(subs.select("account_id", "ended_at", "end_reason"), "ended_at", cuts, 365)
    changes = ended.group_by(["account_id", "as_of"]).agg(
        sub_n_upgrades_365d=(ended.end_reason == "upgraded").sum(),
        sub_n_downgrades_365d=(ended.end_reason == "downgraded").sum(),
    )

    base = spine.left_join(now, ["account_id", "as_of"]).select(
        spine.account_id, spine.as_of, "plan_tier", "mrr", "seats", "started_at", "renewal_at")
    base = base.left_join(year_ago, ["account_id", "as_of"]).select(base, "mrr_then")
    base = base.left_join(changes, ["account_id", "as_of"]).select(
        base, "sub_n_upgrades_365d", "sub_n_downgrades_365d")
    values = base.select(
        "account_id", "as_of",
        sub_is_active=base.started_at.notnull().cast("int64"),
        sub_plan_tier=base.plan_tier,
        sub_mrr=base.mrr,
        sub_seats=base.seats,
        sub_days_to_renewal=days_between(base.renewal_at, base.as_of),
        sub_contract_age_days=days_between(base.as_of, base.started_at),
        sub_n_upgrades_365d=base.sub_n_upgrades_365d,
        sub_n_downgrades_365d=base.sub_n_downgrades_365d,
        sub_mrr_change_365d=base.mrr.fill_null(0) - base.mrr_then.fill_null(0),
    )
    specs = [f for f in feature_registry() if f.source == SOURCE]
    return attach(spine, values, specs)

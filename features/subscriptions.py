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

from features.pit import SourceValues, assemble, days_between, spine_cutoffs
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
    cols = ["subscription_id", "account_id", "plan_tier", "started_at", "ended_at", "end_reason", "mrr"]
    s = subs.select(*cols,
                    seats=subs.seats if "seats" in subs.columns else ibis.null("int64"),
                    renewal_at=subs.renewal_at if "renewal_at" in subs.columns else ibis.null("timestamp"))
    # Each period's place in its account's history (latest-started last, ties: larger id), so
    # "the latest period with some property" is a max over plain integers, then one keyed join.
    order = ibis.window(group_by="account_id", order_by=["started_at", "subscription_id"])
    s = s.mutate(_seq=ibis.row_number().over(order))
    j = s.join(cuts, s.started_at < cuts.as_of)  # plan periods are few per account: all history
    year_ago = j.as_of - ibis.interval(days=365)
    active_now = j.ended_at.isnull() | (j.ended_at >= j.as_of)
    active_then = (j.started_at < year_ago) & (j.ended_at.isnull() | (j.ended_at >= year_ago))
    ended_in_year = j.ended_at.notnull() & (j.ended_at < j.as_of) & (j.ended_at >= year_ago)
    keys = j.group_by(["account_id", "as_of"]).agg(
        _now_seq=j._seq.max(where=active_now),
        _then_seq=j._seq.max(where=active_then),
        sub_n_upgrades_365d=(ended_in_year & (j.end_reason == "upgraded")).sum(),
        sub_n_downgrades_365d=(ended_in_year & (j.end_reason == "downgraded")).sum(),
    )
    now = s.select("account_id", "_seq", _sub_tier="plan_tier", _sub_mrr="mrr", _sub_seats="seats",
                   _sub_started="started_at", _sub_renewal="renewal_at")
    then = s.select("account_id", "_seq", _sub_mrr_then="mrr")
    v = keys.left_join(now, [keys.account_id == now.account_id, keys._now_seq == now._seq])
    v = v.select(*[v[c] for c in keys.columns], *[v[c] for c in now.columns if c.startswith("_sub")])
    v = v.left_join(then, [v.account_id == then.account_id, v._then_seq == then._seq])
    values = v.select(*[v[c] for c in keys.columns if not c.endswith("_seq")],
                      *[v[c] for c in now.columns if c.startswith("_sub")], v._sub_mrr_then)

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

    return SourceValues((values,), finish)


def build_subscriptions_features(tables: Mapping[str, ir.Table], spine: ir.Table) -> ir.Table:
    """sub_* features for every spine row."""
    return assemble(spine, [subscriptions_values(tables, spine)], [f for f in feature_registry() if f.source == SOURCE])

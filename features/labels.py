"""Labels over [as_of, as_of + horizon): what happened after each cutoff.

- ``expansion`` (default): in the horizon the account accepted an upsell offer (dated by
  ``outcome_at``, or ``offered_at`` when the outcome has no date), started a subscription row with
  a higher MRR than its current one at the cutoff (0 when none is active), or bought from one of
  ``addon_categories``.
- ``purchase``: any purchase in the horizon.

A label reads only rows dated in its window (plus, for the MRR comparison, the plan in force at
the cutoff), so labels for many cutoffs come from one join of events to cutoffs.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import ibis
import ibis.expr.types as ir

from data.errors import UpsellError
from features.offers import treated_offers
from features.pit import spine_cutoffs
from features.spine import build_spine
from features.subscriptions import current_subscription

LABELS: tuple[str, ...] = ("expansion", "purchase")


def _in_horizon(events: ir.Table, time: str, cutoffs: ir.Table, horizon_days: int) -> ir.Table:
    t = events[time]
    return events.join(cutoffs, [t >= cutoffs.as_of, t < cutoffs.as_of + ibis.interval(days=horizon_days)])


def label_table(tables: Mapping[str, ir.Table], spine: ir.Table, label: str = "expansion",
                horizon_days: int = 90, addon_categories: Iterable[str] = ()) -> ir.Table:
    """(account_id, as_of, label) for every spine row; ``label`` is 1 if the event happened in the horizon, else 0."""
    if label not in LABELS:
        raise UpsellError(f"unknown label {label!r}; choose one of {', '.join(LABELS)}")
    if int(horizon_days) <= 0:
        raise UpsellError(f"horizon_days must be a positive number of days, got {horizon_days}")
    horizon_days = int(horizon_days)
    addons = tuple(sorted(set(addon_categories)))
    cuts = spine_cutoffs(spine)
    hits: list[ir.Table] = []

    if "purchases" in tables:
        p = tables["purchases"].select("account_id", "ordered_at", *(
            ["category"] if "category" in tables["purchases"].columns else []))
        if label == "purchase":
            hits.append(_in_horizon(p, "ordered_at", cuts, horizon_days).select("account_id", "as_of"))
        elif addons and "category" in p.columns:
            addon = p.filter(p.category.isin(addons))
            hits.append(_in_horizon(addon, "ordered_at", cuts, horizon_days).select("account_id", "as_of"))

    if label == "expansion" and "offers" in tables:
        o = treated_offers(tables["offers"])
        accepted = o.filter(o.outcome == "accepted").select("account_id", "decided_at")
        hits.append(_in_horizon(accepted, "decided_at", cuts, horizon_days).select("account_id", "as_of"))

    if label == "expansion" and "subscriptions" in tables:
        subs = tables["subscriptions"]
        new = _in_horizon(subs.select("account_id", "started_at", "mrr"), "started_at", cuts, horizon_days)
        cur = current_subscription(subs, cuts).select("account_id", "as_of", cur_mrr="mrr")
        new = new.left_join(cur, ["account_id", "as_of"]).select(new, "cur_mrr")
        hits.append(new.filter(new.mrr > new.cur_mrr.fill_null(0.0)).select("account_id", "as_of"))

    keys = spine.select("account_id", "as_of")
    if not hits:
        return keys.mutate(label=ibis.literal(0, type="int64"))
    events = hits[0]
    for h in hits[1:]:
        events = events.union(h)
    events = events.distinct().mutate(_hit=ibis.literal(1, type="int64"))
    out = keys.left_join(events, ["account_id", "as_of"])
    return out.select(keys.account_id, keys.as_of, label=out._hit.fill_null(0))


def build_labels(tables: Mapping[str, ir.Table], cutoffs: Iterable[object] | object, label: str = "expansion",
                 horizon_days: int = 90, addon_categories: Iterable[str] = ()):  # -> pd.DataFrame
    """Labels for the spine at ``cutoffs`` as pandas (account_id, as_of, label), sorted by as_of, account_id."""
    spine = build_spine(tables, cutoffs)
    frame = label_table(tables, spine, label, horizon_days, addon_categories).to_pandas()
    frame["as_of"] = frame["as_of"].astype("datetime64[us]")
    frame["label"] = frame["label"].astype("int64")
    return frame.sort_values(["as_of", "account_id"], kind="stable").reset_index(drop=True)

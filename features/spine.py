"""The spine: which accounts get a feature row at which cutoff.

An account is in the spine at cutoff t when it was created before t and had not churned before
t. Churned at t means: it has subscriptions that started before t, none of them is still active
at t (ended on or after t counts as active — the end is not known yet), and the plan period that
ended last ended with ``churned`` or ``cancelled``. Accounts without subscriptions stay in: an
e-commerce shop has no subscriptions at all.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import ibis
import ibis.expr.types as ir

from features.pit import cutoffs_table

CHURN_REASONS: tuple[str, ...] = ("churned", "cancelled")


def build_spine(tables: Mapping[str, ir.Table], cutoffs: Iterable[object] | object) -> ir.Table:
    """(account_id, as_of) for every cutoff: accounts created before it and not churned before it."""
    accounts = tables["accounts"]
    cuts = cutoffs_table(cutoffs)
    acc = accounts.select("account_id", "created_at")
    grid = acc.join(cuts, acc.created_at < cuts.as_of).select("account_id", "as_of")
    if "subscriptions" not in tables:
        return grid
    return grid.anti_join(_churned(tables["subscriptions"], cuts), ["account_id", "as_of"])


def _churned(subscriptions: ir.Table, cuts: ir.Table) -> ir.Table:
    """(account_id, as_of) pairs where the account had churned before the cutoff."""
    s = subscriptions.select("account_id", "started_at", "ended_at", "end_reason")
    j = s.join(cuts, s.started_at < cuts.as_of)
    ended = j.ended_at.notnull() & (j.ended_at < j.as_of)
    churn_end = ended & j.end_reason.isin(CHURN_REASONS)
    agg = j.group_by(["account_id", "as_of"]).agg(
        n_active=(~ended).sum(),
        last_end=j.ended_at.max(where=ended),
        last_churn_end=j.ended_at.max(where=churn_end),
    )
    return agg.filter((agg.n_active == 0) & (agg.last_churn_end == agg.last_end)).select("account_id", "as_of")

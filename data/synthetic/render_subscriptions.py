"""The ``subscriptions`` table: one row per plan period; a plan change ends a row and starts the next.

Rows start at signup (or, for accounts older than the history, at their last anniversary before
it), and at every upgrade, renewal and downgrade the world drew. A renewal keeps the mrr, an
upgrade raises it (that is the expansion label), a downgrade lowers it; churn ends the last row.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from data.synthetic.calendar import anniversary
from data.synthetic.columns import floats, nullable_int, pick, sequential_ids, timestamps, with_nulls
from data.synthetic.world import DOWNGRADE, NO_TIME, RENEWAL, UPGRADE, World

_REASON_OF_KIND = {UPGRADE: 1, RENEWAL: 3, DOWNGRADE: 2}  # index into END_REASONS
END_REASONS = np.asarray(("churned", "upgraded", "downgraded", "renewed", "cancelled"))
CANCELLED_SHARE = 0.15  # churn recorded as an explicit cancellation


def _first_row_start(world: World) -> np.ndarray:
    pop, grid, term = world.pop, world.grid, world.scenario.dynamics.term_months
    assert term is not None
    last_renewal_month = -1 - ((-1 - pop.created_month) % term)
    start = anniversary(grid, last_renewal_month, pop.anniversary_offset)
    older = (pop.created_month < 0) & (last_renewal_month > pop.created_month) & (start < grid.start)
    return np.where(older, start, pop.created_at)


def render_subscriptions(world: World, ids: np.ndarray, rng: np.random.Generator,
                         seats: bool = True) -> pd.DataFrame:
    """Plan periods sorted by account and start; ``seats=False`` leaves seats empty (b2b services)."""
    pop, grid, v, term = world.pop, world.grid, world.scenario.vocab, world.scenario.dynamics.term_months
    assert term is not None
    price = np.asarray(v.tier_price)
    ch = world.plan_changes
    keep = ch["time"] < grid.end
    n = pop.n
    account = np.concatenate([np.arange(n), ch["account"][keep].astype(np.int64)])
    start = np.concatenate([_first_row_start(world), ch["time"][keep].astype(np.int64)])
    kind = np.concatenate([np.zeros(n, dtype=np.int64), ch["kind"][keep].astype(np.int64)])
    tier = np.concatenate([pop.tier, ch["tier"][keep].astype(np.int64)])
    units = np.concatenate([pop.units, ch["units"][keep].astype(np.float64)])
    mrr = np.concatenate([np.round(pop.units * price[pop.tier] * pop.price_factor, 2), ch["mrr"][keep]])
    order = np.lexsort((start, account))
    account, start, kind, tier, units, mrr = (a[order] for a in (account, start, kind, tier, units, mrr))
    rows = len(account)

    same_next = np.zeros(rows, dtype=bool)
    same_next[:-1] = account[1:] == account[:-1]
    ended = np.full(rows, NO_TIME, dtype=np.int64)
    ended[:-1] = np.where(same_next[:-1], start[1:], NO_TIME)
    reason = np.full(rows, -1, dtype=np.int64)
    next_kind = np.zeros(rows, dtype=np.int64)
    next_kind[:-1] = kind[1:]
    for k, r in _REASON_OF_KIND.items():
        reason[same_next & (next_kind == k)] = r
    churn_at = world.churned_at[account]
    last = ~same_next & (churn_at < grid.end)
    ended[last] = churn_at[last]
    reason[last] = np.where(rng.random(int(last.sum())) < CANCELLED_SHARE, 4, 0)

    start_month = grid.month_of(start)
    mtr = (pop.created_month[account] - start_month) % term
    renewal = anniversary(grid, start_month + mtr, pop.anniversary_offset[account])
    renewal = np.where(renewal <= start, anniversary(grid, start_month + mtr + term, pop.anniversary_offset[account]),
                       renewal)
    renewal_missing = with_nulls(rng, rows, v.missing.get("renewal_at", 0.03))
    seats_missing = np.ones(rows, dtype=bool) if not seats else with_nulls(rng, rows, v.missing.get("seats", 0.02))
    return pd.DataFrame(copy=False, data={
        "subscription_id": pd.Series(sequential_ids("SUB", rows), dtype="str"),
        "account_id": pick(ids, account),
        "plan_tier": pick(np.asarray(v.plan_tiers), tier),
        "started_at": timestamps(start),
        "ended_at": timestamps(ended, ended == NO_TIME),
        "renewal_at": timestamps(renewal, renewal_missing),
        "mrr": floats(mrr),
        "seats": nullable_int(np.round(units).astype(np.int64), seats_missing),
        "end_reason": pick(END_REASONS, reason),
    })

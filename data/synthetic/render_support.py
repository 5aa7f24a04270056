"""The ``support_tickets`` table: tickets arrive faster and go worse when an account's latent pain is high.

Monthly ticket counts are Poisson(rate × exp(pain)); severity shifts up with pain; time to close
is lognormal; CSAT falls with pain and with slow resolution and is left blank on many tickets.
Tickets still open at the end of the data have no close time and no CSAT.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from data.contract import SEVERITIES
from data.synthetic.columns import nullable_int, pick, sequential_ids, timestamps, with_nulls
from data.synthetic.world import World

CSAT_MISSING = 0.4


def render_support(world: World, ids: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    pop, grid, v = world.pop, world.grid, world.scenario.vocab
    M = grid.months
    pain = world.pain[:, :M].astype(np.float64)
    rate = pop.ticket_rate[:, None] * np.exp(pain)
    exists = (pop.created_month[:, None] <= np.arange(M)[None, :])
    counts = rng.poisson(rate * exists)
    account, month = np.nonzero(counts)
    reps = counts[account, month]
    account, month = np.repeat(account, reps), np.repeat(month, reps)
    opened = grid.at(month, rng.random(len(account)))
    keep = (opened >= pop.created_at[account]) & (opened < world.churned_at[account]) & (opened < grid.end)
    account, month, opened = account[keep], month[keep], opened[keep]
    order = np.lexsort((opened, account))
    account, month, opened = account[order], month[order], opened[order]
    n = len(account)
    p = pain[account, month]

    sev_score = 0.8 * p + rng.normal(0, 1, n)
    severity = np.digitize(sev_score, [0.0, 1.1, 2.2])  # low, medium, high, critical
    median_hours = np.array([30.0, 20.0, 10.0, 4.0])[severity]
    hours = median_hours * np.exp(rng.normal(0, 1.0, n) + 0.3 * p)
    closed = opened + (hours * 3600).astype(np.int64)
    still_open = closed >= grid.end
    csat_raw = 4.3 - 0.7 * p - 0.25 * np.log1p(hours / 24) + rng.normal(0, 0.7, n)
    csat = np.clip(np.round(csat_raw), 1, 5).astype(np.int64)
    csat_missing = still_open | with_nulls(rng, n, CSAT_MISSING)
    category = rng.integers(0, len(v.ticket_categories), n)
    category = np.where(with_nulls(rng, n, v.missing.get("ticket_category", 0.05)), -1, category)
    return pd.DataFrame(copy=False, data={
        "ticket_id": pd.Series(sequential_ids("TCK", n), dtype="str"),
        "account_id": pick(ids, account),
        "opened_at": timestamps(opened),
        "closed_at": timestamps(closed, still_open),
        "severity": pick(np.asarray(SEVERITIES), severity),
        "category": pick(np.asarray(v.ticket_categories), category),
        "csat": nullable_int(csat, csat_missing),
    })

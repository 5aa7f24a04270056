"""The ``offers`` table: every upsell offer the legacy process made and what became of it."""
from __future__ import annotations

import numpy as np
import pandas as pd

from data.contract import CHANNELS
from data.synthetic.columns import floats, pick, sequential_ids, timestamps, with_nulls
from data.synthetic.world import NO_TIME, OUTCOME_CODES, PENDING, World

# which channels each owner role uses (probabilities over data.contract.CHANNELS order)
CHANNEL_MIX: dict[str, tuple[float, ...]] = {
    #                   email  call  in_app demo  other
    "sales_rep":        (0.15, 0.50, 0.00, 0.33, 0.02),
    "account_manager":  (0.35, 0.43, 0.00, 0.20, 0.02),
    "customer_success": (0.50, 0.28, 0.20, 0.00, 0.02),
    "automated":        (0.60, 0.00, 0.37, 0.00, 0.03),
}


def render_offers(world: World, ids: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Offers sorted by account and time; outcomes still open at the end of the data are pending."""
    o, grid, v = world.offers, world.grid, world.scenario.vocab
    account = o["account"].astype(np.int64)
    churned_at = world.churned_at[account]
    keep = (o["offered_at"] < grid.end) & (o["offered_at"] < churned_at) & (o["offered_at"] >= world.pop.created_at[account])
    cols = {k: np.asarray(val)[keep] for k, val in o.items()}
    account = account[keep]
    order = np.lexsort((cols["offered_at"], account))
    cols = {k: val[order] for k, val in cols.items()}
    account = account[order]
    n = len(account)

    outcome = cols["outcome"].astype(np.int64)
    control = cols["is_control"].astype(bool)
    outcome_at = cols["outcome_at"].astype(np.int64)
    open_at_end = (outcome_at >= grid.end) & ~control
    outcome = np.where(open_at_end, PENDING, outcome)
    outcome_missing = open_at_end | control
    reenter = cols["reenter_at"].astype(np.int64)
    reenter_missing = (reenter == NO_TIME) | open_at_end
    revenue = cols["revenue"].astype(np.float64)
    revenue_missing = np.isnan(revenue) | open_at_end

    roles_of_segment = np.asarray(v.segment_roles, dtype=object)[world.pop.segment[account], cols["role"].astype(np.int64)]
    channel = np.empty(n, dtype=np.int64)
    u = rng.random(n)
    for role, mix in CHANNEL_MIX.items():
        w = roles_of_segment == role
        channel[w] = np.searchsorted(np.cumsum(mix), u[w] * sum(mix), side="right")
    channel = np.minimum(channel, len(CHANNELS) - 1)
    role_names = np.asarray(sorted(CHANNEL_MIX))
    role_code = np.searchsorted(role_names, roles_of_segment.astype(str))
    role_code = np.where(with_nulls(rng, n, v.missing.get("owner_role", 0.03)), -1, role_code)
    return pd.DataFrame(copy=False, data={
        "offer_id": pd.Series(sequential_ids("OFF", n), dtype="str"),
        "account_id": pick(ids, account),
        "offered_at": timestamps(cols["offered_at"]),
        "offer_type": pick(np.asarray(v.offer_types), cols["kind"].astype(np.int64)),
        "channel": pick(np.asarray(CHANNELS), channel),
        "owner_role": pick(role_names, role_code),
        "outcome": pick(np.asarray(OUTCOME_CODES), outcome),
        "outcome_at": timestamps(outcome_at, outcome_missing),
        "revenue": floats(revenue, revenue_missing),
        "reenter_at": timestamps(reenter, reenter_missing),
        "is_control": pd.Series(control, dtype=bool),
    })

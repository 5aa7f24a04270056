"""A small simulated SaaS world for the model tests (independent of the project's generator).

Each account has a hidden monthly "momentum" (a random walk). Momentum drives daily utilisation
of its seat quota and the daily hazard of upgrading (a new subscription row with higher MRR, which
the ``expansion`` label counts). The hazard is constant within a month, so the true probability of
an upgrade in the 90 days after a month start is known approximately and written as ``truth``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

SEGMENTS = np.array(["smb", "mid_market", "enterprise"])


def simulate(n_accounts: int = 600, start: str = "2023-01-01", end: str = "2025-01-01", seed: int = 7) -> dict[str, pd.DataFrame]:
    """Tables (accounts, subscriptions, usage) plus ``_truth`` for a small SaaS world."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, end, freq="D", inclusive="left")
    ids = np.array([f"A{i:05d}" for i in range(n_accounts)])
    created = pd.Timestamp(start) - pd.to_timedelta(rng.integers(30, 700, n_accounts), unit="D")
    segment = SEGMENTS[rng.integers(0, 3, n_accounts)]
    affinity = rng.normal(0, 0.6, n_accounts)  # a stable trait the segment partly reveals
    affinity += np.where(segment == "enterprise", 0.4, np.where(segment == "smb", -0.3, 0.0))
    seats = rng.integers(5, 50, n_accounts).astype(float)
    mrr = seats * 20.0
    momentum = rng.normal(0, 0.7, n_accounts)
    sub_start = created.to_numpy().copy()
    sub_rows: list[tuple] = []
    usage_acc, usage_day, usage_val, usage_quota = [], [], [], []
    truth_rows: list[pd.DataFrame] = []
    sub_counter = 0
    for day in days:
        if day.day == 1:
            momentum = 0.8 * momentum + rng.normal(0, 0.45, n_accounts)
            hazard = 0.0015 * np.exp(1.4 * momentum + affinity)
            truth_rows.append(pd.DataFrame({"account_id": ids, "as_of": day, "horizon_days": 90, "probability": 1 - np.exp(-90 * hazard)}))
        util = np.clip(1 / (1 + np.exp(-(momentum * 1.5 + 0.3))) + rng.normal(0, 0.05, n_accounts), 0.02, 1.3)
        every_other = (day.day_of_year % 2) == 0
        if every_other:
            usage_acc.append(ids)
            usage_day.append(np.full(n_accounts, day.date()))
            usage_val.append(np.round(util * seats))
            usage_quota.append(seats.copy())
        upgrade = rng.random(n_accounts) < hazard
        for i in np.flatnonzero(upgrade):
            sub_rows.append((f"S{sub_counter:07d}", ids[i], "pro", sub_start[i], day, "upgraded", mrr[i], int(seats[i])))
            sub_counter += 1
            seats[i] = np.ceil(seats[i] * 1.3)
            mrr[i] = seats[i] * 20.0
            sub_start[i] = np.datetime64(day)
            momentum[i] -= 0.8  # more room after upgrading
    for i in range(n_accounts):
        sub_rows.append((f"S{sub_counter:07d}", ids[i], "pro", sub_start[i], pd.NaT, None, mrr[i], int(seats[i])))
        sub_counter += 1
    accounts = pd.DataFrame({"account_id": ids, "created_at": created.astype("datetime64[us]"), "segment": segment,
                             "industry": rng.choice(["tech", "retail", "health"], n_accounts)})
    subs = pd.DataFrame(sub_rows, columns=["subscription_id", "account_id", "plan_tier", "started_at", "ended_at", "end_reason", "mrr", "seats"])
    subs["started_at"] = pd.to_datetime(subs["started_at"]).astype("datetime64[us]")
    subs["ended_at"] = pd.to_datetime(subs["ended_at"]).astype("datetime64[us]")
    subs["renewal_at"] = pd.Series(pd.NaT, index=subs.index, dtype="datetime64[us]")
    subs["seats"] = subs["seats"].astype("int64")
    usage = pd.DataFrame({
        "account_id": np.concatenate(usage_acc),
        "usage_date": np.concatenate(usage_day),
        "metric": "seats_used",
        "value": np.concatenate(usage_val),
        "quota": np.concatenate(usage_quota),
    })
    usage["usage_date"] = pd.to_datetime(usage["usage_date"]).dt.date
    truth = pd.concat(truth_rows, ignore_index=True)
    truth["as_of"] = truth["as_of"].astype("datetime64[us]")
    return {"accounts": accounts, "subscriptions": subs, "usage": usage, "_truth": truth}

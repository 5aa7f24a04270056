"""The ``usage`` table: per-metric daily aggregates, sampled every ``interval_days`` days.

Log demand moves smoothly between month starts (the world's log utilisation plus log allowance);
the allowance (quota) jumps on the day of an upgrade or downgrade, so utilisation drops right
after an expansion. Each metric reads the same latent utilisation through its own lens (offset,
power, noise, cap); count metrics without a quota (milestones) are Poisson in the sampled interval.
Rows stop at churn and never come before signup.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.synthetic.calendar import SECONDS_PER_DAY
from data.synthetic.columns import pick, with_nulls
from data.synthetic.world import World

CHUNK_ACCOUNTS = 20_000


@dataclass(frozen=True)
class Metric:
    """How one usage metric reads the account's latent utilisation."""

    name: str
    quota_per_unit: float | None  # quota = units × this × allowance; None: no quota (a count)
    offset: float = 0.0  # log-utilisation offset of this metric
    power: float = 1.0  # elasticity to the latent utilisation
    noise_sd: float = 0.1  # day-to-day noise (log scale)
    cap: float = 5.0  # maximum utilisation (seats cannot be used far beyond licences)
    integer: bool = False
    active_users: bool = False  # this metric's value is the number of active users
    count_rate: float = 0.0  # for quota-less counts: events per interval at utilisation 1
    account_sd: float = 0.05  # per-account spread of the offset (small: utilisation must stay readable)


def render_usage(world: World, ids: np.ndarray, metrics: tuple[Metric, ...], rng: np.random.Generator,
                 interval_days: int = 7) -> pd.DataFrame:
    """Usage rows sorted by account, date, metric (built in that order into preallocated columns)."""
    metrics = tuple(sorted(metrics, key=lambda m: m.name))
    k_metrics = len(metrics)
    pop, grid = world.pop, world.grid
    first_day = grid.start // SECONDS_PER_DAY
    n_steps = int(np.ceil((grid.end - grid.start) / SECONDS_PER_DAY / interval_days)) + 1
    offsets = rng.integers(0, interval_days, pop.n)
    metric_offset = np.stack([m.offset + rng.normal(0, m.account_sd, pop.n) for m in metrics], axis=1)
    steps = interval_days * np.arange(n_steps)[None, :]
    created_day = pop.created_at // SECONDS_PER_DAY * SECONDS_PER_DAY

    def sample_times(acc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = (first_day + offsets[acc, None] + steps) * SECONDS_PER_DAY
        valid = (t >= created_day[acc, None]) & (t < grid.end) & (t < world.churned_at[acc, None])
        return t, valid

    chunks = [np.arange(lo, min(lo + CHUNK_ACCOUNTS, pop.n)) for lo in range(0, pop.n, CHUNK_ACCOUNTS)]
    total = sum(int(sample_times(acc)[1].sum()) for acc in chunks) * k_metrics
    account_col = np.empty(total, dtype=np.int32)
    time_col = np.empty(total, dtype=np.int64)
    value_col = np.empty(total)
    quota_col = np.full(total, np.nan)
    users_col = np.full(total, -1, dtype=np.int64)
    pos = 0
    for acc in chunks:
        t, valid = sample_times(acc)
        a_idx, j = np.nonzero(valid)  # account-major, dates ascending within an account
        a = acc[a_idx]
        t = t[a_idx, j]
        rows = len(a)
        block = slice(pos, pos + rows * k_metrics)
        account_col[block].reshape(rows, k_metrics)[:] = a[:, None]
        time_col[block].reshape(rows, k_metrics)[:] = t[:, None]
        value = value_col[block].reshape(rows, k_metrics)
        quota = quota_col[block].reshape(rows, k_metrics)
        users = users_col[block].reshape(rows, k_metrics)
        pos += rows * k_metrics

        m = np.searchsorted(grid.starts, t, side="right") - 1
        frac = ((t - grid.starts[m]) / grid.length(m)).astype(np.float32)
        ld0 = world.util[a, m] + world.log_allowance[a, m]
        ld1 = world.util[a, m + 1] + world.log_allowance[a, m + 1]
        cf = world.change_frac[a, m]
        after_change = ~np.isnan(cf) & (frac >= cf)
        log_allow = np.where(after_change, world.log_allowance[a, m + 1], world.log_allowance[a, m])
        util = ld0 + (ld1 - ld0) * frac - log_allow
        base_quota = pop.units[a] * np.exp(log_allow.astype(np.float64))
        for k, spec in enumerate(metrics):
            noise = rng.standard_normal(rows, dtype=np.float32) * np.float32(spec.noise_sd)
            u_metric = np.minimum(np.exp(spec.power * util + metric_offset[a, k] + noise), spec.cap)
            if spec.quota_per_unit is None:
                value[:, k] = rng.poisson(spec.count_rate * u_metric)
                continue
            q = np.maximum(base_quota * spec.quota_per_unit, 1e-3)
            if spec.integer:
                q = np.maximum(np.round(q), 1.0)
            v = u_metric * q
            value[:, k] = np.round(v) if spec.integer else np.round(v, 3)
            quota[:, k] = q
            if spec.active_users:
                users[:, k] = value[:, k]
    metric_code = np.tile(np.arange(k_metrics, dtype=np.int32), total // k_metrics if k_metrics else 0)
    quota_col[with_nulls(rng, total, world.scenario.vocab.missing.get("quota", 0.01))] = np.nan
    users_missing = users_col < 0
    users_col[users_missing] = 0
    time_col *= 1_000_000
    return pd.DataFrame(copy=False, data={
        "account_id": pick(ids, account_col),
        "usage_date": pd.Series(time_col.view("datetime64[us]"), copy=False),
        "metric": pick(np.asarray([m.name for m in metrics]), metric_code),
        "value": pd.Series(value_col, copy=False),
        "quota": pd.Series(quota_col, copy=False),
        "active_users": pd.Series(pd.arrays.IntegerArray(users_col, users_missing), copy=False),
    })

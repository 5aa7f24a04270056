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
from data.synthetic.columns import floats, nullable_int, pick, with_nulls
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
    """Usage rows sorted by account, date, metric (built in that order: no sort needed)."""
    metrics = tuple(sorted(metrics, key=lambda m: m.name))
    k_metrics = len(metrics)
    pop, grid = world.pop, world.grid
    first_day = grid.start // SECONDS_PER_DAY
    n_steps = int(np.ceil((grid.end - grid.start) / SECONDS_PER_DAY / interval_days)) + 1
    offsets = rng.integers(0, interval_days, pop.n)
    metric_offset = np.stack([m.offset + rng.normal(0, m.account_sd, pop.n) for m in metrics], axis=1)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("account", "day", "value", "quota", "users")}
    for lo in range(0, pop.n, CHUNK_ACCOUNTS):
        acc = np.arange(lo, min(lo + CHUNK_ACCOUNTS, pop.n))
        t = (first_day + offsets[acc, None] + interval_days * np.arange(n_steps)[None, :]) * SECONDS_PER_DAY
        valid = (t >= (pop.created_at[acc, None] // SECONDS_PER_DAY) * SECONDS_PER_DAY) & (t < grid.end)
        valid &= t < world.churned_at[acc, None]
        a_idx, j = np.nonzero(valid)  # account-major, dates ascending within an account
        a = acc[a_idx]
        t = t[a_idx, j]
        rows = len(a)
        m = np.searchsorted(grid.starts, t, side="right") - 1
        frac = ((t - grid.starts[m]) / grid.length(m)).astype(np.float32)
        ld0 = world.util[a, m] + world.log_allowance[a, m]
        ld1 = world.util[a, m + 1] + world.log_allowance[a, m + 1]
        cf = world.change_frac[a, m]
        after_change = ~np.isnan(cf) & (frac >= cf)
        log_allow = np.where(after_change, world.log_allowance[a, m + 1], world.log_allowance[a, m])
        util = ld0 + (ld1 - ld0) * frac - log_allow
        base_quota = pop.units[a] * np.exp(log_allow.astype(np.float64))
        value = np.empty((rows, k_metrics))
        quota = np.full((rows, k_metrics), np.nan)
        users = np.full((rows, k_metrics), -1.0)
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
        parts["account"].append(np.repeat(a, k_metrics))
        parts["day"].append(np.repeat(t, k_metrics))
        parts["value"].append(value.ravel())
        parts["quota"].append(quota.ravel())
        parts["users"].append(users.ravel())
    cols = {k: np.concatenate(v) if v else np.empty(0) for k, v in parts.items()}
    n = len(cols["account"])
    metric_code = np.tile(np.arange(k_metrics), n // k_metrics if k_metrics else 0)
    quota_missing = np.isnan(cols["quota"]) | with_nulls(rng, n, world.scenario.vocab.missing.get("quota", 0.01))
    users_missing = cols["users"] < 0
    return pd.DataFrame(copy=False, data={
        "account_id": pick(ids, cols["account"]),
        "usage_date": pd.Series((cols["day"] * 1_000_000).astype("datetime64[us]")),
        "metric": pick(np.asarray([m.name for m in metrics]), metric_code),
        "value": pd.Series(cols["value"]),
        "quota": floats(cols["quota"], quota_missing),
        "active_users": nullable_int(np.where(users_missing, 0, cols["users"]).astype(np.int64), users_missing),
    })

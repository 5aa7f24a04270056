"""``generate``: one scenario's synthetic data set as contract-typed frames plus the truth frame."""
from __future__ import annotations

from datetime import date
from types import ModuleType

import numpy as np
import pandas as pd

from data.contract import TABLE_NAMES
from data.errors import UpsellError
from data.synthetic import b2b_services, ecommerce, saas, telecom
from data.synthetic.calendar import MonthGrid, to_datetime64
from data.synthetic.columns import pick
from data.synthetic.population import draw_population
from data.synthetic.render_accounts import account_ids, render_accounts
from data.synthetic.world import World, simulate

SCENARIOS: dict[str, ModuleType] = {
    "saas": saas,
    "ecommerce": ecommerce,
    "b2b_services": b2b_services,
    "telecom": telecom,
}
TRUTH = "_truth"  # key of the truth frame in generate()'s result
HORIZONS = (30, 90, 180)
MAX_ACCOUNTS = 5_000_000
_STREAMS = ("population", "world", "accounts", "subscriptions", "usage", "support_tickets", "offers", "purchases")


def addon_categories(scenario: str) -> tuple[str, ...]:
    """Purchase categories that count as an expansion (add-on) in ``scenario`` (empty if none)."""
    return SCENARIOS[_check_scenario(scenario)].SCENARIO.addon_categories


def _check_scenario(scenario: str) -> str:
    if scenario not in SCENARIOS:
        raise UpsellError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    return scenario


def generate(
    scenario: str,
    n_accounts: int,
    seed: int,
    end: date,
    months: int = 24,
    usage_interval_days: int = 7,
    horizons: tuple[int, ...] = HORIZONS,
) -> dict[str, pd.DataFrame]:
    """Simulate ``months`` months of ``scenario`` for ``n_accounts`` accounts up to ``end`` (exclusive).

    Returns the scenario's contract tables by name (``accounts`` always; see docs/scenarios.md for
    which others) and, under ``TRUTH``, the oracle: ``account_id``, ``as_of`` (every month start),
    ``horizon_days``, ``probability`` of an expansion in [as_of, as_of + horizon_days). The same
    arguments give identical frames.
    """
    module = SCENARIOS[_check_scenario(scenario)]
    if not 1 <= n_accounts <= MAX_ACCOUNTS:
        raise UpsellError(f"--accounts must be between 1 and {MAX_ACCOUNTS:,}, got {n_accounts}")
    if not 2 <= months <= 240:
        raise UpsellError(f"--months must be between 2 and 240, got {months}")
    if not 1 <= usage_interval_days <= 31:
        raise UpsellError(f"--usage-interval-days must be between 1 and 31, got {usage_interval_days}")
    if seed < 0:
        raise UpsellError(f"--seed must be >= 0, got {seed}")
    if not horizons or any(not 1 <= h <= 366 for h in horizons):
        raise UpsellError(f"horizons must be between 1 and 366 days, got {horizons}")
    if not date(1971, 1, 1) <= end <= date(2200, 1, 1):
        raise UpsellError(f"--end {end} is out of range")

    streams = dict(zip(_STREAMS, (np.random.Generator(np.random.PCG64(s))
                                  for s in np.random.SeedSequence(seed).spawn(len(_STREAMS)))))
    sc = module.SCENARIO
    grid = MonthGrid.ending(end, months)
    pop = draw_population(sc, n_accounts, grid, streams["population"])
    world = simulate(sc, pop, grid, streams["world"], tuple(sorted(set(horizons))))
    ids = account_ids(world)
    frames = {"accounts": render_accounts(world, ids, streams["accounts"])}
    frames.update(module.tables(world, ids, streams, usage_interval_days))
    frames = {name: frames[name] for name in TABLE_NAMES if name in frames}
    frames[TRUTH] = _truth_frame(world, ids)
    return frames


def _truth_frame(world: World, ids: np.ndarray) -> pd.DataFrame:
    """The oracle's rows, sorted by as_of, account_id, horizon_days (the order the world emits them)."""
    t = world.truth
    return pd.DataFrame(copy=False, data={
        "account_id": pick(ids, t["account"]),
        "as_of": pd.Series(to_datetime64(world.grid.starts[t["month"].astype(np.int64)])),
        "horizon_days": pd.Series(t["horizon"].astype(np.int64)),
        "probability": pd.Series(np.clip(t["probability"].astype(np.float64), 0.0, 1.0)),
    })

"""The ``purchases`` table (e-commerce): core orders driven by engagement, add-on orders = expansions.

Every account's first order is its signup. Core orders then arrive as Poisson(rate × exp(engagement))
per month in the account's preferred categories. Each expansion the world drew is an order in one
of the scenario's add-on categories (complementary products), at the instant the world drew it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from data.synthetic.columns import floats, nullable_int, pick, sequential_ids, timestamps, with_nulls
from data.synthetic.world import World

PRODUCTS_PER_CATEGORY = 40


def render_purchases(world: World, ids: np.ndarray, core_categories: tuple[str, ...],
                     rng: np.random.Generator) -> pd.DataFrame:
    pop, grid, sc = world.pop, world.grid, world.scenario
    addons = sc.addon_categories
    categories = np.asarray(core_categories + addons)
    n_core = len(core_categories)
    # each account's basket: a favourite category and a second one it sometimes buys
    fav = rng.integers(0, n_core, pop.n)
    second = (fav + rng.integers(1, n_core, pop.n)) % n_core
    spend_scale = np.log(pop.size) * 0.35 + 3.2

    acc_core, month = np.nonzero(world.purchases)
    reps = world.purchases[acc_core, month].astype(np.int64)
    acc_core, month = np.repeat(acc_core, reps), np.repeat(month, reps)
    t_core = grid.at(month, rng.random(len(acc_core)))
    ch = world.plan_changes
    acc_add = ch["account"].astype(np.int64)
    account = np.concatenate([np.arange(pop.n), acc_core, acc_add])
    time = np.concatenate([pop.created_at, t_core, ch["time"].astype(np.int64)])
    is_addon = np.concatenate([np.zeros(pop.n + len(acc_core), bool), np.ones(len(acc_add), bool)])
    n = len(account)
    core_cat = np.where(rng.random(n) < 0.7, fav[account], second[account])
    addon_cat = n_core + rng.integers(0, len(addons), n)
    category = np.where(is_addon, addon_cat, core_cat)
    amount = np.round(np.exp(spend_scale[account] + rng.normal(0, 0.6, n)), 2)
    amount = np.concatenate([amount[: n - len(acc_add)], ch["mrr"].astype(np.float64)])
    keep = (time >= pop.created_at[account]) & (time < grid.end) & ((time < world.churned_at[account]) | is_addon)
    account, time, category, amount, is_addon = (x[keep] for x in (account, time, category, amount, is_addon))
    order = np.lexsort((category, time, account))
    account, time, category, amount, is_addon = (x[order] for x in (account, time, category, amount, is_addon))
    n = len(account)
    quantity = 1 + rng.poisson(0.3, n)
    product = category * PRODUCTS_PER_CATEGORY + np.minimum(rng.zipf(1.6, n) - 1, PRODUCTS_PER_CATEGORY - 1)
    product_names = np.char.add(
        np.repeat(np.char.add(np.char.upper(np.char.replace(categories.astype(str), "_", "")[:][:]), "-"),
                  PRODUCTS_PER_CATEGORY),
        np.tile(np.char.zfill(np.arange(1, PRODUCTS_PER_CATEGORY + 1).astype(str), 3), len(categories)))
    miss = sc.vocab.missing
    product_missing = with_nulls(rng, n, miss.get("product_id", 0.02))
    category_missing = ~is_addon & with_nulls(rng, n, miss.get("category", 0.01))
    quantity_missing = with_nulls(rng, n, miss.get("quantity", 0.02))
    return pd.DataFrame(copy=False, data={
        "order_id": pd.Series(sequential_ids("ORD", n), dtype="str"),
        "account_id": pick(ids, account),
        "ordered_at": timestamps(time),
        "amount": floats(amount),
        "product_id": pick(product_names, np.where(product_missing, -1, product)),
        "category": pick(categories, np.where(category_missing, -1, category)),
        "quantity": nullable_int(quantity, quantity_missing),
    })

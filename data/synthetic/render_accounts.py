"""The ``accounts`` table: one row per account, attributes as the CRM holds them."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data.synthetic.columns import pick, sequential_ids, timestamps, with_nulls
from data.synthetic.spec import Vocabulary
from data.synthetic.world import World

_FIRST = ("Blue", "North", "Bright", "Silver", "Green", "Iron", "Summit", "Harbor", "Cedar", "Polar",
          "Swift", "Golden", "Prime", "Atlas", "Nova", "Red", "Clear", "True", "Delta", "Granite")
_SECOND = ("River", "Peak", "Field", "Stone", "Bridge", "Point", "Wave", "Forge", "Lake", "Ridge",
           "Path", "Gate", "Works", "Bay", "Line", "Oak", "Star", "Vale", "Crest", "Light")
_SUFFIX = ("Ltd", "Inc", "GmbH", "LLC", "Group", "Partners", "Labs", "Co", "Systems", "Holdings")
OWNERS_PER_ROLE = 25
_OWNER_PREFIX = {"sales_rep": "SR", "account_manager": "AM", "customer_success": "CS"}  # automated: no owner


def account_ids(world: World) -> np.ndarray:
    """Account ids in account-index order (zero-padded, so sorting ids sorts accounts)."""
    return sequential_ids(world.scenario.id_prefix, world.pop.n)


def size_band_codes(world: World) -> np.ndarray:
    return np.digitize(world.pop.size, world.scenario.vocab.size_edges)


def render_accounts(world: World, ids: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Accounts with heavy-tailed sizes, some blanks in optional columns, and an owner per account."""
    pop, v = world.pop, world.scenario.vocab
    n = pop.n
    miss = v.missing
    parts = [pa.array(np.asarray(words, dtype=object)).take(pa.array(rng.integers(0, len(words), n)))
             for words in (_FIRST, _SECOND, _SUFFIX)]
    names = pc.binary_join_element_wise(*parts, " ")
    # the owner: an account manager / CSM / rep from the pool that works the account's segment;
    # accounts worked only by the automated process have no owner
    roles = np.asarray(v.segment_roles)[pop.segment, rng.integers(0, len(v.segment_roles[0]), n)]
    all_roles = owner_roles(v)
    prefix = np.array([_OWNER_PREFIX.get(r, "") for r in all_roles])
    role_idx = np.searchsorted(np.asarray(all_roles), roles)
    owner_num = rng.integers(1, OWNERS_PER_ROLE + 1, n)
    owners = np.char.add(np.char.add(prefix[role_idx], "-"), np.char.zfill(owner_num.astype(str), 3))
    owner_missing = (prefix[role_idx] == "") | with_nulls(rng, n, miss.get("owner_id", 0.05))
    plan_tier = pick(np.asarray(v.plan_tiers), pop.tier)  # the tier at signup (not today's: no leak)
    return pd.DataFrame(copy=False, data={
        "account_id": pd.Series(ids, dtype="str"),
        "created_at": timestamps(pop.created_at),
        "name": pd.Series(names.to_pandas(), dtype="str"),
        "industry": pick(np.asarray(v.industries), np.where(with_nulls(rng, n, miss.get("industry", 0.05)), -1, pop.industry)),
        "region": pick(np.asarray(v.regions), np.where(with_nulls(rng, n, miss.get("region", 0.02)), -1, pop.region)),
        "segment": pick(np.asarray(v.segments), pop.segment),
        "size_band": pick(np.asarray(v.size_bands),
                          np.where(with_nulls(rng, n, miss.get("size_band", 0.03)), -1, size_band_codes(world))),
        "plan_tier": plan_tier,
        "owner_id": pick(owners, np.where(owner_missing, -1, np.arange(n))),
    })


def owner_roles(v: Vocabulary) -> list[str]:
    """All owner roles the scenario uses, sorted."""
    return sorted({r for roles in v.segment_roles for r in roles})

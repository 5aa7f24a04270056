"""Session-scoped synthetic data sets for the generator's tests (small: they run in seconds)."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from data.synthetic import SCENARIOS, TRUTH, addon_categories, generate

N_ACCOUNTS = 1500
SEED = 7
END = date(2026, 6, 30)


@pytest.fixture(scope="session")
def synthetic_sets() -> dict[str, dict[str, pd.DataFrame]]:
    """Every scenario generated once at N_ACCOUNTS accounts."""
    return {name: generate(name, N_ACCOUNTS, SEED, END) for name in SCENARIOS}


def expansion_events(frames: dict[str, pd.DataFrame], scenario: str) -> pd.DataFrame:
    """Expansion events recomputed from the tables as CONTRACT.md defines them (account_id, t).

    Written independently of the generator: accepted offers at outcome_at; subscription rows whose
    mrr exceeds the account's previous row's, at started_at; purchases in add-on categories.
    """
    parts = []
    offers = frames["offers"]
    accepted = offers[offers["outcome"] == "accepted"]
    parts.append(pd.DataFrame({"account_id": accepted["account_id"], "t": accepted["outcome_at"]}))
    if "subscriptions" in frames:
        subs = frames["subscriptions"].sort_values(["account_id", "started_at"])
        previous = subs.groupby("account_id")["mrr"].shift(1)
        up = subs[subs["mrr"] > previous]
        parts.append(pd.DataFrame({"account_id": up["account_id"], "t": up["started_at"]}))
    if "purchases" in frames:
        pur = frames["purchases"]
        add = pur[pur["category"].isin(addon_categories(scenario))]
        parts.append(pd.DataFrame({"account_id": add["account_id"], "t": add["ordered_at"]}))
    return pd.concat(parts, ignore_index=True)


def realised_labels(frames: dict[str, pd.DataFrame], scenario: str, horizon: int = 90) -> pd.DataFrame:
    """Truth rows of ``horizon`` whose window ends by END, with the realised 0/1 label."""
    truth = frames[TRUTH]
    window = pd.Timedelta(days=horizon)
    truth = truth[(truth["horizon_days"] == horizon) & (truth["as_of"] + window <= pd.Timestamp(END))]
    events = expansion_events(frames, scenario)
    pairs = truth[["account_id", "as_of"]].merge(events, on="account_id", how="inner")
    pairs = pairs[(pairs["t"] >= pairs["as_of"]) & (pairs["t"] < pairs["as_of"] + window)]
    hit = pairs[["account_id", "as_of"]].drop_duplicates().assign(label=1)
    out = truth.merge(hit, on=["account_id", "as_of"], how="left")
    out["label"] = out["label"].fillna(0).astype(np.int64)
    return out

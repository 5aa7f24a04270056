"""Benchmark: SOP decisions for 1M synthetic accounts with the shipped SaaS playbook.

Run on demand (not a test):  .venv/bin/python benchmarks/decide_bench.py [--accounts 1000000]

Prints the wall time of ``decide()``, rows per second, peak RSS, and ratios against two baselines
measured in the same run on the same frame: computing the ``score_band`` column alone (the
smallest per-account step, a lower bound) and a pandas sort of the scored frame by score then
account_id (what any ranking of the list costs).
"""
from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import pandas as pd

from pipeline.playbook import decide, resolve_playbook

AS_OF = pd.Timestamp("2026-11-25")


def synthetic_scored(n: int, seed: int = 0) -> pd.DataFrame:
    """Feature columns the SaaS playbook reads, with realistic ranges and ~5% missing values."""
    rng = np.random.default_rng(seed)

    def with_gaps(values: np.ndarray) -> np.ndarray:
        values = values.astype("float64")
        values[rng.random(n) < 0.05] = np.nan
        return values

    return pd.DataFrame({
        "account_id": pd.Series([f"acc{i:07d}" for i in rng.permutation(n)], dtype="str"),
        "score": with_gaps(rng.beta(1.2, 4.0, n)),
        "use_seats_used_util_last": with_gaps(rng.uniform(0.2, 1.1, n)),
        "use_api_calls_util_max_30d": with_gaps(rng.uniform(0.1, 1.3, n)),
        "use_days_above_100pct_30d": with_gaps(rng.poisson(0.5, n)),
        "sub_days_to_renewal": with_gaps(rng.integers(-10, 365, n)),
        "use_value_trend_30d": with_gaps(rng.uniform(-1, 1, n)),
        "use_active_days_30d": with_gaps(rng.integers(0, 31, n)),
        "use_days_since_last": with_gaps(rng.integers(0, 60, n)),
        "acct_tenure_days": with_gaps(rng.integers(0, 2000, n)),
        "sup_open_critical": with_gaps(rng.poisson(0.05, n)),
        "sup_high_or_critical_90d": with_gaps(rng.poisson(0.1, n)),
        "sup_csat_mean_180d": with_gaps(np.clip(rng.normal(4.2, 0.6, n), 1, 5)),
        "sub_is_active": rng.choice([0.0, 1.0], n, p=[0.08, 0.92]),
        "sub_n_downgrades_365d": with_gaps(rng.poisson(0.1, n)),
        "acct_segment": pd.Series(rng.choice(["smb", "mid_market", "enterprise"], n, p=[0.6, 0.3, 0.1]), dtype="category"),
    })


def synthetic_offers(scored: pd.DataFrame, per_account: float = 0.3, seed: int = 1) -> pd.DataFrame:
    """An offers history: ~0.3 offers per account over the last year, every outcome represented."""
    rng = np.random.default_rng(seed)
    m = int(len(scored) * per_account)
    offered = AS_OF - pd.to_timedelta(rng.integers(8, 365, m), unit="D")  # none this week: capacity starts fresh
    outcome = rng.choice(["accepted", "rejected", "deferred", "no_response", "pending"], m, p=[0.15, 0.35, 0.15, 0.25, 0.10])
    outcome_at = offered + pd.to_timedelta(rng.integers(0, 20, m), unit="D")
    return pd.DataFrame({
        "offer_id": [f"o{i:08d}" for i in range(m)],
        "account_id": scored["account_id"].to_numpy()[rng.integers(0, len(scored), m)],
        "offered_at": offered,
        "offer_type": "tier_upgrade",
        "channel": rng.choice(["email", "call", "in_app", "demo"], m),
        "owner_role": rng.choice(["account_manager", "sales_rep", "customer_success", "automated"], m),
        "outcome": outcome,
        "outcome_at": pd.Series(outcome_at).where(outcome != "pending"),
        "reenter_at": pd.Series(offered + pd.Timedelta(days=60)).where(outcome == "deferred"),
    })


def peak_rss_mb() -> float:
    scale = 1024 if sys.platform != "darwin" else 1024 * 1024  # ru_maxrss: KiB on Linux, bytes on macOS
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / scale / 1024


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.accounts
    playbook = resolve_playbook("saas")
    scored = synthetic_scored(n)
    offers = synthetic_offers(scored)
    accounts = pd.DataFrame({"account_id": scored["account_id"], "owner_id": "am_" + scored["account_id"].str[-3:]})
    rss_inputs = peak_rss_mb()

    bands = playbook.bands_high_to_low()
    edges = np.array([b.min_score for b in reversed(bands)])
    names = np.array([b.name for b in reversed(bands)], dtype=object)
    score = scored["score"].to_numpy()
    t_band, _ = timed(lambda: np.where(np.isnan(score), None, names[np.clip(np.searchsorted(edges, score, side="right") - 1, 0, None)]), 3)
    t_sort, _ = timed(lambda: scored.sort_values(["score", "account_id"], ascending=[False, True]), 3)
    t_decide, out = timed(lambda: decide(scored, playbook, offers, AS_OF, accounts))

    print(f"decide() on {n:,} accounts, {len(offers):,} offers, playbook {playbook.name} v{playbook.version}")
    print(f"  decide:                 {t_decide:8.2f} s   {n / t_decide:12,.0f} rows/s")
    print(f"  baseline score band:    {t_band:8.3f} s   ratio decide/band = {t_decide / t_band:8.1f}x")
    print(f"  baseline pandas sort:   {t_sort:8.3f} s   ratio decide/sort = {t_decide / t_sort:8.1f}x")
    print(f"  peak RSS: {peak_rss_mb():,.0f} MB (inputs alone: {rss_inputs:,.0f} MB)")
    finals = out["final_node"].value_counts()
    print("  final nodes: " + ", ".join(f"{k}={v:,}" for k, v in finals.items()))


if __name__ == "__main__":
    main()

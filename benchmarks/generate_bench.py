"""Generation throughput of the synthetic data sets (accounts/s, rows/s, peak memory).

    python -m benchmarks.generate_bench                 # 100k accounts, every scenario
    python -m benchmarks.generate_bench --million       # also 1M accounts (saas, 12 months, 14-day usage)
    python -m benchmarks.generate_bench --accounts 20000 --scenario telecom

The baseline measured in the same run is a plain numpy pass that draws and sorts as many rows as
the data set holds: the ratio says how far generation is from the cost of just materialising
that many random rows. Targets: 100k accounts well under a minute; 1M feasible.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from data.synthetic import SCENARIOS, TRUTH, generate, write_dataset

END = date(2026, 6, 30)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _baseline_seconds(rows: int) -> float:
    """Draw, sort and gather ``rows`` random values in chunks: the floor for making that many rows."""
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    left = rows
    while left > 0:
        k = min(left, 5_000_000)
        keys = rng.integers(0, 1 << 40, k)
        values = rng.random(k)
        values[np.argsort(keys)].sum()
        left -= k
    return time.perf_counter() - started


def bench(scenario: str, accounts: int, months: int, interval: int, write: bool) -> dict[str, float]:
    started = time.perf_counter()
    frames = generate(scenario, accounts, seed=1, end=END, months=months, usage_interval_days=interval)
    gen_s = time.perf_counter() - started
    rows = sum(len(f) for name, f in frames.items() if name != TRUTH)
    truth_rows = len(frames[TRUTH])
    write_s = 0.0
    if write:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            write_dataset(frames, Path(tmp) / scenario)
            write_s = time.perf_counter() - started
    del frames
    base_s = _baseline_seconds(rows + truth_rows)
    return {"gen_s": gen_s, "write_s": write_s, "rows": rows, "truth_rows": truth_rows, "base_s": base_s}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--usage-interval-days", type=int, default=7)
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), action="append")
    parser.add_argument("--no-write", action="store_true", help="time generation only")
    parser.add_argument("--million", action="store_true", help="also run 1M accounts of saas (12 months, 14-day usage)")
    args = parser.parse_args(argv)
    runs = [(s, args.accounts, args.months, args.usage_interval_days) for s in (args.scenario or list(SCENARIOS))]
    if args.million:
        runs.append(("saas", 1_000_000, 12, 14))
    print(f"{'scenario':<13} {'accounts':>9} {'months':>6} {'rows':>11} {'truth':>10} {'gen s':>7} {'write s':>7} "
          f"{'acc/s':>9} {'rows/s':>10} {'x baseline':>10} {'peak MB':>8}")
    for scenario, accounts, months, interval in runs:
        r = bench(scenario, accounts, months, interval, not args.no_write)
        total = r["gen_s"] + r["write_s"]
        print(f"{scenario:<13} {accounts:>9,} {months:>6} {r['rows']:>11,} {r['truth_rows']:>10,} {r['gen_s']:>7.1f} "
              f"{r['write_s']:>7.1f} {accounts / total:>9,.0f} {(r['rows'] + r['truth_rows']) / total:>10,.0f} "
              f"{total / r['base_s']:>10.1f} {_peak_rss_mb():>8,.0f}", flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()

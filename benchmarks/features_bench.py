"""Benchmark: point-in-time features on the saas scenario, against the DuckDB read floor and pandas.

    python benchmarks/features_bench.py                       # 100k accounts
    python benchmarks/features_bench.py --accounts 100000 1000000
    python benchmarks/features_bench.py --data-root DIR       # where generated data sets are kept

For each scale, every measurement runs in its own subprocess (so peak RSS is that work's own):
  floor   DuckDB reads every input column once: max(hash(col)) per column (plain max() would be
          answered from parquet statistics without reading data)
  one     build_features at one cutoff (Ibis on DuckDB, tables as views over the parquet files)
  twelve  build_features at 12 monthly cutoffs in one call
  pandas  the straightforward pandas implementation (features_pandas_reference.py), one cutoff,
          parquet read included (only at the smallest scale)
Times cover reading + computing + returning pandas; imports and interpreter start are excluded.
Targets: one <= 3x floor; twelve <= 4x one; pandas >= 5x one; peak RSS at 1M accounts <= 4 GB.
Run it once on a quiet machine; compare ratios, which are measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CUTOFF = "2024-12-01"
TWELVE = [f"2024-{m:02d}-01" for m in range(1, 13)]
END = "2025-01-01"
SEED = 7
HERE = Path(__file__).resolve().parent


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _parquet_tables(data: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(data.glob("*.parquet"))}


def child_floor(data: Path) -> float:
    import duckdb

    con = duckdb.connect()
    start = time.perf_counter()
    for path in _parquet_tables(data).values():
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()]
        exprs = ", ".join(f'max(hash("{c}"))' for c in cols)
        con.execute(f"SELECT {exprs} FROM read_parquet('{path}')").fetchall()
    return time.perf_counter() - start


def child_features(data: Path, cutoffs: list[str]) -> float:
    import ibis

    from data.tables import Tables
    from features import build_features

    start = time.perf_counter()
    con = ibis.duckdb.connect()
    tables = {name: con.read_parquet(path, table_name=f"src_{name}") for name, path in _parquet_tables(data).items()}
    frame = build_features(Tables(con=con, tables=tables, source=str(data)), cutoffs)
    elapsed = time.perf_counter() - start
    print(f"# {len(frame):,} rows x {frame.shape[1]} columns", file=sys.stderr)
    return elapsed


def child_pandas(data: Path) -> float:
    import pandas as pd

    sys.path.insert(0, str(HERE))
    from features_pandas_reference import features, read_tables

    start = time.perf_counter()
    frame = features(read_tables(data), pd.Timestamp(CUTOFF))
    elapsed = time.perf_counter() - start
    print(f"# {len(frame):,} rows x {frame.shape[1]} columns", file=sys.stderr)
    return elapsed


def run_child(kind: str, data: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", kind, "--data", str(data)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent,
                          env={**os.environ, "PYTHONPATH": str(HERE.parent)})
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{proc.stderr}")
    sys.stderr.write(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def ensure_data(root: Path, accounts: int) -> Path:
    out = root / f"saas_{accounts}"
    if not (out / "accounts.parquet").exists():
        print(f"generating saas with {accounts:,} accounts into {out} ...", flush=True)
        subprocess.run([str(Path(sys.executable).with_name("upsell")), "generate", "--scenario", "saas",
                        "--accounts", str(accounts), "--seed", str(SEED), "--end", END, "--out", str(out)], check=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, nargs="+", default=[100_000])
    parser.add_argument("--data-root", type=Path, default=Path(tempfile.gettempdir()) / "upsell-features-bench")
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--child", choices=["floor", "one", "twelve", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        seconds = {"floor": lambda: child_floor(args.data), "one": lambda: child_features(args.data, [CUTOFF]),
                   "twelve": lambda: child_features(args.data, TWELVE), "pandas": lambda: child_pandas(args.data)}[args.child]()
        print(json.dumps({"seconds": seconds, "peak_rss_mb": _peak_rss_mb()}))
        return

    smallest = min(args.accounts)
    results = {}
    for n in sorted(args.accounts):
        data = ensure_data(args.data_root, n)
        size = sum(p.stat().st_size for p in _parquet_tables(data).values()) / 2**20
        kinds = ["floor", "one", "twelve"] + (["pandas"] if n == smallest and not args.skip_pandas else [])
        r = {k: run_child(k, data) for k in kinds}
        results[n] = r
        print(f"\nsaas, {n:,} accounts ({size:,.0f} MB parquet), cutoff {CUTOFF}; twelve = {TWELVE[0]}..{TWELVE[-1]}")
        print(f"{'measurement':<34}{'seconds':>10}{'peak RSS MB':>14}")
        for k in kinds:
            print(f"{k:<34}{r[k]['seconds']:>10.2f}{r[k]['peak_rss_mb']:>14.0f}")
        one, floor, twelve = r["one"]["seconds"], r["floor"]["seconds"], r["twelve"]["seconds"]
        print(f"one cutoff / floor      = {one / floor:6.2f}x   (target <= 3)   {'ok' if one <= 3 * floor else 'MISSED'}")
        print(f"12 cutoffs / one cutoff = {twelve / one:6.2f}x   (target <= 4)   {'ok' if twelve <= 4 * one else 'MISSED'}")
        if "pandas" in r:
            p = r["pandas"]["seconds"]
            print(f"pandas / one cutoff     = {p / one:6.2f}x   (target >= 5)   {'ok' if p >= 5 * one else 'MISSED'}")
        if n >= 1_000_000:
            peak = max(r["one"]["peak_rss_mb"], r["twelve"]["peak_rss_mb"])
            print(f"peak RSS                = {peak / 1024:6.2f} GB  (target <= 4)   {'ok' if peak <= 4096 else 'MISSED'}")


if __name__ == "__main__":
    main()

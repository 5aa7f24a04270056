"""Benchmark: point-in-time features on the saas scenario, against the DuckDB read floor and pandas.

    python benchmarks/features_bench.py                       # 100k accounts
    python benchmarks/features_bench.py --accounts 100000 1000000
    python benchmarks/features_bench.py --data-root DIR       # where generated data sets are kept
    python benchmarks/features_bench.py --repeat 3            # medians of 3 interleaved rounds (steadier ratios)

For each scale, every measurement runs in its own subprocess (so peak RSS is that work's own):
  floor   DuckDB reads every input column once: max(hash(col)) per column (plain max() would be
          answered from parquet statistics without reading data)
  one     write_feature_parquet at one cutoff: the features streamed to a parquet file in a temp
          directory (Ibis on DuckDB, tables as views over the parquet files; what `upsell features` runs)
  twelve  the same at 12 monthly cutoffs in one call (one query for all cutoffs)
  one_frame, twelve_frame
          build_features: the same, returned as one pandas frame in memory (only at the smallest
          scale, and below 500k accounts: at 1M accounts twelve cutoffs are ~12M rows x 57 columns
          in memory, 9.9 GB peak RSS, and pandas peaks at 16.6 GB)
  pandas  the straightforward pandas implementation (features_pandas_reference.py), one cutoff,
          parquet read included (only at the smallest scale, below 500k accounts)
Times cover reading + computing + writing the file (or returning pandas); imports and interpreter
start are excluded. DuckDB runs with the project's memory settings (data.duckdb_connection:
UPSELL_DUCKDB_MEMORY_LIMIT, default 3 GB).
Targets: one <= 3x floor; twelve <= 4x one; pandas >= 5x one (in memory, frame against frame);
peak RSS at 1M accounts <= 4 GB (one and twelve).
Run it once on a quiet machine; compare ratios, which are measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from data.tables import Tables

CUTOFF = "2024-12-01"
TWELVE = [f"2024-{m:02d}-01" for m in range(1, 13)]
END = "2025-01-01"
SEED = 7
HERE = Path(__file__).resolve().parent


def _cpu_seconds() -> float:
    """User + system CPU of this process (all threads): less sensitive than wall time to a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _parquet_tables(data: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(data.glob("*.parquet"))}


def child_floor(data: Path) -> tuple[float, float]:
    import duckdb

    con = duckdb.connect()
    start, cpu = time.perf_counter(), _cpu_seconds()
    for path in _parquet_tables(data).values():
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()]
        exprs = ", ".join(f'max(hash("{c}"))' for c in cols)
        con.execute(f"SELECT {exprs} FROM read_parquet('{path}')").fetchall()
    return time.perf_counter() - start, _cpu_seconds() - cpu


def _import_backend() -> None:
    """Load Ibis's DuckDB backend (about 0.5 s of imports) before a timer starts, as the floor imports duckdb."""
    import ibis

    ibis.duckdb  # noqa: B018 - the attribute access imports the backend


def _feature_tables(data: Path) -> "Tables":
    from data.duckdb_connection import connect_duckdb
    from data.tables import Tables

    con = connect_duckdb()
    tables = {name: con.read_parquet(path, table_name=f"src_{name}") for name, path in _parquet_tables(data).items()}
    return Tables(con=con, tables=tables, source=str(data))


def child_features(data: Path, cutoffs: list[str]) -> tuple[float, float]:
    """build_features: the whole result as one pandas frame."""
    from features import build_features

    _import_backend()
    start, cpu = time.perf_counter(), _cpu_seconds()
    frame = build_features(_feature_tables(data), cutoffs)
    elapsed = time.perf_counter() - start, _cpu_seconds() - cpu
    print(f"# {len(frame):,} rows x {frame.shape[1]} columns", file=sys.stderr)
    return elapsed


def child_stream(data: Path, cutoffs: list[str]) -> tuple[float, float]:
    """write_feature_parquet: the result streamed to a parquet file, never held whole."""
    from features.output import write_feature_parquet

    _import_backend()
    with tempfile.TemporaryDirectory(prefix="features-bench-") as tmp:
        out = Path(tmp) / "features.parquet"
        start, cpu = time.perf_counter(), _cpu_seconds()
        result = write_feature_parquet(_feature_tables(data), cutoffs, out)
        elapsed = time.perf_counter() - start, _cpu_seconds() - cpu
        size = out.stat().st_size / 2**20
    print(f"# {result.rows:,} rows x {len(result.columns)} columns, {size:,.0f} MB parquet", file=sys.stderr)
    return elapsed


def child_pandas(data: Path) -> tuple[float, float]:
    import pandas as pd

    sys.path.insert(0, str(HERE))
    from features_pandas_reference import features, read_tables

    start, cpu = time.perf_counter(), _cpu_seconds()
    frame = features(read_tables(data), pd.Timestamp(CUTOFF))
    elapsed = time.perf_counter() - start, _cpu_seconds() - cpu
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


# From this many accounts on, the generator writes 14 months of fortnightly usage (about 90M usage
# rows at 1M accounts) so that generating the data fits in memory; below it, the default history
# of weekly usage (about 20M rows at 100k accounts).
LARGE = 500_000


def ensure_data(root: Path, accounts: int) -> Path:
    out = root / f"saas_{accounts}"
    if not (out / "accounts.parquet").exists():
        print(f"generating saas with {accounts:,} accounts into {out} ...", flush=True)
        large = ["--months", "14", "--usage-interval-days", "14"] if accounts >= LARGE else []
        subprocess.run([str(Path(sys.executable).with_name("upsell")), "generate", "--scenario", "saas",
                        "--accounts", str(accounts), "--seed", str(SEED), "--end", END, "--out", str(out), *large],
                       check=True)
    return out


CHILDREN: dict[str, Callable[[Path], tuple[float, float]]] = {
    "floor": child_floor,
    "one": lambda data: child_stream(data, [CUTOFF]),
    "twelve": lambda data: child_stream(data, TWELVE),
    "one_frame": lambda data: child_features(data, [CUTOFF]),
    "twelve_frame": lambda data: child_features(data, TWELVE),
    "pandas": child_pandas,
}


def _measure(kinds: list[str], data: Path, rounds: int) -> dict[str, dict[str, float]]:
    """Every kind once per round, rounds one after another, so a machine that speeds up or slows
    down during the run moves every kind alike; times are the median over rounds, RSS the peak."""
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    for _ in range(rounds):
        for k in kinds:
            runs[k].append(run_child(k, data))
    return {k: {"seconds": statistics.median(x["seconds"] for x in v),
                "cpu_seconds": statistics.median(x["cpu_seconds"] for x in v),
                "peak_rss_mb": max(x["peak_rss_mb"] for x in v)} for k, v in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, nargs="+", default=[100_000])
    parser.add_argument("--data-root", type=Path, default=Path(tempfile.gettempdir()) / "upsell-features-bench")
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of every measurement, interleaved; each is reported as its median")
    parser.add_argument("--child", choices=list(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        seconds, cpu = CHILDREN[args.child](args.data)
        print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": _peak_rss_mb()}))
        return

    smallest = min(args.accounts)
    results = {}
    for n in sorted(args.accounts):
        data = ensure_data(args.data_root, n)
        size = sum(p.stat().st_size for p in _parquet_tables(data).values()) / 2**20
        kinds = ["floor", "one", "twelve"]
        if n == smallest and n < LARGE:  # whole frames at 1M: ~10 GB (twelve_frame), ~16 GB (pandas)
            kinds += ["one_frame", "twelve_frame"] + ([] if args.skip_pandas else ["pandas"])
        r = _measure(kinds, data, max(args.repeat, 1))
        results[n] = r
        print(f"\nsaas, {n:,} accounts ({size:,.0f} MB parquet), cutoff {CUTOFF}; twelve = {TWELVE[0]}..{TWELVE[-1]}"
              + (f"; median of {args.repeat} interleaved rounds" if args.repeat > 1 else ""))
        print(f"{'measurement':<34}{'seconds':>10}{'CPU s':>10}{'peak RSS MB':>14}")
        for k in kinds:
            print(f"{k:<34}{r[k]['seconds']:>10.2f}{r[k]['cpu_seconds']:>10.2f}{r[k]['peak_rss_mb']:>14.0f}")
        print("ratios: wall time (CPU time; steadier when the machine is shared)")
        ratios = [("one cutoff / floor     ", "one", "floor", 3, "<="), ("12 cutoffs / one cutoff", "twelve", "one", 4, "<=")]
        if "one_frame" in r:
            ratios += [("one_frame / floor      ", "one_frame", "floor", 3, "<="),
                       ("twelve_frame / one_frame", "twelve_frame", "one_frame", 4, "<=")]
        if "pandas" in r:
            ratios.append(("pandas / one_frame     ", "pandas", "one_frame", 5, ">="))
        for label, a, b, target, op in ratios:
            wall, cpu = r[a]["seconds"] / r[b]["seconds"], r[a]["cpu_seconds"] / r[b]["cpu_seconds"]
            met = wall <= target if op == "<=" else wall >= target
            print(f"{label:<24} = {wall:6.2f}x ({cpu:5.2f}x CPU)   (target {op} {target})   {'ok' if met else 'MISSED'}")
        if n >= 1_000_000:
            peak = max(r["one"]["peak_rss_mb"], r["twelve"]["peak_rss_mb"])
            print(f"peak RSS                = {peak / 1024:6.2f} GB  (target <= 4)   {'ok' if peak <= 4096 else 'MISSED'}")


if __name__ == "__main__":
    main()

"""Benchmark: point-in-time features on DuckDB vs Spark local[2], same data, same feature code.

    python benchmarks/spark_bench.py                          # 1M accounts (generated if absent)
    python benchmarks/spark_bench.py --accounts 100000
    python benchmarks/spark_bench.py --data-root DIR          # shared with features_bench.py

Every measurement runs in its own subprocess (peak RSS is that work's own; the Spark JVM's memory
is not in the Python figure):
  duckdb         build_features at one cutoff, Ibis on DuckDB over the parquet files
  spark_start    creating the local[2] SparkSession (JVM start), reported separately
  spark          build_features at one cutoff, Ibis on PySpark over the same parquet files
                 (temp views, no validation: the same work as the DuckDB row), collected to pandas
  spark_write    the same features written by Spark's executors as a parquet dataset (no collect)
  spark_loaded   pipeline.spark.load (contract validation as Spark SQL) + features, collected
Printed ratios are against ``duckdb`` from the same run. On one 2-core machine Spark is expected to
be slower than DuckDB (JVM, shuffles, Python/Arrow hops); Spark's case is data that does not fit one
machine. Run it on a quiet machine; compare ratios.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.features_bench import CUTOFF, ensure_data  # noqa: E402 - same data and cutoff as features_bench

KINDS = ("duckdb", "spark", "spark_write", "spark_loaded")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _parquet(data: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(data.glob("*.parquet"))}


def child_duckdb(data: Path) -> dict[str, float]:
    import ibis

    from data.tables import Tables
    from features import build_features

    start = time.perf_counter()
    con = ibis.duckdb.connect()
    tables = {name: con.read_parquet(path, table_name=f"src_{name}") for name, path in _parquet(data).items()}
    frame = build_features(Tables(con=con, tables=tables, source=str(data)), [CUTOFF])
    print(f"# duckdb: {len(frame):,} rows x {frame.shape[1]} columns", file=sys.stderr)
    return {"seconds": time.perf_counter() - start}


def child_spark(data: Path, kind: str) -> dict[str, float]:
    from data.tables import Tables
    from pipeline.spark.backend import connect
    from pipeline.spark.job import run_spark_features
    from pipeline.spark.load import load_tables_spark
    from dataclasses import replace

    from pipeline.spark.session import spark_session, spark_settings

    t0 = time.perf_counter()
    # the project's settings (so $UPSELL_SPARK_CONF, e.g. spark.driver.memory=8g for 1M accounts on
    # local[2], applies), with a throwaway warehouse
    settings = replace(spark_settings(), warehouse_dir=tempfile.mkdtemp(prefix="spark-bench-wh-"))
    session = spark_session(settings)
    session.range(1).count()
    started = time.perf_counter() - t0
    start = time.perf_counter()
    if kind == "spark_loaded":
        tables = load_tables_spark(data, session)
    else:
        con = connect(session)
        views = {}
        for name, path in _parquet(data).items():
            session.read.parquet(str(path)).createOrReplaceTempView(f"bench_{name}")
            views[name] = con.table(f"bench_{name}")
        tables = Tables(con=con, tables=views, source=str(data))
    if kind == "spark_write":
        out = Path(tempfile.mkdtemp(prefix="spark-bench-out-")) / "features"
        run_spark_features(tables, [CUTOFF], out)
        rows = session.read.parquet(str(out)).count()
    else:
        rows = len(run_spark_features(tables, [CUTOFF]))
    print(f"# {kind}: {rows:,} rows", file=sys.stderr)
    return {"seconds": time.perf_counter() - start, "session_seconds": started}


def run_child(kind: str, data: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", kind, "--data", str(data)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent,
                          env={**os.environ, "PYTHONPATH": str(HERE.parent)})
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{proc.stderr[-4000:]}")
    sys.stderr.write("".join(line + "\n" for line in proc.stderr.splitlines() if line.startswith("#")))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--data-root", type=Path, default=Path(tempfile.gettempdir()) / "upsell-features-bench")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        result = child_duckdb(args.data) if args.child == "duckdb" else child_spark(args.data, args.child)
        print(json.dumps({**result, "peak_rss_mb": _peak_rss_mb()}))
        return

    data = ensure_data(args.data_root, args.accounts)
    size = sum(p.stat().st_size for p in _parquet(data).values()) / 2**20
    kinds = ["duckdb"] + [k for k in args.kinds if k != "duckdb"]
    r = {k: run_child(k, data) for k in kinds}
    base = r["duckdb"]["seconds"]
    print(f"\nsaas, {args.accounts:,} accounts ({size:,.0f} MB parquet), features at {CUTOFF}")
    print(f"{'measurement':<16}{'seconds':>10}{'x duckdb':>10}{'session s':>11}{'py RSS MB':>11}")
    for k in kinds:
        sess = r[k].get("session_seconds")
        print(f"{k:<16}{r[k]['seconds']:>10.2f}{r[k]['seconds'] / base:>10.2f}"
              f"{'' if sess is None else f'{sess:.1f}':>11}{r[k]['peak_rss_mb']:>11.0f}")


if __name__ == "__main__":
    main()

"""End-to-end nightly job: total, per stage, peak RSS, and the serving overhead ratio.

Generates the SaaS scenario at ``--accounts`` (100k by default; ``--accounts 1000000`` for the 1M
figure), trains a champion on it once (cached under ``--data-root``), runs ``upsell nightly`` with a
Salesforce export in a child process, and prints the manifest's stage timings next to a baseline
measured in the same run: bare LightGBM ``predict`` on the same feature matrix. The ratio
(score + reasons + decide + export) / bare predict is the cost of everything the SOP adds to a score.

    python -m benchmarks.nightly_bench [--accounts N] [--data-root DIR]
    python -m benchmarks.nightly_bench --accounts 1000000 --months 12 --usage-interval-days 14
    python -m benchmarks.nightly_bench --nights 6     # the 6th weekly night, with 5 in the history
    python -m benchmarks.nightly_bench --repeats 1    # one run of the last night instead of three

The last night runs ``--repeats`` times (a rerun of the same as_of replaces its outputs with the
same bytes): each stage's figure is its fastest run, the ratio's numerator is the fastest run's
own sum, and the baseline is the fastest of as many bare predicts, each the first predict of a fresh
process like the job's own (LightGBM and pandas pay a one-off set-up on a process's first predict,
about 0.2 s at 100k rows); the ratio against a second, warm predict is printed beside it. Both sides of the ratio are best-of-N, so a busy moment on a shared machine inflates
neither side alone (single runs of a 1.5 s predict vary by about 10%).

(The 1M figure uses 12 months of fortnightly usage so the generator itself fits in memory; the
nightly job reads every usage row either way.)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

AS_OF = "2026-07-01"
TRAIN_ACCOUNTS = 50_000


def _prepare(root: Path, n: int, months: int, interval: int) -> tuple[Path, str]:
    from data.load import fingerprint_source, load_tables
    from data.synthetic import generate, write_dataset
    from models.registry import CHAMPION, version_by_alias
    from models.training import train_and_register

    def dataset(accounts: int) -> Path:
        path = root / f"saas-{accounts}-{months}m-{interval}d"
        if not (path / "accounts.parquet").exists():
            write_dataset(generate("saas", accounts, 11, date(2026, 6, 30), months=months, usage_interval_days=interval), path)
        return path

    data = dataset(n)
    # the champion is cached per model configuration: a change of the defaults (or of LightGBM)
    # trains a new one, so the figures are for the model `upsell train` makes today
    uri = f"sqlite:///{root / f'mlflow-{months}m-{interval}d-{_config_key()}.db'}"
    os.environ["MLFLOW_TRACKING_URI"] = uri
    if version_by_alias("upsell-propensity", CHAMPION) is None:
        # The champion learns from at most TRAIN_ACCOUNTS accounts of the same scenario: scoring
        # cost depends on the model's trees, not on how many rows trained it.
        train = dataset(min(n, TRAIN_ACCOUNTS))
        train_and_register(load_tables(train), AS_OF, command="nightly_bench", source_fingerprints=fingerprint_source(train))
    return data, uri


def _config_key() -> str:
    """A short hash of the default model configuration and the LightGBM version."""
    import hashlib

    import lightgbm

    from models.config import load_config

    text = json.dumps([load_config().model_dump(mode="json"), lightgbm.__version__], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _prepared(root: Path, n: int, months: int, interval: int) -> tuple[Path, str]:
    """``_prepare`` in a child process. Linux counts a process's peak RSS from before its
    ``exec`` into the new program's (``ru_maxrss`` keeps the high-water mark of the memory it was
    forked from), so a parent that generated 1M accounts itself would lend every night it starts
    its own ~7 GB peak."""
    cmd = [sys.executable, "-m", "benchmarks.nightly_bench", "--prepare-child", "--accounts", str(n),
           "--months", str(months), "--usage-interval-days", str(interval), "--data-root", str(root)]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    found = json.loads(out.stdout.strip().splitlines()[-1])
    return Path(found["data"]), found["uri"]


def _bare_predict_child(data: Path) -> None:
    """In a fresh process, as the job predicts: the first predict (cold: LightGBM and pandas pay
    their one-off set-up, as the job's single predict does), then a second one (warm)."""
    from data.load import load_tables
    from features.build import build_features
    from models.registry import load_champion

    model, _ = load_champion("upsell-propensity")
    feats = build_features(load_tables(data), [AS_OF])
    seconds = []
    for _ in range(2):
        # a fresh matrix each time, as the job has: pandas keeps work it did converting a frame
        # once, so a second predict on the same frame would be cheaper than the job's
        matrix = model.matrix(feats)
        start = time.perf_counter()
        model.booster_.predict(matrix)
        seconds.append(time.perf_counter() - start)
    print(json.dumps({"cold": seconds[0], "warm": seconds[1], "rows": len(matrix)}))


def _bare_predict_seconds(data: Path, repeats: int) -> tuple[float, float, int]:
    """Bare LightGBM predict on the job's matrix: the fastest cold and warm times of ``repeats``
    fresh processes (best of N, like the job's stages), and the row count."""
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-m", "benchmarks.nightly_bench", "--bare-child", str(data)],
                             check=True, capture_output=True, text=True, env=os.environ.copy())
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return min(r["cold"] for r in runs), min(r["warm"] for r in runs), runs[0]["rows"]


def _run_night(data: Path, as_of: str, out: Path) -> tuple[float, float]:
    """One ``upsell nightly`` in a child process: wall seconds and the child's peak RSS (GB)."""
    cmd = [sys.executable, "-m", "pipeline", "nightly", "--data", str(data), "--as-of", as_of,
           "--playbook", "saas", "--out", str(out), "--export", "salesforce"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, "UPSELL_LOG_FORMAT": "plain"}, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, not that of training's helpers
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"nightly {as_of} failed with exit code {os.waitstatus_to_exitcode(status)}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=18, help="months of generated history")
    parser.add_argument("--usage-interval-days", type=int, default=7, help="days between usage readings")
    parser.add_argument("--data-root", type=Path, default=Path(tempfile.gettempdir()) / "upsell-nightly-bench")
    parser.add_argument("--nights", type=int, default=1,
                        help="weekly nights ending at the as-of date, in one output directory: the last one "
                             "runs with that score history behind it (figures are for the last night)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of the last night; each stage's figure is its fastest run (default 3)")
    parser.add_argument("--bare-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--prepare-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_child:
        _bare_predict_child(args.bare_child)
        return
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    args.data_root.mkdir(parents=True, exist_ok=True)
    if args.prepare_child:
        data, uri = _prepare(args.data_root, args.accounts, args.months, args.usage_interval_days)
        print(json.dumps({"data": str(data), "uri": uri}))
        return
    data, uri = _prepared(args.data_root, args.accounts, args.months, args.usage_interval_days)
    os.environ["MLFLOW_TRACKING_URI"] = uri
    out = args.data_root / f"night-{args.accounts}"
    shutil.rmtree(out, ignore_errors=True)  # every run starts without a score history
    end = date.fromisoformat(AS_OF)
    for i in range(args.nights - 1, 0, -1):  # earlier nights first
        night = (end - timedelta(days=7 * i)).isoformat()
        total, peak_gb = _run_night(data, night, out)
        print(f"  night {night}: total {total:7.2f} s, peak RSS {peak_gb:5.2f} GB")
    runs = []
    for _ in range(args.repeats):  # the last night, AS_OF; a rerun replaces its own outputs
        total, peak_gb = _run_night(data, AS_OF, out)
        manifest = json.loads((out / "manifest.json").read_text())
        runs.append((total, peak_gb, manifest["timings_seconds"], manifest["score_breakdown_seconds"]))
    total, peak_gb = min(r[0] for r in runs), max(r[1] for r in runs)
    timings = {stage: min(r[2][stage] for r in runs) for stage in runs[0][2]}
    steps = {step: min(r[3][step] for r in runs) for step in runs[0][3]}
    bare, warm, rows = _bare_predict_seconds(data, args.repeats)
    # the ratio's numerator is one whole run's (the fastest), not a sum of minima from different runs
    served_runs = [r[3]["predict"] + r[3]["decide"] + r[3]["reasons"] + r[2].get("export", 0.0) for r in runs]
    served = min(served_runs)
    history = f", after {args.nights - 1} earlier night(s) in the history" if args.nights > 1 else ""
    print(f"nightly, saas, {args.accounts:,} accounts ({rows:,} active at {AS_OF}){history}; "
          f"fastest of {args.repeats} run(s) per figure, peak RSS the highest")
    if args.repeats > 1:
        print(f"  predict + decide + reasons + export per run: {', '.join(f'{x:.2f}' for x in served_runs)} s")
    print(f"  total wall (process)   {total:8.2f} s")
    for stage, seconds in timings.items():
        print(f"  {stage:<22} {seconds:8.2f} s")
        if stage == "score":
            for step, step_seconds in steps.items():
                print(f"    {step:<20} {step_seconds:8.2f} s")
    print(f"  peak RSS (child)       {peak_gb:8.2f} GB")
    print(f"  bare LightGBM predict  {bare:8.2f} s   (first call in a fresh process, as the job makes it; "
          f"a second call: {warm:.2f} s)")
    print(f"  (predict + decide + reasons + export) / bare predict = {served / bare:6.2f}x   (target <= 1.5; "
          f"against the second-call predict: {served / warm:.2f}x)")
    # the reason budget is a fixed number of accounts, so its share of the ratio shrinks with scale
    explained = int(pd.read_parquet(out / "scored_accounts.parquet", columns=["reason_1"])["reason_1"].notna().sum())
    print(f"    of which reasons: {explained:,} accounts with a reason (at most --reasons-limit), "
          f"{steps['reasons']:.2f} s = {steps['reasons'] / bare:.2f}x bare predict")
    print(f"  1M target: total <= 180 s, peak RSS <= 4 GB (2 cores)")


if __name__ == "__main__":
    main()

"""TreeSHAP cost vs a plain predict, on the same matrix and the same model.

Reason codes use LightGBM's ``pred_contrib=True`` (TreeSHAP), which costs far more than scoring;
this measures how much, so the nightly job's ``reasons_limit`` can be set from numbers:

    .venv/bin/python benchmarks/reasons_bench.py --rows 20000 --features 60 --trees 100

It trains one ``PropensityModel`` on a synthetic frame (numeric + categorical columns, a
logistic truth), then times, on the same ``--rows`` rows: calibrated ``predict_score``,
``contributions`` (TreeSHAP) and ``reason_codes`` (TreeSHAP + top-3 + rendering), and prints
each time and its ratio to the plain predict, plus the projected cost per million rows.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from models.config import load_config
from models.propensity import PropensityModel
from models.reasons import contributions, reason_codes


def synthetic_frame(rows: int, features: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    numeric = rng.normal(size=(rows, features - 2))
    frame = pd.DataFrame(numeric, columns=[f"x{i:02d}" for i in range(features - 2)])
    frame["segment"] = rng.choice(["smb", "mid_market", "enterprise"], rows)
    frame["region"] = rng.choice([f"r{i}" for i in range(12)], rows)
    logit = -2.0 + numeric[:, :8] @ np.linspace(0.6, 0.1, 8) + (frame["segment"] == "enterprise") * 0.5
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    frame.insert(0, "account_id", [f"a{i}" for i in range(rows)])
    frame.insert(1, "as_of", pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 4, rows) * 31, unit="D"))
    return frame, y


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows scored and explained")
    parser.add_argument("--train-rows", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=60)
    parser.add_argument("--trees", type=int, default=100, help="boosting rounds (no early stop)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    frame, y = synthetic_frame(args.train_rows, args.features, args.seed)
    cfg = load_config(overrides={"training": {"max_rounds": args.trees, "early_stopping_rounds": args.trees + 1}})
    start = time.perf_counter()
    model = PropensityModel(cfg, check_leakage=False).fit(frame, y)
    fit_s = time.perf_counter() - start
    rows = frame.head(args.rows)
    print(f"model: {model.booster_.num_trees()} trees, {len(model.features_)} features, fitted on {args.train_rows:,} rows in {fit_s:.1f}s")
    base = timed(lambda: model.predict_score(rows), args.repeat)
    shap = timed(lambda: contributions(model, rows), args.repeat)
    codes = timed(lambda: reason_codes(model, rows), args.repeat)
    print(f"{'step':<28}{'seconds':>10}{'x predict':>11}{'s / 1M rows':>13}")
    for name, sec in (("predict_score (baseline)", base), ("contributions (TreeSHAP)", shap), ("reason_codes (top 3 text)", codes)):
        print(f"{name:<28}{sec:>10.3f}{sec / base:>11.1f}{sec / len(rows) * 1e6:>13.1f}")


if __name__ == "__main__":
    main()

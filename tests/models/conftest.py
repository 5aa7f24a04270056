"""Shared, session-scoped fixtures for the model tests: a small simulated world, a slice of the
UCI bank-marketing data with pseudo-snapshots, and a throwaway MLflow store."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.tables import Tables
from tests.models.world import simulate

# ../shared beside the project root (CI lays a copy there too)
BANK = Path(__file__).resolve().parents[3] / "shared" / "realdata" / "bank_marketing" / "bank-additional-full.csv.gz"


@pytest.fixture(scope="session")
def world() -> dict[str, pd.DataFrame]:
    return simulate(n_accounts=500, seed=7)


@pytest.fixture(scope="session")
def world_tables(world: dict[str, pd.DataFrame]) -> Tables:
    return Tables.from_frames({k: v for k, v in world.items() if not k.startswith("_")})


@pytest.fixture(scope="session")
def world_dir(world: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("world")
    (root / "_truth").mkdir()
    world["_truth"].to_parquet(root / "_truth" / "propensity.parquet")
    for name, frame in world.items():
        if not name.startswith("_"):
            frame.to_parquet(root / f"{name}.parquet")
    return root


@pytest.fixture(scope="session")
def bank() -> pd.DataFrame:
    """12,000 rows of UCI bank marketing (``duration`` dropped: it is known only after the call)
    spread over four pseudo-snapshots, with ``label``.

    Rows are drawn from the whole 2008-2010 period and dealt into snapshots at random: the file's
    time order is dominated by macro-economic drift (within any few months its features barely
    rank the outcome), so this slice tests the estimator on real distributions, not drift.
    """
    if not BANK.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"real data set {BANK} missing under CI")
        pytest.skip(f"real data set {BANK} not present")
    rng = np.random.default_rng(0)
    df = pd.read_csv(BANK, sep=";").drop(columns=["duration"])
    df = df.iloc[np.sort(rng.choice(len(df), 12000, replace=False))].reset_index(drop=True)
    df["label"] = (df.pop("y") == "yes").astype(int)
    df.insert(0, "account_id", [f"c{i:05d}" for i in range(len(df))])
    df.insert(1, "as_of", pd.Timestamp("2009-01-01") + pd.to_timedelta(rng.integers(0, 4, len(df)) * 30, unit="D"))
    return df


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory):
    """Points MLFLOW_TRACKING_URI at a fresh SQLite store for the whole session."""
    root = tmp_path_factory.mktemp("mlflow")
    old = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
    yield root
    if old is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = old

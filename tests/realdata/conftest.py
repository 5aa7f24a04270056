"""Session-scoped fixtures over the real data sets in ../shared/realdata (see each SOURCE.md).

Nothing is downloaded: the files sit beside the project root (CI lays a copy there too). A
missing file skips these tests on a laptop and fails them under CI.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.baselines import LogisticBaseline
from models.propensity import PropensityModel
from tests.realdata.hillstrom_mapping import hillstrom_tables

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"  # ../shared beside the project root
COIL = REALDATA / "coil2000_caravan"
HILLSTROM = REALDATA / "hillstrom_email" / "hillstrom.csv"

# CoIL: every customer is described at one moment (2000); the model needs an as_of.
COIL_AS_OF = pd.Timestamp("2000-01-01")
# Nominal codes: customer subtype (41 levels) and main type (10 levels). Every other column is an
# ordered level (percentage band, count or contribution class) and stays numeric.
COIL_NOMINAL = ("MOSTYPE", "MOSHOOFD")


def require(path: Path) -> Path:
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"real data set {path} missing under CI")
        pytest.skip(f"real data set {path} not present")
    return path


def coil_frame(path: Path, names: list[str], prefix: str) -> pd.DataFrame:
    """One CoIL file (tab-separated, no header) as a feature frame: ``account_id``, ``as_of``,
    the named columns, nominal codes as text so the model splits them as categories."""
    frame = pd.read_csv(path, sep="\t", header=None, names=names)
    for column in COIL_NOMINAL:
        frame[column] = frame[column].astype("str")
    frame.insert(0, "account_id", [f"{prefix}{i:05d}" for i in range(len(frame))])
    frame.insert(1, "as_of", COIL_AS_OF)
    return frame


@pytest.fixture(scope="session")
def coil_columns() -> list[str]:
    return require(COIL / "columns.txt").read_text(encoding="utf-8").split()


@pytest.fixture(scope="session")
def coil_train(coil_columns: list[str]) -> pd.DataFrame:
    """ticdata2000: 5,822 customers with ``label`` (owns a caravan policy, 348 = 5.98%)."""
    frame = coil_frame(require(COIL / "ticdata2000.txt"), coil_columns, "t")
    frame["label"] = frame.pop("CARAVAN")
    return frame


@pytest.fixture(scope="session")
def coil_eval(coil_columns: list[str]) -> pd.DataFrame:
    """ticeval2000 joined with its true labels tictgts2000: 4,000 customers, 238 owners (5.95%)."""
    frame = coil_frame(require(COIL / "ticeval2000.txt"), coil_columns[:-1], "e")
    targets = pd.read_csv(require(COIL / "tictgts2000.txt"), header=None)[0]
    if len(targets) != len(frame):
        raise AssertionError(f"tictgts2000 has {len(targets)} labels for {len(frame)} eval rows")
    frame["label"] = targets.to_numpy()
    return frame


@pytest.fixture(scope="session")
def coil_model(coil_train: pd.DataFrame) -> PropensityModel:
    """The shipped default configuration, untouched: what a customer gets from ``fit`` (~2 s)."""
    return PropensityModel().fit(coil_train.drop(columns="label"), coil_train["label"])


@pytest.fixture(scope="session")
def coil_scores(coil_model: PropensityModel, coil_eval: pd.DataFrame) -> np.ndarray:
    return coil_model.predict_score(coil_eval)


@pytest.fixture(scope="session")
def coil_logistic_scores(coil_train: pd.DataFrame, coil_eval: pd.DataFrame) -> np.ndarray:
    """The project's own logistic-regression baseline on the same features (~4 s)."""
    baseline = LogisticBaseline().fit(coil_train.drop(columns="label"), coil_train["label"])
    return baseline.predict_score(coil_eval)


@pytest.fixture(scope="session")
def hillstrom_raw() -> pd.DataFrame:
    """The 64,000-row CSV as published (one row per customer)."""
    return pd.read_csv(require(HILLSTROM))


@pytest.fixture(scope="session")
def hillstrom_dir(hillstrom_raw: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory a customer would hand to ``upsell``: accounts.parquet and offers.parquet."""
    root = tmp_path_factory.mktemp("hillstrom") / "data"
    root.mkdir()
    for name, frame in hillstrom_tables(hillstrom_raw).items():
        frame.to_parquet(root / f"{name}.parquet", index=False)
    return root

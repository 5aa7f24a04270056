"""Session-wide fixtures shared by the end-to-end tests (nightly job, notebooks, Spark parity):
one small generated SaaS data set and an MLflow store holding a champion trained on it."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

AS_OF = "2026-07-01"  # the night after the generated history ends
SHARED = Path(__file__).resolve().parents[2] / "shared"  # ../shared beside the project root


@contextmanager
def tracking_uri(uri: str) -> Iterator[None]:
    """Point MLflow at ``uri`` for the duration of a block (tests must not touch ~/.upsell)."""
    old = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = uri
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = old


@pytest.fixture(scope="session")
def saas_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600 SaaS accounts, 18 months of history ending 2026-06-30."""
    from data.synthetic import generate, write_dataset

    root = tmp_path_factory.mktemp("saas") / "data"
    write_dataset(generate("saas", 600, 3, date(2026, 6, 30), months=18), root)
    return root


@pytest.fixture(scope="session")
def champion_uri(saas_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite MLflow store with a champion trained on ``saas_dir`` at AS_OF."""
    from data.load import fingerprint_source, load_tables
    from models.training import train_and_register

    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    with tracking_uri(uri):
        result = train_and_register(load_tables(saas_dir), AS_OF, command="pytest fixture",
                                    source_fingerprints=fingerprint_source(saas_dir))
    assert result.decision.promoted
    return uri


@pytest.fixture
def champion(champion_uri: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Use the champion store in this test (and in subprocesses it starts)."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", champion_uri)
    return champion_uri

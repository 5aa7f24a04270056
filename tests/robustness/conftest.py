"""A small generated SaaS data set written the ways customers hand theirs over (parquet, CSV),
for the robustness tests: each test copies it and breaks one thing."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from pipeline.cli import app

TABLES = ("accounts", "subscriptions", "offers")


@pytest.fixture(autouse=True)
def private_model_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A command that should have been refused but ran must not touch ~/.upsell."""
    home = tmp_path_factory.getbasetemp() / "upsell_home"
    monkeypatch.setenv("UPSELL_HOME", str(home))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home}/mlflow.db")


@pytest.fixture(scope="session")
def saas_parquet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 SaaS accounts, 12 months ending 2026-06-30: accounts, subscriptions and offers as parquet."""
    from data.synthetic import generate

    root = tmp_path_factory.mktemp("robust") / "parquet"
    root.mkdir()
    frames = generate("saas", 150, 5, date(2026, 6, 30), months=12)
    for name in TABLES:
        frames[name].to_parquet(root / f"{name}.parquet", index=False)
    return root


@pytest.fixture(scope="session")
def saas_csv_dir(saas_parquet_dir: Path) -> Path:
    """The same tables as CSV files, every cell as text."""
    root = saas_parquet_dir.parent / "csv"
    root.mkdir()
    for name in TABLES:
        pd.read_parquet(saas_parquet_dir / f"{name}.parquet").to_csv(root / f"{name}.csv", index=False)
    return root


def copy_of(source: Path, tmp_path: Path) -> Path:
    """A private copy of a fixture data directory to break."""
    target = tmp_path / source.name
    shutil.copytree(source, target)
    return target


def invoke(*args: str) -> Result:
    """Run the ``upsell`` CLI in-process; exceptions are kept on the result, not raised."""
    return CliRunner().invoke(app, [str(a) for a in args])

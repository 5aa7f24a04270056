"""A small generated SaaS data set for the second robustness sweep (outcomes import, review, train
config, model registry): each test copies it and breaks one thing the way CRM exports break."""
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
    home = tmp_path_factory.getbasetemp() / "upsell_home2"
    monkeypatch.setenv("UPSELL_HOME", str(home))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home}/mlflow.db")


@pytest.fixture(scope="session")
def saas_frames() -> dict[str, pd.DataFrame]:
    """150 SaaS accounts, 12 months ending 2026-06-30: accounts, subscriptions and offers."""
    from data.synthetic import generate

    frames = generate("saas", 150, 5, date(2026, 6, 30), months=12)
    return {name: frames[name] for name in TABLES}


@pytest.fixture(scope="session")
def saas_parquet_dir(tmp_path_factory: pytest.TempPathFactory, saas_frames: dict[str, pd.DataFrame]) -> Path:
    root = tmp_path_factory.mktemp("robust2") / "parquet"
    root.mkdir()
    for name, frame in saas_frames.items():
        frame.to_parquet(root / f"{name}.parquet", index=False)
    return root


@pytest.fixture(scope="session")
def saas_csv_dir(saas_parquet_dir: Path, saas_frames: dict[str, pd.DataFrame]) -> Path:
    """The same tables as CSV files, as a CRM export would hand them over."""
    root = saas_parquet_dir.parent / "csv"
    root.mkdir()
    for name, frame in saas_frames.items():
        frame.to_csv(root / f"{name}.csv", index=False)
    return root


def copy_of(source: Path, tmp_path: Path) -> Path:
    """A private copy of a fixture data directory to break."""
    target = tmp_path / source.name
    shutil.copytree(source, target)
    return target


def snapshot(data: Path) -> dict[str, bytes]:
    """Every file's bytes: a refused command must leave the directory exactly as it was."""
    return {p.relative_to(data).as_posix(): p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()}


def invoke(*args: object) -> Result:
    """Run the ``upsell`` CLI in-process; exceptions are kept on the result, not raised."""
    return CliRunner().invoke(app, [str(a) for a in args])


def offer(frames: dict[str, pd.DataFrame], outcome: str) -> pd.Series:
    """The first offer of the fixture with this outcome."""
    offers = frames["offers"]
    return offers[offers["outcome"] == outcome].iloc[0]

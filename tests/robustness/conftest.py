"""A small generated SaaS data set written the ways customers hand theirs over (parquet, CSV),
for the robustness tests (tests/robustness and tests/robustness2, whose conftest imports these):
each test copies it and breaks one thing."""
from __future__ import annotations

import shutil
from datetime import date
from functools import cache
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


@cache
def _generated() -> dict[str, pd.DataFrame]:
    """Generated once per process, however many conftests offer the fixtures."""
    from data.synthetic import generate

    frames = generate("saas", 150, 5, date(2026, 6, 30), months=12)
    return {name: frames[name] for name in TABLES}


@cache
def _written(base: Path) -> Path:
    """The tables as parquet and as CSV under ``base`` (the session's temporary root), once."""
    root = base / "robust"
    for kind in ("parquet", "csv"):
        (root / kind).mkdir(parents=True)
    for name, frame in _generated().items():
        frame.to_parquet(root / "parquet" / f"{name}.parquet", index=False)
        frame.to_csv(root / "csv" / f"{name}.csv", index=False)
    return root


@pytest.fixture(scope="session")
def saas_frames() -> dict[str, pd.DataFrame]:
    """150 SaaS accounts, 12 months ending 2026-06-30: accounts, subscriptions and offers."""
    return _generated()


@pytest.fixture(scope="session")
def saas_parquet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture's tables as parquet files."""
    return _written(tmp_path_factory.getbasetemp()) / "parquet"


@pytest.fixture(scope="session")
def saas_csv_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same tables as CSV files, as a CRM export would hand them over."""
    return _written(tmp_path_factory.getbasetemp()) / "csv"


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

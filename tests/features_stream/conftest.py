"""Fixtures for the streaming feature writer: one small generated SaaS data set, written as parquet
and loaded once per session (the writer must agree with ``build_features`` on it)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from data.tables import Tables

CUTOFFS = ["2025-03-01", "2025-04-01", "2025-05-01", "2025-06-01"]


@pytest.fixture(scope="session")
def saas_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 SaaS accounts, 8 months of history ending 2025-07-01 (every source table present)."""
    from data.synthetic import generate, write_dataset

    root = tmp_path_factory.mktemp("stream") / "saas"
    frames = generate("saas", 400, 11, date(2025, 7, 1), months=8)
    write_dataset(frames, root)
    return root


@pytest.fixture(scope="session")
def saas_tables(saas_data: Path) -> Tables:
    """The data set on a DuckDB connection with several threads (results must not depend on them)."""
    import ibis

    from data.load import load_tables

    return load_tables(saas_data, ibis.duckdb.connect(threads=4))

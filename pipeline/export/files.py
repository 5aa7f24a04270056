"""Plain file targets: CSV (formula-safe) and parquet, written atomically with fixed settings."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from data.atomic import atomic_path
from pipeline.export.csv_safety import neutralise_formulas

CSV_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


def write_csv(frame: pd.DataFrame, path: str | Path, *, datetime_format: str = CSV_DATETIME_FORMAT) -> str:
    """Write ``frame`` as UTF-8 CSV (``\\n`` line ends), neutralising formula-like text; returns sha256.

    Every CSV the pipeline writes goes through here, so no CSV export can skip the neutralising.
    """
    safe = neutralise_formulas(frame)
    with atomic_path(path) as tmp:
        safe.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8", date_format=datetime_format)
        digest = _sha256(tmp)
    return digest


def write_parquet(frame: pd.DataFrame, path: str | Path) -> str:
    """Write ``frame`` as parquet (pyarrow, zstd, no index): same frame → same bytes; returns sha256."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")
        digest = _sha256(tmp)
    return digest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

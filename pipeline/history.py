"""The score history: every night's scored list, appended, so review and drift can look back.

Rerunning a night replaces that night's rows instead of adding them twice, so the history stays
idempotent under reruns.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

HISTORY_FILE = Path("history") / "scores.parquet"


def read_history(path: str | Path) -> pd.DataFrame | None:
    """The history at ``path`` (a file or a run directory), or None when there is none yet."""
    path = Path(path)
    if path.is_dir():
        path = path / HISTORY_FILE if (path / HISTORY_FILE).exists() else path / "scores.parquet"
    return pd.read_parquet(path) if path.is_file() else None


def append_night(history: pd.DataFrame | None, night: pd.DataFrame) -> pd.DataFrame:
    """``history`` with ``night`` added; rows of the same as_of are replaced, order is stable."""
    as_of = night["as_of"].unique()
    frames = [night] if history is None else [history[~history["as_of"].isin(as_of)], night]
    combined = pd.concat(frames, ignore_index=True) if len(frames) > 1 else night.reset_index(drop=True)
    return combined.sort_values(["as_of", "account_id"], kind="stable").reset_index(drop=True)

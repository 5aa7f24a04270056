"""The score history: every night's scored list, kept so review and drift can look back.

One parquet file per night (``history/scores-YYYY-MM-DD.parquet``, rows in account_id order), so
a night costs the writing of that night only: a single file rewritten with every past night
would grow by a million rows a night at a million accounts and outgrow memory within a week.
Rerunning a night replaces its file, so the history stays idempotent under reruns. Readers take
the columns they need; ``duckdb`` or Spark read the directory as one table
(``read_parquet('history/scores-*.parquet')``).

A ``history/scores.parquet`` holding several nights (the layout before per-night files) is still
read; a per-night file of the same night wins over its rows.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from data.errors import UpsellError

HISTORY_DIR = Path("history")
LEGACY_FILE = HISTORY_DIR / "scores.parquet"
NIGHT_PREFIX = "scores-"


def night_file(as_of: pd.Timestamp) -> Path:
    """Where one night's scored list lives, relative to the run directory."""
    return HISTORY_DIR / f"{NIGHT_PREFIX}{pd.Timestamp(as_of):%Y-%m-%d}.parquet"


def night_rows(scored: pd.DataFrame) -> pd.DataFrame:
    """A scored list as the history keeps it: rows in account_id order."""
    return scored.sort_values("account_id", kind="stable").reset_index(drop=True)


def night_of(file: Path) -> pd.Timestamp | None:
    """The night a per-night history file holds (from its name); None for other files."""
    stem = file.name.removeprefix(NIGHT_PREFIX).removesuffix(".parquet")
    if not file.name.startswith(NIGHT_PREFIX) or len(stem) != 10:
        return None
    try:
        return pd.Timestamp(stem)
    except ValueError:
        return None


def history_files(path: str | Path) -> list[Path]:
    """The history's files under ``path`` (a run directory, its ``history`` directory, or one
    file), oldest night first, a multi-night legacy file before the per-night files."""
    path = Path(path)
    if path.is_file():
        return [path]
    folder = path / HISTORY_DIR if (path / HISTORY_DIR).is_dir() else path
    if not folder.is_dir():
        return []
    legacy = [folder / LEGACY_FILE.name] if (folder / LEGACY_FILE.name).is_file() else []
    return legacy + sorted(folder.glob(f"{NIGHT_PREFIX}????-??-??.parquet"))


def read_history(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame | None:
    """Every night under ``path`` (see ``history_files``), in (as_of, account_id) order, only
    ``columns`` (those present; all when None); None when there is no history yet."""
    files = history_files(path)
    if not files:
        return None
    return concat_nights([read_night(file, columns) for file in files])


def read_night(file: Path, columns: Sequence[str] | None = None, accounts: Sequence[str] | None = None) -> pd.DataFrame:
    """One history file, only ``columns`` (those present) and, with ``accounts``, only their rows."""
    try:
        present = pq.read_schema(file).names
        frame = pd.read_parquet(file, columns=[c for c in columns if c in present] if columns else None,
                                filters=[("account_id", "in", list(accounts))] if accounts is not None else None)
    except Exception as exc:  # a damaged or foreign file: say which
        raise UpsellError(f"{file}: cannot read the score history ({str(exc).splitlines()[0][:200]})") from None
    if "as_of" not in frame.columns:
        raise UpsellError(f"{file}: the score history has no column 'as_of'")
    return _in_date_then_id_order(frame)


def concat_nights(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Nights (each in id order) as one history in (as_of, account_id) order; later frames win a night."""
    kept: list[pd.DataFrame] = []
    seen: set[pd.Timestamp] = set()
    for frame in reversed(frames):
        nights = set(frame["as_of"].unique())
        kept.append(frame[~frame["as_of"].isin(list(seen))] if seen else frame)
        seen |= nights
    return _by_date(pd.concat(kept[::-1], ignore_index=True))


def append_night(history: pd.DataFrame | None, night: pd.DataFrame, *, sort_night: bool = True) -> pd.DataFrame:
    """``history`` with ``night`` added; rows of the nights in ``night`` are replaced.

    ``history`` is in (as_of, account_id) order (as ``read_history`` returns it); the result is
    too. Only the new night's rows are sorted by id, the rest moves as whole nights (a sort on
    the date alone), so appending costs what the night costs.
    """
    night = night_rows(night) if sort_night else night.reset_index(drop=True)
    if history is None:
        return night
    return concat_nights([history, night])


def _by_date(history: pd.DataFrame) -> pd.DataFrame:
    """A stable sort on as_of alone (rows of one night keep their id order); a no-op when sorted."""
    stamps = history["as_of"].to_numpy(dtype="datetime64[ns]")
    if len(stamps) > 1 and not (stamps[1:] >= stamps[:-1]).all():
        return history.iloc[np.argsort(stamps, kind="stable")].reset_index(drop=True)
    return history


def _in_date_then_id_order(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` sorted by (as_of, account_id); files the nightly job wrote already are (checked
    in one pass), so a million-row night is not sorted again on every read."""
    keys = [c for c in ("as_of", "account_id") if c in frame.columns]
    one_night = frame["as_of"].nunique(dropna=False) <= 1
    if one_night and ("account_id" not in frame.columns or frame["account_id"].is_monotonic_increasing):
        return frame
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)

"""``--changed-only``: export just the rows that changed since the previous export.

The previous export is remembered in a *state file* (parquet, beside the destination by default):
one row per account with a hash of what was exported, per export night (``snapshot_as_of``).
A row is in the delta when its account is new or its hash differs from the baseline, which is
the latest snapshot *before* this export's as_of. Because the baseline is "before as_of", not
"the last file written", rerunning the same night gives the same delta (reruns are idempotent),
and a failed export never advances the state (the state is written only after the export).

Columns that change every night without meaning anything to a CRM user are left out of the
hash: ``as_of``, ``run_id``, ``due_at`` and ``rank`` (rank moves whenever anyone else's score does).
Floats are compared at 6 decimals; the scored list's text columns are compared as text whatever
type the file's reader inferred (CSV reads an all-empty text column as float), and a cell the
pipeline's CSV writer quoted against formula injection (``'-12%``) as the text it quoted. Accounts that dropped out of the list are counted, not exported
(a CRM upsert cannot express "remove").
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from data.atomic import atomic_path
from data.errors import UpsellError
from pipeline.export.csv_safety import is_formula_like
from pipeline.export.scored_list import ALL_TEXT_COLUMNS, as_text

IGNORED_COLUMNS: tuple[str, ...] = ("as_of", "run_id", "due_at", "rank")
KEY_COLUMN = "account_id"  # matched, not hashed
FLOAT_DECIMALS = 6
STATE_COLUMNS: tuple[str, ...] = ("snapshot_as_of", "account_id", "row_hash")


@dataclass(frozen=True)
class ChangePlan:
    """Which rows to export, the state to save after a successful export, and the counts."""

    changed: pd.Series  # bool, aligned with the scored frame
    new_state: pd.DataFrame
    baseline_as_of: pd.Timestamp | None
    rows_new: int
    rows_changed: int
    rows_unchanged: int
    rows_removed: int


def row_hashes(frame: pd.DataFrame, ignore: tuple[str, ...] = IGNORED_COLUMNS) -> pd.Series:
    """A uint64 hash per row of the compared columns (dtype-insensitive: CSV and parquet agree)."""
    columns = sorted(c for c in frame.columns if c not in ignore and c != KEY_COLUMN)
    canonical = pd.DataFrame({c: _canonical(frame[c], c) for c in columns}, index=frame.index)
    values = pd.util.hash_pandas_object(canonical, index=False).to_numpy(dtype=np.uint64)
    signature = pd.util.hash_pandas_object(pd.Series(["\x1f".join(columns)]), index=False).iloc[0]
    with np.errstate(over="ignore"):
        combined = values * np.uint64(1000003) ^ np.uint64(signature)
    return pd.Series(combined, index=frame.index, name="row_hash")


def plan_changes(frame: pd.DataFrame, state: pd.DataFrame | None, as_of: pd.Timestamp) -> ChangePlan:
    """Pure: compare ``frame`` (one export night) with the saved ``state``."""
    hashes = row_hashes(frame)
    current = pd.DataFrame({"snapshot_as_of": as_of, "account_id": frame["account_id"].astype("str"),
                            "row_hash": hashes.to_numpy()})
    state = state if state is not None else _empty_state()
    earlier = state[state["snapshot_as_of"] < as_of]
    baseline_as_of = earlier["snapshot_as_of"].max() if len(earlier) else None
    baseline = earlier[earlier["snapshot_as_of"] == baseline_as_of] if baseline_as_of is not None else _empty_state()
    # hash joins on object arrays: pandas' isin on Arrow strings is a Python loop
    position = pd.Index(baseline["account_id"].to_numpy(dtype=object)).get_indexer(
        current["account_id"].to_numpy(dtype=object))
    is_new = position < 0
    before = baseline["row_hash"].to_numpy(dtype=np.uint64)
    now = current["row_hash"].to_numpy(dtype=np.uint64)
    is_changed = ~is_new & (before[np.where(is_new, 0, position)] != now) if len(before) else np.zeros(len(now), bool)
    changed = pd.Series(is_new | is_changed, index=frame.index)
    removed = len(baseline) - int(np.unique(position[~is_new]).size)
    later = state[state["snapshot_as_of"] > as_of]
    new_state = pd.concat([baseline, current, later], ignore_index=True)
    new_state = new_state.sort_values(["snapshot_as_of", "account_id"], kind="mergesort").reset_index(drop=True)
    return ChangePlan(
        changed=changed,
        new_state=new_state[list(STATE_COLUMNS)],
        baseline_as_of=baseline_as_of,
        rows_new=int(is_new.sum()),
        rows_changed=int(is_changed.sum()),
        rows_unchanged=int((~changed).sum()),
        rows_removed=removed,
    )


def read_state(path: str | Path) -> pd.DataFrame | None:
    """The saved state, or None when there was no previous export."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        state = pd.read_parquet(path)
    except Exception as exc:  # a damaged state file must not be silently treated as "no history"
        raise UpsellError(f"{path}: unreadable export state file ({str(exc).splitlines()[0][:200]}); "
                          "delete it to export everything again") from None
    missing = [c for c in STATE_COLUMNS if c not in state.columns]
    if missing:
        raise UpsellError(f"{path}: not an export state file (missing {missing}); delete it to export everything again")
    state = state[list(STATE_COLUMNS)].copy()
    state["snapshot_as_of"] = pd.to_datetime(state["snapshot_as_of"]).astype("datetime64[us]")
    state["account_id"] = state["account_id"].astype("str")
    state["row_hash"] = state["row_hash"].astype("uint64")
    return state


def write_state(path: str | Path, state: pd.DataFrame) -> None:
    """Save the state atomically (fixed writer settings: identical state → identical bytes)."""
    table = state.copy()
    table["snapshot_as_of"] = table["snapshot_as_of"].astype("datetime64[us]")
    with atomic_path(path) as tmp:
        table.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")


def _empty_state() -> pd.DataFrame:
    return pd.DataFrame({"snapshot_as_of": pd.Series(dtype="datetime64[us]"),
                         "account_id": pd.Series(dtype="str"),
                         "row_hash": pd.Series(dtype="uint64")})


def _canonical(column: pd.Series, name: str) -> pd.Series:
    """The same value whatever dtype a reader chose: the scored list's text columns as text (an
    all-empty ``capacity_note`` is float from CSV, text from parquet), other numbers as rounded
    float64, times as epoch seconds."""
    if name in ALL_TEXT_COLUMNS:
        text = as_text(column).astype("str")
        # a CSV written by the pipeline quotes formula-like cells ('-12% tickets): the same text
        starts = text.str.startswith("'", na=False).to_numpy(dtype=bool)
        if starts.any():  # few cells: test only those
            values = text.to_numpy(dtype=object, na_value=None).copy()
            for at in np.flatnonzero(starts):
                if is_formula_like(values[at][1:]):
                    values[at] = values[at][1:]
            text = pd.Series(values, index=column.index, dtype="str")
        return text.fillna("\x00")  # missing ≠ empty text
    if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
        return column.astype("float64").round(FLOAT_DECIMALS)
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        stamps = column.dt.tz_convert(None) if isinstance(column.dtype, pd.DatetimeTZDtype) else column
        raw = stamps.to_numpy(dtype="datetime64[s]").astype("int64").astype("float64")
        return pd.Series(raw, index=column.index).where(column.notna())
    return column.astype("str").fillna("\x00")  # missing ≠ empty text

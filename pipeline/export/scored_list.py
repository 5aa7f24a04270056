"""The scored account list as exporters receive it: its columns, a reader, and its checks."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from data.errors import UpsellError
from data.id_positions import is_unique_text, positions_in

# The contract's output columns, in contract order (CONTRACT.md "Output: the scored account list").
SCORED_LIST_COLUMNS: tuple[str, ...] = (
    "account_id", "as_of", "score", "score_band", "rank", "triggers", "decision_path", "final_node",
    "action", "offer_type", "channel", "owner_role", "owner_id", "priority", "expected_value", "due_at",
    "reason_1", "reason_2", "reason_3", "model_name", "model_version", "run_id",
)
TIMESTAMP_COLUMNS: tuple[str, ...] = ("as_of", "due_at")
NUMERIC_COLUMNS: tuple[str, ...] = ("score", "rank", "priority", "expected_value")


# text columns of the scored list: read as written (a run_id of digits, an owner id 007, a model
# version "10" stay text)
TEXT_COLUMNS: tuple[str, ...] = (
    "account_id", "score_band", "triggers", "decision_path", "final_node", "action", "offer_type", "channel",
    "owner_role", "owner_id", "reason_1", "reason_2", "reason_3", "model_name", "model_version", "run_id",
)
# text columns the scored list carries beyond the contract's (the playbook's notes); often empty on
# every row, which CSV alone cannot tell from an empty number column
NOTE_COLUMNS: tuple[str, ...] = ("suppression_reason", "capacity_note")
ALL_TEXT_COLUMNS: tuple[str, ...] = TEXT_COLUMNS + NOTE_COLUMNS


def read_scored_list(path: str | Path) -> pd.DataFrame:
    """Read a scored list written by ``upsell score``/``nightly`` (parquet or CSV)."""
    path = Path(path)
    if not path.is_file():
        raise UpsellError(f"{path}: no such scored list file")
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif path.name.endswith((".csv", ".csv.gz")):
            frame = pd.read_csv(path, dtype={name: "str" for name in ALL_TEXT_COLUMNS},
                                keep_default_na=False, na_values=[""])
        else:
            raise UpsellError(f"{path}: a scored list is a .parquet or .csv file")
    except UpsellError:
        raise
    except Exception as exc:  # the user's file: report it, not a traceback
        raise UpsellError(f"{path}: cannot read the scored list ({str(exc).splitlines()[0][:200]})") from None
    for name in TIMESTAMP_COLUMNS:
        if name in frame.columns and not pd.api.types.is_datetime64_any_dtype(frame[name].dtype):
            # ISO 8601 only: a guessing parser reads a re-saved 01/07/2026 as 7 January
            parsed = pd.to_datetime(frame[name], errors="coerce", utc=True, format="ISO8601").dt.tz_localize(None)
            bad = parsed.isna() & frame[name].notna()
            if bad.any():
                raise UpsellError(f"{path}: column {name!r}: rule 'ISO 8601 date/time' broken; e.g. rows "
                                  f"{list(frame.index[bad][:5])}: {frame.loc[bad, name].head(5).tolist()}")
            frame[name] = parsed
    for name in ALL_TEXT_COLUMNS:  # parquet: a column written all-null may come back as float or null
        if name in frame.columns and not pd.api.types.is_string_dtype(frame[name].dtype):
            frame[name] = as_text(frame[name])
    return check_scored_list(frame, str(path))


def as_text(column: pd.Series) -> pd.Series:
    """``column`` as text, missing values kept missing: the same column whichever type a reader
    inferred (an all-empty text column reads as float from CSV, as null from some parquet writers)."""
    if pd.api.types.is_string_dtype(column.dtype):
        return column
    return column.astype("object").where(column.notna(), None).map(
        lambda value: value if value is None else str(value)).astype("str")


def check_scored_list(frame: pd.DataFrame, where: str = "scored list", *, unique: bool = True) -> pd.DataFrame:
    """``frame`` if it can be exported: account_id unique (unless ``unique=False``: the caller
    checks it, e.g. ``join_attributes``) and present; as_of and model_version on every row."""
    for name in ("account_id", "as_of", "model_version"):
        if name not in frame.columns:
            raise UpsellError(f"{where}: column {name!r} missing (columns: {', '.join(map(str, frame.columns))})")
        empty = frame[name].isna()
        if empty.any():
            raise UpsellError(f"{where}: column {name!r}: rule 'not empty' broken by {int(empty.sum())} row(s); "
                              f"e.g.\n{frame.loc[empty].head(5).to_string(max_colwidth=30)}")
    return require_unique_ids(frame, where) if unique else frame


def require_unique_ids(frame: pd.DataFrame, where: str = "scored list") -> pd.DataFrame:
    """``frame`` if its account_ids are unique, else an error naming the duplicated rows."""
    if frame["account_id"].is_unique:
        return frame
    dupes = frame["account_id"].duplicated(keep=False)
    if dupes.any():
        raise UpsellError(f"{where}: column 'account_id': rule 'unique' broken by {int(dupes.sum())} row(s); "
                          f"e.g.\n{frame.loc[dupes].head(5).to_string(max_colwidth=30)}")
    return frame


def join_attributes(scored: pd.DataFrame, attributes: pd.DataFrame | None, where: str = "attributes", *,
                    check_scored_ids: bool = False) -> pd.DataFrame:
    """``scored`` with extra per-account columns (accounts' name, CRM ids, domain) left-joined on account_id.

    Columns the scored list already has win; ``attributes`` must have one row per account_id.
    ``check_scored_ids``: also require the scored list's ids to be unique, proven by the join's
    own lookup (two scored rows on one attributes row) instead of a hash pass of their own.
    """
    if attributes is None:
        return require_unique_ids(scored) if check_scored_ids else scored
    if "account_id" not in attributes.columns:
        raise UpsellError(f"{where}: column 'account_id' missing (needed to join extra columns)")
    dupes = None if is_unique_text(attributes["account_id"]) else attributes["account_id"].duplicated(keep=False)
    if dupes is not None and dupes.any():
        raise UpsellError(f"{where}: column 'account_id': rule 'unique' broken; e.g. "
                          f"{attributes.loc[dupes, 'account_id'].head(5).tolist()}")
    extra = [c for c in attributes.columns if c != "account_id" and c not in scored.columns]
    if not extra:
        return require_unique_ids(scored) if check_scored_ids else scored
    # Both sides are unique on account_id (checked above, and for the scored list here or by
    # check_scored_list), so a hash lookup and a take do what a validated merge would.
    rows = positions_in(attributes["account_id"], scored["account_id"])
    require_some_match(rows, attributes, scored, where)
    if check_scored_ids:
        found = rows[rows >= 0]
        if np.bincount(found, minlength=1).max(initial=0) > 1 or not is_unique_text(scored["account_id"][rows < 0]):
            require_unique_ids(scored)
    out = scored.copy()
    for name in extra:
        out[name] = _take(attributes[name], rows).set_axis(scored.index)
    return out


def require_some_match(rows: np.ndarray, attributes: pd.DataFrame, scored: pd.DataFrame, where: str) -> None:
    """Not one scored account found among ``attributes``' ids: the two spell ids differently
    (case, leading zeros, ``1.0`` for ``1``), and every joined column would export empty."""
    if len(scored) and len(attributes) and not (rows >= 0).any():
        raise UpsellError(
            f"{where}: column 'account_id': rule 'matches the scored list' broken: none of its "
            f"{len(attributes):,} ids is a scored account (e.g. {attributes['account_id'].head(3).tolist()} vs "
            f"scored {scored['account_id'].head(3).tolist()}); check how the ids are spelt")


def _take(column: pd.Series, rows: np.ndarray) -> pd.Series:
    """``column`` at positions ``rows``; -1 gives a missing value (as a left join would)."""
    if len(column) == 0:
        return pd.Series([None] * len(rows), dtype=column.dtype if len(rows) == 0 else object)
    taken = column.iloc[np.maximum(rows, 0)].reset_index(drop=True)
    missing = rows < 0
    return taken.where(~missing, None) if missing.any() else taken


def sort_for_export(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a stable order (rank, then account_id) so reruns write identical bytes.

    Unique ranks alone fix the order (a numeric sort, ~10× cheaper than sorting the ids too).
    """
    if "rank" in frame.columns and frame["rank"].notna().all() and pd.api.types.is_numeric_dtype(frame["rank"].dtype):
        ranks = frame["rank"].to_numpy(dtype="float64")
        order = np.argsort(ranks, kind="stable")
        if len(ranks) < 2 or bool((np.diff(ranks[order]) != 0).all()):
            if bool((order == np.arange(len(order))).all()):
                return frame.reset_index(drop=True)
            return frame.iloc[order].reset_index(drop=True)
    keys = [c for c in ("rank", "account_id") if c in frame.columns]
    return frame.sort_values(keys, kind="mergesort", na_position="last").reset_index(drop=True)

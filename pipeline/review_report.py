"""The review's I/O edge: read its inputs from disk, build it, write HTML + JSON atomically.

``run_review`` is what ``upsell review`` and the nightly job call; ``build_review`` (pure) is what
notebooks call with frames they already hold.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from data.atomic import write_bytes_atomic
from data.errors import UpsellError
from pipeline.history import HISTORY_DIR, concat_nights, history_files, night_of, read_night
from pipeline.history import read_history as read_nights
from pipeline.review import (
    DEFAULT_CALIBRATION_NIGHTS, DEFAULT_HORIZON_DAYS, ReviewResult, build_review, review_to_json, utc_timestamps,
)
from pipeline.review_html import render_review_html
from data.errors import DataContractError
from data.problems import render_problems
from data.validate import check_frame
from data.load import DUCKDB_SUFFIXES, table_locations
from pipeline.table_io import read_table_file

HISTORY_COLUMNS: tuple[str, ...] = ("account_id", "as_of", "score", "score_band", "decision_path", "final_node",
                                    "action", "channel", "owner_role", "expected_value")
HISTORY_TEXT_COLUMNS: tuple[str, ...] = ("account_id", "score_band", "decision_path", "final_node", "action",
                                         "channel", "owner_role")


@dataclass(frozen=True)
class ReviewFiles:
    """Where a review was written."""

    html: Path
    json: Path


def read_frame(path: str | Path, what: str) -> pd.DataFrame:
    """A parquet or CSV file as a frame; errors name the file and what it was meant to be."""
    path = Path(path)
    if not path.is_file():
        raise UpsellError(f"{path}: no such {what} file")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except Exception as exc:  # the user's file
        raise UpsellError(f"{path}: cannot read the {what} ({str(exc).splitlines()[0][:200]})") from None


def read_checked_table(source: str | Path, name: str) -> pd.DataFrame | None:
    """Table ``name`` of a data directory (a file, or parquet part files as Spark writes them) or
    of a DuckDB file; None when absent. Held to the contract's rules: the review runs without
    `upsell validate`, and an outcome spelt ``Accepted`` or a negative revenue would otherwise be
    counted silently wrong."""
    source = Path(source)
    if source.is_file() and source.suffix.lower() in DUCKDB_SUFFIXES:
        raw, where = _duckdb_table(source, name), f"{source} (table {name})"
        if raw is None:
            return None
        frame, problems = check_frame(name, raw, None)
    else:
        path = table_locations(source).get(name)
        if path is None:
            return None
        frame, where = read_table_file(path, name), str(path)
        _, problems = check_frame(name, frame, None)
    if problems:
        raise DataContractError(render_problems(problems, where), problems)
    return frame


def _duckdb_table(database: Path, name: str) -> pd.DataFrame | None:
    """Table ``name`` of a DuckDB file (matched case-insensitively, as DuckDB does), read-only."""
    import duckdb

    from data.stored_tables import attach_database

    con = duckdb.connect()
    try:
        tables, _ = attach_database(con, database)
        stored = tables.get(name)
        return None if stored is None else stored.read_df(con)
    except duckdb.Error as exc:
        raise UpsellError(f"{database}: cannot read table {name!r} ({str(exc).splitlines()[0][:200]})") from None
    finally:
        con.close()


def history_path(out_dir: str | Path) -> Path:
    """The score history the nightly job keeps under its output directory (one file per night)."""
    return Path(out_dir) / HISTORY_DIR


def run_review(
    data_dir: str | Path,
    *,
    history: str | Path | pd.DataFrame | None = None,
    playbook: Any | None = None,
    reference: str | Path | pd.DataFrame | None = None,
    current_features: str | Path | pd.DataFrame | None = None,
    html_path: str | Path | None = None,
    json_path: str | Path | None = None,
    **options: Any,
) -> tuple[ReviewResult, ReviewFiles | None]:
    """Read offers/subscriptions from ``data_dir`` and the score history, build the review, write it.

    ``playbook`` is a ``Playbook`` or a shipped name / YAML path. ``options`` go to
    ``build_review`` (as_of, horizon_days, since, revenue_target, target_period, capacity, …).
    Files are written only when ``html_path`` and ``json_path`` are given.
    """
    offers = read_checked_table(data_dir, "offers")
    subscriptions = read_checked_table(data_dir, "subscriptions")
    frames: Mapping[str, pd.DataFrame | None] = {
        "history": _history(history, offers, options),
        "reference": _frame(reference, "training reference"),
        "current": _frame(current_features, "current features"),
    }
    if isinstance(playbook, (str, Path)):
        from pipeline.playbook import resolve_playbook

        playbook = resolve_playbook(playbook)
    # add-on purchases are expansions only where the playbook names their categories
    wants_purchases = bool(getattr(getattr(playbook, "objective", None), "addon_categories", None))
    purchases = read_checked_table(data_dir, "purchases") if wants_purchases else None
    result = build_review(offers, frames["history"], subscriptions=subscriptions, purchases=purchases, playbook=playbook,
                          reference=frames["reference"], current_features=frames["current"], **options)
    if html_path is None or json_path is None:
        return result, None
    files = write_review(result, html_path, json_path)
    return result, files


def write_review(result: ReviewResult, html_path: str | Path, json_path: str | Path) -> ReviewFiles:
    """Write the review's HTML and JSON atomically."""
    write_bytes_atomic(html_path, render_review_html(result).encode("utf-8"))
    write_bytes_atomic(json_path, review_to_json(result).encode("utf-8"))
    return ReviewFiles(html=Path(html_path), json=Path(json_path))


def read_history(path: str | Path) -> pd.DataFrame:
    """The score history (the nightly job's ``history`` directory, or one parquet or CSV file),
    only the columns the review uses: it grows by one scored list a night."""
    path = Path(path)
    if path.is_file() and path.suffix != ".parquet":
        try:  # text columns as text: ids of digits keep their leading zeros
            frame = pd.read_csv(path, dtype={c: "str" for c in HISTORY_TEXT_COLUMNS},
                                keep_default_na=False, na_values=[""])
        except Exception as exc:  # the user's file
            raise UpsellError(f"{path}: cannot read the score history ({str(exc).splitlines()[0][:200]})") from None
        frame = frame[[c for c in HISTORY_COLUMNS if c in frame.columns]]
        if "as_of" in frame.columns:
            frame["as_of"] = utc_timestamps(frame["as_of"], f"{path}: column as_of")
        return frame
    history = read_nights(path, columns=HISTORY_COLUMNS)
    if history is None:
        raise UpsellError(f"{path}: no such score history (a nightly run's history directory, or a parquet/CSV file)")
    return history


def read_review_history(path: str | Path, offers: pd.DataFrame | None, review_date: str | pd.Timestamp | None = None,
                        *, horizon_days: int = DEFAULT_HORIZON_DAYS,
                        calibration_nights: int | None = DEFAULT_CALIBRATION_NIGHTS,
                        today_given: bool = False) -> pd.DataFrame | None:
    """The rows of a nightly history directory that ``build_review`` uses for ``review_date``
    (default: the latest night), and no others, so a review costs the same on the 300th night
    as on the 3rd. The review built from them equals the one built from the whole history:

    - every row of the latest night on or before the review date: today's list (not read with
      ``today_given``, when the caller appends tonight's list itself);
    - every row of the ``calibration_nights`` latest nights whose horizon has closed;
    - of the other nights, the rows of accounts with an offer in the ``horizon_days`` after the
      night (an offer is attributed to its account's latest score before it, at most that old).

    A single history file (a multi-night file from before per-night files, a CSV) is read whole.
    """
    files = history_files(path)
    if not files:
        return None
    nights = {night_of(f): f for f in files}
    if None in nights:
        return read_history(path)
    dates = sorted(d for d in nights if d is not None)
    review_date = pd.Timestamp(review_date) if review_date is not None else dates[-1]
    usable = [d for d in dates if d <= review_date]
    if not usable:  # every night is after the review date: none of them is used
        return read_night(nights[dates[0]], HISTORY_COLUMNS).iloc[0:0]
    closed = [d for d in usable if d + pd.Timedelta(days=horizon_days) <= review_date]
    whole = set(closed if calibration_nights is None else closed[-calibration_nights:])
    if not today_given:
        whole.add(usable[-1])
    horizon = pd.Timedelta(days=horizon_days)
    offered = (pd.to_datetime(offers["offered_at"], errors="coerce") if offers is not None
               else pd.Series(dtype="datetime64[ns]"))
    frames = []
    for d in usable:
        if d in whole:
            frames.append(read_night(nights[d], HISTORY_COLUMNS))
            continue
        attributable = (offered >= d) & (offered <= min(d + horizon, review_date))
        if attributable.any():
            accounts = offers.loc[attributable.to_numpy(), "account_id"].dropna().astype("str").unique().tolist()
            frames.append(read_night(nights[d], HISTORY_COLUMNS, accounts))
    return concat_nights(frames) if frames else None  # None: nothing usable (tonight comes separately)


def _history(value: str | Path | pd.DataFrame | None, offers: pd.DataFrame | None,
             options: Mapping[str, Any]) -> pd.DataFrame | None:
    if value is None or isinstance(value, pd.DataFrame):
        return value
    if not Path(value).is_dir():
        return read_history(value)
    history = read_review_history(value, offers, options.get("as_of"),
                                  horizon_days=options.get("horizon_days", DEFAULT_HORIZON_DAYS),
                                  calibration_nights=options.get("calibration_nights", DEFAULT_CALIBRATION_NIGHTS))
    if history is None:
        raise UpsellError(f"{value}: no score history in this directory (no scores-YYYY-MM-DD.parquet)")
    return history


def _frame(value: str | Path | pd.DataFrame | None, what: str) -> pd.DataFrame | None:
    if value is None or isinstance(value, pd.DataFrame):
        return value
    return read_frame(value, what)

"""The CRM's outcome file: reading it as stored and turning its rows into one validated outcome
per offer (``prepare_outcomes``), before anything is matched against the offers table.

Every broken rule is collected and reported at once (file, column, rule, example rows), so the
user fixes the file in one pass. ``pipeline.outcome_merge`` then merges the rows into the offers
table; ``pipeline.outcomes.import_outcomes`` does both at the data directory's edge.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from data.coerce import coerce_table
from data.contract import CHANNELS, column_names
from data.errors import DataContractError, UpsellError
from data.load import read_table_frame
from data.problems import MAX_EXAMPLES, Problem, render_problems
from data.schemas import day_order_rule
from pipeline.outcome_matching import NATURAL_KEY, offer_keys

IMPORTED_OUTCOMES: tuple[str, ...] = ("accepted", "rejected", "deferred", "no_response")
OUTCOME_FIELDS: tuple[str, ...] = ("outcome", "outcome_at", "revenue", "reenter_at")
OFFER_FIELDS: tuple[str, ...] = ("offer_id", "account_id", "offered_at", "offer_type", "channel", "owner_role")
# Facts of an offer a file may carry: kept for offers it appends, checked against known ones.
OFFER_FACTS: tuple[str, ...] = ("is_control",)
DEFERRED_NEEDS_DATE = ("deferred offers need a re-entry date (or --playbook, whose deferred exit path gives "
                       "reenter_after_days)")
# How far past ``now`` an outcome may be dated (a CRM in another time zone) before it is a typo.
FUTURE_TOLERANCE = pd.Timedelta(days=1)


@dataclass(frozen=True)
class DeferredReentry:
    """A playbook's rule for deferrals without a date: re-enter ``days`` after the outcome."""

    days: int
    source: str  # which playbook said so, for the note

    @classmethod
    def of(cls, playbook: str | Path | Any) -> "DeferredReentry":
        """From a shipped playbook name, a YAML path or a loaded ``Playbook``."""
        if isinstance(playbook, (str, Path)):
            from pipeline.playbook.load import resolve_playbook

            playbook = resolve_playbook(playbook)
        return cls(days=int(playbook.exit_paths.deferred.reenter_after_days),
                   source=f"playbook {playbook.name}")


def read_outcome_file(path: str | Path) -> pd.DataFrame:
    """The CRM file as stored (CSV cells as text, so nothing is guessed before validation), read
    by the loader's reader: a repeated header, a `;`-separated or UTF-16 file is refused with the
    reason, and trailing delimiters do not shift the columns."""
    path = Path(path)
    if not path.is_file():
        raise UpsellError(f"{path}: no such outcome file")
    if not path.name.endswith((".parquet", ".csv", ".csv.gz")):
        raise UpsellError(f"{path}: an outcome file is .csv, .csv.gz or .parquet")
    if path.stat().st_size == 0:
        raise UpsellError(f"{path}: the outcome file is empty (not even a header)")
    try:
        return read_table_frame(path)
    except Exception as exc:  # the user's file: name it and the reader's complaint
        raise UpsellError(f"{path}: cannot read the outcome file ({str(exc).splitlines()[0][:200]})") from None


def naive_utc(moment: str | datetime | pd.Timestamp | None) -> pd.Timestamp:
    """``moment`` (ISO 8601 text, a datetime or a Timestamp; default: the wall clock) as naive UTC,
    the offers table's convention: an offset or time zone is converted, a naive value is UTC."""
    if moment is None:
        return pd.Timestamp.now(tz="UTC").tz_localize(None)
    try:
        stamp = pd.Timestamp(datetime.fromisoformat(moment.strip()) if isinstance(moment, str) else moment)
    except (TypeError, ValueError):
        raise UpsellError(f"now must be an ISO 8601 date or date and time (2026-11-26T13:00:00+00:00), "
                          f"got {moment!r}") from None
    if pd.isna(stamp):
        raise UpsellError(f"now must be a date and time, got {moment!r}")
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


def prepare_outcomes(
    raw: pd.DataFrame, source: str, now: str | datetime | pd.Timestamp | None = None,
    reentry: DeferredReentry | None = None,
) -> tuple[pd.DataFrame, int, int, list[str]]:
    """Pure: validate and type the CRM rows, drop duplicates, keep each offer's latest outcome.

    ``now`` (default: the wall clock; read by ``naive_utc``) bounds ``outcome_at``: an outcome
    dated more than a day ahead is a typo that would otherwise stay the offer's latest outcome
    forever. ``reentry`` (a playbook's deferred exit path) dates a deferral the file leaves
    undated. Returns (rows, duplicates dropped, superseded outcomes, notes). Raises
    ``DataContractError`` listing every problem; ``source`` names the file in the message.
    """
    latest = naive_utc(now) + FUTURE_TOLERANCE
    notes: list[str] = []
    raw = _without_blank_rows(raw.reset_index(drop=True), notes)
    _require_columns(raw, source)
    known = set(column_names("offers"))
    extras = [c for c in raw.columns if c not in known]
    if extras:
        notes.append(f"ignored column(s) not in the offers contract: {', '.join(map(str, extras))}")
    raw = raw[[c for c in raw.columns if c in known]]
    if "outcome" in raw.columns:
        raw = raw.assign(outcome=raw["outcome"].map(_normalise_outcome))
    typed, type_problems = coerce_table("offers", raw)
    problems = [_retable(p) for p in type_problems]
    broken = {p.column for p in type_problems}
    typed = _with_optional_columns(typed)
    problems += _row_problems(raw, typed, broken, latest, reentry, notes)
    if problems:
        raise DataContractError(render_problems(problems, source), problems)
    rows, duplicates, superseded = _latest_per_offer(raw, typed, source)
    return rows, duplicates, superseded, notes


def _without_blank_rows(raw: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Excel saves rows it once formatted as ',,,' lines: skipped with a note; the other rows keep
    their numbers in messages."""
    blank = _blank_rows(raw)
    if not blank.any():
        return raw
    notes.append(f"{int(blank.sum())} empty row(s) skipped (every cell empty): row(s) "
                 f"{', '.join(map(str, blank[blank].index[:MAX_EXAMPLES]))}")
    return raw[~blank]


def _require_columns(raw: pd.DataFrame, source: str) -> None:
    """The file says what happened and when, and names its offers one way or the other."""
    missing = [c for c in ("outcome", "outcome_at") if c not in raw.columns]
    if "offer_id" not in raw.columns and not all(c in raw.columns for c in NATURAL_KEY):
        missing.append("offer_id (or account_id + offered_at + offer_type)")
    if missing:
        problems = [Problem(table="outcomes", column=c, rule="required column present",
                            detail=f"columns found: {', '.join(map(str, raw.columns))}") for c in missing]
        raise DataContractError(render_problems(problems, source), problems)


def _with_optional_columns(typed: pd.DataFrame) -> pd.DataFrame:
    """Every column the checks and the merge read, empty where the file lacks it."""
    for name in ("offer_id", *NATURAL_KEY):
        if name not in typed.columns:
            typed[name] = pd.Series(None, index=typed.index, dtype="str" if name != "offered_at" else "datetime64[us]")
    for name in ("revenue", "reenter_at", "channel", "owner_role"):
        if name not in typed.columns:
            typed[name] = pd.Series(None, index=typed.index,
                                    dtype={"revenue": "float64", "reenter_at": "datetime64[us]"}.get(name, "str"))
    return typed


def _row_problems(
    raw: pd.DataFrame, typed: pd.DataFrame, broken: set[str | None], latest: pd.Timestamp,
    reentry: DeferredReentry | None, notes: list[str],
) -> list[Problem]:
    """Every row rule the file breaks (a column whose values did not even parse is not judged
    again). Dates undated deferrals in ``typed`` when ``reentry`` says how."""
    problems: list[Problem] = []

    def check(mask: pd.Series, column: str | None, rule: str) -> None:
        if column in broken or not mask.any():
            return
        problems.append(Problem(table="outcomes", column=column, rule=rule, n_rows=int(mask.sum()),
                                examples=raw.loc[mask].head(MAX_EXAMPLES)))

    no_key = typed["offer_id"].isna() & typed[list(NATURAL_KEY)].isna().any(axis=1)
    check(no_key, "offer_id", "offer_id, or all of account_id + offered_at + offer_type, given")
    check(~typed["outcome"].isin(IMPORTED_OUTCOMES), "outcome", f"one of {', '.join(IMPORTED_OUTCOMES)}")
    check(typed["outcome_at"].isna(), "outcome_at", "not null (when the outcome happened)")
    check(typed["outcome_at"] > latest, "outcome_at", f"not in the future (after {latest:%Y-%m-%d %H:%M} UTC)")
    check(typed["revenue"] < 0, "revenue", ">= 0")
    check((typed["revenue"] > 0) & (typed["outcome"] != "accepted"), "revenue", "revenue only on accepted offers")
    undated = (typed["outcome"] == "deferred") & typed["reenter_at"].isna() & typed["outcome_at"].notna()
    if reentry is not None and undated.any() and "outcome_at" not in broken and "reenter_at" not in broken:
        typed.loc[undated, "reenter_at"] = typed.loc[undated, "outcome_at"] + pd.Timedelta(days=reentry.days)
        notes.append(f"{int(undated.sum())} deferred offer(s) without reenter_at: re-entry set to outcome_at + "
                     f"{reentry.days} days ({reentry.source}: exit_paths.deferred.reenter_after_days: {reentry.days})")
    if "reenter_at" in raw.columns:  # a file without the column keeps the recorded date: the merge checks
        check((typed["outcome"] == "deferred") & typed["reenter_at"].isna(), "reenter_at", DEFERRED_NEEDS_DATE)
    check(typed["reenter_at"] < typed["outcome_at"], "reenter_at", "reenter_at >= outcome_at")
    # to the day, as the offers table is checked: a CRM often gives the outcome as a date alone
    check(typed["outcome_at"] < typed["offered_at"].dt.floor("D"), "outcome_at", day_order_rule("outcome_at", "offered_at"))
    check(typed["channel"].notna() & ~typed["channel"].isin(CHANNELS), "channel", f"one of {', '.join(CHANNELS)}")
    return problems


def _latest_per_offer(raw: pd.DataFrame, typed: pd.DataFrame, source: str) -> tuple[pd.DataFrame, int, int]:
    """Identical rows once, then each offer's latest outcome, in file order: (rows, duplicates
    dropped, superseded outcomes). Two different outcomes of one offer at one instant are refused."""
    kept = [*OFFER_FIELDS, *OUTCOME_FIELDS, *[c for c in OFFER_FACTS if c in typed.columns]]
    typed = typed[kept].copy()
    typed["_row"] = raw.index
    typed["_key"] = offer_keys(typed)
    before = len(typed)
    typed = typed.drop_duplicates([c for c in typed.columns if c != "_row"], keep="first")
    duplicates = before - len(typed)
    same_time = typed.duplicated(["_key", "outcome_at"], keep=False)
    if same_time.any():
        clash = raw.loc[typed.loc[same_time, "_row"]]
        problems = [Problem(table="outcomes", column="outcome", n_rows=int(same_time.sum()),
                            rule="one outcome per offer and outcome_at (these rows disagree)",
                            examples=clash.head(MAX_EXAMPLES))]
        raise DataContractError(render_problems(problems, source), problems)
    typed = typed.sort_values(["_key", "outcome_at"], kind="mergesort")
    latest = ~typed.duplicated("_key", keep="last")
    rows = typed[latest].sort_values("_row", kind="mergesort").reset_index(drop=True)
    return rows, duplicates, int((~latest).sum())


def _blank_rows(raw: pd.DataFrame) -> pd.Series:
    """Rows where every cell is missing or only spaces."""
    if raw.empty or not len(raw.columns):
        return pd.Series(False, index=raw.index)
    text = raw.astype("str").apply(lambda column: column.str.strip())
    return (raw.isna() | text.eq("")).all(axis=1)


def _normalise_outcome(value: object) -> object:
    """``No Response`` → ``no_response``: CRMs spell outcomes for people."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return value
    return str(value).strip().lower().replace(" ", "_").replace("-", "_")


def _retable(problem: Problem) -> Problem:
    """A problem the offers contract found, told as the outcome file's."""
    return Problem(table="outcomes", column=problem.column, rule=problem.rule, n_rows=problem.n_rows,
                   examples=problem.examples, detail=problem.detail)

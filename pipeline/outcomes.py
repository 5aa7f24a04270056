"""The feedback loop: import offer outcomes from the CRM into the data directory's offers table.

A CRM export (CSV or parquet) names each offer by ``offer_id`` or by ``account_id`` +
``offered_at`` + ``offer_type``, and says what became of it: ``outcome`` (accepted, rejected,
deferred, no_response), ``outcome_at``, ``revenue`` and ``reenter_at`` (required for deferred).
Importing it

- validates every row first and reports every broken rule (file, column, rule, example rows);
  on any problem nothing is written;
- de-duplicates: identical rows count once; several outcomes for one offer keep the latest
  (``outcome_at``), and an outcome older than the one already recorded never overwrites it;
- merges: known offers get their outcome fields updated, unknown ones are appended (they then
  need ``account_id``, ``offered_at``, ``offer_type`` and ``channel``; an id is derived from those);
  a status-only file (no ``revenue`` or ``reenter_at`` column) keeps what is recorded there while
  an offer's outcome stays the same;
- writes the offers table atomically in its own format, and only when something changed, so
  importing the same file twice changes nothing.

The next night's features then see the outcomes (cool-downs, re-entry dates) and the next
training sees fresh labels.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.coerce import coerce_table
from data.contract import CHANNELS, column_names
from data.errors import DataContractError, UpsellError
from data.problems import MAX_EXAMPLES, Problem, render_problems
from data.load import FILE_SUFFIXES, read_table_frame, table_locations
from data.schemas import RULE_NOT_NULL, RULE_UNIQUE
from data.validate import shape_problems, validate_frames
from pipeline.outcome_matching import (
    NATURAL_KEY, folded, is_in, match_offers, matched_offer, near_matches, offer_keys,
)
from pipeline.table_io import read_table_file, table_path, write_table

IMPORTED_OUTCOMES: tuple[str, ...] = ("accepted", "rejected", "deferred", "no_response")
OUTCOME_FIELDS: tuple[str, ...] = ("outcome", "outcome_at", "revenue", "reenter_at")
OFFER_FIELDS: tuple[str, ...] = ("offer_id", "account_id", "offered_at", "offer_type", "channel", "owner_role")
# Facts of an offer a file may carry: kept for offers it appends, checked against known ones.
OFFER_FACTS: tuple[str, ...] = ("is_control",)
DEFERRED_NEEDS_DATE = ("deferred offers need a re-entry date (or --playbook, whose deferred exit path gives "
                       "reenter_after_days)")


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


@dataclass(frozen=True)
class OutcomeImportResult:
    """What an import did (``written`` False when nothing changed or on a dry run)."""

    source: str
    offers_path: str
    rows_read: int
    duplicates_dropped: int
    superseded: int  # older outcomes of an offer also in the file
    updated: int
    appended: int
    unchanged: int
    stale: int  # older than the outcome already recorded: kept as recorded
    written: bool
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["notes"] = list(self.notes)
        return out


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


def prepare_outcomes(
    raw: pd.DataFrame, source: str, now: pd.Timestamp | None = None, reentry: DeferredReentry | None = None,
) -> tuple[pd.DataFrame, int, int, list[str]]:
    """Pure: validate and type the CRM rows, drop duplicates, keep each offer's latest outcome.

    ``now`` (naive UTC; default: the clock) bounds ``outcome_at``: an outcome dated more than a day
    ahead is a typo that would otherwise stay the offer's latest outcome forever. ``reentry`` (a
    playbook's deferred exit path) dates a deferral the file leaves undated. Returns (rows,
    duplicates dropped, superseded outcomes, notes). Raises ``DataContractError`` listing every
    problem; ``source`` names the file in the message.
    """
    problems: list[Problem] = []
    notes: list[str] = []
    raw = raw.reset_index(drop=True)
    blank = _blank_rows(raw)
    if blank.any():  # Excel saves rows it once formatted as ',,,' lines; rows keep their numbers in messages
        raw = raw[~blank]
        notes.append(f"{int(blank.sum())} empty row(s) skipped (every cell empty): row(s) "
                     f"{', '.join(map(str, blank[blank].index[:MAX_EXAMPLES]))}")
    by_id = "offer_id" in raw.columns
    by_key = all(c in raw.columns for c in NATURAL_KEY)
    required = ["outcome", "outcome_at"]
    missing = [c for c in required if c not in raw.columns]
    if not by_id and not by_key:
        missing.append("offer_id (or account_id + offered_at + offer_type)")
    if missing:
        problems += [Problem(table="outcomes", column=c, rule="required column present",
                             detail=f"columns found: {', '.join(map(str, raw.columns))}") for c in missing]
        raise DataContractError(render_problems(problems, source), problems)
    known = set(column_names("offers"))
    extras = [c for c in raw.columns if c not in known]
    if extras:
        notes.append(f"ignored column(s) not in the offers contract: {', '.join(map(str, extras))}")
    raw = raw[[c for c in raw.columns if c in known]]
    if "outcome" in raw.columns:
        raw = raw.assign(outcome=raw["outcome"].map(_normalise_outcome))
    typed, type_problems = coerce_table("offers", raw)
    problems += [_retable(p) for p in type_problems]
    broken = {p.column for p in type_problems}

    def check(mask: pd.Series, column: str | None, rule: str) -> None:
        if column in broken or not mask.any():
            return
        problems.append(Problem(table="outcomes", column=column, rule=rule, n_rows=int(mask.sum()),
                                examples=raw.loc[mask].head(MAX_EXAMPLES)))

    for name in ("offer_id", *NATURAL_KEY):
        if name not in typed.columns:
            typed[name] = pd.Series(None, index=typed.index, dtype="str" if name != "offered_at" else "datetime64[us]")
    for name in ("revenue", "reenter_at", "channel", "owner_role"):
        if name not in typed.columns:
            typed[name] = pd.Series(None, index=typed.index,
                                    dtype={"revenue": "float64", "reenter_at": "datetime64[us]"}.get(name, "str"))
    no_key = typed["offer_id"].isna() & typed[list(NATURAL_KEY)].isna().any(axis=1)
    check(no_key, "offer_id", "offer_id, or all of account_id + offered_at + offer_type, given")
    check(~typed["outcome"].isin(IMPORTED_OUTCOMES), "outcome", f"one of {', '.join(IMPORTED_OUTCOMES)}")
    check(typed["outcome_at"].isna(), "outcome_at", "not null (when the outcome happened)")
    latest = (pd.Timestamp.now(tz="UTC").tz_localize(None) if now is None else pd.Timestamp(now)) + pd.Timedelta(days=1)
    check(typed["outcome_at"] > latest, "outcome_at", f"not in the future (after {latest:%Y-%m-%d %H:%M} UTC)")
    check(typed["revenue"] < 0, "revenue", ">= 0")
    check((typed["revenue"] > 0) & (typed["outcome"] != "accepted"), "revenue", "revenue only on accepted offers")
    undated = (typed["outcome"] == "deferred") & typed["reenter_at"].isna() & typed["outcome_at"].notna()
    if reentry is not None and undated.any() and "outcome_at" not in broken and "reenter_at" not in broken:
        typed.loc[undated, "reenter_at"] = typed.loc[undated, "outcome_at"] + pd.Timedelta(days=reentry.days)
        notes.append(f"{int(undated.sum())} deferred offer(s) without reenter_at: re-entry set to outcome_at + "
                     f"{reentry.days} days ({reentry.source}: exit_paths.deferred.reenter_after_days: {reentry.days})")
    if "reenter_at" in raw.columns:  # a file without the column keeps the recorded date: merge_outcomes checks
        check((typed["outcome"] == "deferred") & typed["reenter_at"].isna(), "reenter_at", DEFERRED_NEEDS_DATE)
    check(typed["reenter_at"] < typed["outcome_at"], "reenter_at", "reenter_at >= outcome_at")
    check(typed["outcome_at"] < typed["offered_at"], "outcome_at", "outcome_at >= offered_at")
    check(typed["channel"].notna() & ~typed["channel"].isin(CHANNELS), "channel", f"one of {', '.join(CHANNELS)}")
    if problems:
        raise DataContractError(render_problems(problems, source), problems)

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
        problems.append(Problem(table="outcomes", column="outcome", n_rows=int(same_time.sum()),
                                rule="one outcome per offer and outcome_at (these rows disagree)",
                                examples=clash.head(MAX_EXAMPLES)))
        raise DataContractError(render_problems(problems, source), problems)
    typed = typed.sort_values(["_key", "outcome_at"], kind="mergesort")
    latest = ~typed.duplicated("_key", keep="last")
    superseded = int((~latest).sum())
    rows = typed[latest].sort_values("_row", kind="mergesort").reset_index(drop=True)
    return rows, duplicates, superseded, notes


def merge_outcomes(
    offers: pd.DataFrame | None,
    outcomes: pd.DataFrame,
    account_ids: pd.Index,
    source: str,
    given: tuple[str, ...] = OUTCOME_FIELDS,
    notes: list[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Pure: the offers table with ``outcomes`` (from ``prepare_outcomes``) merged in, and counts.

    ``given`` names the outcome columns the file had. One it lacked (a status-only export without
    ``revenue`` or ``reenter_at``) says nothing: a known offer keeps its recorded value while its
    outcome stays the same, and loses it when the outcome changes (revenue belongs to an accepted
    offer, a re-entry date to a deferred one).

    ``notes`` (a list) receives what the user should know of a successful merge (rows matched to
    an offer on a neighbouring date).

    Raises ``DataContractError`` for rows that name an unknown offer_id without the facts to
    append it, natural keys that match several offers (or resemble an offer at another
    precision), details that disagree with the matched offer (account_id, offer_type, is_control;
    channel for a row matched by natural key), unknown accounts, outcomes dated before their offer, or deferrals left without a
    re-entry date.
    """
    offers = _empty_offers() if offers is None else offers.reset_index(drop=True).copy()
    notes = [] if notes is None else notes
    problems: list[Problem] = []
    position = match_offers(offers, outcomes)
    nearby = near_matches(offers, outcomes, position == -1)
    position = position.where(nearby.position == -1, nearby.position)
    near = nearby.near
    ambiguous = position == -2
    matched = position >= 0
    new = ~matched & ~ambiguous

    def check(mask: pd.Series, column: str, rule: str) -> None:
        if mask.any():
            problems.append(Problem(table="outcomes", column=column, rule=rule, n_rows=int(mask.sum()),
                                    examples=_shown(outcomes[mask])))

    check(ambiguous, "offer_id", "account_id + offered_at + offer_type names one offer (several match; give offer_id)")
    incomplete = new & outcomes[["account_id", "offered_at", "offer_type", "channel"]].isna().any(axis=1)
    check(incomplete, "offer_id", "an offer not in the offers table needs account_id, offered_at, offer_type and channel")
    named = matched & outcomes["offer_id"].notna()
    # the file's details of a known offer agree with it (the key's own columns matched already, unless named by id)
    for column in ("account_id", "offer_type", "channel", *OFFER_FACTS):
        if column not in outcomes.columns or column not in offers.columns:
            continue
        # channel tells offers of one day apart, so a natural key's match must agree with it; an
        # offer named by its id is that offer, whatever channel the CRM logged the contact under
        scope = (matched & ~named) if column == "channel" else (named if column in NATURAL_KEY else matched)
        stated = scope & outcomes[column].notna()
        if not stated.any():
            continue
        recorded = pd.Series(offers[column].to_numpy()[position.where(stated, 0).to_numpy()], index=outcomes.index)
        stated &= recorded.notna()
        differs = stated & (folded(outcomes[column]) != folded(recorded))
        if differs.any():
            problems.append(Problem(
                table="outcomes", column=column, n_rows=int(differs.sum()),
                rule=f"{column} agrees with the offers table's for the offer this row names",
                examples=_shown(pd.concat([
                    *([matched_offer(offers, position, differs)] if outcomes.loc[differs, "offer_id"].isna().any() else []),
                    recorded[differs].rename(f"offers_{column}"), outcomes[differs]], axis=1))))
    near_copy = new & near
    if near_copy.any():
        shown = _shown(outcomes[near_copy])
        problems.append(Problem(
            table="outcomes", column="offered_at", n_rows=int(near_copy.sum()),
            rule="no offer has exactly this account_id + offered_at + offer_type, but one of the same account and "
                 "type was made within a day (give its offer_id, or its exact offered_at and offer_type)",
            detail="offers like these rows: "
                   + nearby.describe(outcomes.index[near_copy][:MAX_EXAMPLES], outcomes["_row"]),
            examples=shown))
    new &= ~near_copy
    if len(nearby.neighbours) and not problems:
        notes.append(nearby.neighbour_note(outcomes["_row"]))
    check(new & ~incomplete & ~is_in(outcomes["account_id"], account_ids), "account_id",
          "account_id exists in accounts")
    offered_at = outcomes["offered_at"].copy()
    offered_at[matched] = offers["offered_at"].to_numpy()[position[matched]]
    before_offer = outcomes["outcome_at"] < offered_at
    if before_offer.any():  # show the offer's own offered_at, not the file's (often empty)
        problems.append(Problem(table="outcomes", column="outcome_at", rule="outcome_at >= offered_at (of the offer)",
                                n_rows=int(before_offer.sum()),
                                examples=_shown(outcomes[before_offer].assign(offered_at=offered_at[before_offer]))))
    if problems:
        raise DataContractError(render_problems(problems, source), problems)

    counts = {"updated": 0, "appended": 0, "unchanged": 0, "stale": 0, "superseded": 0}
    hits = outcomes[matched].assign(_pos=position[matched].to_numpy())
    # one offer named twice (by offer_id and by natural key): its latest outcome wins
    hits = hits.sort_values(["_pos", "outcome_at", "_row"], kind="mergesort")
    latest = ~hits.duplicated("_pos", keep="last")
    counts["superseded"] = int((~latest).sum())
    hits = hits[latest]
    for column in OUTCOME_FIELDS:
        if column not in offers.columns:
            offers[column] = pd.Series(None, index=offers.index, dtype=outcomes[column].dtype)
    rows = hits["_pos"].to_numpy()
    hits = _keep_unsaid(hits, offers.iloc[rows], given)
    recorded_at = offers["outcome_at"].to_numpy()[rows]
    stale = ~pd.isna(recorded_at) & (hits["outcome_at"].to_numpy() < recorded_at)
    undated = pd.concat([hits[~stale], outcomes[new]])
    undated = undated[(undated["outcome"] == "deferred") & undated["reenter_at"].isna()]
    if len(undated):  # a status-only file: the recorded date was kept only where the offer was already deferred
        problems.append(Problem(table="outcomes", column="reenter_at", n_rows=len(undated),
                                rule=DEFERRED_NEEDS_DATE + "; the offers table has none for these offers",
                                examples=_shown(undated.sort_values("_row").drop(columns="_pos", errors="ignore"))))
        raise DataContractError(render_problems(problems, source), problems)
    same = np.ones(len(hits), dtype=bool)
    for column in OUTCOME_FIELDS:
        same &= _equal(offers[column].iloc[rows], hits[column])
    update = ~stale & ~same
    counts["stale"] = int(stale.sum())
    counts["unchanged"] = int((~stale & same).sum())
    counts["updated"] = int(update.sum())
    for column in OUTCOME_FIELDS:
        values = hits.loc[update, column]
        offers.loc[rows[update], column] = values.astype(offers[column].dtype).to_numpy()
    appended = outcomes[new].copy()
    if len(appended):
        missing_id = appended["offer_id"].isna()
        appended.loc[missing_id, "offer_id"] = appended.loc[missing_id, "_key"].map(_derived_id)
        appended = appended.sort_values(["offered_at", "offer_id"], kind="mergesort")
        columns = [c for c in offers.columns if c in appended.columns]
        extra = [c for c in (*OFFER_FIELDS, *OUTCOME_FIELDS, *OFFER_FACTS) if c in appended.columns and c not in offers.columns]
        offers = pd.concat([offers, appended[columns + extra]], ignore_index=True)
        counts["appended"] = len(appended)
    return offers, counts


def import_outcomes(
    source: str | Path, data_dir: str | Path, *, dry_run: bool = False, now: pd.Timestamp | None = None,
    playbook: str | Path | Any | None = None,
) -> OutcomeImportResult:
    """Read, validate and merge a CRM outcome file into ``data_dir``'s offers table.

    Nothing is written on any problem, on ``dry_run``, or when the file changes nothing. ``now``
    (default: the clock) is the latest plausible ``outcome_at``, give or take a day. ``playbook``
    (a shipped name, a YAML path or a ``Playbook``) dates deferrals the file leaves undated:
    ``outcome_at`` + its ``exit_paths.deferred.reenter_after_days``.
    """
    source = Path(source)
    _check_data_dir(Path(data_dir))
    reentry = DeferredReentry.of(playbook) if playbook is not None else None
    raw = read_outcome_file(source)
    rows, duplicates, superseded, notes = prepare_outcomes(raw, str(source), now, reentry)
    accounts_at = table_locations(data_dir).get("accounts")  # a file, or parquet part files
    accounts = read_table_file(accounts_at, "accounts") if accounts_at is not None else None
    if accounts is None:
        raise UpsellError(f"{data_dir}: no accounts table (outcomes are merged into a data directory)")
    offers_file = table_path(data_dir, "offers")
    offers = read_table_file(offers_file, "offers") if offers_file is not None else None
    _check_shapes(data_dir, {"accounts": accounts, "offers": offers})
    if offers is not None:  # an offer_id missing or twice is the table's problem: the merge cannot name offers
        _check_offer_ids(offers, str(offers_file))
    target = offers_file or Path(data_dir) / ("offers.csv" if _uses_csv(data_dir) else "offers.parquet")
    given = tuple(c for c in OUTCOME_FIELDS if c in raw.columns)
    merged, counts = merge_outcomes(offers, rows, pd.Index(accounts["account_id"].dropna()), str(source), given, notes)
    changed = counts["updated"] + counts["appended"] > 0
    if changed:
        report = validate_frames({"accounts": accounts, "offers": merged})
        offer_problems = [p for p in report.problems if p.table == "offers"]
        if offer_problems:
            raise DataContractError(
                render_problems(offer_problems, f"{target} (after merging {source.name})"), offer_problems)
        if not dry_run:
            write_table(merged, target)
    superseded += counts.pop("superseded")
    return OutcomeImportResult(
        source=str(source), offers_path=str(target), rows_read=len(raw), duplicates_dropped=duplicates,
        superseded=superseded, written=changed and not dry_run, notes=tuple(notes), **counts,
    )


def _keep_unsaid(hits: pd.DataFrame, recorded: pd.DataFrame, given: tuple[str, ...]) -> pd.DataFrame:
    """``hits`` with each outcome column the file did not have taken from the recorded offer
    where the outcome is unchanged (and left empty where it changed)."""
    unsaid = [c for c in OUTCOME_FIELDS if c not in given and c != "outcome"]
    if not unsaid:
        return hits
    hits = hits.copy()
    same_outcome = (recorded["outcome"].to_numpy() == hits["outcome"].to_numpy())
    for column in unsaid:
        kept = recorded[column].to_numpy()
        hits[column] = hits[column].where(~same_outcome, pd.Series(kept, index=hits.index).astype(hits[column].dtype))
    return hits


def _check_data_dir(data_dir: Path) -> None:
    """Outcomes are merged into one offers file of a data directory: say so for anything else."""
    if data_dir.is_file():
        raise UpsellError(f"{data_dir}: outcomes import merges into a data directory's offers file, not a "
                          "database; load the outcomes into that database's offers table there")
    for suffix in FILE_SUFFIXES:
        if (data_dir / f"offers{suffix}").is_dir():
            raise UpsellError(f"{data_dir / f'offers{suffix}'}: the offers table is a directory of part files; "
                              "outcomes import rewrites a single offers file (.parquet, .csv or .csv.gz)")


def _check_offer_ids(offers: pd.DataFrame, source: str) -> None:
    """The offers table's ids are given and unique (as ``upsell validate`` words it). The rest of the
    contract is checked once, on the merged table."""
    problems: list[Problem] = []
    for mask, rule in ((offers["offer_id"].isna(), RULE_NOT_NULL),
                       (offers["offer_id"].duplicated(keep=False) & offers["offer_id"].notna(), RULE_UNIQUE)):
        if mask.any():
            problems.append(Problem(table="offers", column="offer_id", rule=rule, n_rows=int(mask.sum()),
                                    examples=offers[mask].sort_values("offer_id", kind="mergesort").head(MAX_EXAMPLES)))
    if problems:
        raise DataContractError(render_problems(problems, source), problems)


def _check_shapes(data_dir: str | Path, tables: dict[str, pd.DataFrame | None]) -> None:
    """The columns the merge reads exist (accounts.account_id, the offers' key and outcome columns)."""
    problems: list[Problem] = []
    for name, frame in tables.items():
        if frame is not None:
            problems += shape_problems(name, list(frame.columns), len(frame) if name == "accounts" else 1)[0]
    if problems:
        raise DataContractError(render_problems(problems, str(data_dir)), problems)


def _blank_rows(raw: pd.DataFrame) -> pd.Series:
    """Rows where every cell is missing or only spaces."""
    if raw.empty or not len(raw.columns):
        return pd.Series(False, index=raw.index)
    text = raw.astype("str").apply(lambda column: column.str.strip())
    return (raw.isna() | text.eq("")).all(axis=1)


def _normalise_outcome(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return value
    return str(value).strip().lower().replace(" ", "_").replace("-", "_")


def _retable(problem: Problem) -> Problem:
    return Problem(table="outcomes", column=problem.column, rule=problem.rule, n_rows=problem.n_rows,
                   examples=problem.examples, detail=problem.detail)


def _derived_id(key: str) -> str:
    """A stable offer_id for an offer first seen in an outcome file (same key → same id)."""
    return "crm-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _equal(recorded: pd.Series, incoming: pd.Series) -> np.ndarray:
    """Element-wise equality where missing equals missing."""
    a = recorded.reset_index(drop=True)
    b = incoming.reset_index(drop=True)
    both_missing = (a.isna() & b.isna()).to_numpy()
    equal = (a == b).fillna(False).to_numpy(dtype=bool) if len(a) else np.zeros(0, dtype=bool)
    return both_missing | equal


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    rows = frame.drop(columns=[c for c in ("_key",) if c in frame.columns]).head(MAX_EXAMPLES)
    return rows.set_index("_row").rename_axis("row") if "_row" in rows.columns else rows


def _empty_offers() -> pd.DataFrame:
    dtypes = {"offered_at": "datetime64[us]", "outcome_at": "datetime64[us]", "reenter_at": "datetime64[us]",
              "revenue": "float64"}
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "str")) for c in (*OFFER_FIELDS, *OUTCOME_FIELDS)})


def _uses_csv(data_dir: str | Path) -> bool:
    accounts = table_path(data_dir, "accounts")
    return accounts is not None and accounts.suffix != ".parquet"

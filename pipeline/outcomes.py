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

This module is the import's edge (the data directory's tables read and written); the pure steps
live beside it: ``pipeline.outcome_file`` (reading and validating the CRM file),
``pipeline.outcome_matching`` (which offer a row names) and ``pipeline.outcome_merge`` (merging
into the offers table). Their public names are importable from here too.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from data.errors import DataContractError, UpsellError
from data.load import FILE_SUFFIXES, table_locations
from data.problems import MAX_EXAMPLES, Problem, render_problems
from data.schemas import RULE_NOT_NULL, RULE_UNIQUE
from data.validate import shape_problems, validate_frames
from pipeline.outcome_file import (  # noqa: F401 - public here too: the import's vocabulary
    DEFERRED_NEEDS_DATE, IMPORTED_OUTCOMES, OFFER_FACTS, OFFER_FIELDS, OUTCOME_FIELDS, DeferredReentry,
    naive_utc, prepare_outcomes, read_outcome_file,
)
from pipeline.outcome_matching import NATURAL_KEY  # noqa: F401 - importable from here, as before
from pipeline.outcome_merge import merge_outcomes
from pipeline.table_io import read_table_file, table_path, write_table


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


def import_outcomes(
    source: str | Path, data_dir: str | Path, *, dry_run: bool = False,
    now: str | datetime | pd.Timestamp | None = None, playbook: str | Path | Any | None = None,
) -> OutcomeImportResult:
    """Read, validate and merge a CRM outcome file into ``data_dir``'s offers table.

    Nothing is written on any problem, on ``dry_run``, or when the file changes nothing. ``now``
    (default: the wall clock) is the latest plausible ``outcome_at``, give or take a day: give it
    to backfill or replay an import deterministically (ISO 8601 text, a datetime or a Timestamp;
    an offset is converted to UTC, a naive value is taken as UTC). ``playbook``
    (a shipped name, a YAML path or a ``Playbook``) dates deferrals the file leaves undated:
    ``outcome_at`` + its ``exit_paths.deferred.reenter_after_days``.
    """
    source = Path(source)
    now = naive_utc(now)  # read once: the whole import judges against one instant
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


def _uses_csv(data_dir: str | Path) -> bool:
    accounts = table_path(data_dir, "accounts")
    return accounts is not None and accounts.suffix != ".parquet"

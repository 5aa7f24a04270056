"""Merging prepared CRM outcome rows (``pipeline.outcome_file.prepare_outcomes``) into the offers
table: which rows are refused against the table (``merge_refusals``), then the known offers'
outcome fields updated and the unknown offers appended (``merge_outcomes``).

Pure pandas, no I/O: ``pipeline.outcomes.import_outcomes`` reads and writes the tables.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.errors import DataContractError
from data.problems import MAX_EXAMPLES, Problem, render_problems
from data.schemas import day_order_rule
from pipeline.outcome_file import DEFERRED_NEEDS_DATE, OFFER_FACTS, OFFER_FIELDS, OUTCOME_FIELDS
from pipeline.outcome_matching import (
    NATURAL_KEY, NearMatches, folded, is_in, match_offers, matched_offer, near_matches,
)

APPEND_NEEDS: tuple[str, ...] = ("account_id", "offered_at", "offer_type", "channel")


@dataclass(frozen=True)
class OfferMatches:
    """Which offer each outcome row names: ``position`` in the offers table (>= 0 matched, -1 none,
    -2 several), and the near matches at another precision found for the rows matching none."""

    position: pd.Series
    nearby: NearMatches

    @classmethod
    def of(cls, offers: pd.DataFrame, outcomes: pd.DataFrame) -> "OfferMatches":
        position = match_offers(offers, outcomes)
        nearby = near_matches(offers, outcomes, position == -1)
        return cls(position.where(nearby.position == -1, nearby.position), nearby)

    @property
    def matched(self) -> pd.Series:
        return self.position >= 0

    @property
    def ambiguous(self) -> pd.Series:
        return self.position == -2


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
    channel for a row matched by natural key), unknown accounts, outcomes dated before their
    offer, or deferrals left without a re-entry date.
    """
    offers = _empty_offers() if offers is None else offers.reset_index(drop=True).copy()
    notes = [] if notes is None else notes
    matches = OfferMatches.of(offers, outcomes)
    problems, new = merge_refusals(offers, outcomes, matches, account_ids)
    if problems:
        raise DataContractError(render_problems(problems, source), problems)
    if len(matches.nearby.neighbours):
        notes.append(matches.nearby.neighbour_note(outcomes["_row"]))
    offers, counts = _with_outcomes_written(offers, outcomes, matches, new, given, source)
    offers, counts["appended"] = _with_new_offers(offers, outcomes[new])
    return offers, counts


def merge_refusals(
    offers: pd.DataFrame, outcomes: pd.DataFrame, matches: OfferMatches, account_ids: pd.Index,
) -> tuple[list[Problem], pd.Series]:
    """Every reason to refuse rows against the offers table, and which rows name offers to append
    (neither matched, ambiguous nor a near copy of a known offer)."""
    problems: list[Problem] = []
    position, matched, ambiguous = matches.position, matches.matched, matches.ambiguous
    new = ~matched & ~ambiguous

    def check(mask: pd.Series, column: str, rule: str) -> None:
        if mask.any():
            problems.append(Problem(table="outcomes", column=column, rule=rule, n_rows=int(mask.sum()),
                                    examples=_shown(outcomes[mask])))

    check(ambiguous, "offer_id", "account_id + offered_at + offer_type names one offer (several match; give offer_id)")
    incomplete = new & outcomes[list(APPEND_NEEDS)].isna().any(axis=1)
    check(incomplete, "offer_id", "an offer not in the offers table needs account_id, offered_at, offer_type and channel")
    problems += _disagreements(offers, outcomes, position)
    near_copy = new & matches.nearby.near
    if near_copy.any():
        problems.append(Problem(
            table="outcomes", column="offered_at", n_rows=int(near_copy.sum()),
            rule="no offer has exactly this account_id + offered_at + offer_type, but one of the same account and "
                 "type was made within a day (give its offer_id, or its exact offered_at and offer_type)",
            detail="offers like these rows: "
                   + matches.nearby.describe(outcomes.index[near_copy][:MAX_EXAMPLES], outcomes["_row"]),
            examples=_shown(outcomes[near_copy])))
    new &= ~near_copy
    check(new & ~incomplete & ~is_in(outcomes["account_id"], account_ids), "account_id",
          "account_id exists in accounts")
    offered_at = outcomes["offered_at"].copy()
    offered_at[matched] = offers["offered_at"].to_numpy()[position[matched]]
    before_offer = outcomes["outcome_at"] < offered_at.dt.floor("D")  # to the day, as the offers table is checked
    if before_offer.any():  # show the offer's own offered_at, not the file's (often empty)
        problems.append(Problem(table="outcomes", column="outcome_at",
                                rule=day_order_rule("outcome_at", "offered_at") + " (of the offer)",
                                n_rows=int(before_offer.sum()),
                                examples=_shown(outcomes[before_offer].assign(offered_at=offered_at[before_offer]))))
    return problems, new


def _disagreements(offers: pd.DataFrame, outcomes: pd.DataFrame, position: pd.Series) -> list[Problem]:
    """Details the file gives of a known offer that are not the offer's (the key's own columns
    matched already, unless the row named the offer by id): a wrong id would otherwise update
    another account's offer."""
    problems: list[Problem] = []
    matched = position >= 0
    named = matched & outcomes["offer_id"].notna()
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
    return problems


def _with_outcomes_written(
    offers: pd.DataFrame, outcomes: pd.DataFrame, matches: OfferMatches, new: pd.Series,
    given: tuple[str, ...], source: str,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """``offers`` with the matched rows' outcome fields written where they change something, and
    the counts (updated, unchanged, stale: older than recorded, superseded: one offer named twice).
    Refuses deferrals that would be left without a re-entry date (here or among ``new`` rows)."""
    position = matches.position
    matched = matches.matched
    hits = outcomes[matched].assign(_pos=position[matched].to_numpy())
    # one offer named twice (by offer_id and by natural key): its latest outcome wins
    hits = hits.sort_values(["_pos", "outcome_at", "_row"], kind="mergesort")
    latest = ~hits.duplicated("_pos", keep="last")
    superseded = int((~latest).sum())
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
        problems = [Problem(table="outcomes", column="reenter_at", n_rows=len(undated),
                            rule=DEFERRED_NEEDS_DATE + "; the offers table has none for these offers",
                            examples=_shown(undated.sort_values("_row").drop(columns="_pos", errors="ignore")))]
        raise DataContractError(render_problems(problems, source), problems)
    same = np.ones(len(hits), dtype=bool)
    for column in OUTCOME_FIELDS:
        same &= _equal(offers[column].iloc[rows], hits[column])
    update = ~stale & ~same
    for column in OUTCOME_FIELDS:
        values = hits.loc[update, column]
        offers.loc[rows[update], column] = values.astype(offers[column].dtype).to_numpy()
    counts = {"updated": int(update.sum()), "appended": 0, "unchanged": int((~stale & same).sum()),
              "stale": int(stale.sum()), "superseded": superseded}
    return offers, counts


def _with_new_offers(offers: pd.DataFrame, new: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``offers`` with the offers it did not know appended (by offered_at, then id; an id derived
    from the natural key where the file gave none), and how many."""
    if not len(new):
        return offers, 0
    new = new.copy()
    missing_id = new["offer_id"].isna()
    new.loc[missing_id, "offer_id"] = new.loc[missing_id, "_key"].map(derived_offer_id)
    new = new.sort_values(["offered_at", "offer_id"], kind="mergesort")
    columns = [c for c in offers.columns if c in new.columns]
    extra = [c for c in (*OFFER_FIELDS, *OUTCOME_FIELDS, *OFFER_FACTS) if c in new.columns and c not in offers.columns]
    return pd.concat([offers, new[columns + extra]], ignore_index=True), len(new)


def derived_offer_id(key: str) -> str:
    """A stable offer_id for an offer first seen in an outcome file (same key → same id)."""
    return "crm-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


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


def _equal(recorded: pd.Series, incoming: pd.Series) -> np.ndarray:
    """Element-wise equality where missing equals missing."""
    a = recorded.reset_index(drop=True)
    b = incoming.reset_index(drop=True)
    both_missing = (a.isna() & b.isna()).to_numpy()
    equal = (a == b).fillna(False).to_numpy(dtype=bool) if len(a) else np.zeros(0, dtype=bool)
    return both_missing | equal


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """Example rows as the user knows them: numbered as in the file, without the internal key."""
    rows = frame.drop(columns=[c for c in ("_key",) if c in frame.columns]).head(MAX_EXAMPLES)
    return rows.set_index("_row").rename_axis("row") if "_row" in rows.columns else rows


def _empty_offers() -> pd.DataFrame:
    dtypes = {"offered_at": "datetime64[us]", "outcome_at": "datetime64[us]", "reenter_at": "datetime64[us]",
              "revenue": "float64"}
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "str")) for c in (*OFFER_FIELDS, *OUTCOME_FIELDS)})

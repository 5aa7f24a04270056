"""What the offers history says about each account's next turn, as known at ``as_of``.

Only offers made before ``as_of`` count, and of those only outcomes already known: an outcome
dated on or after ``as_of`` is still pending (the contract's point-in-time rule). An outcome
without ``outcome_at`` is taken as known from ``offered_at``. Control rows (``is_control``) count
like any other row, so a held-out account stays held out while its record is pending/cooling down.

An offer still pending ``exit_paths.no_response.pending_counts_after_days`` after it was made
counts as unanswered from that day (when the playbook sets it).

Rules, first match wins (the reason is written to ``suppression_reason``):
1. a pending offer exists → not duplicated;
2. a rejection less than ``exit_paths.rejected.cool_down_days`` ago → cool-down;
3. ``max_follow_ups`` follow-ups went unanswered → treated as a rejection (same cool-down);
4. an acceptance less than ``exit_paths.accepted.cool_down_days`` ago → out of the flow;
5. a deferral whose re-entry date (``reenter_at``, else outcome + ``reenter_after_days``) is ahead;
6. the latest offer is unanswered and its follow-up is not due yet;
7. ``contact_limits.max_contacts`` offers already made in the last ``window_days``.
An unanswered latest offer whose follow-up is due (and rules 1–5, 7 do not hold) routes the account
to ``exit_paths.no_response.follow_up_action``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.contract import OUTCOMES
from data.errors import UpsellError
from data.id_positions import positions_in
from pipeline.playbook.schema import Playbook

REQUIRED = ("account_id", "offered_at", "outcome")
# Every offers column the decision layer reads (suppression here, capacity in capacity.py).
OFFER_COLUMNS: tuple[str, ...] = (*REQUIRED, "offer_id", "outcome_at", "reenter_at", "owner_role")


@dataclass(frozen=True)
class OfferState:
    """Per account (aligned with the scored rows): why it is held back, and whether a follow-up is due."""

    reason: np.ndarray  # object: str or None
    follow_up: np.ndarray  # bool


def offer_state(offers: pd.DataFrame | None, account_ids: pd.Index, as_of: pd.Timestamp, playbook: Playbook) -> OfferState:
    """Apply the playbook's exit paths and contact limits to the offers history at ``as_of``."""
    n = len(account_ids)
    none = OfferState(np.full(n, None, dtype=object), np.zeros(n, dtype=bool))
    if offers is None or len(offers) == 0:
        return none
    missing = [c for c in REQUIRED if c not in offers.columns]
    if missing:
        raise UpsellError(f"offers: missing column(s) {missing}; the decision layer needs {list(REQUIRED)}")
    o = _known_at(offers, account_ids, as_of, playbook.exit_paths.no_response.pending_counts_after_days)
    if len(o["row"]) == 0:
        return none
    paths, limits, nr = playbook.exit_paths, playbook.contact_limits, playbook.exit_paths.no_response
    row, offered, known, outcome = o["row"], o["offered_at"], o["known_at"], o["outcome"]
    code = {name: OUTCOMES.index(name) for name in OUTCOMES}
    day = np.timedelta64(1, "D").astype("timedelta64[ns]")
    now = np.datetime64(as_of, "ns")

    def latest(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        out = np.full(n, _NAT_LOW, dtype=np.int64)
        np.maximum.at(out, row[mask], values[mask].view(np.int64))
        return out.view("datetime64[ns]")

    is_pending, is_rejected = outcome == code["pending"], outcome == code["rejected"]
    pending = np.bincount(row[is_pending], minlength=n) > 0
    first_pending = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_pending, row[is_pending], offered[is_pending].view(np.int64))
    first_pending = first_pending.view("datetime64[ns]")
    last_reject = latest(is_rejected, known)
    last_accept = latest(outcome == code["accepted"], known)
    reenter = np.where(np.isnat(o["reenter_at"]), known + paths.deferred.reenter_after_days * day, o["reenter_at"])
    reenter_at = latest(outcome == code["deferred"], reenter)
    in_window = offered >= now - limits.window_days * day
    contacts = np.bincount(row[in_window], minlength=n)

    # the latest offer per account (by offered_at, then offer_id): is it unanswered?
    order = _latest_order(row, offered, lambda rows: _offer_ids(offers, o["kept"][rows]))
    last_of_row = order[np.r_[row[order][1:] != row[order][:-1], True]]
    latest_nr = np.zeros(n, dtype=bool)
    latest_nr[row[last_of_row]] = outcome[last_of_row] == code["no_response"]
    latest_at = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    latest_at[row[last_of_row]] = known[last_of_row]
    answered = np.isin(outcome, [code["accepted"], code["rejected"], code["deferred"]])
    last_answer = latest(answered, offered).view(np.int64)
    unanswered = np.bincount(row[(outcome == code["no_response"]) & (offered.view(np.int64) > last_answer[row])], minlength=n)

    follow_due = latest_at + nr.follow_up_after_days * day
    waiting = latest_nr & (now < follow_due)
    gave_up = latest_nr & ~waiting & ((unanswered > nr.max_follow_ups) | (nr.follow_up_action is None))
    follow_up = latest_nr & ~waiting & ~gave_up
    reject_until = last_reject + paths.rejected.cool_down_days * day
    silence_until = latest_at + paths.rejected.cool_down_days * day
    accept_until = last_accept + paths.accepted.cool_down_days * day
    rules = [
        (pending, lambda r: "pending offer since " + _day(first_pending[r]) + ": not duplicated"),
        (now < reject_until, lambda r: "rejected on " + _day(last_reject[r]) + ": cool-down until " + _day(reject_until[r])),
        (gave_up & (now < silence_until), lambda r: "no response to " + unanswered[r].astype(str).astype(object)
         + " offer(s), last on " + _day(latest_at[r]) + ": treated as a rejection, cool-down until " + _day(silence_until[r])),
        (now < accept_until, lambda r: "accepted on " + _day(last_accept[r]) + ": out of the upsell flow until " + _day(accept_until[r])),
        (now < reenter_at, lambda r: "deferred: re-entry on " + _day(reenter_at[r])),
        (waiting, lambda r: "no response to the offer of " + _day(latest_at[r]) + ": follow-up due on " + _day(follow_due[r])),
        (contacts >= limits.max_contacts, lambda r: "contact limit: " + contacts[r].astype(str).astype(object)
         + f" offer(s) in the last {limits.window_days} days (max {limits.max_contacts})"),
    ]
    reason = np.full(n, None, dtype=object)
    taken = np.zeros(n, dtype=bool)
    for hit, text in rules:
        rows = np.flatnonzero(hit & ~taken)
        if rows.size:
            reason[rows] = text(rows)
            taken[rows] = True
    return OfferState(reason=reason, follow_up=follow_up & ~taken)


def _latest_order(row: np.ndarray, offered: np.ndarray, offer_ids: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Offers sorted by account row, offered_at, offer_id (``offer_ids(rows)``: the ids of those
    rows as text, asked only for the rows where the rest ties)."""
    order = np.lexsort((offered, row))
    same = (row[order][1:] == row[order][:-1]) & (offered[order][1:] == offered[order][:-1])
    if same.any():
        tied = np.zeros(len(order), dtype=bool)
        tied[1:] |= same
        tied[:-1] |= same
        positions = np.flatnonzero(tied)
        sub = order[positions]
        resorted = sub[np.lexsort((offer_ids(sub).astype("U"), offered[sub], row[sub]))]
        order[positions] = resorted
    return order


_NAT_LOW = np.iinfo(np.int64).min  # NaT's int64 value: "no such offer" for max-aggregations


def _known_at(offers: pd.DataFrame, account_ids: pd.Index, as_of: pd.Timestamp,
              silent_after_days: int | None = None) -> dict[str, np.ndarray]:
    """Offers made before ``as_of`` for scored accounts, with the outcome as known at ``as_of``.

    With ``silent_after_days``, an offer still pending that many days after it was made counts as
    ``no_response`` from that day (CRMs keep stale "pending" records forever).
    """
    def ts(col: str) -> np.ndarray:
        if col not in offers.columns:
            return np.full(len(offers), np.datetime64("NaT"), dtype="datetime64[ns]")
        try:
            values = pd.to_datetime(offers[col])
        except (ValueError, TypeError) as exc:
            raise UpsellError(f"offers.{col}: not a timestamp column ({exc})") from None
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        return values.to_numpy(dtype="datetime64[ns]")

    offered_at, outcome_at = ts("offered_at"), ts("outcome_at")
    if np.isnat(offered_at).any():
        bad = offers.loc[np.isnat(offered_at), "account_id"].head(3).tolist()
        raise UpsellError(f"offers.offered_at: missing timestamps (accounts {bad})")
    now = np.datetime64(as_of, "ns")
    row = positions_in(account_ids, offers["account_id"])
    keep = (offered_at < now) & (row >= 0)
    known = np.isnat(outcome_at) | (outcome_at < now)
    outcome = positions_in(pd.Series(list(OUTCOMES)), offers["outcome"])  # -1: unknown or missing
    if (outcome < 0).any():
        bad = sorted(set(offers["outcome"][outcome < 0].astype(str)))[:3]
        raise UpsellError(f"offers.outcome: unknown outcome(s) {bad}; allowed: {list(OUTCOMES)}")
    effective = np.where(known, outcome, OUTCOMES.index("pending"))
    known_at = np.where(known & ~np.isnat(outcome_at), outcome_at, offered_at)
    if silent_after_days is not None:
        silent_since = offered_at + np.timedelta64(silent_after_days, "D")
        stale = (effective == OUTCOMES.index("pending")) & (silent_since <= now)
        effective = np.where(stale, OUTCOMES.index("no_response"), effective)
        known_at = np.where(stale, silent_since, known_at)
    return {
        "row": row[keep],
        "offered_at": offered_at[keep],
        "known_at": known_at[keep],
        "outcome": effective[keep],  # codes into OUTCOMES
        "reenter_at": ts("reenter_at")[keep],
        "kept": np.flatnonzero(keep),  # positions in ``offers``
    }


def _offer_ids(offers: pd.DataFrame, positions: np.ndarray) -> np.ndarray:
    """The offer_id of ``offers`` rows at ``positions`` as text (the row position without the column)."""
    if "offer_id" not in offers.columns:
        return positions.astype(str).astype(object)
    return offers["offer_id"].iloc[positions].astype(str).to_numpy(dtype=object)


def _day(values: np.ndarray) -> np.ndarray:
    """YYYY-MM-DD strings (object array, for vectorised concatenation); missing → '?'."""
    text = np.datetime_as_string(np.asarray(values, dtype="datetime64[ns]").astype("datetime64[D]"))
    return np.where(text == "NaT", "?", text).astype(object)

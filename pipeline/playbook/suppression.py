"""What the offers history says about each account's next turn, as known at ``as_of``.

Only offers made before ``as_of`` count, and of those only outcomes already known: an outcome
dated on or after ``as_of`` is still pending (the contract's point-in-time rule). An outcome
without ``outcome_at`` is taken as known from ``offered_at``. Control rows (``is_control``) count
like any other row, so a held-out account stays held out while its record is pending/cooling down.

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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.errors import UpsellError
from pipeline.playbook.schema import Playbook

REQUIRED = ("account_id", "offered_at", "outcome")


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
    o = _known_at(offers, account_ids, as_of)
    if o.empty:
        return none
    paths, limits = playbook.exit_paths, playbook.contact_limits
    g = o.groupby("row", sort=False)

    def per_account(values: pd.Series, how: str, fill: object) -> np.ndarray:
        agg = getattr(values.groupby(o["row"], sort=False), how)()
        out = pd.Series(fill, index=pd.RangeIndex(n), dtype=agg.dtype if len(agg) else object)
        out.iloc[agg.index.to_numpy()] = agg.to_numpy()
        return out.to_numpy()

    outcome = o["effective"]
    pending = per_account(outcome.eq("pending"), "any", False).astype(bool)
    first_pending = per_account(o["offered_at"].where(outcome.eq("pending")), "min", pd.NaT)
    last_reject = per_account(o["known_at"].where(outcome.eq("rejected")), "max", pd.NaT)
    last_accept = per_account(o["known_at"].where(outcome.eq("accepted")), "max", pd.NaT)
    reenter = o["reenter_at"].fillna(o["known_at"] + pd.Timedelta(days=paths.deferred.reenter_after_days))
    reenter_at = per_account(reenter.where(outcome.eq("deferred")), "max", pd.NaT)
    window_start = as_of - pd.Timedelta(days=limits.window_days)
    contacts = per_account(o["offered_at"].ge(window_start), "sum", 0).astype(np.int64)

    latest = o.sort_values(["row", "offered_at", "order"]).drop_duplicates("row", keep="last")
    latest_nr = np.zeros(n, dtype=bool)
    latest_nr[latest["row"].to_numpy()] = latest["effective"].eq("no_response").to_numpy()
    latest_at = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    latest_at[latest["row"].to_numpy()] = latest["known_at"].to_numpy(dtype="datetime64[ns]")
    answered = o["effective"].isin(["accepted", "rejected", "deferred"])
    last_answer = per_account(o["offered_at"].where(answered), "max", pd.NaT)
    after_answer = o["offered_at"] > pd.Series(last_answer).iloc[o["row"].to_numpy()].to_numpy()
    after_answer |= pd.Series(last_answer).iloc[o["row"].to_numpy()].isna().to_numpy()
    unanswered = per_account(outcome.eq("no_response") & after_answer, "sum", 0).astype(np.int64)

    nr = paths.no_response
    as_of64 = np.datetime64(as_of, "ns")
    follow_due = latest_at + np.timedelta64(nr.follow_up_after_days, "D")
    waiting = latest_nr & (as_of64 < follow_due)
    gave_up = latest_nr & ~waiting & ((unanswered > nr.max_follow_ups) | (nr.follow_up_action is None))
    follow_up = latest_nr & ~waiting & ~gave_up

    def until(start: np.ndarray, days: int) -> np.ndarray:
        return np.asarray(start, dtype="datetime64[ns]") + np.timedelta64(days, "D")

    reject_until = until(last_reject, paths.rejected.cool_down_days)
    silence_until = until(latest_at, paths.rejected.cool_down_days)
    accept_until = until(last_accept, paths.accepted.cool_down_days)
    reenter64 = np.asarray(reenter_at, dtype="datetime64[ns]")
    rules = [
        (pending, lambda r: "pending offer since " + _day(first_pending, r) + ": not duplicated"),
        (as_of64 < reject_until, lambda r: "rejected on " + _day(last_reject, r) + ": cool-down until " + _day(reject_until, r)),
        (gave_up & (as_of64 < silence_until), lambda r: "no response to " + pd.Series(unanswered[r]).astype(str).to_numpy(dtype=object)
         + " offer(s), last on " + _day(latest_at, r) + ": treated as a rejection, cool-down until " + _day(silence_until, r)),
        (as_of64 < accept_until, lambda r: "accepted on " + _day(last_accept, r) + ": out of the upsell flow until " + _day(accept_until, r)),
        (as_of64 < reenter64, lambda r: "deferred: re-entry on " + _day(reenter64, r)),
        (waiting, lambda r: "no response to the offer of " + _day(latest_at, r) + ": follow-up due on " + _day(follow_due, r)),
        (contacts >= limits.max_contacts, lambda r: "contact limit: " + pd.Series(contacts[r]).astype(str).to_numpy(dtype=object)
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


def _known_at(offers: pd.DataFrame, account_ids: pd.Index, as_of: pd.Timestamp) -> pd.DataFrame:
    """Offers made before ``as_of`` for scored accounts, with the outcome as known at ``as_of``."""
    def ts(col: str) -> pd.Series:
        if col not in offers.columns:
            return pd.Series(pd.NaT, index=offers.index, dtype="datetime64[ns]")
        try:
            values = pd.to_datetime(offers[col])
        except (ValueError, TypeError) as exc:
            raise UpsellError(f"offers.{col}: not a timestamp column ({exc})") from None
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        return values.astype("datetime64[ns]")

    offered_at, outcome_at = ts("offered_at"), ts("outcome_at")
    if offered_at.isna().any():
        bad = offers.loc[offered_at.isna(), "account_id"].head(3).tolist()
        raise UpsellError(f"offers.offered_at: missing timestamps (accounts {bad})")
    row = account_ids.get_indexer(offers["account_id"].astype(str))
    keep = (offered_at < as_of).to_numpy() & (row >= 0)
    known = outcome_at.isna() | (outcome_at < as_of)
    effective = offers["outcome"].astype(str).where(known, "pending")
    order = offers["offer_id"].astype(str) if "offer_id" in offers.columns else pd.Series(np.arange(len(offers)), index=offers.index).astype(str)
    frame = pd.DataFrame({
        "row": row,
        "offered_at": offered_at,
        "known_at": outcome_at.where(known).fillna(offered_at),
        "effective": effective,
        "reenter_at": ts("reenter_at"),
        "order": order,
    })
    return frame.loc[keep].reset_index(drop=True)


def _day(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """YYYY-MM-DD strings of ``values[rows]`` (an object array, for vectorised concatenation)."""
    picked = pd.Series(np.asarray(values, dtype="datetime64[ns]")[rows])
    return picked.dt.strftime("%Y-%m-%d").fillna("?").to_numpy(dtype=object)

"""Realised calibration: were past scores right about what then happened?

A score is the calibrated probability of expansion within ``horizon_days`` after its as_of. For
every past scoring night whose horizon has fully elapsed by the review date, each account's
realised outcome is its ``expansion`` label (``features.labels``), computed by that same code
from the offers and subscriptions: in [as_of, as_of + horizon) it accepted an offer (dated by
``outcome_at``, else ``offered_at``; a control offer's "acceptance", a purchase made with nothing
sent, does not count) or started a subscription period with a higher MRR than the one in force
at as_of (0 when none was). One definition, so calibration measures what the scores predict.
Nights whose window is still open are left out (their outcomes are not known yet, and counting
them would make every model look over-confident).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline.review_control import held_out

N_BINS = 10
# The subscriptions columns the expansion label reads (callers can load just these).
SUBSCRIPTION_COLUMNS: tuple[str, ...] = ("subscription_id", "account_id", "plan_tier", "started_at", "ended_at", "mrr")
PURCHASE_COLUMNS: tuple[str, ...] = ("account_id", "ordered_at", "category")  # for add-on categories
_OFFER_COLUMNS: tuple[str, ...] = ("account_id", "offered_at", "outcome", "outcome_at")


def realised_outcomes(history: pd.DataFrame, offers: pd.DataFrame | None, subscriptions: pd.DataFrame | None,
                      review_date: pd.Timestamp, horizon_days: int, max_nights: int | None = None, *,
                      purchases: pd.DataFrame | None = None, addon_categories: Sequence[str] = ()) -> pd.DataFrame:
    """History rows with complete windows (the ``max_nights`` latest such nights, None = all), plus
    ``realised`` (0/1): the account's ``expansion`` label for that night (with a purchase in one of
    ``addon_categories`` counting, as the playbook's label does)."""
    horizon = pd.Timedelta(days=horizon_days)
    complete = history[history["as_of"] + horizon <= review_date]
    if max_nights is not None:
        nights = np.sort(complete["as_of"].unique())[-max_nights:]
        complete = complete[complete["as_of"].isin(nights)]
    scored = complete[["account_id", "as_of", "score"]].dropna(subset=["score"])
    scored = scored.assign(account_id=scored["account_id"].astype("str"), as_of=scored["as_of"].astype("datetime64[us]"))
    scored = scored.sort_values(["as_of", "account_id"], kind="mergesort").reset_index(drop=True)
    if scored.empty:
        return scored.assign(realised=pd.Series(dtype="int64"))
    # Only a night with an accepted offer or a new subscription period in its window can be a 1:
    # the label's exact (costlier) comparison runs for those rows alone.
    addons = _addon_purchases(purchases, addon_categories)
    maybe = _event_in_window(scored, _candidate_events(offers, subscriptions, addons), horizon)
    realised = np.zeros(len(scored), dtype="int64")
    if maybe.any():
        rows = np.flatnonzero(maybe)
        keys = scored[["account_id", "as_of"]].iloc[rows].reset_index(drop=True)
        realised[rows] = _expansion_labels(keys, offers, subscriptions, addons, tuple(addon_categories), horizon_days)
    return scored.assign(realised=realised)


def _addon_purchases(purchases: pd.DataFrame | None, addon_categories: Sequence[str]) -> pd.DataFrame | None:
    if purchases is None or not len(purchases) or not addon_categories or "category" not in purchases.columns:
        return None
    made = purchases[purchases["category"].isin(list(addon_categories))]
    return pd.DataFrame({"account_id": made["account_id"].astype("str"), "category": made["category"].astype("str"),
                         "ordered_at": pd.to_datetime(made["ordered_at"]).astype("datetime64[us]")})


def _candidate_events(offers: pd.DataFrame | None, subscriptions: pd.DataFrame | None,
                      addons: pd.DataFrame | None = None) -> pd.DataFrame:
    """(account_id, at) of everything that may make the label 1: accepted offers made (by when the
    outcome was known), the start of every subscription period and add-on purchases."""
    parts = [pd.DataFrame({"account_id": pd.Series(dtype="str"), "at": pd.Series(dtype="datetime64[us]")})]
    if offers is not None and len(offers):
        made = offers[~held_out(offers) & (offers["outcome"] == "accepted")]
        when = made["outcome_at"].fillna(made["offered_at"]) if "outcome_at" in made.columns else made["offered_at"]
        parts.append(pd.DataFrame({"account_id": made["account_id"].astype("str"), "at": pd.to_datetime(when)}))
    if subscriptions is not None and len(subscriptions):
        parts.append(pd.DataFrame({"account_id": subscriptions["account_id"].astype("str"),
                                   "at": pd.to_datetime(subscriptions["started_at"])}))
    if addons is not None and len(addons):
        parts.append(pd.DataFrame({"account_id": addons["account_id"], "at": addons["ordered_at"]}))
    events = pd.concat(parts, ignore_index=True).dropna()
    return events.assign(at=events["at"].astype("datetime64[us]")).sort_values("at", kind="mergesort")


def _event_in_window(scored: pd.DataFrame, events: pd.DataFrame, horizon: pd.Timedelta) -> np.ndarray:
    """Per row of ``scored`` (sorted by as_of): an event of its account in [as_of, as_of + horizon)."""
    nxt = pd.merge_asof(scored[["account_id", "as_of"]], events.rename(columns={"at": "next_event"}),
                        left_on="as_of", right_on="next_event", by="account_id", direction="forward")
    return (nxt["next_event"].notna() & (nxt["next_event"] < nxt["as_of"] + horizon)).to_numpy()


def _expansion_labels(keys: pd.DataFrame, offers: pd.DataFrame | None, subscriptions: pd.DataFrame | None,
                      addons: pd.DataFrame | None, addon_categories: tuple[str, ...], horizon_days: int) -> np.ndarray:
    """``features.labels.label_table`` for each (account_id, as_of) row of ``keys``, in their order,
    computed on an in-memory DuckDB."""
    from data.tables import Tables
    from features.labels import label_table

    accounts = pd.Index(keys["account_id"].unique())  # the label of an account reads its own rows only
    offers = offers[accounts.get_indexer(offers["account_id"].astype("str")) >= 0] if offers is not None else None
    if subscriptions is not None:
        subscriptions = subscriptions[accounts.get_indexer(subscriptions["account_id"].astype("str")) >= 0]
    frames: dict[str, pd.DataFrame] = {}
    if addons is not None and len(addons):
        frames["purchases"] = addons[accounts.get_indexer(addons["account_id"]) >= 0]
    if offers is not None and len(offers):
        made = pd.DataFrame({c: offers[c] if c in offers.columns else pd.NaT for c in _OFFER_COLUMNS}, index=offers.index)
        made["account_id"] = made["account_id"].astype("str")
        for c in ("offered_at", "outcome_at"):
            made[c] = pd.to_datetime(made[c]).astype("datetime64[us]")
        frames["offers"] = made.assign(is_control=held_out(offers).to_numpy())
    if subscriptions is not None and len(subscriptions):
        subs = pd.DataFrame({c: subscriptions[c] if c in subscriptions.columns else pd.NaT for c in SUBSCRIPTION_COLUMNS},
                            index=subscriptions.index)
        for c in ("subscription_id", "account_id", "plan_tier"):
            subs[c] = subs[c].astype("str")
        for c in ("started_at", "ended_at"):
            subs[c] = pd.to_datetime(subs[c]).astype("datetime64[us]")
        frames["subscriptions"] = subs.assign(mrr=pd.to_numeric(subs["mrr"]).astype("float64"))
    if not frames:
        return np.zeros(len(keys), dtype="int64")
    tables = Tables.from_frames(frames)
    keyed = tables.con.create_table("review_label_keys", keys.assign(_row=np.arange(len(keys))), overwrite=True)
    labels = label_table(tables, keyed.select("account_id", "as_of").distinct(), "expansion", horizon_days,
                         addon_categories)
    joined = keyed.left_join(labels, ["account_id", "as_of"])
    ordered = joined.select(joined._row, label=joined.label.fill_null(0)).order_by("_row")
    return ordered.to_pyarrow()["label"].to_numpy().astype("int64")


def calibration_table(outcomes: pd.DataFrame, bins: int = N_BINS) -> pd.DataFrame:
    """Reliability table over equal-width score bins: n, mean score, realised rate, gap."""
    if outcomes.empty:
        return pd.DataFrame(columns=["bin", "lower", "upper", "n", "mean_score", "realised_rate", "gap"])
    edges = np.linspace(0.0, 1.0, bins + 1)
    # floor(score · bins), with a hair of slack so 0.3 lands in [0.3, 0.4) despite binary floats
    index = np.clip(np.floor(outcomes["score"].to_numpy(dtype="float64") * bins + 1e-9), 0, bins - 1).astype(int)
    grouped = outcomes.assign(bin=index).groupby("bin")
    table = pd.DataFrame({
        "n": grouped.size(),
        "mean_score": grouped["score"].mean(),
        "realised_rate": grouped["realised"].mean(),
    }).reset_index()
    table.insert(1, "lower", edges[table["bin"]])
    table.insert(2, "upper", edges[table["bin"] + 1])
    table["gap"] = table["realised_rate"] - table["mean_score"]
    return table


def calibration_summary(outcomes: pd.DataFrame, table: pd.DataFrame, horizon_days: int) -> dict:
    """Brier score, expected calibration error and the overall predicted vs realised rates."""
    n = len(outcomes)
    if n == 0:
        return {"n": 0, "nights": 0, "horizon_days": horizon_days, "brier": None, "ece": None,
                "mean_score": None, "realised_rate": None}
    brier = float(np.mean((outcomes["score"] - outcomes["realised"]) ** 2))
    ece = float(np.sum(table["n"] / n * (table["realised_rate"] - table["mean_score"]).abs()))
    return {
        "n": n,
        "nights": int(outcomes["as_of"].nunique()),
        "first_night": outcomes["as_of"].min().strftime("%Y-%m-%d"),
        "last_night": outcomes["as_of"].max().strftime("%Y-%m-%d"),
        "horizon_days": horizon_days,
        "brier": brier,
        "ece": ece,
        "mean_score": float(outcomes["score"].mean()),
        "realised_rate": float(outcomes["realised"].mean()),
    }

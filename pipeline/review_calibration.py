"""Realised calibration: were past scores right about what then happened?

A score is the calibrated probability of expansion within ``horizon_days`` after its as_of. For
every past scoring night whose horizon has fully elapsed by the review date, each account's
realised outcome is 1 when, in [as_of, as_of + horizon), it accepted an offer (dated by
``outcome_at``, else ``offered_at``) or moved to a subscription period with a higher MRR. A
control offer's "acceptance" (a purchase the account made with nothing sent) is not an accepted
offer, as in the ``expansion`` label the scores predict (``features.labels``). Nights
whose window is still open are left out (their outcomes are not known yet, and counting them
would make every model look over-confident).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.review_control import treated_offers

N_BINS = 10
# The subscriptions columns expansion_events reads (callers can load just these).
SUBSCRIPTION_COLUMNS: tuple[str, ...] = ("account_id", "started_at", "mrr")


def expansion_events(offers: pd.DataFrame | None, subscriptions: pd.DataFrame | None) -> pd.DataFrame:
    """(account_id, at) of every expansion event the data shows: accepted offers (control offers
    left out) and MRR increases."""
    parts = []
    if offers is not None and len(offers):
        made = treated_offers(offers)
        accepted = made[made["outcome"] == "accepted"]
        when = accepted["outcome_at"] if "outcome_at" in accepted.columns else accepted["offered_at"]
        when = when.fillna(accepted["offered_at"])
        parts.append(pd.DataFrame({"account_id": accepted["account_id"].astype("str"), "at": when}))
    if subscriptions is not None and len(subscriptions):
        subs = subscriptions.sort_values(["account_id", "started_at"], kind="mergesort")
        previous = subs.groupby("account_id")["mrr"].shift()
        up = subs[previous.notna() & (subs["mrr"] > previous)]
        parts.append(pd.DataFrame({"account_id": up["account_id"].astype("str"), "at": up["started_at"]}))
    if not parts:
        return pd.DataFrame({"account_id": pd.Series(dtype="str"), "at": pd.Series(dtype="datetime64[us]")})
    events = pd.concat(parts, ignore_index=True).dropna()
    events["at"] = events["at"].astype("datetime64[us]")
    return events.sort_values(["at", "account_id"], kind="mergesort").reset_index(drop=True)


def realised_outcomes(history: pd.DataFrame, events: pd.DataFrame, review_date: pd.Timestamp,
                      horizon_days: int, max_nights: int | None = None) -> pd.DataFrame:
    """History rows with complete windows (the ``max_nights`` latest such nights, None = all), plus
    ``realised`` (0/1): an expansion event in the window."""
    horizon = pd.Timedelta(days=horizon_days)
    complete = history[history["as_of"] + horizon <= review_date]
    if max_nights is not None:
        nights = np.sort(complete["as_of"].unique())[-max_nights:]
        complete = complete[complete["as_of"].isin(nights)]
    scored = complete[["account_id", "as_of", "score"]].dropna(subset=["score"])
    scored = scored.assign(account_id=scored["account_id"].astype("str"), as_of=scored["as_of"].astype("datetime64[us]"))
    if scored.empty:
        return scored.assign(realised=pd.Series(dtype="int64"))
    left = scored.sort_values("as_of", kind="mergesort")
    nxt = pd.merge_asof(left, events.rename(columns={"at": "next_event"}).sort_values("next_event"),
                        left_on="as_of", right_on="next_event", by="account_id", direction="forward")
    nxt["realised"] = (nxt["next_event"].notna() & (nxt["next_event"] < nxt["as_of"] + horizon)).astype("int64")
    return nxt.drop(columns=["next_event"]).sort_values(["as_of", "account_id"], kind="mergesort").reset_index(drop=True)


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

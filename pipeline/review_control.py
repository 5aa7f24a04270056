"""The control group in the review: which offers were held out, and uplift against them.

A control offer (``is_control`` true) was chosen for an account but held out to measure uplift:
nothing was sent, and its outcome is what the account did anyway. It is not an offer the SOP
made, so every figure about the SOP's offers (conversion tables, revenue against the target,
pending offers, revenue per acceptance, realised calibration, like the ``expansion`` label in
``features.labels``) leaves it out; the control group is compared with them only as uplift.

Uplift per offer type compares each type's treated conversion with the **same offer type's
control offers** when there is at least one decided one (the control then answers "what would
these accounts have done without *this* offer"), else with the **pooled** control (every control
offer reviewed; a campaign may give its hold-out a type of its own, as Hillstrom's ``no_email``).
``control_match`` says which one each row used.
"""
from __future__ import annotations

import pandas as pd

DECIDED: tuple[str, ...] = ("accepted", "rejected", "deferred", "no_response")  # outcomes known; conversion's base
CONTROL_COLUMNS: tuple[str, ...] = ("control_match", "control_offers", "control_decided", "control_accepted",
                                    "control_conversion", "uplift")
SAME_TYPE = "same_offer_type"
POOLED = "pooled"


def held_out(offers: pd.DataFrame) -> pd.Series:
    """True for control offers; a missing ``is_control`` column or value means treated."""
    if "is_control" not in offers.columns:
        return pd.Series(False, index=offers.index)
    return offers["is_control"].astype("boolean").fillna(False).astype(bool)


def treated_offers(offers: pd.DataFrame) -> pd.DataFrame:
    """The offers actually made: control offers dropped."""
    return offers[~held_out(offers)]


def with_control_uplift(table: pd.DataFrame, control: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    """``table`` (treated offers' conversion per offer type ``value``, from ``conversion_by``) with
    the control columns: the control it was matched to (``same_offer_type`` or ``pooled``), that
    control's offers, decided, accepted and conversion, and ``uplift`` = conversion − control
    conversion (percentage points as a fraction). ``values`` are the ``control`` offers' types,
    spelt as ``conversion_by`` spells them. Without any control offer: no match, counts 0,
    conversion and uplift null."""
    out = table.copy()
    outcome = control["outcome"]
    decided = outcome.isin(DECIDED)
    accepted = outcome == "accepted"
    per_value = pd.DataFrame({"value": values.to_numpy(), "offers": 1, "decided": decided.to_numpy(),
                              "accepted": accepted.to_numpy()}).groupby("value").sum()
    pooled = (len(control), int(decided.sum()), int(accepted.sum()))
    rows = []
    for value in out["value"]:
        own = per_value.loc[value] if value in per_value.index else None
        if own is not None and own["decided"] > 0:
            match, counts = SAME_TYPE, (int(own["offers"]), int(own["decided"]), int(own["accepted"]))
        elif pooled[0]:
            match, counts = POOLED, pooled
        else:
            match, counts = None, (0, 0, 0)
        rate = counts[2] / counts[1] if counts[1] else float("nan")
        rows.append((match, *counts, rate))
    frame = pd.DataFrame(rows, columns=list(CONTROL_COLUMNS[:-1]), index=out.index)
    for column in frame.columns:
        out[column] = frame[column]
    for column in ("control_offers", "control_decided", "control_accepted"):
        out[column] = out[column].astype("int64")
    out["control_match"] = out["control_match"].astype("object")
    out["uplift"] = out["conversion"].astype("float64") - out["control_conversion"].astype("float64")
    return out

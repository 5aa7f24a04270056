"""The control group in the review: which offers were held out, and uplift against them.

A control offer (``is_control`` true) was chosen for an account but held out to measure uplift:
nothing was sent, and its outcome is what the account did anyway. It is not an offer the SOP
made, so every figure about the SOP's offers (conversion tables, revenue against the target,
pending offers, revenue per acceptance, realised calibration, like the ``expansion`` label in
``features.labels``) leaves it out; the control group is compared with them only as uplift.
"""
from __future__ import annotations

import pandas as pd

DECIDED: tuple[str, ...] = ("accepted", "rejected", "deferred", "no_response")  # outcomes known; conversion's base


def held_out(offers: pd.DataFrame) -> pd.Series:
    """True for control offers; a missing ``is_control`` column or value means treated."""
    if "is_control" not in offers.columns:
        return pd.Series(False, index=offers.index)
    return offers["is_control"].astype("boolean").fillna(False).astype(bool)


def treated_offers(offers: pd.DataFrame) -> pd.DataFrame:
    """The offers actually made: control offers dropped."""
    return offers[~held_out(offers)]

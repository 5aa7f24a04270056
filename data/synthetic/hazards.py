"""Hazard functions shared by the simulation and the oracle, so both use the same formulas.

Every hazard is ``sigmoid(linear function of the state)``. The oracle needs the expectation of a
hazard over the Gaussian AR(1) uncertainty of future states; ``expected_sigmoid`` uses the probit
approximation E[sigmoid(X)] ≈ sigmoid(mean / sqrt(1 + pi·var/8)), accurate to ~0.01.
"""
from __future__ import annotations

import numpy as np

from data.synthetic.spec import Dynamics


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def expected_sigmoid(mean: np.ndarray, var: np.ndarray | float) -> np.ndarray:
    """E[sigmoid(X)] for X ~ Normal(mean, var)."""
    return sigmoid(mean / np.sqrt(1.0 + np.pi * np.asarray(var) / 8.0))


def months_to_renewal(created_month: np.ndarray, month: int | np.ndarray, term: int | None) -> np.ndarray:
    """Whole months until the next contract anniversary (0 = the renewal falls in this month)."""
    if term is None:
        return np.full(np.shape(created_month), 99, dtype=np.int64)
    return (np.asarray(created_month, dtype=np.int64) - np.asarray(month)) % term


def renewal_window(mtr: np.ndarray, term: int | None) -> np.ndarray:
    """The renewal month and the month before it: when upgrades are discussed."""
    if term is None:
        return np.zeros(np.shape(mtr))
    return (mtr <= 1).astype(np.float64)


def is_renewal_month(created_month: np.ndarray, month: int, term: int | None) -> np.ndarray:
    """True where a contract anniversary falls in ``month`` (never in the creation month)."""
    if term is None:
        return np.zeros(np.shape(created_month), dtype=bool)
    return (months_to_renewal(created_month, month, term) == 0) & (np.asarray(created_month) < month)


def expansion_known_part(
    dyn: Dynamics,
    fit: np.ndarray,
    hidden: np.ndarray,
    renew: np.ndarray,
    rejected: np.ndarray,
    deferred: np.ndarray,
) -> np.ndarray:
    """The part of the expansion logit that does not depend on the random state processes."""
    e = dyn.expansion
    return (
        e.intercept
        + e.fit * fit
        + e.renewal * renew
        + e.rejected * rejected
        + e.deferred * deferred
        + hidden
    )


def expansion_state_part(dyn: Dynamics, util: np.ndarray, util_prev: np.ndarray, pain: np.ndarray) -> np.ndarray:
    """The part of the expansion logit driven by utilisation, its trend and support pain."""
    e = dyn.expansion
    return e.util * (util - dyn.util_ref) + e.trend * (util - util_prev) + e.pain * pain


def churn_logit(dyn: Dynamics, util: np.ndarray, pain: np.ndarray, fit: np.ndarray, renewal_month: np.ndarray) -> np.ndarray:
    c = dyn.churn
    return c.intercept + c.util * (util - dyn.util_ref) + c.pain * pain + c.fit * fit + c.renewal * renewal_month


def offer_logit(dyn: Dynamics, util: np.ndarray, renew: np.ndarray, fit: np.ndarray) -> np.ndarray:
    o = dyn.offer
    return o.intercept + o.util * (util - dyn.util_ref) + o.renewal * renew + o.fit * fit


def purchase_rate(base_rate: np.ndarray, util: np.ndarray) -> np.ndarray:
    """E-commerce: expected core purchases in a month at engagement ``util``."""
    return base_rate * np.exp(util)

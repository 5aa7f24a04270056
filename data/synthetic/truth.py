"""The oracle: the probability, given the world's state at a month start, of an expansion in the horizon.

It uses only the state at the cutoff and the known dynamics, never the realised future: future
log utilisation and pain are AR(1) Gaussians around each account's long-run level, so every
future month's hazard is averaged over their predictive distribution; the legacy process's future
offers and (e-commerce) future core purchases are averaged over their probabilities. Events fall
uniformly inside a month, so a horizon covering a fraction f of a month covers f of that month's
hazard. Churn (drawn only in months without an expansion) ends the chance to expand:

    Q_k = (1 - f_k·E[h_k]) · (E[c_k] + (1 - E[c_k]) · Q_{k+1}),  Q_K = 1,  p = 1 - Q_0.

Approximations (documented in docs/scenarios.md): the probit approximation of E[sigmoid], future
rejections/deferrals and downgrades are ignored, and months are treated as independent given
their expectations.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data.synthetic.calendar import SECONDS_PER_DAY, MonthGrid
from data.synthetic.hazards import (
    churn_logit,
    expansion_known_part,
    expansion_state_part,
    expected_sigmoid,
    months_to_renewal,
    offer_logit,
    purchase_rate,
    renewal_window,
    sigmoid,
)
from data.synthetic.spec import Dynamics


@dataclass(frozen=True)
class CutoffState:
    """What the simulator knows about each account at the start of month ``m``."""

    m: int
    util: np.ndarray
    util_prev: np.ndarray
    pain: np.ndarray
    util_mu: np.ndarray
    pain_mu: np.ndarray
    fit: np.ndarray
    hidden: np.ndarray
    created_month: np.ndarray
    last_offer: np.ndarray  # month of the last offer, -1000 if none
    last_rejection: np.ndarray
    reenter: np.ndarray  # month a deferral re-enters, -1000 if none
    recent_purchase: np.ndarray  # e-commerce: a core purchase in month m-1 (0/1)
    purchase_rate: np.ndarray
    ecommerce: bool


def _ar1(mu: np.ndarray, x0: np.ndarray, rho: float, sd: float, k: int) -> tuple[np.ndarray, float]:
    mean = mu + rho**k * (x0 - mu)
    var = sd**2 * (1 - rho ** (2 * k)) / (1 - rho**2)
    return mean, var


def oracle(dyn: Dynamics, grid: MonthGrid, st: CutoffState, horizons: tuple[int, ...]) -> dict[int, np.ndarray]:
    """Probability of an expansion in [start of month m, + horizon days) for each horizon."""
    t0 = grid.starts[st.m]
    k_max = int(np.ceil(max(horizons) / 28)) + 1
    e, o = dyn.expansion, dyn.offer
    h_k: list[np.ndarray] = []
    c_k: list[np.ndarray] = []
    for k in range(k_max):
        mk = st.m + k
        u_mean, u_var = _ar1(st.util_mu, st.util, dyn.util_rho, dyn.util_sd, k)
        if k == 0:
            up_mean, up_var = st.util_prev, 0.0
        else:
            up_mean, up_var = _ar1(st.util_mu, st.util, dyn.util_rho, dyn.util_sd, k - 1)
        s_mean, s_var = _ar1(st.pain_mu, st.pain, dyn.pain_rho, dyn.pain_sd, k)
        state_mean = expansion_state_part(dyn, u_mean, up_mean, s_mean)
        a, b = e.util + e.trend, e.trend
        state_var = a * a * u_var + b * b * up_var - 2 * a * b * dyn.util_rho * up_var + e.pain**2 * s_var

        mtr = months_to_renewal(st.created_month, mk, dyn.term_months)
        renew = renewal_window(mtr, dyn.term_months)
        since_rej = mk - st.last_rejection
        rejected = ((since_rej >= 1) & (since_rej <= dyn.rejected_months)).astype(np.float64)
        deferred = (st.reenter == mk).astype(np.float64)
        known = expansion_known_part(dyn, st.fit, st.hidden, renew, rejected, deferred)

        eligible = ((mk - st.last_offer) >= o.cooldown_months) & (mk >= st.reenter)
        p_offer = expected_sigmoid(offer_logit(dyn, u_mean, renew, st.fit), o.util**2 * u_var)
        p_treat = np.where(eligible, p_offer, 0.0) * (1 - o.control_share)
        if st.ecommerce:
            if k == 0:
                p_recent = st.recent_purchase.astype(np.float64)
            else:
                lam = purchase_rate(st.purchase_rate, up_mean) * np.exp(up_var / 2)
                p_recent = 1 - np.exp(-lam)
        else:
            p_recent = np.zeros_like(known)
        mean = known + state_mean
        h = np.zeros_like(mean)
        for treat, w_t in ((0.0, 1 - p_treat), (1.0, p_treat)):
            for recent, w_r in ((0.0, 1 - p_recent), (1.0, p_recent)):
                h += w_t * w_r * expected_sigmoid(mean + e.treat * treat + e.recent_purchase * recent, state_var)
        h_k.append(h)

        c = dyn.churn
        renewal_month = (mtr == 0).astype(np.float64) if dyn.term_months else np.zeros_like(known)
        c_mean = churn_logit(dyn, u_mean, s_mean, st.fit, renewal_month)
        c_k.append(expected_sigmoid(c_mean, c.util**2 * u_var + c.pain**2 * s_var))

    out: dict[int, np.ndarray] = {}
    for horizon in horizons:
        t1 = t0 + horizon * SECONDS_PER_DAY
        q = np.ones_like(h_k[0])
        for k in reversed(range(k_max)):
            mk = st.m + k
            f = float(np.clip((t1 - grid.starts[mk]) / grid.length(mk), 0.0, 1.0))
            if f == 0.0:
                continue
            q = (1 - f * h_k[k]) * (c_k[k] + (1 - c_k[k]) * q) if f == 1.0 else (1 - f * h_k[k])
        out[horizon] = 1 - q
    return out


__all__ = ["CutoffState", "oracle", "sigmoid"]

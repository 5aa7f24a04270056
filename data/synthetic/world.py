"""The shared world simulation: every scenario's accounts live through the same monthly process.

Each month, for every account that exists and is past its first month:
1. the legacy process decides whether to make an upsell offer (observable triggers, cooldown,
   deferrals), and holds some offers out as control;
2. the account expands with hazard sigmoid(logit) where the logit is a function of its observable
   state (utilisation, trend, support pain, renewal window, fit, recent rejections/deferrals,
   e-commerce: last month's purchase) plus a delivered offer's uplift and a small hidden effect;
   a delivered offer that coincides with an expansion is the offer being accepted;
3. an account that did not expand may churn; at a renewal it renews or downgrades;
4. utilisation and pain take one AR(1) step; an expansion raises the allowance (utilisation
   falls), a downgrade lowers it.
The oracle (``truth.py``) is evaluated at every month start from the state before these draws.
Per-month loops, vectorised over accounts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data.synthetic.calendar import MonthGrid
from data.synthetic.hazards import (
    churn_logit,
    expansion_known_part,
    expansion_state_part,
    is_renewal_month,
    months_to_renewal,
    offer_logit,
    purchase_rate,
    renewal_window,
    sigmoid,
)
from data.synthetic.population import Population
from data.synthetic.spec import Scenario
from data.synthetic.truth import CutoffState, oracle

NEVER = -1000
NO_TIME = np.iinfo(np.int64).max

# offer outcome codes (index into data.contract.OUTCOMES order below)
OUTCOME_CODES = ("accepted", "rejected", "deferred", "no_response", "pending")
ACCEPTED, REJECTED, DEFERRED, NO_RESPONSE, PENDING = range(5)
NOT_ACCEPTED_SHARES = (0.45, 0.20, 0.35)  # rejected, deferred, no_response

# plan change codes
UPGRADE, RENEWAL, DOWNGRADE = 1, 2, 3


@dataclass
class Events:
    """Sparse event lists: parallel arrays, one entry per event."""

    columns: dict[str, list[np.ndarray]]

    @classmethod
    def empty(cls, *names: str) -> "Events":
        return cls({n: [] for n in names})

    def add(self, **arrays: np.ndarray) -> None:
        for k, v in arrays.items():
            self.columns[k].append(np.asarray(v))

    def frame(self) -> dict[str, np.ndarray]:
        return {k: (np.concatenate(v) if v else np.empty(0)) for k, v in self.columns.items()}


@dataclass(frozen=True)
class World:
    """The simulated history of one scenario."""

    scenario: Scenario
    grid: MonthGrid
    pop: Population
    util: np.ndarray  # (n, months + 1) log utilisation at each month start
    pain: np.ndarray  # (n, months + 1)
    log_allowance: np.ndarray  # (n, months + 1) log of allowance relative to the initial plan
    change_frac: np.ndarray  # (n, months) where in the month the plan changed (NaN: no change)
    churned_at: np.ndarray  # int64 seconds or NO_TIME
    purchases: np.ndarray  # (n, months) e-commerce core purchases per month
    plan_changes: dict[str, np.ndarray]  # account, time, kind, tier, units, mrr, via_offer
    offers: dict[str, np.ndarray]  # account, offered_at, outcome, outcome_at, reenter_at, ...
    truth: dict[str, np.ndarray]  # account, month, horizon, probability; sorted by month, account, horizon


def simulate(sc: Scenario, pop: Population, grid: MonthGrid, rng: np.random.Generator,
             horizons: tuple[int, ...] = (30, 90, 180)) -> World:
    """Run the monthly process for ``grid.months`` months."""
    dyn, n, M = sc.dynamics, pop.n, grid.months
    ecommerce = dyn.term_months is None
    util = np.empty((n, M + 1), dtype=np.float32)
    pain = np.empty((n, M + 1), dtype=np.float32)
    log_allow = np.zeros((n, M + 1), dtype=np.float32)
    change_frac = np.full((n, M), np.nan, dtype=np.float32)
    purchases = np.zeros((n, M), dtype=np.int16)

    stat_u = dyn.util_sd / np.sqrt(1 - dyn.util_rho**2)
    stat_s = dyn.pain_sd / np.sqrt(1 - dyn.pain_rho**2)
    util_prev = pop.util_mu + rng.normal(0, stat_u, n)
    u = pop.util_mu + dyn.util_rho * (util_prev - pop.util_mu) + rng.normal(0, dyn.util_sd, n)
    s = pop.pain_mu + rng.normal(0, stat_s, n)
    la = np.zeros(n)
    tier = pop.tier.copy()
    units = pop.units.copy()
    v = sc.vocab
    price = np.asarray(v.tier_price)

    def mrr_of(t: np.ndarray, un: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return np.round(un * price[t] * pop.price_factor[idx], 2)

    churned = np.zeros(n, dtype=bool)
    churned_at = np.full(n, NO_TIME, dtype=np.int64)
    last_offer = np.full(n, NEVER, dtype=np.int64)
    last_rej = np.full(n, NEVER, dtype=np.int64)
    reenter = np.full(n, NEVER, dtype=np.int64)
    recent = np.zeros(n, dtype=bool)
    changes = Events.empty("account", "time", "kind", "tier", "units", "mrr", "via_offer")
    offers = Events.empty("account", "offered_at", "outcome", "outcome_at", "reenter_at", "revenue",
                          "is_control", "kind", "role")
    truth = Events.empty("account", "month", "horizon", "probability")
    n_roles = len(v.segment_roles[0])

    for m in range(M):
        new = pop.created_month == m
        u[new] = pop.util_mu[new] - dyn.new_account_ramp
        util_prev[new] = u[new]
        util[:, m], pain[:, m], log_allow[:, m] = u, s, la
        active = (pop.created_month <= m) & ~churned
        eligible = active & (pop.created_month < m)
        idx = np.flatnonzero(eligible)

        # the oracle at this month start (state before this month's draws)
        in_scope = idx if not ecommerce else np.flatnonzero((pop.created_month < m))
        st = CutoffState(
            m=m, util=u[in_scope], util_prev=util_prev[in_scope], pain=s[in_scope],
            util_mu=pop.util_mu[in_scope], pain_mu=pop.pain_mu[in_scope], fit=pop.fit[in_scope],
            hidden=pop.hidden[in_scope], created_month=pop.created_month[in_scope],
            last_offer=last_offer[in_scope], last_rejection=last_rej[in_scope], reenter=reenter[in_scope],
            recent_purchase=recent[in_scope], purchase_rate=pop.purchase_rate[in_scope], ecommerce=ecommerce,
        )
        probs = oracle(dyn, grid, st, horizons)
        prob = np.stack([probs[h] for h in horizons], axis=1)
        prob[churned[in_scope]] = 0.0
        # rows in (month, account, horizon) order, so the truth frame needs no sort
        truth.add(account=np.repeat(in_scope.astype(np.int32), len(horizons)),
                  month=np.full(prob.size, m, dtype=np.int16),
                  horizon=np.tile(np.asarray(horizons, dtype=np.int16), len(in_scope)),
                  probability=prob.ravel())

        # this month's draws for eligible accounts
        mtr = months_to_renewal(pop.created_month[idx], m, dyn.term_months)
        renew = renewal_window(mtr, dyn.term_months)
        since_rej = m - last_rej[idx]
        rejected = ((since_rej >= 1) & (since_rej <= dyn.rejected_months)).astype(np.float64)
        deferred = (reenter[idx] == m).astype(np.float64)
        logit = expansion_known_part(dyn, pop.fit[idx], pop.hidden[idx], renew, rejected, deferred)
        logit += expansion_state_part(dyn, u[idx], util_prev[idx], s[idx])
        logit += dyn.expansion.recent_purchase * recent[idx]

        can_offer = ((m - last_offer[idx]) >= dyn.offer.cooldown_months) & (m >= reenter[idx])
        offered = can_offer & (rng.random(len(idx)) < sigmoid(offer_logit(dyn, u[idx], renew, pop.fit[idx])))
        control = offered & (rng.random(len(idx)) < dyn.offer.control_share)
        treated = offered & ~control
        expand = rng.random(len(idx)) < sigmoid(logit + dyn.expansion.treat * treated)
        exp_frac = rng.random(len(idx))
        churn_draw = rng.random(len(idx)) < sigmoid(
            churn_logit(dyn, u[idx], s[idx], pop.fit[idx], (mtr == 0).astype(np.float64) if not ecommerce else 0.0))
        churn = churn_draw & ~expand
        renewal = is_renewal_month(pop.created_month[idx], m, dyn.term_months)
        anniv = np.minimum(grid.starts[m] + pop.anniversary_offset[idx], grid.starts[m + 1] - 1)
        churn_time = np.where(renewal, anniv, grid.at(m, rng.random(len(idx))))

        # offers: when, and what became of them
        offer_frac = rng.random(len(idx))
        lag = (rng.uniform(1, 21, len(idx)) * 86_400).astype(np.int64)
        outcome_u = rng.random(len(idx))
        defer_days = (rng.uniform(30, 120, len(idx)) * 86_400).astype(np.int64)
        role = rng.integers(0, n_roles, len(idx))
        exp_time = grid.at(m, exp_frac)
        accepted = treated & expand
        offered_at = np.where(accepted, grid.starts[m] + (offer_frac * (exp_time - grid.starts[m])).astype(np.int64),
                              grid.at(m, offer_frac))
        rej_cut, def_cut = NOT_ACCEPTED_SHARES[0], NOT_ACCEPTED_SHARES[0] + NOT_ACCEPTED_SHARES[1]
        outcome = np.where(accepted, ACCEPTED, np.where(outcome_u < rej_cut, REJECTED,
                                                        np.where(outcome_u < def_cut, DEFERRED, NO_RESPONSE)))
        outcome = np.where(control, NO_RESPONSE, outcome)
        outcome_at = np.where(accepted, exp_time, offered_at + np.where(outcome == NO_RESPONSE, 14 * 86_400, lag))
        reenter_at = np.where(outcome == DEFERRED, outcome_at + defer_days, NO_TIME)

        # plan changes (subscription scenarios): expansion, renewal, downgrade
        step = rng.uniform(*dyn.quota_step, len(idx))
        tier_up = (renew > 0) | (rng.random(len(idx)) < 0.3)
        top = len(price) - 1
        down = renewal & ~expand & ~churn & (u[idx] < dyn.util_ref - 0.4) & (rng.random(len(idx)) < dyn.downgrade_rate)
        down_step = rng.uniform(1.2, 1.5, len(idx))
        mrr_before = mrr_of(tier[idx], units[idx], idx)
        new_tier = np.where(expand & tier_up & (tier[idx] < top), tier[idx] + 1, tier[idx])
        new_units = np.where(expand, np.ceil(units[idx] * np.where(new_tier > tier[idx], step / 1.15, step)), units[idx])
        new_units = np.where(down, np.maximum(1.0, np.floor(units[idx] / down_step)), new_units)
        mrr_after = mrr_of(new_tier, new_units, idx)
        addon_amount = np.round(np.exp(rng.normal(3.6, 0.6, len(idx))), 2)  # e-commerce add-on order
        gain = addon_amount if ecommerce else np.round(12 * np.maximum(mrr_after - mrr_before, 0), 2)
        revenue = np.where(accepted, gain, np.nan)
        # what was offered: the tier/plan upgrade around renewals, the add-on otherwise
        # (e-commerce has no renewals: bundle or complementary product at random)
        kind_offer = rng.integers(0, 2, len(idx)) if ecommerce else np.where(renew > 0, 0, 1)

        o = np.flatnonzero(offered)
        offers.add(account=idx[o], offered_at=offered_at[o], outcome=outcome[o], outcome_at=outcome_at[o],
                   reenter_at=reenter_at[o], revenue=revenue[o], is_control=control[o],
                   kind=np.where(accepted[o] & ~ecommerce, np.where(new_tier[o] > tier[idx[o]], 0, 1), kind_offer[o]),
                   role=role[o])
        if not ecommerce:
            for mask, kind, time in ((expand, UPGRADE, exp_time), (renewal & ~expand & ~churn & ~down, RENEWAL, anniv),
                                     (down, DOWNGRADE, anniv)):
                w = np.flatnonzero(mask)
                changes.add(account=idx[w], time=time[w], kind=np.full(len(w), kind), tier=new_tier[w],
                            units=new_units[w], mrr=mrr_after[w], via_offer=accepted[w])
            frac_change = np.where(expand, exp_frac, np.where(down, (anniv - grid.starts[m]) / grid.length(m), np.nan))
            change_frac[idx, m] = frac_change
        else:
            w = np.flatnonzero(expand)
            changes.add(account=idx[w], time=exp_time[w], kind=np.full(len(w), UPGRADE), tier=tier[idx[w]],
                        units=units[idx[w]], mrr=addon_amount[w], via_offer=accepted[w])

        # histories and state
        last_offer[idx[offered]] = m
        last_rej[idx[offered & (outcome == REJECTED)]] = m
        dmask = offered & (outcome == DEFERRED)
        reenter[idx[dmask]] = grid.month_of(reenter_at[dmask])
        churned[idx[churn]] = True
        churned_at[idx[churn]] = churn_time[churn]
        tier[idx], units[idx] = new_tier, new_units

        if ecommerce:
            exists = active & ~churned
            lam = purchase_rate(pop.purchase_rate, u) * exists
            count = rng.poisson(lam)
            purchases[:, m] = np.minimum(count, np.iinfo(np.int16).max)
            recent = (count > 0) | new

        dq = np.zeros(n)
        dq[idx] = np.where(expand, np.log(step), 0.0) - np.where(down, np.log(down_step), 0.0)
        if ecommerce:
            dq[:] = 0.0
        util_prev = u.copy()
        u = pop.util_mu + dyn.util_rho * (u - pop.util_mu) + rng.normal(0, dyn.util_sd, n) - dq
        s = pop.pain_mu + dyn.pain_rho * (s - pop.pain_mu) + rng.normal(0, dyn.pain_sd, n)
        la = la + dq
    util[:, M], pain[:, M], log_allow[:, M] = u, s, la

    return World(scenario=sc, grid=grid, pop=pop, util=util, pain=pain, log_allowance=log_allow,
                 change_frac=change_frac, churned_at=churned_at, purchases=purchases,
                 plan_changes=changes.frame(), offers=offers.frame(), truth=truth.frame())

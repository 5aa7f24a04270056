"""Who the accounts are: segments, industries, heavy-tailed sizes, creation dates, hidden traits.

Static per-account draws, made once before the world starts moving. ``fit`` is the observable
part of an account's disposition to expand (it is a function of its segment, industry and size,
all of which the accounts table shows); ``hidden`` is the small part no table shows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data.synthetic.calendar import SECONDS_PER_DAY, MonthGrid
from data.synthetic.spec import Scenario

PRE_EXISTING_SHARE = 0.45  # accounts that were customers before the history starts
MAX_PRIOR_TENURE_DAYS = 6 * 365


@dataclass(frozen=True)
class Population:
    """Static account attributes, one entry per account (index = account number)."""

    segment: np.ndarray  # int index into vocab.segments
    industry: np.ndarray
    region: np.ndarray
    size: np.ndarray  # employees / lines / yearly spend scale: heavy tailed (lognormal × pareto)
    fit: np.ndarray
    hidden: np.ndarray
    util_mu: np.ndarray  # long-run log utilisation
    pain_mu: np.ndarray
    created_at: np.ndarray  # int64 seconds
    created_month: np.ndarray  # month index on the grid (negative before the history)
    anniversary_offset: np.ndarray  # seconds into a month at which the contract anniversary falls
    tier: np.ndarray  # initial plan tier index
    units: np.ndarray  # initial seats / lines / contracted hours
    price_factor: np.ndarray  # account-specific discount on list price
    ticket_rate: np.ndarray
    purchase_rate: np.ndarray

    @property
    def n(self) -> int:
        return len(self.segment)


def draw_population(sc: Scenario, n: int, grid: MonthGrid, rng: np.random.Generator) -> Population:
    """Draw ``n`` accounts for scenario ``sc`` on ``grid``."""
    v, dyn = sc.vocab, sc.dynamics
    segment = rng.choice(len(v.segments), size=n, p=np.asarray(v.segment_probs))
    industry = rng.integers(0, len(v.industries), size=n)
    region = rng.choice(len(v.regions), size=n, p=np.asarray(v.region_probs))
    # heavy tail: lognormal body with a pareto multiplier for the few giants
    size = np.exp(np.asarray(v.segment_size)[segment] + rng.normal(0.0, 0.8, n)) * (1.0 + rng.pareto(2.5, n))
    log_size_z = (np.log(size) - np.log(size).mean()) / max(np.log(size).std(), 1e-9)
    fit = np.asarray(v.segment_fit)[segment] + np.asarray(v.industry_fit)[industry] + 0.15 * log_size_z
    hidden = rng.normal(0.0, dyn.hidden_sd, n)
    util_mu = (
        dyn.util_mean
        + np.asarray(v.segment_util)[segment]
        + 0.3 * np.asarray(v.industry_fit)[industry]
        + rng.normal(0.0, dyn.util_mean_sd, n)
    )
    pain_mu = dyn.pain_mean + rng.normal(0.0, dyn.pain_mean_sd, n)

    pre = rng.random(n) < PRE_EXISTING_SHARE
    span = grid.end - grid.start
    created_at = np.where(
        pre,
        grid.start - 1 - (rng.random(n) * MAX_PRIOR_TENURE_DAYS * SECONDS_PER_DAY).astype(np.int64),
        grid.start + (rng.random(n) * span).astype(np.int64),
    )
    created_month = grid.month_of(created_at)
    month_start = np.datetime64("1970-01-01", "s") + created_at.astype("timedelta64[s]")
    anniversary_offset = created_at - month_start.astype("datetime64[M]").astype("datetime64[s]").astype(np.int64)

    tier_score = 0.6 * log_size_z + rng.normal(0.0, 0.8, n) + 0.5 * (segment - 1)
    tier = np.digitize(tier_score, [-0.4, 0.9]).astype(np.int64)
    tier = np.minimum(tier, len(v.plan_tiers) - 1)
    units = np.maximum(1.0, np.round(size * rng.uniform(0.05, 0.25, n)))
    price_factor = rng.uniform(0.8, 1.0, n)
    ticket_rate = sc.tickets_per_month * np.power(units / np.median(units), 0.35)
    purchase_rate = sc.purchases_per_month * np.exp(rng.normal(0.0, 0.4, n))
    return Population(
        segment=segment, industry=industry, region=region, size=size, fit=fit, hidden=hidden,
        util_mu=util_mu, pain_mu=pain_mu, created_at=created_at, created_month=created_month,
        anniversary_offset=anniversary_offset, tier=tier, units=units, price_factor=price_factor,
        ticket_rate=ticket_rate, purchase_rate=purchase_rate,
    )

"""The knobs of one scenario's world: vocabularies, plan catalogue and hazard coefficients.

The same coefficients drive the month-by-month simulation (``world.py``) and the oracle
(``truth.py``), which is what keeps the truth file consistent with the events in the tables.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExpansionCoefs:
    """Logit of the monthly expansion hazard: intercept plus coefficient × signal."""

    intercept: float
    util: float  # per unit of log utilisation above the reference level
    trend: float  # per unit of month-over-month change in log utilisation
    pain: float  # per unit of latent support pain
    fit: float  # per unit of segment/industry fit
    renewal: float  # in the renewal month and the month before
    rejected: float  # an offer was rejected in the last few months
    deferred: float  # the month a deferred offer re-enters
    recent_purchase: float  # e-commerce: a core purchase last month (post-purchase window)
    treat: float  # an offer was made this month (uplift of the legacy process)


@dataclass(frozen=True)
class ChurnCoefs:
    """Logit of the monthly churn hazard (drawn only for accounts that did not expand)."""

    intercept: float
    util: float
    pain: float
    fit: float
    renewal: float  # in the renewal month


@dataclass(frozen=True)
class OfferCoefs:
    """Logit of the legacy process offering an upsell this month (its triggers are observable)."""

    intercept: float
    util: float
    renewal: float
    fit: float
    cooldown_months: int = 2  # no new offer within this many months of the last one
    control_share: float = 0.1  # offers held out as control (recorded, never delivered)


@dataclass(frozen=True)
class Dynamics:
    """Latent state processes and hazards of one scenario."""

    util_mean: float  # population mean of the per-account long-run log utilisation
    util_mean_sd: float
    util_rho: float  # AR(1) persistence of log utilisation, per month
    util_sd: float  # AR(1) innovation sd
    util_ref: float  # log utilisation at which the util terms are zero
    new_account_ramp: float  # new accounts start this far below their long-run level
    pain_mean: float
    pain_mean_sd: float
    pain_rho: float
    pain_sd: float
    hidden_sd: float  # the per-account effect no table shows (keep it small)
    expansion: ExpansionCoefs
    churn: ChurnCoefs
    offer: OfferCoefs
    term_months: int | None  # contract term; None: no subscriptions (e-commerce)
    quota_step: tuple[float, float] = (1.3, 1.8)  # an expansion multiplies allowances by U(lo, hi)
    downgrade_rate: float = 0.2  # chance that an account with low utilisation downgrades at renewal
    rejected_months: int = 3


@dataclass(frozen=True)
class Vocabulary:
    """Categorical values of the accounts table and how they shift fit and usage."""

    segments: tuple[str, ...]
    segment_probs: tuple[float, ...]
    segment_fit: tuple[float, ...]
    segment_util: tuple[float, ...]  # shift of the long-run log utilisation
    segment_size: tuple[float, ...]  # log-scale of company size (employees, lines, spend)
    segment_roles: tuple[tuple[str, ...], ...]  # owner roles that work each segment
    industries: tuple[str, ...]
    industry_fit: tuple[float, ...]
    regions: tuple[str, ...] = ("na", "emea", "apac", "latam")
    region_probs: tuple[float, ...] = (0.45, 0.3, 0.17, 0.08)
    size_bands: tuple[str, ...] = ("1-10", "11-50", "51-200", "201-1000", "1001-5000", "5000+")
    size_edges: tuple[float, ...] = (10, 50, 200, 1000, 5000)
    plan_tiers: tuple[str, ...] = ("starter", "professional", "enterprise")
    tier_price: tuple[float, ...] = (25.0, 45.0, 80.0)  # per seat / line / hour per month
    offer_types: tuple[str, ...] = ("tier_upgrade", "add_on")
    ticket_categories: tuple[str, ...] = ("billing", "technical", "how_to", "account")
    missing: dict[str, float] = field(default_factory=dict)  # column → share of nulls


@dataclass(frozen=True)
class Scenario:
    """Everything the shared world needs to know about one scenario."""

    name: str
    id_prefix: str
    dynamics: Dynamics
    vocab: Vocabulary
    tickets_per_month: float = 0.4  # at pain 0 for a median-size account
    purchases_per_month: float = 0.0  # e-commerce core purchase rate at log utilisation 0
    addon_categories: tuple[str, ...] = ()

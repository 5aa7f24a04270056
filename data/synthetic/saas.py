"""SaaS: seat and feature-usage limits trigger upsell; annual upgrade vs seat add-on; renewals; churn.

Accounts buy seats on a tier (starter/professional/enterprise) on annual contracts. Seat
utilisation, API calls against the plan allowance and storage against its quota all read one
latent log-utilisation. Accounts near their limits, with usage trending up, in the two months
around their renewal, with a good segment/industry fit and low support pain are the ones that
expand: either an annual tier upgrade (around renewals) or a seat add-on (any time).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from data.synthetic.render_offers import render_offers
from data.synthetic.render_subscriptions import render_subscriptions
from data.synthetic.render_support import render_support
from data.synthetic.render_usage import Metric, render_usage
from data.synthetic.spec import ChurnCoefs, Dynamics, ExpansionCoefs, OfferCoefs, Scenario, Vocabulary
from data.synthetic.world import World

SCENARIO = Scenario(
    name="saas",
    id_prefix="ACC",
    dynamics=Dynamics(
        util_mean=np.log(0.68), util_mean_sd=0.1, util_rho=0.85, util_sd=0.12, util_ref=np.log(0.8),
        new_account_ramp=0.35,
        pain_mean=0.0, pain_mean_sd=0.35, pain_rho=0.7, pain_sd=0.35, hidden_sd=0.2,
        expansion=ExpansionCoefs(intercept=-3.5, util=2.8, trend=1.5, pain=-0.3, fit=0.8, renewal=0.9,
                                 rejected=-0.6, deferred=0.8, recent_purchase=0.0, treat=0.7),
        churn=ChurnCoefs(intercept=-5.2, util=-1.5, pain=0.5, fit=-0.3, renewal=2.2),
        offer=OfferCoefs(intercept=-2.9, util=2.0, renewal=1.2, fit=0.3),
        term_months=12,
    ),
    vocab=Vocabulary(
        segments=("smb", "mid_market", "enterprise"),
        segment_probs=(0.55, 0.32, 0.13),
        segment_fit=(-0.3, 0.1, 0.4),
        segment_util=(-0.05, 0.0, 0.08),
        segment_size=(2.7, 4.8, 7.0),
        segment_roles=(("automated", "automated", "customer_success"),
                       ("sales_rep", "customer_success", "automated"),
                       ("account_manager", "account_manager", "customer_success")),
        industries=("software", "financial_services", "healthcare", "retail", "manufacturing",
                    "education", "media", "professional_services"),
        industry_fit=(0.3, 0.2, 0.0, -0.1, -0.2, -0.3, 0.1, 0.0),
        plan_tiers=("starter", "professional", "enterprise"),
        tier_price=(25.0, 45.0, 80.0),
        offer_types=("annual_upgrade", "seat_add_on"),
        ticket_categories=("billing", "technical", "how_to", "integration", "account"),
    ),
    tickets_per_month=0.35,
)

METRICS = (
    Metric("seats_used", quota_per_unit=1.0, noise_sd=0.05, cap=1.1, integer=True, active_users=True, account_sd=0.03),
    Metric("api_calls", quota_per_unit=800.0, offset=0.05, power=1.2, noise_sd=0.15, cap=3.0),
    Metric("storage_gb", quota_per_unit=2.0, offset=-0.15, power=0.7, noise_sd=0.03, cap=1.5),
)


def tables(world: World, ids: np.ndarray, rngs: dict[str, np.random.Generator],
           usage_interval_days: int) -> dict[str, pd.DataFrame]:
    """The SaaS scenario's tables besides ``accounts``."""
    return {
        "subscriptions": render_subscriptions(world, ids, rngs["subscriptions"]),
        "usage": render_usage(world, ids, METRICS, rngs["usage"], usage_interval_days),
        "support_tickets": render_support(world, ids, rngs["support_tickets"]),
        "offers": render_offers(world, ids, rngs["offers"]),
    }

"""B2B services: project milestones, account managers / customer success, service expansion.

Clients hold a monthly retainer of contracted consulting hours (advisory/managed/strategic) on
annual terms. Billable hours against contracted hours and milestones completed read one latent
log-utilisation: a client that burns through its hours and keeps completing milestones is ready
for the next phase (more hours or a new service line), especially in the months around its
renewal. Escalations (support tickets) and poor CSAT hold expansion back and drive churn. Most
accounts are owned by an account manager; customer success and sales reps work the rest.
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
    name="b2b_services",
    id_prefix="CLI",
    dynamics=Dynamics(
        util_mean=np.log(0.8), util_mean_sd=0.1, util_rho=0.85, util_sd=0.13, util_ref=np.log(0.9),
        new_account_ramp=0.3,
        pain_mean=0.0, pain_mean_sd=0.35, pain_rho=0.7, pain_sd=0.35, hidden_sd=0.2,
        expansion=ExpansionCoefs(intercept=-3.4, util=2.6, trend=1.4, pain=-0.35, fit=0.7, renewal=1.0,
                                 rejected=-0.6, deferred=0.8, recent_purchase=0.0, treat=0.8),
        churn=ChurnCoefs(intercept=-5.4, util=-1.2, pain=0.8, fit=-0.3, renewal=2.3),
        offer=OfferCoefs(intercept=-2.6, util=1.6, renewal=1.4, fit=0.4),
        term_months=12,
    ),
    vocab=Vocabulary(
        segments=("smb", "mid_market", "enterprise"),
        segment_probs=(0.4, 0.4, 0.2),
        segment_fit=(-0.25, 0.05, 0.35),
        segment_util=(-0.03, 0.0, 0.05),
        segment_size=(2.6, 4.3, 6.2),
        segment_roles=(("customer_success", "sales_rep", "account_manager"),
                       ("account_manager", "customer_success", "sales_rep"),
                       ("account_manager", "account_manager", "customer_success")),
        industries=("financial_services", "healthcare", "public_sector", "manufacturing", "retail",
                    "energy", "technology", "education"),
        industry_fit=(0.3, 0.1, -0.2, 0.0, -0.1, 0.2, 0.25, -0.3),
        plan_tiers=("advisory", "managed", "strategic"),
        tier_price=(120.0, 150.0, 190.0),
        offer_types=("service_expansion", "additional_hours"),
        ticket_categories=("delivery", "billing", "staffing", "quality", "scope"),
    ),
    tickets_per_month=0.25,
)

METRICS = (
    Metric("billable_hours", quota_per_unit=1 / 21, offset=0.0, power=1.0, noise_sd=0.15, cap=2.0),
    Metric("milestones_completed", quota_per_unit=None, power=1.5, noise_sd=0.2, count_rate=0.8),
)


def tables(world: World, ids: np.ndarray, rngs: dict[str, np.random.Generator],
           usage_interval_days: int) -> dict[str, pd.DataFrame]:
    """The B2B services scenario's tables besides ``accounts`` (retainers carry no seat count)."""
    return {
        "subscriptions": render_subscriptions(world, ids, rngs["subscriptions"], seats=False),
        "usage": render_usage(world, ids, METRICS, rngs["usage"], usage_interval_days),
        "support_tickets": render_support(world, ids, rngs["support_tickets"]),
        "offers": render_offers(world, ids, rngs["offers"]),
    }

"""Telecom: plan allowances (data GB, voice minutes) as usage with quotas, support calls, plan upgrades.

Business accounts hold lines on a plan (basic/plus/max) on 24-month contracts. Data and voice use
against the plan's daily allowance read one latent log-utilisation; running over the allowance,
usage trending up and the approach of contract end are what make an account move to a bigger plan
or add a data bundle. Network and billing trouble (support calls) and poor CSAT hold it back and
drive churn, which concentrates at contract end.
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
    name="telecom",
    id_prefix="TEL",
    dynamics=Dynamics(
        util_mean=np.log(0.75), util_mean_sd=0.12, util_rho=0.82, util_sd=0.16, util_ref=np.log(0.85),
        new_account_ramp=0.25,
        pain_mean=0.0, pain_mean_sd=0.35, pain_rho=0.7, pain_sd=0.35, hidden_sd=0.2,
        expansion=ExpansionCoefs(intercept=-3.7, util=2.5, trend=1.2, pain=-0.3, fit=0.7, renewal=1.2,
                                 rejected=-0.5, deferred=0.7, recent_purchase=0.0, treat=0.6),
        churn=ChurnCoefs(intercept=-5.3, util=-0.8, pain=0.7, fit=-0.2, renewal=2.5),
        offer=OfferCoefs(intercept=-2.7, util=1.8, renewal=1.3, fit=0.2),
        term_months=24,
    ),
    vocab=Vocabulary(
        segments=("small_business", "mid_market", "corporate"),
        segment_probs=(0.6, 0.3, 0.1),
        segment_fit=(-0.2, 0.1, 0.3),
        segment_util=(0.0, 0.03, 0.05),
        segment_size=(2.3, 4.2, 6.3),
        segment_roles=(("automated", "automated", "sales_rep"),
                       ("sales_rep", "account_manager", "automated"),
                       ("account_manager", "account_manager", "customer_success")),
        industries=("construction", "logistics", "retail", "healthcare", "hospitality", "field_services",
                    "professional_services", "public_sector"),
        industry_fit=(0.2, 0.3, 0.0, -0.1, -0.1, 0.25, 0.0, -0.3),
        plan_tiers=("basic", "plus", "max"),
        tier_price=(20.0, 35.0, 55.0),
        offer_types=("plan_upgrade", "data_add_on"),
        ticket_categories=("network", "billing", "device", "roaming", "porting"),
    ),
    tickets_per_month=0.45,
)

METRICS = (
    Metric("data_gb", quota_per_unit=0.4, offset=0.0, power=1.0, noise_sd=0.15, cap=2.5),
    Metric("voice_minutes", quota_per_unit=25.0, offset=-0.2, power=0.8, noise_sd=0.2, cap=2.0),
)


def tables(world: World, ids: np.ndarray, rngs: dict[str, np.random.Generator],
           usage_interval_days: int) -> dict[str, pd.DataFrame]:
    """The telecom scenario's tables besides ``accounts``."""
    return {
        "subscriptions": render_subscriptions(world, ids, rngs["subscriptions"]),
        "usage": render_usage(world, ids, METRICS, rngs["usage"], usage_interval_days),
        "support_tickets": render_support(world, ids, rngs["support_tickets"]),
        "offers": render_offers(world, ids, rngs["offers"]),
    }

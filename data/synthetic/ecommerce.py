"""E-commerce: accounts, purchases and offers only; post-purchase complementary-product upsell.

Shoppers (consumers, small businesses, trade buyers) order from core categories at a rate set by
a latent engagement that drifts month to month. The expansion is an add-on purchase (accessories,
extended warranty, care kits), most likely in the month after a core purchase, for engaged and
rising shoppers with a good segment fit; the legacy process's emails and in-app prompts lift it.
There are no subscriptions, so a shopper who lapses simply stops ordering: lapse is not visible
in the tables, and the truth gives lapsed shoppers probability 0.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from data.synthetic.render_offers import render_offers
from data.synthetic.render_purchases import render_purchases
from data.synthetic.spec import ChurnCoefs, Dynamics, ExpansionCoefs, OfferCoefs, Scenario, Vocabulary
from data.synthetic.world import World

CORE_CATEGORIES = ("electronics", "home", "kitchen", "office", "outdoor")
ADDON_CATEGORIES = ("accessories", "care_kits", "extended_warranty")

SCENARIO = Scenario(
    name="ecommerce",
    id_prefix="CUS",
    dynamics=Dynamics(
        util_mean=0.0, util_mean_sd=0.25, util_rho=0.85, util_sd=0.2, util_ref=0.0,
        new_account_ramp=0.0,
        pain_mean=0.0, pain_mean_sd=0.0, pain_rho=0.5, pain_sd=0.0, hidden_sd=0.12,
        expansion=ExpansionCoefs(intercept=-4.4, util=0.4, trend=0.3, pain=0.0, fit=1.3, renewal=0.0,
                                 rejected=-0.5, deferred=0.6, recent_purchase=2.0, treat=0.8),
        churn=ChurnCoefs(intercept=-5.8, util=-1.5, pain=0.0, fit=-0.2, renewal=0.0),
        offer=OfferCoefs(intercept=-2.4, util=0.6, renewal=0.0, fit=0.3),
        term_months=None,
    ),
    vocab=Vocabulary(
        segments=("consumer", "small_business", "trade"),
        segment_probs=(0.7, 0.22, 0.08),
        segment_fit=(-0.25, 0.2, 0.6),
        segment_util=(-0.1, 0.1, 0.3),
        segment_size=(1.5, 3.0, 4.5),
        segment_roles=(("automated", "automated", "automated"),
                       ("automated", "automated", "customer_success"),
                       ("account_manager", "sales_rep", "automated")),
        industries=("household", "hospitality", "education", "construction", "retail", "healthcare"),
        industry_fit=(-0.1, 0.2, 0.0, 0.15, 0.1, 0.0),
        plan_tiers=("standard", "plus", "vip"),
        tier_price=(0.0, 0.0, 0.0),
        offer_types=("bundle", "complementary_product"),
        missing={"industry": 0.3},
    ),
    purchases_per_month=1.0,
    addon_categories=ADDON_CATEGORIES,
)


def tables(world: World, ids: np.ndarray, rngs: dict[str, np.random.Generator],
           usage_interval_days: int) -> dict[str, pd.DataFrame]:
    """The e-commerce scenario's tables besides ``accounts``."""
    return {
        "purchases": render_purchases(world, ids, CORE_CATEGORIES, rngs["purchases"]),
        "offers": render_offers(world, ids, rngs["offers"]),
    }

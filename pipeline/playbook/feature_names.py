"""The feature names a playbook condition may read, for the linter.

The features package owns the catalogue (``features.registry.known_feature_names``); this module
asks it, and falls back to the team's fixed list only when that import fails (a partial install).
Per-metric usage features (``use_<m>_util_last`` …) are returned as ``<m>`` templates unless the
usage metrics are named, because a customer's metric names are only known from their data.
"""
from __future__ import annotations

from collections.abc import Iterable

PER_METRIC_TEMPLATES: tuple[str, ...] = ("use_<m>_value_30d", "use_<m>_util_last", "use_<m>_util_max_30d", "use_<m>_trend_30d")

FALLBACK_FIXED: tuple[str, ...] = (
    "acct_tenure_days", "acct_industry", "acct_region", "acct_segment", "acct_size_band", "acct_plan_tier",
    "sub_is_active", "sub_plan_tier", "sub_mrr", "sub_seats", "sub_days_to_renewal", "sub_contract_age_days",
    "sub_n_upgrades_365d", "sub_n_downgrades_365d", "sub_mrr_change_365d",
    "pur_days_since_last", "pur_count_30d", "pur_count_90d", "pur_count_365d", "pur_amount_30d",
    "pur_amount_90d", "pur_amount_365d", "pur_avg_order_365d", "pur_n_categories_365d", "pur_top_category_365d",
    "pur_amount_trend_90d",
    "use_active_days_30d", "use_days_since_last", "use_util_last", "use_util_max_30d",
    "use_days_above_80pct_30d", "use_days_above_90pct_30d", "use_days_above_100pct_30d", "use_value_trend_30d",
    "use_active_users_last", "use_active_users_max_30d",
    "sup_tickets_30d", "sup_tickets_90d", "sup_tickets_365d", "sup_high_or_critical_90d", "sup_open_tickets",
    "sup_open_critical", "sup_csat_mean_180d", "sup_hours_to_close_mean_180d", "sup_days_since_last_ticket",
    "off_count_365d", "off_accepted_365d", "off_rejected_365d", "off_last_outcome", "off_days_since_last",
    "off_days_since_last_rejection", "off_acceptance_rate", "off_pending", "off_days_to_reentry",
)


def known_features(metrics: Iterable[str] | None = None) -> tuple[set[str], str]:
    """(names for ``lint(known_features=…)``, where they came from: "features.registry" or "fallback").

    With ``metrics`` the per-metric features are expanded for exactly those metrics; without,
    they are ``<m>`` templates that accept any metric.
    """
    metrics = list(metrics) if metrics is not None else None
    try:
        from features.registry import known_feature_names
    except ImportError:
        names, origin = set(FALLBACK_FIXED), "fallback"
        if metrics:
            names |= {t.replace("<m>", _metric_key(m)) for m in metrics for t in PER_METRIC_TEMPLATES}
    else:
        names, origin = set(known_feature_names(metrics or ())), "features.registry"
    if metrics is None:
        names |= set(PER_METRIC_TEMPLATES)
    return names, origin


def _metric_key(metric: str) -> str:
    import re

    return re.sub(r"[^a-z0-9_]", "_", metric.lower())

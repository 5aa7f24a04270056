"""The feature registry: every feature's name, source, kind, description and reason template.

This is the single list the rest of the project reads: the builders attach columns in registry
order, the model renders reason codes from ``reason`` templates, playbook linting checks that
conditions name known features, and ``docs/features.md`` is rendered from it.

Per-metric usage features are *templates* (``use_{metric}_util_last``) expanded for the usage
metrics found in the data; ``metric_key`` turns a raw metric name into the ``{metric}`` part.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

Kind = Literal["numeric", "categorical"]

# Feature groups in output order; each is named after the source table it reads.
SOURCES: tuple[str, ...] = ("accounts", "subscriptions", "purchases", "usage", "support_tickets", "offers")
KEY_COLUMNS: tuple[str, str] = ("account_id", "as_of")


@dataclass(frozen=True)
class FeatureSpec:
    """One feature column.

    ``fill`` is the value an account in the spine gets when its source table exists but holds no
    rows for it (0 for counts and sums; ``None`` keeps it missing, e.g. recency or ratios).
    ``point_in_time`` is False for attributes the data only holds as a current snapshot (they
    are correct when scoring today but leak when rebuilt for past cutoffs). ``reason_past`` is the
    reason for a negative value of a "days until" feature (the date has passed: a renewal date
    the CRM never moved on), rendered with the number of days ago.
    """

    name: str
    source: str
    kind: Kind
    description: str
    reason: str
    fill: float | None = None
    point_in_time: bool = True
    metric: str | None = None
    template: str | None = None
    reason_past: str | None = None

    def render_reason(self, value: object) -> str:
        """The plain-language reason for this feature at ``value`` (e.g. "Seat utilisation at 96% of plan")."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return f"{self.description} unknown (no data)"
        try:
            if self.reason_past is not None and value < 0:  # type: ignore[operator]
                return self.reason_past.format(value=-value)  # type: ignore[operator]
            return self.reason.format(value=value)
        except (ValueError, TypeError):  # a categorical value where a number was expected, etc.
            return f"{self.description}: {value}"


def _f(name: str, source: str, kind: Kind, description: str, reason: str, fill: float | None = None,
       point_in_time: bool = True, reason_past: str | None = None) -> FeatureSpec:
    return FeatureSpec(name, source, kind, description, reason, fill, point_in_time, reason_past=reason_past)


_N, _C = "numeric", "categorical"
A, S, P, U, T, O = SOURCES

FIXED_FEATURES: tuple[FeatureSpec, ...] = (
    # accounts
    _f("acct_tenure_days", A, _N, "Days since the account was created", "Customer for {value:.0f} days"),
    _f("acct_industry", A, _C, "Industry", "Industry: {value}"),
    _f("acct_region", A, _C, "Region", "Region: {value}"),
    _f("acct_segment", A, _C, "Go-to-market segment", "Segment: {value}"),
    _f("acct_size_band", A, _C, "Company size band", "Company size: {value}"),
    _f("acct_plan_tier", A, _C, "Plan tier as the CRM records it today (a snapshot, not history)",
       "CRM plan tier: {value}", point_in_time=False),
    # subscriptions
    _f("sub_is_active", S, _N, "1 if a subscription is active at the cutoff", "Subscription active: {value:.0f}", fill=0),
    _f("sub_plan_tier", S, _C, "Plan tier of the current subscription", "On the {value} plan"),
    _f("sub_mrr", S, _N, "MRR of the current subscription", "Current MRR {value:,.0f}", fill=0),
    _f("sub_seats", S, _N, "Seats on the current subscription", "{value:.0f} seats on the current plan"),
    _f("sub_days_to_renewal", S, _N, "Days from the cutoff to the current subscription's renewal date",
       "Renewal in {value:.0f} days", reason_past="Renewal date passed {value:.0f} days ago"),
    _f("sub_contract_age_days", S, _N, "Days since the current plan period started", "On the current plan for {value:.0f} days"),
    _f("sub_n_upgrades_365d", S, _N, "Plan periods ended by an upgrade in the last 365 days",
       "{value:.0f} upgrade(s) in the last year", fill=0),
    _f("sub_n_downgrades_365d", S, _N, "Plan periods ended by a downgrade in the last 365 days",
       "{value:.0f} downgrade(s) in the last year", fill=0),
    _f("sub_mrr_change_365d", S, _N, "Current MRR minus the MRR of the subscription current 365 days earlier",
       "MRR changed by {value:+,.0f} over the last year", fill=0),
    # purchases
    _f("pur_days_since_last", P, _N, "Days since the last purchase", "Last purchase {value:.0f} days ago"),
    _f("pur_count_30d", P, _N, "Purchases in the last 30 days", "{value:.0f} purchase(s) in the last 30 days", fill=0),
    _f("pur_count_90d", P, _N, "Purchases in the last 90 days", "{value:.0f} purchase(s) in the last 90 days", fill=0),
    _f("pur_count_365d", P, _N, "Purchases in the last 365 days", "{value:.0f} purchase(s) in the last year", fill=0),
    _f("pur_amount_30d", P, _N, "Amount purchased in the last 30 days", "Spent {value:,.0f} in the last 30 days", fill=0),
    _f("pur_amount_90d", P, _N, "Amount purchased in the last 90 days", "Spent {value:,.0f} in the last 90 days", fill=0),
    _f("pur_amount_365d", P, _N, "Amount purchased in the last 365 days", "Spent {value:,.0f} in the last year", fill=0),
    _f("pur_avg_order_365d", P, _N, "Average order amount over the last 365 days", "Average order {value:,.0f}"),
    _f("pur_n_categories_365d", P, _N, "Distinct product categories bought in the last 365 days",
       "Bought from {value:.0f} categories in the last year", fill=0),
    _f("pur_top_category_365d", P, _C, "Category with the highest amount in the last 365 days (ties: first by name)",
       "Buys mostly {value}"),
    _f("pur_amount_trend_90d", P, _N, "(a - b) / (a + b) of the amount in the last 90 days (a) vs the 90 before (b)",
       "Spend trend {value:+.0%} (last 90 days vs the 90 before)", fill=0),
    # usage, across metrics
    _f("use_active_days_30d", U, _N, "Days in the last 30 with any usage value above 0",
       "Active on {value:.0f} of the last 30 days", fill=0),
    _f("use_days_since_last", U, _N, "Days since the last day with any usage value above 0",
       "Last active {value:.0f} days ago"),
    _f("use_util_last", U, _N, "Highest utilisation (value / quota) across metrics at each metric's latest day "
       "in the last 30 days", "Utilisation at {value:.0%} of plan"),
    _f("use_util_max_30d", U, _N, "Highest utilisation of any metric in the last 30 days",
       "Utilisation peaked at {value:.0%} of plan in the last 30 days"),
    _f("use_days_above_80pct_30d", U, _N, "Days in the last 30 on which some metric was at >= 80% of quota",
       "At 80%+ of plan on {value:.0f} of the last 30 days", fill=0),
    _f("use_days_above_90pct_30d", U, _N, "Days in the last 30 on which some metric was at >= 90% of quota",
       "At 90%+ of plan on {value:.0f} of the last 30 days", fill=0),
    _f("use_days_above_100pct_30d", U, _N, "Days in the last 30 on which some metric was at >= 100% of quota",
       "Over plan on {value:.0f} of the last 30 days", fill=0),
    _f("use_value_trend_30d", U, _N, "Mean over metrics of the usage trend (a - b) / (a + b), last 30 days vs the 30 before",
       "Usage trend {value:+.0%} (last 30 days vs the 30 before)", fill=0),
    _f("use_active_users_last", U, _N, "Active users on the latest usage day in the last 30 days",
       "{value:.0f} active users"),
    _f("use_active_users_max_30d", U, _N, "Most active users on any day in the last 30 days",
       "Up to {value:.0f} active users in the last 30 days"),
    # support tickets
    _f("sup_tickets_30d", T, _N, "Tickets opened in the last 30 days", "{value:.0f} support ticket(s) in the last 30 days", fill=0),
    _f("sup_tickets_90d", T, _N, "Tickets opened in the last 90 days", "{value:.0f} support ticket(s) in the last 90 days", fill=0),
    _f("sup_tickets_365d", T, _N, "Tickets opened in the last 365 days", "{value:.0f} support ticket(s) in the last year", fill=0),
    _f("sup_high_or_critical_90d", T, _N, "High or critical tickets opened in the last 90 days",
       "{value:.0f} high/critical ticket(s) in the last 90 days", fill=0),
    _f("sup_open_tickets", T, _N, "Tickets open at the cutoff", "{value:.0f} open support ticket(s)", fill=0),
    _f("sup_open_critical", T, _N, "Critical tickets open at the cutoff", "{value:.0f} open critical ticket(s)", fill=0),
    _f("sup_csat_mean_180d", T, _N, "Mean CSAT of tickets closed in the last 180 days", "Support CSAT {value:.1f} / 5"),
    _f("sup_hours_to_close_mean_180d", T, _N, "Mean hours from open to close of tickets closed in the last 180 days",
       "Tickets took {value:.0f} hours to close on average"),
    _f("sup_days_since_last_ticket", T, _N, "Days since the last ticket was opened", "Last ticket {value:.0f} days ago"),
    # offers
    _f("off_count_365d", O, _N, "Offers made in the last 365 days", "{value:.0f} offer(s) in the last year", fill=0),
    _f("off_accepted_365d", O, _N, "Offers made in the last 365 days and accepted before the cutoff",
       "{value:.0f} offer(s) accepted in the last year", fill=0),
    _f("off_rejected_365d", O, _N, "Offers made in the last 365 days and rejected before the cutoff",
       "{value:.0f} offer(s) rejected in the last year", fill=0),
    _f("off_last_outcome", O, _C, "Outcome of the latest offer as known at the cutoff (pending until its outcome date)",
       "Last offer: {value}"),
    _f("off_days_since_last", O, _N, "Days since the latest offer", "Last offer {value:.0f} days ago"),
    _f("off_days_since_last_rejection", O, _N, "Days since the latest rejection (by outcome date)",
       "Last rejection {value:.0f} days ago"),
    _f("off_acceptance_rate", O, _N, "Accepted / decided (accepted or rejected) offers over all history before the cutoff",
       "Accepted {value:.0%} of past offers"),
    _f("off_pending", O, _N, "Offers with no outcome yet at the cutoff", "{value:.0f} offer(s) awaiting an answer", fill=0),
    _f("off_days_to_reentry", O, _N, "Days from the cutoff to the latest known re-entry date of a deferred offer "
       "(negative: re-entry has passed)", "Re-entry date in {value:.0f} days",
       reason_past="Re-entry date passed {value:.0f} days ago"),
)

# Per-metric usage templates: "{metric}" is replaced by metric_key(raw metric name).
PER_METRIC_TEMPLATES: tuple[FeatureSpec, ...] = (
    _f("use_{metric}_value_30d", U, _N, "Total {metric} in the last 30 days", "{metric}: {value:,.0f} in the last 30 days", fill=0),
    _f("use_{metric}_util_last", U, _N, "{metric} utilisation (value / quota) on its latest day in the last 30 days",
       "{metric} at {value:.0%} of plan"),
    _f("use_{metric}_util_max_30d", U, _N, "Highest {metric} utilisation in the last 30 days",
       "{metric} peaked at {value:.0%} of plan in the last 30 days"),
    _f("use_{metric}_trend_30d", U, _N, "{metric} trend (a - b) / (a + b), last 30 days vs the 30 before",
       "{metric} trend {value:+.0%} (last 30 days vs the 30 before)", fill=0),
)

_FIXED_BY_NAME = {f.name: f for f in FIXED_FEATURES}
_TEMPLATE_PATTERNS = tuple(
    (re.compile("^" + re.escape(t.name).replace(re.escape("{metric}"), "(?P<metric>[a-z0-9_]+)") + "$"), t)
    for t in PER_METRIC_TEMPLATES
)


def metric_key(metric: str) -> str:
    """A raw usage metric name as it appears in feature names: lower-cased, non [a-z0-9_] -> '_'."""
    return re.sub(r"[^a-z0-9_]", "_", str(metric).lower())


def expand_metric(template: FeatureSpec, metric: str) -> FeatureSpec:
    """The concrete feature of a per-metric template for one metric (raw or already keyed)."""
    key = metric_key(metric)

    def fill_in(text: str) -> str:
        return text.replace("{metric}", key)

    return replace(template, name=fill_in(template.name), description=fill_in(template.description),
                   reason=fill_in(template.reason), metric=key, template=template.name)


def feature_registry(metrics: Iterable[str] = ()) -> tuple[FeatureSpec, ...]:
    """Every feature in output order, per-metric templates expanded for ``metrics`` (sorted keys)."""
    keys = sorted({metric_key(m) for m in metrics})
    out: list[FeatureSpec] = []
    for source in SOURCES:
        out.extend(f for f in FIXED_FEATURES if f.source == source)
        if source == U:
            out.extend(expand_metric(t, k) for k in keys for t in PER_METRIC_TEMPLATES)
    return tuple(out)


def known_feature_names(metrics: Iterable[str] = ()) -> set[str]:
    """Names of the fixed features plus the per-metric features for ``metrics``."""
    return {f.name for f in feature_registry(metrics)}


def match_per_metric(name: str) -> tuple[FeatureSpec, str] | None:
    """(template, metric key) when ``name`` is a per-metric usage feature name, else None.

    Fixed names win: ``use_value_trend_30d`` is the fixed feature, not metric ``value``'s trend.
    """
    if name in _FIXED_BY_NAME:
        return None
    for pattern, template in _TEMPLATE_PATTERNS:
        m = pattern.match(name)
        if m:
            return template, m.group("metric")
    return None


def is_known_feature(name: str, metrics: Iterable[str] | None = None) -> bool:
    """True if ``name`` is a fixed feature or a per-metric feature (of ``metrics`` when given)."""
    if name in _FIXED_BY_NAME:
        return True
    hit = match_per_metric(name)
    if hit is None:
        return False
    return metrics is None or hit[1] in {metric_key(m) for m in metrics}


def feature_spec(name: str) -> FeatureSpec:
    """The spec of one concrete feature name (per-metric names resolved from their template)."""
    if name in _FIXED_BY_NAME:
        return _FIXED_BY_NAME[name]
    hit = match_per_metric(name)
    if hit is None:
        raise KeyError(f"unknown feature {name!r}")
    return expand_metric(hit[0], hit[1])


def render_reason(name: str, value: object) -> str:
    """Plain-language reason for feature ``name`` at ``value``."""
    return feature_spec(name).render_reason(value)


def check_metric_names(metrics: Iterable[str]) -> None:
    """Reject metric names whose features would collide with each other or with fixed features."""
    from data.errors import UpsellError

    seen: dict[str, str] = {}
    for raw in sorted(set(metrics)):
        key = metric_key(raw)
        if not key.strip("_"):
            raise UpsellError(f"usage.metric: metric name {raw!r} has no letters or digits to name features after")
        if key in seen:
            raise UpsellError(f"usage.metric: metric names {seen[key]!r} and {raw!r} both become feature key {key!r}; "
                              "rename one of them")
        seen[key] = raw
        for t in PER_METRIC_TEMPLATES:
            if expand_metric(t, key).name in _FIXED_BY_NAME:
                raise UpsellError(f"usage.metric: metric {raw!r} would produce feature {expand_metric(t, key).name!r}, "
                                  "which is a fixed usage feature; rename the metric")

"""The registry: names, lookups for playbooks and reason codes, and the generated catalogue."""
from __future__ import annotations

from pathlib import Path

import pytest

from data.errors import UpsellError
from features import feature_registry, feature_spec, is_known_feature, known_feature_names, match_per_metric, metric_key
from features.catalogue import DOC_PATH, render_catalogue
from features.registry import FIXED_FEATURES, check_metric_names, render_reason

# The fixed names of the team brief: other engineers code against exactly these.
SHARED_NAMES = """
acct_tenure_days acct_industry acct_region acct_segment acct_size_band acct_plan_tier
sub_is_active sub_plan_tier sub_mrr sub_seats sub_days_to_renewal sub_contract_age_days sub_n_upgrades_365d
sub_n_downgrades_365d sub_mrr_change_365d
pur_days_since_last pur_count_30d pur_count_90d pur_count_365d pur_amount_30d pur_amount_90d pur_amount_365d
pur_avg_order_365d pur_n_categories_365d pur_top_category_365d pur_amount_trend_90d
use_active_days_30d use_days_since_last use_util_last use_util_max_30d use_days_above_80pct_30d
use_days_above_90pct_30d use_days_above_100pct_30d use_value_trend_30d use_active_users_last use_active_users_max_30d
sup_tickets_30d sup_tickets_90d sup_tickets_365d sup_high_or_critical_90d sup_open_tickets sup_open_critical
sup_csat_mean_180d sup_hours_to_close_mean_180d sup_days_since_last_ticket
off_count_365d off_accepted_365d off_rejected_365d off_last_outcome off_days_since_last
off_days_since_last_rejection off_acceptance_rate off_pending off_days_to_reentry
""".split()


def test_fixed_names_are_exactly_the_shared_ones() -> None:
    assert [f.name for f in FIXED_FEATURES] == SHARED_NAMES
    assert known_feature_names() == set(SHARED_NAMES)


def test_categoricals() -> None:
    cats = {f.name for f in FIXED_FEATURES if f.kind == "categorical"}
    assert cats == {"acct_industry", "acct_region", "acct_segment", "acct_size_band", "acct_plan_tier",
                    "sub_plan_tier", "pur_top_category_365d", "off_last_outcome"}


def test_per_metric_expansion_and_matching() -> None:
    names = known_feature_names(["Seats Used", "api-calls"])
    assert {"use_seats_used_util_last", "use_api_calls_trend_30d", "use_api_calls_value_30d",
            "use_seats_used_util_max_30d"} <= names
    assert len(names) == len(SHARED_NAMES) + 8
    assert match_per_metric("use_storage_gb_util_last")[1] == "storage_gb"
    assert match_per_metric("use_value_trend_30d") is None  # the fixed feature, not metric "value"
    assert is_known_feature("use_storage_gb_util_last")
    assert not is_known_feature("use_storage_gb_util_last", metrics=["seats_used"])
    assert not is_known_feature("use_util_last_7d")
    assert metric_key("Data GB (4G)") == "data_gb__4g_"


def test_reason_rendering() -> None:
    assert render_reason("use_seats_used_util_last", 0.96) == "seats_used at 96% of plan"
    assert render_reason("sub_days_to_renewal", 45.2) == "Renewal in 45 days"
    assert render_reason("off_last_outcome", "rejected") == "Last offer: rejected"
    assert render_reason("pur_count_30d", None).endswith("unknown (no data)")
    assert feature_spec("use_api_calls_trend_30d").metric == "api_calls"
    with pytest.raises(KeyError):
        feature_spec("nope")


def test_every_reason_template_renders() -> None:
    for f in feature_registry(["m"]):
        text = f.render_reason("x" if f.kind == "categorical" else 0.5)
        assert "{" not in text and text, f.name


def test_metric_names_that_collide_are_rejected() -> None:
    with pytest.raises(UpsellError, match="both become"):
        check_metric_names(["API calls", "api_calls"])
    with pytest.raises(UpsellError, match="fixed usage feature"):
        check_metric_names(["value"])


def test_committed_catalogue_is_current() -> None:
    path = Path(__file__).resolve().parents[2] / DOC_PATH
    assert path.read_text(encoding="utf-8") == render_catalogue(), (
        "docs/features.md is stale: python -c 'from features.catalogue import write_catalogue; write_catalogue()'")

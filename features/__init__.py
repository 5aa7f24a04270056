"""Point-in-time features, labels and training snapshots (Ibis: DuckDB by default, PySpark too)."""
from features.build import build_features, feature_table
from features.labels import LABELS, build_labels, label_table
from features.registry import (
    FeatureSpec,
    feature_registry,
    feature_spec,
    is_known_feature,
    known_feature_names,
    match_per_metric,
    metric_key,
    render_reason,
)
from features.spine import build_spine
from features.training import build_training_frame, snapshot_cutoffs

__all__ = [
    "LABELS", "FeatureSpec", "build_features", "build_labels", "build_spine", "build_training_frame",
    "feature_registry", "feature_spec", "feature_table", "is_known_feature", "known_feature_names",
    "label_table", "match_per_metric", "metric_key", "render_reason", "snapshot_cutoffs",
]

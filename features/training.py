"""Training frames: features at past snapshots joined with the label that followed each one.

Only snapshots whose label window [t, t + horizon) ends on or before ``as_of`` are used, so a
model trained "as of" a date never sees an outcome from after that date.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import ibis.expr.types as ir
import pandas as pd

from data.errors import UpsellError
from features.build import feature_table, to_canonical_frame
from features.labels import label_table
from features.pit import normalise_cutoffs
from features.registry import feature_spec
from features.spine import build_spine
from features.staging import staged_inputs


def snapshot_cutoffs(as_of: object, horizon_days: int = 90, n_snapshots: int = 12, freq: str = "MS") -> list[pd.Timestamp]:
    """The last ``n_snapshots`` cutoffs on ``freq`` (month starts by default) with cutoff + horizon <= as_of."""
    end = normalise_cutoffs([as_of])[0] - pd.Timedelta(days=int(horizon_days))
    if n_snapshots < 1:
        raise UpsellError(f"n_snapshots must be at least 1, got {n_snapshots}")
    try:
        dates = pd.date_range(end=end, periods=n_snapshots, freq=freq)
    except ValueError as exc:
        raise UpsellError(f"snapshot frequency {freq!r} is not a pandas frequency: {exc}") from exc
    return normalise_cutoffs([d for d in dates if d <= end])


def build_training_frame(tables: Mapping[str, ir.Table], label: str = "expansion", horizon_days: int = 90, *,
                         as_of: object, n_snapshots: int = 12, freq: str = "MS",
                         cutoffs: Iterable[object] | None = None, addon_categories: Iterable[str] = (),
                         metrics: Sequence[str] | None = None, snapshot_attributes: bool = False) -> pd.DataFrame:
    """Features at each snapshot plus ``label`` (0/1), sorted by as_of, account_id.

    Snapshots are ``cutoffs`` if given, else :func:`snapshot_cutoffs`; either way any snapshot
    whose label window ends after ``as_of`` is dropped. Features the data only holds as today's
    value (``point_in_time=False``, e.g. ``acct_plan_tier``) leak the future into past snapshots
    and are left out unless ``snapshot_attributes`` is True.
    """
    end = normalise_cutoffs([as_of])[0]
    horizon = pd.Timedelta(days=int(horizon_days))
    chosen = normalise_cutoffs(cutoffs) if cutoffs is not None else snapshot_cutoffs(end, horizon_days, n_snapshots, freq)
    chosen = [c for c in chosen if c + horizon <= end]
    if not chosen:
        raise UpsellError(f"no snapshot has its {horizon_days}-day label window ending on or before {end.date()}")
    with staged_inputs(tables, chosen) as tables:
        spine = build_spine(tables, chosen).cache()
        cache: list[ir.Table] = [spine]
        try:
            feats = feature_table(tables, chosen, spine=spine, metrics=metrics, cache=cache)
            labels = label_table(tables, spine, label, horizon_days, addon_categories).cache()
            cache.append(labels)
            joined = feats.join(labels, ["account_id", "as_of"]).select(feats, "label")
            frame = joined.to_pandas()
        finally:
            for table in cache:
                try:
                    table.release()
                except Exception:  # noqa: BLE001 - releasing a cache is best effort
                    pass
    out = to_canonical_frame(frame)
    if not snapshot_attributes:
        out = out[[c for c in out.columns if c in ("account_id", "as_of") or feature_spec(c).point_in_time]]
    labels = frame[["account_id", "as_of", "label"]].astype({"account_id": "str", "as_of": "datetime64[us]"})
    out = out.merge(labels, on=["account_id", "as_of"], how="left", validate="one_to_one")
    out["label"] = out["label"].astype("int64")
    return out

"""Account features: tenure and segmentation attributes.

Segmentation columns are optional in the contract; a column absent from the data simply yields
no feature. ``acct_plan_tier`` is the CRM's *current* tier, a snapshot: it is flagged
``point_in_time=False`` in the registry because rebuilding it for past cutoffs leaks later
upgrades (use ``sub_plan_tier`` for history).
"""
from __future__ import annotations

from collections.abc import Mapping

import ibis.expr.types as ir

from features.pit import SourceValues, assemble, days_between, passthrough
from features.registry import feature_registry

SOURCE = "accounts"
_ATTRIBUTES = {"acct_industry": "industry", "acct_region": "region", "acct_segment": "segment",
               "acct_size_band": "size_band", "acct_plan_tier": "plan_tier"}


def accounts_values(tables: Mapping[str, ir.Table], spine: ir.Table) -> SourceValues:
    """Partial values of the acct_* features."""
    accounts = tables[SOURCE]
    cols = set(accounts.columns)
    a = accounts.select("account_id", "created_at", *[c for c in _ATTRIBUTES.values() if c in cols])
    j = spine.join(a, "account_id")
    values = {"acct_tenure_days": days_between(j.as_of, j.created_at)}
    values.update({name: j[col].cast("string") for name, col in _ATTRIBUTES.items() if col in cols})
    return SourceValues((j.select("account_id", "as_of", **values),), passthrough(values))


def build_accounts_features(tables: Mapping[str, ir.Table], spine: ir.Table) -> ir.Table:
    """acct_* features for every spine row."""
    vals = accounts_values(tables, spine)
    names = set(vals.partials[0].columns)
    return assemble(spine, [vals], [f for f in feature_registry() if f.source == SOURCE and f.name in names])

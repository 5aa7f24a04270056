"""Account features: tenure and segmentation attributes.

Segmentation columns are optional in the contract; a column absent from the data simply yields
no feature. ``acct_plan_tier`` is the CRM's *current* tier, a snapshot: it is flagged
``point_in_time=False`` in the registry because rebuilding it for past cutoffs leaks later
upgrades (use ``sub_plan_tier`` for history).
"""
from __future__ import annotations

from collections.abc import Mapping

import ibis.expr.types as ir

from features.pit import SourceValues, assemble, days_between
from features.registry import feature_registry

SOURCE = "accounts"
_ATTRIBUTES = {"acct_industry": "industry", "acct_region": "region", "acct_segment": "segment",
               "acct_size_band": "size_band", "acct_plan_tier": "plan_tier"}


def accounts_values(tables: Mapping[str, ir.Table], spine: ir.Table) -> SourceValues:
    """Partial values of the acct_* features: one row per account, keyed on ``account_id`` alone.

    Nothing here depends on the cutoff but the tenure, which ``finish`` computes from the spine's
    ``as_of``; so the spine meets the accounts table itself (one row per account) in the final
    join instead of a spine-sized copy of it. ``spine`` is not needed.
    """
    accounts = tables[SOURCE]
    cols = set(accounts.columns)
    attributes = {name: accounts[col].cast("string") for name, col in _ATTRIBUTES.items() if col in cols}
    values = accounts.select("account_id", _acct_created_at=accounts.created_at, **attributes)

    def finish(g: ir.Table) -> dict[str, ir.Value]:
        return {"acct_tenure_days": days_between(g.as_of, g._acct_created_at), **{n: g[n] for n in attributes}}

    return SourceValues((values,), finish)


def build_accounts_features(tables: Mapping[str, ir.Table], spine: ir.Table) -> ir.Table:
    """acct_* features for every spine row."""
    vals = accounts_values(tables, spine)
    names = {"acct_tenure_days", *vals.partials[0].columns}
    return assemble(spine, [vals], [f for f in feature_registry() if f.source == SOURCE and f.name in names])

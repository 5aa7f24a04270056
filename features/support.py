"""Support features: ticket volume by window and severity, open tickets, CSAT and time to close.

At cutoff t a ticket opened before t is *open* unless it closed before t; a close on or after t
is not known yet, so neither is its CSAT. CSAT and hours-to-close therefore use tickets closed in
[t - 180 days, t).
"""
from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from features.pit import SourceValues, assemble, days_between, latest_before, spine_cutoffs, window_join
from features.registry import feature_registry

SOURCE = "support_tickets"


def support_values(tables: Mapping[str, ir.Table], spine: ir.Table) -> SourceValues:
    """Partial values of the sup_* features."""
    tickets = tables[SOURCE]
    cuts = spine_cutoffs(spine)
    has_csat = "csat" in tickets.columns
    tk = tickets.select("account_id", "opened_at", "closed_at", "severity",
                        csat=tickets.csat.cast("float64") if has_csat else ibis.null("float64"))

    opened = window_join(tk, "opened_at", cuts, 365)
    age = days_between(opened.as_of, opened.opened_at)
    severe = opened.severity.isin(("high", "critical"))
    volume = opened.group_by(["account_id", "as_of"]).agg(
        sup_tickets_30d=(age <= 30).sum(),
        sup_tickets_90d=(age <= 90).sum(),
        sup_tickets_365d=opened.count(),
        sup_high_or_critical_90d=((age <= 90) & severe).sum(),
    )

    open_at = tk.join(cuts, [tk.opened_at < cuts.as_of, tk.closed_at.isnull() | (tk.closed_at >= cuts.as_of)])
    still_open = open_at.group_by(["account_id", "as_of"]).agg(
        sup_open_tickets=open_at.count(),
        sup_open_critical=(open_at.severity == "critical").sum(),
    )

    closed = window_join(tk.filter(tk.closed_at.notnull()), "closed_at", cuts, 180)
    hours = (closed.closed_at.epoch_seconds() - closed.opened_at.epoch_seconds()).cast("float64") / 3600.0
    resolution = closed.group_by(["account_id", "as_of"]).agg(
        sup_csat_mean_180d=closed.csat.mean(),
        sup_hours_to_close_mean_180d=hours.mean(),
    )

    last = latest_before(spine, tk, "opened_at", "_sup_last_opened")
    names = [c for p in (volume, still_open, resolution) for c in p.columns if c not in ("account_id", "as_of")]
    if not has_csat:
        names.remove("sup_csat_mean_180d")

    def finish(g: ir.Table) -> dict[str, ir.Value]:
        out = {n: g[n] for n in names}
        out["sup_days_since_last_ticket"] = days_between(g.as_of, g._sup_last_opened)
        return out

    return SourceValues((volume, still_open, resolution, last), finish)


def build_support_features(tables: Mapping[str, ir.Table], spine: ir.Table) -> ir.Table:
    """sup_* features for every spine row."""
    has_csat = "csat" in tables[SOURCE].columns
    specs = [f for f in feature_registry() if f.source == SOURCE and (has_csat or f.name != "sup_csat_mean_180d")]
    return assemble(spine, [support_values(tables, spine)], specs)

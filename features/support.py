"""Support features: ticket volume by window and severity, open tickets, CSAT and time to close.

At cutoff t a ticket opened before t is *open* unless it closed before t; a close on or after t
is not known yet, so neither is its CSAT. CSAT and hours-to-close therefore use tickets closed in
[t - 180 days, t).
"""
from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from features.pit import SourceValues, assemble, days_between, exact_mean, spine_cutoffs
from features.registry import feature_registry

SOURCE = "support_tickets"


def support_values(tables: Mapping[str, ir.Table], spine: ir.Table) -> SourceValues:
    """Partial values of the sup_* features."""
    tickets = tables[SOURCE]
    cuts = spine_cutoffs(spine)
    has_csat = "csat" in tickets.columns
    tk = tickets.select("account_id", "opened_at", "closed_at", "severity",
                        csat=tickets.csat.cast("float64") if has_csat else ibis.null("float64"))

    j = tk.join(cuts, tk.opened_at < cuts.as_of)  # tickets are few per account: all history
    age = days_between(j.as_of, j.opened_at)
    severe = j.severity.isin(("high", "critical"))
    is_open = j.closed_at.isnull() | (j.closed_at >= j.as_of)
    closed_recently = ~is_open & (j.closed_at >= j.as_of - ibis.interval(days=180))
    hours = (j.closed_at.epoch_seconds() - j.opened_at.epoch_seconds()).cast("float64") / 3600.0
    aggs = {
        "sup_tickets_30d": (age <= 30).sum(),
        "sup_tickets_90d": (age <= 90).sum(),
        "sup_tickets_365d": (age <= 365).sum(),
        "sup_high_or_critical_90d": ((age <= 90) & severe).sum(),
        "sup_open_tickets": is_open.sum(),
        "sup_open_critical": (is_open & (j.severity == "critical")).sum(),
        "sup_hours_to_close_mean_180d": exact_mean(hours, where=closed_recently),
        "_sup_last_opened": j.opened_at.max(),
    }
    if has_csat:
        aggs["sup_csat_mean_180d"] = exact_mean(j.csat, where=closed_recently)
    values = j.group_by(["account_id", "as_of"]).agg(**aggs)
    names = [n for n in aggs if not n.startswith("_")]

    def finish(g: ir.Table) -> dict[str, ir.Value]:
        out = {n: g[n] for n in names}
        out["sup_days_since_last_ticket"] = days_between(g.as_of, g._sup_last_opened)
        return out

    return SourceValues((values,), finish)


def build_support_features(tables: Mapping[str, ir.Table], spine: ir.Table) -> ir.Table:
    """sup_* features for every spine row."""
    has_csat = "csat" in tables[SOURCE].columns
    specs = [f for f in feature_registry() if f.source == SOURCE and (has_csat or f.name != "sup_csat_mean_180d")]
    return assemble(spine, [support_values(tables, spine)], specs)

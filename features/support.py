"""Support features: ticket volume by window and severity, open tickets, CSAT and time to close.

At cutoff t a ticket opened before t is *open* unless it closed before t; a close on or after t
is not known yet, so neither is its CSAT. CSAT and hours-to-close therefore use tickets closed in
[t - 180 days, t).
"""
from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from features.pit import attach, days_between, latest_before, spine_cutoffs, window_join
from features.registry import feature_registry

SOURCE = "support_tickets"


def build_support_features(tables: Mapping[str, ir.Table], spine: ir.Table) -> ir.Table:
    """sup_* features for every spine row."""
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

    values = latest_before(spine, tk, "opened_at", "last_opened")  # exactly the spine's rows
    for part in (volume, still_open, resolution):
        values = values.left_join(part, ["account_id", "as_of"]).select(
            values, *[c for c in part.columns if c not in ("account_id", "as_of")])
    values = values.mutate(sup_days_since_last_ticket=days_between(values.as_of, values.last_opened))
    specs = [f for f in feature_registry() if f.source == SOURCE and (has_csat or f.name != "sup_csat_mean_180d")]
    return attach(spine, values, specs)

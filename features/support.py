"""Support features: ticket volume by window and severity, open tickets, CSAT and time to close.

At cutoff t a ticket opened before t is *open* unless it closed before t; a close on or after t
is not known yet, so neither is its CSAT. CSAT and hours-to-close therefore use tickets closed in
[t - 180 days, t).

A ticket meets only the cutoffs it can count at: those within a year of its opening (the
windowed counts), and, for the few tickets that stayed open for more than 180 days, any later
cutoff (still open, or closed within its 180 days). So the work grows with the tickets of the
last year, not with the whole history; "days since the last ticket" is a latest-before value.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from features.pit import (
    SourceValues, assemble, cutoffs_table, days_between, exact_mean, latest_before, spine_cutoff_values, window_join,
)
from features.registry import feature_registry

SOURCE = "support_tickets"
COUNT_DAYS = 365  # the longest window of the ticket counts
CLOSED_DAYS = 180  # CSAT and hours to close: tickets closed in the last 180 days


def support_values(tables: Mapping[str, ir.Table], spine: ir.Table,
                   cutoffs: Sequence[pd.Timestamp] | None = None) -> SourceValues:
    """Partial values of the sup_* features.

    ``cutoffs`` are the spine's cutoffs when the caller knows them (saves a small query).
    """
    tickets = tables[SOURCE]
    cutoffs = cutoffs if cutoffs is not None else spine_cutoff_values(spine)
    has_csat = "csat" in tickets.columns
    tk = tickets.select("account_id", "opened_at", "closed_at", "severity",
                        csat=tickets.csat.cast("float64") if has_csat else ibis.null("float64"))
    recent = window_join(tk, "opened_at", cutoffs, COUNT_DAYS)
    # An older ticket matters at t only while open at t or closed in [t - 180 days, t): then it
    # was open for more than 185 days (ties and nulls included here, so nothing is missed).
    lasting = tk.filter(tk.closed_at.isnull() | (tk.closed_at >= tk.opened_at + ibis.interval(days=CLOSED_DAYS)))
    cuts = cutoffs_table(cutoffs)
    older = lasting.join(cuts, lasting.opened_at < cuts.as_of - ibis.interval(days=COUNT_DAYS))
    columns = ["account_id", "opened_at", "closed_at", "severity", "csat", "as_of"]
    j = recent.select(*columns).union(older.select(*columns))

    age = days_between(j.as_of, j.opened_at)
    severe = j.severity.isin(("high", "critical"))
    is_open = j.closed_at.isnull() | (j.closed_at >= j.as_of)
    closed_recently = ~is_open & (j.closed_at >= j.as_of - ibis.interval(days=CLOSED_DAYS))
    hours = (j.closed_at.epoch_seconds() - j.opened_at.epoch_seconds()).cast("float64") / 3600.0
    aggs = {
        "sup_tickets_30d": (age <= 30).sum(),
        "sup_tickets_90d": (age <= 90).sum(),
        "sup_tickets_365d": (age <= COUNT_DAYS).sum(),
        "sup_high_or_critical_90d": ((age <= 90) & severe).sum(),
        "sup_open_tickets": is_open.sum(),
        "sup_open_critical": (is_open & (j.severity == "critical")).sum(),
        "sup_hours_to_close_mean_180d": exact_mean(hours, where=closed_recently),
    }
    if has_csat:
        aggs["sup_csat_mean_180d"] = exact_mean(j.csat, where=closed_recently)
    values = j.group_by(["account_id", "as_of"]).agg(**aggs)
    last = latest_before(spine, tk, "opened_at", "_sup_last_opened", cutoffs)

    def finish(g: ir.Table) -> dict[str, ir.Value]:
        out = {n: g[n] for n in aggs}
        out["sup_days_since_last_ticket"] = days_between(g.as_of, g._sup_last_opened)
        return out

    return SourceValues((values, last), finish)


def build_support_features(tables: Mapping[str, ir.Table], spine: ir.Table) -> ir.Table:
    """sup_* features for every spine row."""
    has_csat = "csat" in tables[SOURCE].columns
    specs = [f for f in feature_registry() if f.source == SOURCE and (has_csat or f.name != "sup_csat_mean_180d")]
    return assemble(spine, [support_values(tables, spine)], specs)

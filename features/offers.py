"""Offer features: the SOP's own history with the account, as known at the cutoff.

An offer's outcome is known at t only if it came before t: an offer with ``outcome_at`` on or
after t is *pending* at t. An outcome without ``outcome_at`` is taken as known when the offer was
made (the same rule the ``expansion`` label uses). Control-group rows (``is_control``) were not
actually offered and are ignored.
"""
from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from features.pit import SourceValues, assemble, days_between, spine_cutoffs
from features.registry import feature_registry

SOURCE = "offers"


def treated_offers(offers: ir.Table) -> ir.Table:
    """Offers actually made (control-group rows dropped) with ``decided_at``: when the outcome became known."""
    o = offers
    if "is_control" in o.columns:
        o = o.filter(o.is_control.isnull() | ~o.is_control)
    decided_at = ibis.ifelse(o.outcome == "pending", ibis.null("timestamp"),
                             ibis.coalesce(o.outcome_at, o.offered_at))
    return o.mutate(decided_at=decided_at)


def offers_values(tables: Mapping[str, ir.Table], spine: ir.Table) -> SourceValues:
    """Partial values of the off_* features."""
    offers = treated_offers(tables[SOURCE])
    cuts = spine_cutoffs(spine)
    has_reentry = "reenter_at" in offers.columns
    o = offers.select("offer_id", "account_id", "offered_at", "outcome", "decided_at",
                      reenter_at=offers.reenter_at if has_reentry else ibis.null("timestamp"))
    j = o.join(cuts, o.offered_at < cuts.as_of)  # offers are few per account: all history
    known = j.decided_at.notnull() & (j.decided_at < j.as_of)
    outcome = ibis.ifelse(known, j.outcome, "pending")
    latest_first = ibis.window(group_by=["account_id", "as_of"], order_by=[ibis.desc("offered_at"), ibis.desc("offer_id")])
    j = j.mutate(known_outcome=outcome, in_year=days_between(j.as_of, j.offered_at) <= 365,
                 is_last=ibis.row_number().over(latest_first) == 0)
    accepted = j.known_outcome == "accepted"
    rejected = j.known_outcome == "rejected"
    agg = j.group_by(["account_id", "as_of"]).agg(
        off_count_365d=j.in_year.sum(),
        off_accepted_365d=(j.in_year & accepted).sum(),
        off_rejected_365d=(j.in_year & rejected).sum(),
        _off_n_accepted=accepted.sum(),
        _off_n_decided=(accepted | rejected).sum(),
        off_pending=(j.known_outcome == "pending").sum(),
        _off_last_offered=j.offered_at.max(),
        _off_last_rejection=j.decided_at.max(where=rejected),
        _off_reenter=j.reenter_at.max(where=j.known_outcome == "deferred"),
        off_last_outcome=j.known_outcome.max(where=j.is_last),
    )

    def finish(g: ir.Table) -> dict[str, ir.Value]:
        out = {n: g[n] for n in ("off_count_365d", "off_accepted_365d", "off_rejected_365d", "off_pending",
                                 "off_last_outcome")}
        out["off_days_since_last"] = days_between(g.as_of, g._off_last_offered)
        out["off_days_since_last_rejection"] = days_between(g.as_of, g._off_last_rejection)
        out["off_acceptance_rate"] = ibis.ifelse(g._off_n_decided > 0, g._off_n_accepted.cast("float64") / g._off_n_decided,
                                                 ibis.null("float64"))
        if has_reentry:
            out["off_days_to_reentry"] = days_between(g._off_reenter, g.as_of)
        return out

    return SourceValues((agg,), finish)


def build_offers_features(tables: Mapping[str, ir.Table], spine: ir.Table) -> ir.Table:
    """off_* features for every spine row."""
    has_reentry = "reenter_at" in tables[SOURCE].columns
    specs = [f for f in feature_registry() if f.source == SOURCE and (has_reentry or f.name != "off_days_to_reentry")]
    return assemble(spine, [offers_values(tables, spine)], specs)

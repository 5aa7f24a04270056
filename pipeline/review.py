"""Step 7 of the SOP: review and optimise with performance data.

``build_review`` is a pure function over frames (offers, the score history, today's list,
optionally subscriptions, training/current features and a playbook) that returns every figure
of the review as dicts and DataFrames; ``review_to_json`` and ``pipeline.review_html`` render
them. Sections:

1. Conversion and revenue of past offers by score band, decision node, action, offer type,
   channel and owner role. Each offer is attributed to the account's latest score *before* the
   offer (the score history holds one scored list per night), within ``horizon_days``; older or
   missing scores leave the offer "unscored". Band, node and action come from that score row;
   offer type is the offer's own; channel and owner role are what the offer actually used
   (falling back to the score row). Control offers (``is_control``: held out, nothing was sent)
   are reported apart, as control conversion and uplift (overall, and per offer type against the
   same type's controls, else the pooled control), and left out of every other figure
   (``pipeline.review_control``).
2. Realised calibration of past scores (``pipeline.review_calibration``).
3. Progress against the playbook's revenue target for the current period.
4. Drift of today's features and scores against the training data (``pipeline.review_drift``).
5. A recommended score threshold under the human capacity (``pipeline.review_threshold``).
6. The SOP diagram annotated with today's counts per node (from the playbook layer, if present).
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from data.errors import UpsellError
from pipeline.review_calibration import calibration_summary, calibration_table, realised_outcomes
from pipeline.review_control import DECIDED, held_out, treated_offers, with_control_uplift
from pipeline.review_drift import MAJOR_ABOVE, STABLE_BELOW, drift_table
from pipeline.review_threshold import human_capacity, threshold_table

DEFAULT_HORIZON_DAYS = 90
DEFAULT_CALIBRATION_NIGHTS = 12
DIMENSIONS: tuple[str, ...] = ("score_band", "final_node", "action", "offer_type", "channel", "owner_role")
UNSCORED = "(unscored)"
MISSING = "(none)"
PERIOD_FREQ = {"month": "M", "quarter": "Q", "year": "Y"}


@dataclass
class ReviewResult:
    """Every figure of one review. DataFrames are tidy tables; dicts hold scalars."""

    as_of: str
    settings: dict[str, Any]
    summary: dict[str, Any]
    conversion: dict[str, pd.DataFrame]
    calibration: pd.DataFrame
    calibration_summary: dict[str, Any]
    revenue: dict[str, Any]
    drift: pd.DataFrame
    drift_summary: dict[str, Any]
    threshold: pd.DataFrame
    recommendation: dict[str, Any]
    sop: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: tables as lists of records, NaN as null, timestamps as ISO strings."""
        return _jsonable({
            "as_of": self.as_of,
            "settings": self.settings,
            "summary": self.summary,
            "conversion": {k: v for k, v in self.conversion.items()},
            "calibration": {"summary": self.calibration_summary, "bins": self.calibration},
            "revenue": self.revenue,
            "drift": {"summary": self.drift_summary, "features": self.drift},
            "threshold": {"recommendation": self.recommendation, "candidates": self.threshold},
            "sop": self.sop,
            "notes": self.notes,
        })


def review_to_json(result: ReviewResult) -> str:
    """The review as deterministic JSON (sorted keys, 2-space indent, trailing newline)."""
    return json.dumps(result.to_dict(), indent=2, sort_keys=True, allow_nan=False) + "\n"


def build_review(
    offers: pd.DataFrame | None,
    history: pd.DataFrame | None,
    *,
    as_of: str | pd.Timestamp | None = None,
    today: pd.DataFrame | None = None,
    subscriptions: pd.DataFrame | None = None,
    purchases: pd.DataFrame | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    since: str | pd.Timestamp | None = None,
    playbook: Any | None = None,
    revenue_target: float | None = None,
    target_period: str | None = None,
    period_start: str | pd.Timestamp | None = None,
    period_end: str | pd.Timestamp | None = None,
    capacity: int | Mapping[str, int | None] | None = None,
    cost_per_contact: float = 0.0,
    min_offers_per_cell: int | None = None,
    calibration_nights: int | None = DEFAULT_CALIBRATION_NIGHTS,
    reference: pd.DataFrame | None = None,
    current_features: pd.DataFrame | None = None,
) -> ReviewResult:
    """Build the review as of ``as_of`` (default: the latest night in ``history``).

    Explicit arguments win over what the ``playbook`` says (revenue target and period, role
    capacities, score bands, smallest judged cell). ``today`` defaults to the history's latest
    night at or before ``as_of``. ``reference``/``current_features`` are training and today's feature frames for drift
    (include ``score`` in both to see score drift). ``purchases`` matter only when the playbook names
    add-on categories (``objective.addon_categories``): buying one is an expansion, as in the label. Only offers made up to ``as_of`` (an offer
    stamped at its midnight, as a night's own offers are, included) and from ``since`` are
    reviewed, so the same inputs always give the same review. Realised calibration
    uses the ``calibration_nights`` most recent nights whose horizon has closed (None: all).
    """
    notes: list[str] = []
    from_playbook = playbook_review_settings(playbook) if playbook is not None else {}
    history = _normalise_history(history)
    review_date = _review_date(as_of, history)
    if today is None and history is not None:
        earlier = history.loc[history["as_of"] <= review_date, "as_of"]
        if earlier.empty:
            notes.append(f"no scored list in the history on or before {review_date.date()}: today's sections are empty")
            today = history.iloc[0:0]
        else:
            latest = earlier.max()
            today = history[history["as_of"] == latest]
            if latest != review_date:
                notes.append(f"today's list is the latest night before the review date: {latest.date()}")
    today = _normalise_history(today) if today is not None else None
    offers = _normalise_offers(offers)
    revenue_target = revenue_target if revenue_target is not None else from_playbook.get("revenue_target")
    target_period = target_period or from_playbook.get("period") or "quarter"
    capacity_source = "as given" if capacity is not None else (
        "playbook roles' weekly_capacity" if from_playbook.get("capacity") is not None else None)
    capacity = capacity if capacity is not None else from_playbook.get("capacity")
    min_cell = min_offers_per_cell or from_playbook.get("min_offers_per_cell") or 30

    reviewed = _offers_in_window(offers, review_date, since)
    attributed = attribute_offers(reviewed, history, horizon_days)
    treated = treated_offers(attributed)
    conversion = {dim: conversion_by(treated, dim, min_cell) for dim in DIMENSIONS}
    control = attributed[held_out(attributed)]
    conversion["offer_type"] = with_control_uplift(conversion["offer_type"], control,
                                                   dimension_values(control, "offer_type"))
    summary = _summary(attributed)
    if len(reviewed) == 0:
        notes.append("no offers before the review date: conversion tables are empty")
    elif len(treated) == 0:
        notes.append(f"only control offers ({len(reviewed)}) before the review date: conversion tables are empty")
    elif summary["unscored_offers"]:
        notes.append(f"{summary['unscored_offers']} offer(s) had no score in the {horizon_days} days before them "
                     f"(band/node/action '{UNSCORED}')")

    if history is not None:
        addons = tuple(from_playbook.get("addon_categories", ()))
        outcomes = realised_outcomes(history, offers, subscriptions, review_date, horizon_days,
                                     max_nights=calibration_nights, purchases=purchases, addon_categories=addons)
        calib = calibration_table(outcomes)
        calib_summary = calibration_summary(outcomes, calib, horizon_days)
        calib_summary["label_sources"] = ["accepted offers"] + (["MRR increases"] if subscriptions is not None else []) + (
            [f"add-on purchases ({', '.join(addons)})"] if addons and purchases is not None else [])
        if calib_summary["n"] == 0:
            notes.append(f"no scoring night is {horizon_days}+ days old yet: realised calibration is empty")
    else:
        calib, calib_summary = calibration_table(pd.DataFrame()), calibration_summary(pd.DataFrame(), pd.DataFrame(), horizon_days)
        notes.append("no score history: calibration and attribution by band/node/action are empty")

    revenue = revenue_progress(offers, review_date, revenue_target, target_period, period_start, period_end, today)
    if revenue_target is None:
        notes.append("no revenue target (give one or a playbook): progress shows revenue only")

    if reference is not None and current_features is not None:
        drift = drift_table(reference, current_features)
        drift_summary = {
            "features": int(len(drift)),
            "stable": int((drift["status"] == "stable").sum()),
            "moderate": int((drift["status"] == "moderate").sum()),
            "major": int((drift["status"] == "major").sum()),
            "thresholds": {"stable_below": STABLE_BELOW, "major_above": MAJOR_ABOVE},
            "n_reference": int(len(reference)),
            "n_current": int(len(current_features)),
            "score_psi": _score_psi(drift),
        }
    else:
        drift = drift_table(pd.DataFrame(), pd.DataFrame(), columns=[])
        drift_summary = {"features": 0, "thresholds": {"stable_below": STABLE_BELOW, "major_above": MAJOR_ABOVE}}
        notes.append("no training reference and current features given: drift not computed")

    total_capacity = human_capacity(capacity)
    bands = from_playbook.get("bands") or (_bands_from(today) if today is not None else [])
    if today is not None and len(today):
        made = treated_offers(reviewed)
        accepted = made.loc[made["outcome"] == "accepted", "revenue"].dropna()
        per_acceptance = float(accepted.mean()) if len(accepted) else None
        threshold, recommendation = threshold_table(today, bands, total_capacity, cost_per_contact=cost_per_contact,
                                                    revenue_per_acceptance=per_acceptance)
        recommendation["capacity_source"] = capacity_source
        if total_capacity is None:
            notes.append("no human capacity given: the threshold recommendation is unconstrained")
    else:
        threshold, recommendation = pd.DataFrame(), {}
    sop = sop_section(playbook, today, conversion["final_node"])
    settings = {
        "horizon_days": horizon_days,
        "since": None if since is None else pd.Timestamp(since).strftime("%Y-%m-%d"),
        "revenue_target": revenue_target,
        "target_period": target_period,
        "capacity": dict(capacity) if isinstance(capacity, Mapping) else capacity,
        "cost_per_contact": cost_per_contact,
        "min_offers_per_cell": min_cell,
        "calibration_nights": calibration_nights,
        "playbook": from_playbook.get("name"),
    }
    return ReviewResult(
        as_of=review_date.strftime("%Y-%m-%d"), settings=settings, summary=summary, conversion=conversion,
        calibration=calib, calibration_summary=calib_summary, revenue=revenue, drift=drift,
        drift_summary=drift_summary, threshold=threshold, recommendation=recommendation, sop=sop, notes=notes,
    )


def attribute_offers(offers: pd.DataFrame, history: pd.DataFrame | None, horizon_days: int) -> pd.DataFrame:
    """Each offer with the score row of its account's latest night at or before ``offered_at``.

    Scores older than ``horizon_days`` are not attributed (the prediction no longer covered the
    offer). Adds ``score``, ``score_band``, ``final_node``, ``action``, ``scored_as_of``; the offer's
    own channel/owner_role win over the score row's.
    """
    out = offers.copy()
    score_cols = ["score", "score_band", "final_node", "action", "channel", "owner_role"]
    if history is None or out.empty:
        for col in ("score", "scored_as_of"):
            out[col] = np.nan if col == "score" else pd.NaT
        for col in ("score_band", "final_node", "action"):
            out[col] = UNSCORED
        return out
    present = [c for c in score_cols if c in history.columns]
    right = history[["account_id", "as_of", *present]].rename(
        columns={"as_of": "scored_as_of", "channel": "_sc_channel", "owner_role": "_sc_owner_role"})
    right = right.sort_values("scored_as_of", kind="mergesort")
    left = out.reset_index().sort_values("offered_at", kind="mergesort")
    merged = pd.merge_asof(left, right, left_on="offered_at", right_on="scored_as_of", by="account_id",
                           direction="backward", tolerance=pd.Timedelta(days=horizon_days))
    merged = merged.sort_values("index").set_index("index").rename_axis(None)
    for col in ("channel", "owner_role"):
        fallback = f"_sc_{col}"
        if fallback in merged.columns:
            merged[col] = merged[col].where(merged[col].notna(), merged[fallback])
            merged = merged.drop(columns=[fallback])
    scored = merged["scored_as_of"].notna()
    for col in ("score_band", "final_node", "action"):
        if col not in merged.columns:
            merged[col] = MISSING
        merged[col] = merged[col].astype("object").where(merged[col].notna(), MISSING)
        merged.loc[~scored, col] = UNSCORED
    if "score" not in merged.columns:
        merged["score"] = np.nan
    return merged


def conversion_by(attributed: pd.DataFrame, dimension: str, min_offers: int = 30) -> pd.DataFrame:
    """Offers, outcomes, conversion (accepted / decided) and revenue per value of ``dimension``.

    ``enough_data`` is False for groups with fewer than ``min_offers`` decided offers: too few to
    judge (the playbook's ``review.min_offers_per_cell``).
    """
    columns = ["value", "offers", "decided", "accepted", "rejected", "deferred", "no_response", "pending",
               "conversion", "revenue", "revenue_per_offer", "mean_score", "enough_data"]
    if attributed.empty:
        return pd.DataFrame(columns=columns)
    frame = attributed.assign(_value=dimension_values(attributed, dimension))
    rows = []
    for value, group in frame.groupby("_value", sort=True):
        outcome = group["outcome"]
        decided = int(outcome.isin(DECIDED).sum())
        accepted = int((outcome == "accepted").sum())
        revenue = float(group.loc[outcome == "accepted", "revenue"].fillna(0.0).sum())
        rows.append({
            "value": value,
            "offers": len(group),
            "decided": decided,
            "accepted": accepted,
            "rejected": int((outcome == "rejected").sum()),
            "deferred": int((outcome == "deferred").sum()),
            "no_response": int((outcome == "no_response").sum()),
            "pending": int((outcome == "pending").sum()),
            "conversion": accepted / decided if decided else float("nan"),
            "revenue": revenue,
            "revenue_per_offer": revenue / len(group),
            "mean_score": float(group["score"].mean()) if group["score"].notna().any() else float("nan"),
            "enough_data": decided >= min_offers,
        })
    table = pd.DataFrame(rows, columns=columns)
    if dimension == "score_band":  # highest band first
        table = table.sort_values(["mean_score", "value"], ascending=[False, True], na_position="last", kind="mergesort")
    else:
        table = table.sort_values(["offers", "value"], ascending=[False, True], kind="mergesort")
    return table.reset_index(drop=True)


def dimension_values(offers: pd.DataFrame, dimension: str) -> pd.Series:
    """Each offer's value of ``dimension`` as text, as the conversion tables show it (none: ``(none)``)."""
    if dimension not in offers.columns:
        return pd.Series(MISSING, index=offers.index, dtype="str")
    values = offers[dimension].astype("object")
    return values.where(values.notna(), MISSING).astype("str")


def revenue_progress(
    offers: pd.DataFrame,
    as_of: pd.Timestamp,
    target: float | None,
    period: str = "quarter",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    today: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Accepted revenue in the target period up to ``as_of``, against the target, with a run-rate projection.

    The period is the calendar month/quarter/year holding ``as_of`` unless ``start``/``end`` are
    given (end exclusive). Revenue is dated by ``outcome_at`` (else ``offered_at``). Control offers
    (``is_control``) are not offers the SOP made: their purchases are neither accepted offers nor
    realised revenue, and a pending one is not a pending offer.
    """
    if period not in PERIOD_FREQ:
        raise UpsellError(f"review: target period {period!r} is not one of {', '.join(PERIOD_FREQ)}")
    span = pd.Period(as_of, freq=PERIOD_FREQ[period])
    begin = pd.Timestamp(start) if start is not None else span.start_time.normalize()
    finish = pd.Timestamp(end) if end is not None else (span.end_time.normalize() + pd.Timedelta(days=1))
    if finish <= begin:
        raise UpsellError(f"review: the target period ends ({finish.date()}) before it starts ({begin.date()})")
    offers = treated_offers(offers)
    accepted = offers[offers["outcome"] == "accepted"]
    when = accepted["outcome_at"].fillna(accepted["offered_at"])
    inside = (when >= begin) & (when < finish) & (when <= as_of)
    realised = float(accepted.loc[inside, "revenue"].fillna(0.0).sum())
    elapsed = float(np.clip((as_of - begin) / (finish - begin), 0.0, 1.0))
    projected = realised / elapsed if elapsed > 0 else None
    pending = offers[(offers["outcome"] == "pending") & (offers["offered_at"] <= as_of)]
    result: dict[str, Any] = {
        "period": period if start is None and end is None else "custom",
        "period_start": begin.strftime("%Y-%m-%d"),
        "period_end": finish.strftime("%Y-%m-%d"),
        "elapsed_fraction": elapsed,
        "realised_revenue": realised,
        "accepted_offers": int(inside.sum()),
        "pending_offers": int(len(pending)),
        "projected_revenue": projected,
        "target": target,
        "progress": realised / target if target else None,
        "projected_vs_target": projected / target if target and projected is not None else None,
        "on_track": (projected >= target) if target and projected is not None else None,
        "expected_value_today": float(today["expected_value"].fillna(0).sum())
        if today is not None and "expected_value" in today.columns else None,
    }
    return result


def playbook_review_settings(playbook: Any) -> dict[str, Any]:
    """What the review takes from a playbook: name, revenue target and period, weekly role capacities,
    score bands and the smallest judged cell. Missing parts are simply absent."""
    out: dict[str, Any] = {"name": getattr(playbook, "name", None)}
    objective = getattr(playbook, "objective", None)
    if objective is not None:
        out["revenue_target"] = getattr(objective, "revenue_target", None)
        out["period"] = getattr(objective, "period", None)
        if getattr(objective, "addon_categories", None):
            out["addon_categories"] = tuple(objective.addon_categories)
    roles = getattr(playbook, "roles", None) or {}
    if roles:
        out["capacity"] = {str(name): getattr(role, "weekly_capacity", None) for name, role in roles.items()}
    bands = getattr(playbook, "score_bands", None) or []
    if bands:
        out["bands"] = [(str(b.name), float(b.min_score)) for b in bands]
    review = getattr(playbook, "review", None)
    if review is not None:
        out["min_offers_per_cell"] = getattr(review, "min_offers_per_cell", None)
    return {k: v for k, v in out.items() if v is not None}


def sop_section(playbook: Any | None, today: pd.DataFrame | None, by_node: pd.DataFrame) -> dict[str, Any]:
    """Counts per SOP step today (accounts whose decision path passes it), conversion per final node,
    and the playbook layer's Mermaid text (and SVG, if it offers one) annotated with the counts."""
    counts: dict[str, int] = {}
    if today is not None and "decision_path" in today.columns:
        steps = today["decision_path"].dropna().astype("str").str.split(">").explode().str.strip()
        steps = steps[steps != ""]
        counts.update({str(k): int(v) for k, v in steps.value_counts().sort_index().items()})
    for col in ("action", "final_node"):
        if today is not None and col in today.columns:
            for k, v in today[col].dropna().astype("str").value_counts().sort_index().items():
                counts.setdefault(str(k), int(v))
    conversion = {str(r["value"]): (None if math.isnan(r["conversion"]) else float(r["conversion"]))
                  for _, r in by_node.iterrows()} if len(by_node) else {}
    section: dict[str, Any] = {"counts": counts, "conversion_by_final_node": conversion, "mermaid": None, "svg": None}
    if playbook is None:
        return section
    try:
        from pipeline.playbook import diagram as diagram_module  # the playbook team's module
        from pipeline.playbook.schema import Playbook
    except ImportError:
        section["note"] = "the playbook layer offers no diagram"
        return section
    if not isinstance(playbook, Playbook):
        section["note"] = "the SOP diagram needs a loaded playbook"
        return section
    section["mermaid"] = str(diagram_module.playbook_diagram(playbook, counts))
    draw_svg = getattr(diagram_module, "playbook_svg", None)
    if draw_svg is not None:
        section["svg"] = str(draw_svg(playbook, counts))
    return section


def _summary(attributed: pd.DataFrame) -> dict[str, Any]:
    treated = treated_offers(attributed)
    control = attributed[attributed["is_control"]]

    def rate(frame: pd.DataFrame) -> float | None:
        decided = frame["outcome"].isin(DECIDED).sum()
        return float((frame["outcome"] == "accepted").sum() / decided) if decided else None

    accepted = treated["outcome"] == "accepted"
    out = {
        "offers": int(len(treated)),
        "decided": int(treated["outcome"].isin(DECIDED).sum()),
        "accepted": int(accepted.sum()),
        "conversion": rate(treated),
        "revenue": float(treated.loc[accepted, "revenue"].fillna(0.0).sum()),
        "unscored_offers": int((treated["score_band"] == UNSCORED).sum()) if len(treated) else 0,
        "first_offer": treated["offered_at"].min().strftime("%Y-%m-%d") if len(treated) else None,
        "last_offer": treated["offered_at"].max().strftime("%Y-%m-%d") if len(treated) else None,
        "control_offers": int(len(control)),
        "control_conversion": rate(control) if len(control) else None,
    }
    if out["conversion"] is not None and out["control_conversion"] is not None:
        out["uplift"] = out["conversion"] - out["control_conversion"]
    return out


def _review_date(as_of: str | pd.Timestamp | None, history: pd.DataFrame | None) -> pd.Timestamp:
    if as_of is not None:
        return pd.Timestamp(as_of).tz_localize(None) if pd.Timestamp(as_of).tzinfo else pd.Timestamp(as_of)
    if history is None or history.empty:
        raise UpsellError("review: no score history to take the review date from; give --as-of")
    return pd.Timestamp(history["as_of"].max())


def _offers_in_window(offers: pd.DataFrame, as_of: pd.Timestamp, since: str | pd.Timestamp | None) -> pd.DataFrame:
    """Offers made from ``since`` up to the review date (an offer dated at it, midnight, included)."""
    mask = offers["offered_at"] <= as_of
    if since is not None:
        if pd.Timestamp(since) > as_of:
            raise UpsellError(f"review: since {pd.Timestamp(since).date()} is after the review date {as_of.date()}: "
                              "no offer could be reviewed")
        mask &= offers["offered_at"] >= pd.Timestamp(since)
    return offers[mask]


def _normalise_history(history: pd.DataFrame | None) -> pd.DataFrame | None:
    if history is None:
        return None
    for col in ("account_id", "as_of", "score"):
        if col not in history.columns:
            raise UpsellError(f"review: the score history has no column {col!r} (columns: {', '.join(map(str, history.columns))})")
    out = history.copy()
    out["account_id"] = out["account_id"].astype("str")
    out["as_of"] = utc_timestamps(out["as_of"], "the score history's as_of")
    return out


def utc_timestamps(values: pd.Series, what: str) -> pd.Series:
    """``values`` as naive UTC timestamps: text is read as ISO 8601 only (a re-saved 01/06/2026
    is refused, not guessed), values with an offset are converted to UTC."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[us]")
    text = values.astype("str").str.strip().where(values.notna())
    parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    bad = text.notna() & parsed.isna()
    if bad.any():
        examples = ", ".join(repr(v) for v in text[bad].unique()[:5])
        raise UpsellError(f"{what}: {int(bad.sum())} value(s) are not ISO 8601 dates (YYYY-MM-DD), e.g. {examples}")
    return parsed.dt.tz_localize(None).astype("datetime64[us]")


def _normalise_offers(offers: pd.DataFrame | None) -> pd.DataFrame:
    columns = {"offer_id": "str", "account_id": "str", "offered_at": "datetime64[us]", "offer_type": "str",
               "channel": "str", "owner_role": "str", "outcome": "str", "outcome_at": "datetime64[us]",
               "revenue": "float64"}
    if offers is None:
        frame = pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    else:
        frame = offers.copy()
        for col, dtype in columns.items():
            if col not in frame.columns:
                frame[col] = pd.Series(None, index=frame.index, dtype=dtype)
        frame["account_id"] = frame["account_id"].astype("str")
        for col in ("offered_at", "outcome_at"):
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[us]")
    control = frame["is_control"] if "is_control" in frame.columns else pd.Series(False, index=frame.index)
    frame["is_control"] = control.fillna(False).astype(bool)
    return frame.reset_index(drop=True)


def _bands_from(today: pd.DataFrame) -> list[tuple[str, float]]:
    if "score_band" not in today.columns:
        return []
    lows = today.dropna(subset=["score_band"]).groupby("score_band")["score"].min()
    return [(str(k), float(v)) for k, v in lows.sort_values(ascending=False).items()]


def _score_psi(drift: pd.DataFrame) -> float | None:
    row = drift[drift["feature"] == "score"]
    return None if row.empty or math.isnan(row["psi"].iloc[0]) else float(row["psi"].iloc[0])


def _jsonable(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return [_jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return None if pd.isna(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value

"""Render a ``ReviewResult`` as one self-contained HTML page (inline CSS, base64 PNG charts).

No scripts, fonts or images are fetched: the page opens offline and can be mailed as one file.
The SOP diagram is included as Mermaid text in ``<pre class="mermaid">`` (a viewer that has
Mermaid renders it; otherwise it reads as text), plus an inline SVG when the playbook layer
draws one. Same result → same bytes.
"""
from __future__ import annotations

import base64
import html
import io
import math
from typing import Any

import pandas as pd

from pipeline.review import DIMENSIONS, ReviewResult

_TITLES = {"score_band": "Score band", "final_node": "Decision node", "action": "Action",
           "offer_type": "Offer type", "channel": "Channel", "owner_role": "Owner role"}
_CONTROL_MATCH = {"same_offer_type": "same type", "pooled": "pooled"}
_UPLIFT_NOTE = ("<p class='muted'>Uplift = conversion − the control group's conversion, in percentage points. "
                "Each offer type is compared with its own control offers (held out, nothing sent) when it has "
                "decided ones, else with every control offer reviewed (pooled).</p>")
_STATUS_COLOURS = {"stable": "#2e7d32", "moderate": "#ef6c00", "major": "#c62828"}
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #eee;padding-bottom:.3rem;margin-top:2.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}th,td{padding:.25rem .6rem;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#fafafa}
.kpis{display:flex;flex-wrap:wrap;gap:1rem}.kpi{background:#f6f8fa;border-radius:6px;padding:.6rem 1rem;min-width:9rem}
.kpi b{display:block;font-size:1.4rem}.muted{color:#777}.note{background:#fff8e1;padding:.4rem .8rem;border-left:4px solid #ffb300;margin:.3rem 0}
pre.mermaid{background:#f6f8fa;padding:.8rem;overflow:auto}img{max-width:100%}.small{font-size:.8rem}
"""


def render_review_html(result: ReviewResult) -> str:
    """The review as a standalone HTML document."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Upsell review {_e(result.as_of)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Upsell review — {_e(result.as_of)}</h1>",
        f"<p class='muted'>SOP step 7: review and optimise. Playbook: {_e(result.settings.get('playbook') or '—')}; "
        f"horizon {result.settings['horizon_days']} days; offers since {_e(result.settings.get('since') or 'the start')}.</p>",
    ]
    parts += [f"<div class='note'>{_e(n)}</div>" for n in result.notes]
    parts.append(_summary(result))
    parts.append(_revenue(result))
    parts.append(_conversion(result))
    parts.append(_calibration(result))
    parts.append(_drift(result))
    parts.append(_threshold(result))
    parts.append(_sop(result))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _summary(r: ReviewResult) -> str:
    s = r.summary
    kpis = [("Offers reviewed", _int(s["offers"])), ("Decided", _int(s["decided"])),
            ("Accepted", _int(s["accepted"])), ("Conversion", _pct(s["conversion"])),
            ("Revenue", _money(s["revenue"]))]
    if s.get("control_offers"):
        kpis += [("Control conversion", _pct(s.get("control_conversion"))), ("Uplift", _points(s.get("uplift")))]
    cells = "".join(f"<div class='kpi'><span class='muted'>{_e(k)}</span><b>{_e(v)}</b></div>" for k, v in kpis)
    return f"<h2>Summary</h2><div class='kpis'>{cells}</div>"


def _revenue(r: ReviewResult) -> str:
    v = r.revenue
    text = (f"<p>Accepted revenue {_money(v['realised_revenue'])} from {_int(v['accepted_offers'])} offers in "
            f"{_e(v['period_start'])} – {_e(v['period_end'])} ({_pct(v['elapsed_fraction'])} of the period elapsed); "
            f"run-rate projection {_money(v['projected_revenue'])}")
    if v.get("target"):
        status = "on track" if v.get("on_track") else "behind"
        text += (f"; target {_money(v['target'])}: {_pct(v['progress'])} reached, projection "
                 f"{_pct(v['projected_vs_target'])} of target — <b>{status}</b>")
    text += f". Pending offers: {_int(v['pending_offers'])}.</p>"
    chart = ""
    if v.get("target"):
        chart = _chart_bars(["realised", "projected", "target"],
                            [v["realised_revenue"], v["projected_revenue"] or 0.0, v["target"]],
                            "Revenue vs target", colours=["#1565c0", "#90caf9", "#9e9e9e"])
    return "<h2>Progress against the revenue target</h2>" + text + chart


def _conversion(r: ReviewResult) -> str:
    out = ["<h2>Conversion of past offers</h2>",
           f"<p class='muted'>Conversion = accepted / decided offers. Groups with fewer than "
           f"{r.settings['min_offers_per_cell']} decided offers are marked * (too few to judge).</p>"]
    for dim in DIMENSIONS:
        table = r.conversion[dim]
        out.append(f"<h3>By {_e(_TITLES[dim].lower())}</h3>")
        if table.empty:
            out.append("<p class='muted'>No offers.</p>")
            continue
        shown = table.assign(value=[f"{v}{'' if ok else ' *'}" for v, ok in zip(table["value"], table["enough_data"])])
        columns = ["value", "offers", "decided", "accepted", "rejected", "deferred", "no_response",
                   "pending", "conversion", "revenue", "revenue_per_offer", "mean_score"]
        formats = {"conversion": _pct, "revenue": _money, "revenue_per_offer": _money, "mean_score": _num}
        if "control_match" in table.columns and table["control_match"].notna().any():
            out.append(_UPLIFT_NOTE)
            columns += ["control_match", "control_decided", "control_conversion", "uplift"]
            formats.update(control_match=_control_match, control_conversion=_pct, uplift=_points)
        out.append(_table(shown, columns, formats))
        if dim == "score_band":
            rates = [0.0 if pd.isna(c) else float(c) for c in table["conversion"]]
            out.append(_chart_bars([str(v) for v in table["value"]], rates, "Conversion by score band", percent=True))
    return "\n".join(out)


def _calibration(r: ReviewResult) -> str:
    s = r.calibration_summary
    out = ["<h2>Realised calibration of past scores</h2>"]
    if not s.get("n"):
        return out[0] + "<p class='muted'>No scoring night with a complete outcome window yet.</p>"
    out.append(f"<p>{_int(s['n'])} scores from {s['nights']} night(s) ({_e(s['first_night'])} – {_e(s['last_night'])}) "
               f"whose {s['horizon_days']}-day window has closed. Mean score {_pct(s['mean_score'])}, realised "
               f"{_pct(s['realised_rate'])}; Brier {_num(s['brier'])}, expected calibration error {_num(s['ece'])}. "
               f"Realised = {_e(' or '.join(s.get('label_sources', [])))} in the window.</p>")
    out.append(_calibration_chart(r.calibration))
    out.append(_table(r.calibration, ["lower", "upper", "n", "mean_score", "realised_rate", "gap"],
                      {"lower": _num, "upper": _num, "mean_score": _pct, "realised_rate": _pct, "gap": _pct}))
    return "\n".join(out)


def _drift(r: ReviewResult) -> str:
    out = ["<h2>Drift against the training data</h2>"]
    if r.drift.empty:
        return out[0] + "<p class='muted'>Not computed (no training reference given).</p>"
    s = r.drift_summary
    out.append(f"<p>PSI per feature (effect size, not a test): &lt; {s['thresholds']['stable_below']} stable, up to "
               f"{s['thresholds']['major_above']} moderate, above that major. {s['features']} features: "
               f"{s['stable']} stable, {s['moderate']} moderate, <b>{s['major']} major</b>. Score PSI: "
               f"{_num(s.get('score_psi'))}.</p>")
    top = r.drift.head(20)
    out.append(_chart_bars(list(top["feature"]), [0.0 if pd.isna(v) else float(v) for v in top["psi"]],
                           "PSI (top 20)", colours=[_STATUS_COLOURS.get(s, "#9e9e9e") for s in top["status"]],
                           horizontal=True))
    out.append(_table(r.drift, ["feature", "kind", "psi", "status", "ref_missing", "cur_missing"],
                      {"psi": _num, "ref_missing": _pct, "cur_missing": _pct}))
    return "\n".join(out)


def _threshold(r: ReviewResult) -> str:
    out = ["<h2>Recommended score threshold</h2>"]
    rec = r.recommendation
    if not rec:
        return out[0] + "<p class='muted'>No scored list for the review date.</p>"
    cap = rec.get("capacity")
    source = rec.get("capacity_source") or "none"
    text = (f"<p>{_int(rec['accounts_with_action'])} accounts in today's list have an action; human capacity "
            f"{_e('unlimited' if cap is None else f'{cap:,}')} ({_e(source)}); value = {_e(rec['value_unit'])}")
    if rec.get("cost_per_contact"):
        text += f", less {_money(rec['cost_per_contact'])} per contact"
    text += ".</p>"
    out.append(text)
    for label, key in (("Band threshold", "band"), ("Score threshold", "score")):
        best = rec.get(key)
        if best is None:
            out.append(f"<p><b>{label}:</b> none fits the capacity.</p>")
        else:
            band = f" (band <b>{_e(best['band'])}</b> and above)" if best.get("band") else ""
            out.append(f"<p><b>{label}:</b> score ≥ {_num(best['threshold'])}{band}: {_int(best['volume'])} accounts, "
                       f"expected {_money(best['expected_revenue'])}.</p>")
    if not r.threshold.empty:
        out.append(_threshold_chart(r.threshold, cap))
        best_score = (rec.get("score") or {}).get("threshold")
        shown = r.threshold[r.threshold["band"].notna() | (r.threshold["threshold"] == best_score)]
        out.append("<p class='muted small'>Band edges and the recommended score threshold; the JSON lists every "
                   "candidate.</p>")
        out.append(_table(shown, ["threshold", "band", "volume", "expected_revenue", "net_expected_revenue",
                                        "fits_capacity"],
                          {"threshold": _num, "expected_revenue": _money, "net_expected_revenue": _money}))
    return "\n".join(out)


def _sop(r: ReviewResult) -> str:
    out = ["<h2>The SOP today</h2>"]
    sop = r.sop
    if sop.get("svg"):
        out.append(f"<div>{sop['svg']}</div>")
    if sop.get("mermaid"):
        out.append(f"<pre class='mermaid'>{_e(sop['mermaid'])}</pre>")
    elif sop.get("note"):
        out.append(f"<p class='muted'>{_e(sop['note'])}</p>")
    counts = sop.get("counts") or {}
    if counts:
        conv = sop.get("conversion_by_final_node") or {}
        rows = pd.DataFrame({"step": list(counts), "accounts_today": list(counts.values()),
                             "conversion": [conv.get(k) for k in counts]})
        out.append(_table(rows, ["step", "accounts_today", "conversion"], {"conversion": _pct}))
    return "\n".join(out)


# ---- charts (bare matplotlib Figures: no pyplot state, PNG without timestamps) ---------------

def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt='chart' src='data:image/png;base64,{data}'>"


def _figure(width: float = 6.0, height: float = 3.0) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _chart_bars(labels: list[str], values: list[float], title: str, *, colours: list[str] | None = None,
                percent: bool = False, horizontal: bool = False) -> str:
    if not labels:
        return ""
    fig, ax = _figure(6.0, max(2.5, 0.3 * len(labels)) if horizontal else 3.0)
    colours = colours or ["#1565c0"] * len(labels)
    if horizontal:
        ax.barh(labels[::-1], values[::-1], color=colours[::-1])
    else:
        ax.bar(labels, values, color=colours)
        if percent:
            ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_title(title)
    return _png(fig)


def _calibration_chart(table: pd.DataFrame) -> str:
    fig, ax = _figure(4.5, 4.0)
    ax.plot([0, 1], [0, 1], color="#9e9e9e", linestyle="--", label="perfect")
    ax.plot(table["mean_score"], table["realised_rate"], marker="o", color="#1565c0", label="realised")
    ax.set_xlabel("mean score")
    ax.set_ylabel("realised rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    ax.set_title("Reliability")
    return _png(fig)


def _threshold_chart(table: pd.DataFrame, capacity: int | None) -> str:
    fig, ax = _figure(6.0, 3.2)
    lines = ax.step(table["threshold"], table["volume"], where="post", color="#1565c0", label="accounts at or above")
    if capacity is not None:
        lines.append(ax.axhline(capacity, color="#c62828", linestyle="--", label="human capacity"))
    ax.set_xlabel("score threshold")
    ax.set_ylabel("accounts")
    other = ax.twinx()
    other.spines[["top"]].set_visible(False)
    lines += other.step(table["threshold"], table["net_expected_revenue"], where="post", color="#2e7d32",
                        label="net expected revenue")
    other.set_ylabel("net expected revenue")
    ax.legend(lines, [line.get_label() for line in lines], loc="upper right", fontsize=8)
    ax.set_title("Volume and expected revenue by threshold")
    return _png(fig)


# ---- formatting -----------------------------------------------------------------------------

def _table(frame: pd.DataFrame, columns: list[str], formats: dict[str, Any]) -> str:
    columns = [c for c in columns if c in frame.columns]
    head = "".join(f"<th>{_e(c.replace('_', ' '))}</th>" for c in columns)
    values = {c: frame[c].tolist() for c in columns}  # per column: ints stay ints (iterrows would upcast)
    body = []
    for i in range(len(frame)):
        cells = []
        for c in columns:
            value = values[c][i]
            text = formats[c](value) if c in formats else (_int(value) if _is_int(value) else _plain(value))
            cells.append(f"<td>{_e(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _pct(value: Any) -> str:
    return "—" if _missing(value) else f"{float(value):.1%}"


def _points(value: Any) -> str:
    return "—" if _missing(value) else f"{float(value) * 100:+.2f} pt"


def _control_match(value: Any) -> str:
    return _CONTROL_MATCH.get(value, "—") if isinstance(value, str) else "—"


def _money(value: Any) -> str:
    return "—" if _missing(value) else f"{float(value):,.0f}"


def _num(value: Any) -> str:
    return "—" if _missing(value) else f"{float(value):.3f}"


def _int(value: Any) -> str:
    return "—" if _missing(value) else f"{int(value):,}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _plain(value: Any) -> str:
    return "—" if _missing(value) else str(value)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)

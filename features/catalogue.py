"""The feature catalogue (``docs/features.md`` and ``upsell features --list``), rendered from the registry."""
from __future__ import annotations

from features.registry import PER_METRIC_TEMPLATES, SOURCES, feature_registry

DOC_PATH = "docs/features.md"


def render_catalogue() -> str:
    """Markdown catalogue of every feature: source, kind, fill, description, reason template."""
    lines = [
        "# Feature catalogue",
        "",
        "<!-- Generated from features/registry.py by features.catalogue.render_catalogue(); do not edit. -->",
        "",
        "Every feature row is keyed by `account_id` and `as_of` (naive UTC midnight). A feature at",
        "cutoff *t* uses only rows dated before *t*, and only what was already true at *t*: a ticket",
        "closed on or after *t* is open at *t*, an offer whose outcome came on or after *t* is pending,",
        "a subscription that ended on or after *t* is active. Windows are [t - N days, t).",
        "A missing source table means its features are absent. *Fill* is the value an account gets",
        "when its table exists but holds no rows for it (blank: stays missing).",
        "",
    ]
    for source in SOURCES:
        lines += [f"## {source}", "", "| feature | kind | fill | description | reason template |", "|---|---|---|---|---|"]
        specs = [f for f in feature_registry() if f.source == source]
        if source == "usage":
            specs += list(PER_METRIC_TEMPLATES)
        for f in specs:
            fill = "" if f.fill is None else f"{f.fill:g}"
            note = "" if f.point_in_time else " **Snapshot only: leaks when rebuilt for past cutoffs; left out of training frames.**"
            reason = f.reason if f.reason_past is None else f"{f.reason}; when negative: {f.reason_past}"
            lines.append(f"| `{f.name}` | {f.kind} | {fill} | {_cell(f.description)}{note} | {_cell(reason)} |")
        if source == "usage":
            lines += ["", "`{metric}` is the usage metric name lower-cased with every character outside",
                      "`[a-z0-9_]` replaced by `_` (e.g. `Seats Used` → `seats_used`). Utilisation is",
                      "value / quota, at most 10^18: a quota next to 0 (a unit slip) would otherwise make it",
                      "infinite, and `inf` would reach the model and the reason codes."]
        lines.append("")
    lines += [
        "## Labels and training frames",
        "",
        "`features.build_labels` / `label_table` give 0/1 per spine row over [t, t + `horizon_days`):",
        "",
        "- `expansion` (default): an upsell offer accepted in the window (dated by `outcome_at`, or by",
        "  `offered_at` when the outcome has no date; control-group rows ignored), a subscription row started",
        "  in the window with a higher `mrr` than the plan in force at t (0 when none), or, when",
        "  `addon_categories` are given, a purchase from one of them.",
        "- `purchase`: any purchase in the window.",
        "",
        "`features.build_training_frame` stacks features and labels for snapshots (month starts by default)",
        "whose label window ends on or before `as_of`, and leaves out snapshot-only attributes.",
        "",
    ]
    return "\n".join(lines)


def render_listing() -> str:
    """Plain-text listing for the terminal: one feature per line."""
    rows = [f"{f.name:<32} {f.source:<16} {f.kind:<12} {f.description}" for f in feature_registry()]
    rows += [f"{t.name:<32} {t.source:<16} {t.kind:<12} {t.description} (per metric)" for t in PER_METRIC_TEMPLATES]
    return "\n".join(rows)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def write_catalogue(path: str = DOC_PATH) -> None:
    """Regenerate ``docs/features.md`` (atomically)."""
    from data.atomic import write_bytes_atomic

    write_bytes_atomic(path, render_catalogue().encode("utf-8"))

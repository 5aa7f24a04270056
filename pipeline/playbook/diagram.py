"""The SOP drawn: Mermaid text (GitHub, Notion, most wikis render it) and a self-contained SVG.

Both come from one graph description, so they always agree. With ``counts`` (node id → number
of accounts that reached it, from ``node_counts(scored_list)``) every node shows its volume —
the review meeting sees where accounts go and where they pile up. No network, no mermaid-cli:
the SVG is laid out here (layers by longest path from the triggers).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

import pandas as pd

from pipeline.playbook.route import NodeCodes
from pipeline.playbook.schema import (
    CAPACITY_DEFERRED, FOLLOW_UP, NO_TRIGGER, OUT_OF_SCOPE, SUPPRESSED, Playbook,
)

HELD_BACK = (NO_TRIGGER, OUT_OF_SCOPE, SUPPRESSED, CAPACITY_DEFERRED)
_HELD_BACK_TEXT = {
    NO_TRIGGER: "no trigger fired",
    OUT_OF_SCOPE: "outside objective scope",
    SUPPRESSED: "held back by offers history",
    CAPACITY_DEFERRED: "owner full: next week",
}


@dataclass(frozen=True)
class _Node:
    id: str
    kind: str  # trigger | decision | action | exit | reserved
    lines: tuple[str, ...]


@dataclass(frozen=True)
class _Edge:
    source: str
    target: str
    label: str
    side: bool = False  # capacity overflow / follow-up: not a tree edge


def _graph(pb: Playbook) -> tuple[list[_Node], list[_Edge]]:
    nodes: list[_Node] = []
    edges: list[_Edge] = []
    for t in pb.triggers:
        nodes.append(_Node(t.id, "trigger", (t.id, t.kind.replace("_", " "), t.when)))
        edges.append(_Edge(t.id, t.then, ""))
    for node_id, node in pb.nodes.items():
        nodes.append(_Node(node_id, "decision", (node_id, node.kind.replace("_", " "))))
        for b in node.branches:
            edges.append(_Edge(node_id, b.to, b.label or b.when))
        edges.append(_Edge(node_id, node.otherwise, "otherwise"))
    for action_id, a in pb.actions.items():
        nodes.append(_Node(action_id, "action", (action_id, f"{a.offer_type} · {a.channel}",
                                                  f"{a.owner} · SLA {a.sla_days}d · {a.deal_value:,.0f}")))
        fallback = a.overflow_to or (pb.capacity.fallback_action if pb.capacity.fallback == "automated_action" else None)
        role = pb.roles.get(a.owner)
        if fallback and fallback != action_id and role is not None and role.weekly_capacity is not None:
            edges.append(_Edge(action_id, fallback, "over capacity", side=True))
    for exit_id, e in pb.exits.items():
        nodes.append(_Node(exit_id, "exit", (exit_id,)))
    nr = pb.exit_paths.no_response
    if nr.follow_up_action:
        nodes.append(_Node(FOLLOW_UP, "reserved", (FOLLOW_UP, f"no response after {nr.follow_up_after_days}d")))
        edges.append(_Edge(FOLLOW_UP, nr.follow_up_action, f"max {nr.max_follow_ups}", side=True))
    for rid in HELD_BACK:
        nodes.append(_Node(rid, "reserved", (rid, _HELD_BACK_TEXT[rid])))
    return nodes, edges


def node_counts(scored: pd.DataFrame) -> dict[str, int]:
    """Accounts that reached each node: from ``decision_path`` (every node on it), else ``final_node``."""
    if "decision_path" in scored.columns:
        parts = scored["decision_path"].dropna().astype(str).str.split(">").explode()
        counts = parts[parts != ""].value_counts()  # a path never visits a node twice (acyclic)
    elif "final_node" in scored.columns:
        counts = scored["final_node"].dropna().astype(str).value_counts()
    else:
        from data.errors import UpsellError

        raise UpsellError("scores: need a decision_path or final_node column to count accounts per node")
    return {str(k): int(v) for k, v in sorted(counts.items())}


def unknown_nodes(playbook: Playbook, counts: Mapping[str, int]) -> list[str]:
    """Node ids in ``counts`` the decision layer could not have written for ``playbook`` (sorted)."""
    return sorted(set(counts) - set(NodeCodes.of(playbook).ids))


# --- Mermaid ------------------------------------------------------------------------------------

_MERMAID_SHAPE = {"trigger": ('(["', '"])'), "decision": ('{"', '"}'), "action": ('[["', '"]]'),
                  "exit": ('(["', '"])'), "reserved": ('["', '"]')}
_STYLE = {
    "trigger": ("#e3f2fd", "#1565c0"), "decision": ("#fff8e1", "#f9a825"), "action": ("#e8f5e9", "#2e7d32"),
    "exit": ("#eceff1", "#546e7a"), "reserved": ("#fce4ec", "#ad1457"),
}


def _mermaid_text(text: str) -> str:
    out = text.replace("&", "#38;").replace('"', "#34;").replace("<", "#60;").replace(">", "#62;")
    return out.replace("[", "#91;").replace("]", "#93;").replace("{", "#123;").replace("}", "#125;")


def _count_line(counts: Mapping[str, int] | None, node_id: str) -> tuple[str, ...]:
    if counts is None:
        return ()
    return (f"n = {counts.get(node_id, 0):,}",)


def playbook_diagram(playbook: Playbook, counts: Mapping[str, int] | None = None) -> str:
    """The playbook as a Mermaid flowchart; with ``counts`` each node shows how many accounts reached it."""
    nodes, edges = _graph(playbook)
    out = ["flowchart TD", f"  %% playbook {playbook.name} v{playbook.version} (generated; edit the YAML, not this)"]
    triggers = [n for n in nodes if n.kind == "trigger"]
    out.append('  subgraph triggers["Triggers"]')
    for n in triggers:
        out.append(f"    {_mermaid_node(n, counts)}")
    out.append("  end")
    for n in nodes:
        if n.kind not in ("trigger", "reserved"):
            out.append(f"  {_mermaid_node(n, counts)}")
    out.append('  subgraph held_back["Outside the tree"]')
    for n in nodes:
        if n.kind == "reserved":
            out.append(f"    {_mermaid_node(n, counts)}")
    out.append("  end")
    for e in edges:
        arrow = "-.->" if e.side else "-->"
        label = f'|"{_mermaid_text(_short(e.label, 60))}"|' if e.label else ""
        out.append(f"  n_{e.source} {arrow}{label} n_{e.target}")
    for kind, (fill, stroke) in _STYLE.items():
        out.append(f"  classDef {kind} fill:{fill},stroke:{stroke},color:#212121")
        members = [f"n_{n.id}" for n in nodes if n.kind == kind]
        if members:
            out.append(f"  class {','.join(members)} {kind}")
    return "\n".join(out) + "\n"


def _mermaid_node(n: _Node, counts: Mapping[str, int] | None) -> str:
    left, right = _MERMAID_SHAPE[n.kind]
    lines = [f"<b>{_mermaid_text(n.lines[0])}</b>", *(_mermaid_text(_short(x, 60)) for x in n.lines[1:])]
    lines += list(_count_line(counts, n.id))
    return f"n_{n.id}{left}{'<br/>'.join(lines)}{right}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- SVG ------------------------------------------------------------------------------------------

_CHAR_W, _LINE_H, _PAD, _GAP_X, _GAP_Y = 6.6, 15, 8, 28, 70


def playbook_svg(playbook: Playbook, counts: Mapping[str, int] | None = None) -> str:
    """The same diagram as a standalone SVG document (deterministic: same input, same bytes)."""
    nodes, edges = _graph(playbook)
    by_id = {n.id: n for n in nodes}
    layer = _layers(nodes, edges)
    rows: dict[int, list[str]] = {}
    for n in nodes:
        rows.setdefault(layer[n.id], []).append(n.id)
    size = {n.id: _box(n, counts) for n in nodes}
    pos: dict[str, tuple[float, float]] = {}
    order_x: dict[str, float] = {}
    y = 40.0
    widths = []
    for depth in sorted(rows):
        ids = rows[depth]
        preds = {i: [order_x[e.source] for e in edges if e.target == i and e.source in order_x] for i in ids}
        first_seen = {i: k for k, i in enumerate(ids)}
        ids.sort(key=lambda i: (sum(preds[i]) / len(preds[i]) if preds[i] else float("inf"), first_seen[i]))
        rows[depth] = ids
        for k, i in enumerate(ids):
            order_x[i] = k / max(len(ids) - 1, 1)
        widths.append(sum(size[i][0] for i in ids) + _GAP_X * (len(ids) - 1))
    total_w = max(widths) + 160  # room for side-path curves on the right
    for depth in sorted(rows):
        ids = rows[depth]
        row_w = sum(size[i][0] for i in ids) + _GAP_X * (len(ids) - 1)
        x = (total_w - row_w) / 2
        row_h = max(size[i][1] for i in ids)
        for i in ids:
            pos[i] = (x, y + (row_h - size[i][1]) / 2)
            x += size[i][0] + _GAP_X
        y += row_h + _GAP_Y
    total_h = y - _GAP_Y + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" height="{total_h:.0f}" '
        f'viewBox="0 0 {total_w:.0f} {total_h:.0f}" font-family="Helvetica, Arial, sans-serif" font-size="11">',
        f"<title>Playbook {escape(playbook.name)} v{escape(str(playbook.version))}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#616161"/></marker></defs>',
        f'<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="20" y="24" font-size="14" font-weight="bold">Playbook {escape(playbook.name)} '
        f"v{escape(str(playbook.version))}</text>",
    ]
    labels: list[str] = []
    for e in _merge_parallel(edges):
        if e.source not in pos or e.target not in pos:
            continue
        (sx, sy), (sw, sh) = pos[e.source], size[e.source]
        (tx, ty), (tw, th) = pos[e.target], size[e.target]
        dash = ' stroke-dasharray="5,4"' if e.side else ""
        if abs(ty - sy) < 1:  # same row (capacity overflow): loop underneath
            x1, y1, x2, y2 = sx + sw / 2, sy + sh, tx + tw / 2, ty + th
            drop = max(y1, y2) + 34
            curve = ((x1, y1), (x1, drop), (x2, drop), (x2, y2))
        elif ty < sy:  # upwards (follow-up from the bottom row)
            x1, y1, x2, y2 = sx + sw / 2, sy, tx + tw / 2, ty + th
            midy = (y1 + y2) / 2
            curve = ((x1, y1), (x1, midy), (x2, midy), (x2, y2))
        else:
            x1, y1, x2, y2 = sx + sw / 2, sy + sh, tx + tw / 2, ty
            midy = (y1 + y2) / 2
            curve = ((x1, y1), (x1, midy), (x2, midy), (x2, y2))
        (ax, ay), (bx, by), (cx, cy), (dx, dy) = curve
        path = f"M {ax:.1f} {ay:.1f} C {bx:.1f} {by:.1f} {cx:.1f} {cy:.1f} {dx:.1f} {dy:.1f}"
        parts.append(f'<path d="{path}" fill="none" stroke="#757575" stroke-width="1.2"{dash} marker-end="url(#arrow)"/>')
        if e.label:
            lx, ly = _bezier(curve, 0.5 if abs(ty - sy) < 1 else 0.7)  # near the target: sibling labels spread out
            text = _short(e.label, 42)
            w = len(text) * _CHAR_W * 0.9 + 6
            labels.append(f'<rect x="{lx - w / 2:.1f}" y="{ly - 8:.1f}" width="{w:.1f}" height="14" fill="#ffffff" '
                          f'fill-opacity="0.85"/><text x="{lx:.1f}" y="{ly + 3:.1f}" text-anchor="middle" '
                          f'font-size="9.5" fill="#424242">{escape(text)}</text>')
    for n in nodes:
        (x, y0), (w, h) = pos[n.id], size[n.id]
        fill, stroke = _STYLE[n.kind]
        rx = {"trigger": 14, "exit": h / 2, "decision": 2, "action": 6, "reserved": 4}[n.kind]
        dash = ' stroke-dasharray="4,3"' if n.kind == "reserved" else ""
        parts.append(f'<g id="node-{escape(n.id)}"><rect x="{x:.1f}" y="{y0:.1f}" width="{w:.1f}" height="{h:.1f}" '
                     f'rx="{rx:.1f}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}/>')
        for k, line in enumerate(_box_lines(n, counts)):
            weight = ' font-weight="bold"' if k == 0 else ""
            parts.append(f'<text x="{x + w / 2:.1f}" y="{y0 + _PAD + 11 + k * _LINE_H:.1f}" text-anchor="middle"{weight}>'
                         f"{escape(line)}</text>")
        parts.append("</g>")
    parts.extend(labels)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _bezier(curve: tuple[tuple[float, float], ...], t: float) -> tuple[float, float]:
    """Point at ``t`` on a cubic Bézier curve."""
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = curve
    u = 1 - t
    x = u ** 3 * ax + 3 * u * u * t * bx + 3 * u * t * t * cx + t ** 3 * dx
    y = u ** 3 * ay + 3 * u * u * t * by + 3 * u * t * t * cy + t ** 3 * dy
    return x, y


def _merge_parallel(edges: list[_Edge]) -> list[_Edge]:
    """One drawn edge per (source, target); labels of parallel branches joined with ' / '."""
    merged: dict[tuple[str, str], _Edge] = {}
    for e in edges:
        key = (e.source, e.target)
        if key in merged:
            first = merged[key]
            merged[key] = _Edge(e.source, e.target, " / ".join(x for x in (first.label, e.label) if x), first.side)
        else:
            merged[key] = e
    return list(merged.values())


def _box_lines(n: _Node, counts: Mapping[str, int] | None) -> list[str]:
    return [_short(x, 48) for x in n.lines] + list(_count_line(counts, n.id))


def _box(n: _Node, counts: Mapping[str, int] | None) -> tuple[float, float]:
    lines = _box_lines(n, counts)
    return max(len(x) for x in lines) * _CHAR_W + 2 * _PAD + 8, len(lines) * _LINE_H + 2 * _PAD


def _layers(nodes: list[_Node], edges: list[_Edge]) -> dict[str, int]:
    """Longest distance from a trigger along tree edges; side-only and reserved nodes go below."""
    layer = {n.id: 0 for n in nodes if n.kind == "trigger"}
    tree = [e for e in edges if not e.side]
    for _ in range(len(nodes)):  # relax: acyclic (linted), so this settles within #nodes rounds
        changed = False
        for e in tree:
            if e.source in layer and layer.get(e.target, -1) < layer[e.source] + 1:
                layer[e.target] = layer[e.source] + 1
                changed = True
        if not changed:
            break
    bottom = max(layer.values(), default=0) + 1
    for n in nodes:
        if n.id not in layer and n.kind != "reserved":
            layer[n.id] = bottom
    for n in nodes:
        if n.kind == "reserved":
            layer[n.id] = bottom + 1
    return layer

"""The I/O edge of the diagram: read a scored list, write ``<name>.mmd`` and ``<name>.svg`` atomically."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from data.atomic import write_bytes_atomic
from data.errors import UpsellError
from pipeline.playbook.diagram import node_counts, playbook_diagram, playbook_svg, unknown_nodes
from pipeline.playbook.load import resolve_playbook
from pipeline.playbook.schema import Playbook

COUNT_COLUMNS = ("decision_path", "final_node")


def read_scored_paths(path: Path) -> pd.DataFrame:
    """The ``decision_path`` / ``final_node`` columns of a scored list (parquet or CSV)."""
    path = Path(path)
    if not path.exists():
        raise UpsellError(f"--scores {path}: no such file")
    wanted = lambda c: c in COUNT_COLUMNS  # noqa: E731
    try:
        if path.suffix.lower() == ".csv":
            frame = pd.read_csv(path, usecols=wanted, dtype=str)
        elif path.suffix.lower() in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            names = [c for c in pq.read_schema(path).names if wanted(c)]
            frame = pd.read_parquet(path, columns=names)
        else:
            raise UpsellError(f"--scores {path}: expected a .parquet or .csv file")
    except (OSError, ValueError) as exc:
        raise UpsellError(f"--scores {path}: cannot read ({exc})") from None
    if not any(c in frame.columns for c in COUNT_COLUMNS):
        raise UpsellError(f"--scores {path}: needs a decision_path or final_node column")
    return frame


def write_diagram(playbook: str | Path | Playbook, scores: Path | None = None,
                  out: Path | None = None) -> dict[str, object]:
    """Draw ``playbook`` (name, YAML path or loaded ``Playbook``), annotated with counts from
    ``scores`` when given.

    A scored list whose decision paths name nodes the playbook does not have (decided by another
    playbook, or a version whose nodes were renamed) would draw zeros on most nodes and the counts
    of same-named ones: it is refused, naming them. With ``out`` writes ``out/<name>.mmd`` and
    ``out/<name>.svg``; returns their paths and the Mermaid text under ``mermaid_text``.
    """
    pb = playbook if isinstance(playbook, Playbook) else resolve_playbook(playbook)
    counts = node_counts(read_scored_paths(scores)) if scores is not None else None
    if counts is not None:
        unknown = unknown_nodes(pb, counts)
        if unknown:
            shown = ", ".join(unknown[:8]) + (", …" if len(unknown) > 8 else "")
            raise UpsellError(f"--scores {scores}: {len(unknown)} node(s) on its decision paths are not in playbook "
                              f"{pb.name!r}: {shown} (a scored list of another playbook, or of an older version?)")
    mermaid = playbook_diagram(pb, counts)
    result: dict[str, object] = {"mermaid_text": mermaid}
    if out is not None:
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise UpsellError(f"--out {out}: exists and is not a directory")
        result["mermaid"] = out / f"{pb.name}.mmd"
        result["svg"] = out / f"{pb.name}.svg"
        write_bytes_atomic(result["mermaid"], mermaid.encode("utf-8"))
        write_bytes_atomic(result["svg"], playbook_svg(pb, counts).encode("utf-8"))
    return result

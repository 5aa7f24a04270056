"""A contract violation as users read it: table, column, rule, how many rows, example rows."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Problem:
    """One broken rule in one table. ``examples`` holds up to five offending rows."""

    table: str
    column: str | None
    rule: str
    n_rows: int | None = None
    examples: pd.DataFrame | None = field(default=None, compare=False)
    detail: str = ""

    def as_dict(self) -> dict:
        """JSON-friendly form (for ``upsell validate --json`` and manifests)."""
        rows = [] if self.examples is None else _jsonable(self.examples)
        return {
            "table": self.table,
            "column": self.column,
            "rule": self.rule,
            "n_rows": self.n_rows,
            "detail": self.detail,
            "examples": rows,
        }

    def render(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        if self.n_rows == 0 and self.column is None:  # a table-level rule broken by the table being empty
            head = f"- {where}: the table has no rows (rule '{self.rule}')"
        else:
            head = f"- {where}: rule '{self.rule}' broken"
        if self.n_rows:
            head += f" by {self.n_rows} row{'s' if self.n_rows != 1 else ''}"
        if self.detail:
            head += f" ({self.detail})"
        if self.examples is None or self.examples.empty:
            return head
        shown = self.examples.head(MAX_EXAMPLES)
        body = shown.to_string(max_colwidth=40)
        return head + "; e.g.\n" + "\n".join("    " + line for line in body.splitlines())


def _jsonable(frame: pd.DataFrame) -> list[dict]:
    out = frame.head(MAX_EXAMPLES).copy()
    out.insert(0, "row", out.index)
    return [{k: _json_value(v) for k, v in r.items()} for r in out.astype(object).to_dict(orient="records")]


def _json_value(value: object) -> object:
    """A cell as strict JSON takes it: missing → None, timestamps as ISO text, inf/-inf as text
    (``json.dumps`` would write the non-standard ``Infinity``, which JSON readers reject)."""
    if pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def render_problems(problems: list[Problem], source: str) -> str:
    """One message listing every problem found, for stderr."""
    n = len(problems)
    lines = [f"{source}: the input breaks the data contract ({n} problem{'s' if n != 1 else ''}; rows numbered from 0 in file order):"]
    lines += [p.render() for p in problems]
    lines.append("See docs/contract.md for the tables, columns and rules.")
    return "\n".join(lines)

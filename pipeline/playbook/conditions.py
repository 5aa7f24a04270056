"""Playbook conditions: small expressions over feature names and ``score``, never ``eval``.

A condition is text a revenue-ops lead writes in YAML, for example::

    use_util_max_30d >= 0.9 and sub_days_to_renewal <= 90
    acct_segment in ['mid_market', 'enterprise'] and not sup_open_critical > 0
    score_band == 'hot' or score >= 0.5

It is parsed with Python's ``ast`` module (parsing executes nothing) and every node is checked
against a whitelist: names, numbers/strings/booleans/``None``, lists of constants, comparisons
(``== != < <= > >= in not in``, chains allowed), ``and or not``, and ``+ - * / %``. Function calls,
attribute access, subscripts, lambdas, comprehensions and dunder names are rejected with a reason.
Evaluation walks the checked tree with numpy/pandas operations over whole columns.

Missing values (NaN/None/NA) are predictable: **any comparison with a missing value is False**
(``!=`` included), except ``x == None`` (True where x is missing) and ``x != None`` (True where x
is present). Arithmetic with a missing value, and division by zero, give a missing value. ``not``
negates the boolean it is given, so ``not x > 5`` is True where ``x`` is missing. A bare numeric
name in a boolean position means "present and not zero". A column absent from the frame is
treated as missing for every row.
"""
from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from data.errors import UpsellError

MAX_LENGTH = 1000
MAX_NODES = 200

_COMPARE: dict[type, Callable] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ARITH: dict[type, Callable] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}
_REJECTED: dict[type, str] = {
    ast.Call: "function calls are not allowed",
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.NamedExpr: "assignment (:=) is not allowed",
    ast.IfExp: "'x if c else y' is not allowed; use separate branches",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Dict: "dict literals are not allowed",
    ast.Set: "set literals are not allowed; use a list: x in ['a', 'b']",
    ast.JoinedStr: "f-strings are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}


class ConditionError(UpsellError):
    """A condition that is not in the whitelisted expression language, or cannot be evaluated."""


@dataclass(frozen=True)
class Condition:
    """A checked condition: its text, its syntax tree and the names it reads."""

    text: str
    tree: ast.Expression
    names: frozenset[str]


@lru_cache(maxsize=4096)
def parse_condition(text: str) -> Condition:
    """Parse and whitelist-check ``text``; raise ``ConditionError`` saying what is not allowed."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("a condition must be a non-empty expression")
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"condition is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConditionError(f"not a valid expression ({exc.msg} at column {exc.offset})") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise ConditionError(f"condition is too complex (more than {MAX_NODES} parts); split it into nodes")
    names: set[str] = set()
    for node in nodes:
        _check_node(node)
        if isinstance(node, ast.Name):
            names.add(node.id)
    return Condition(text=text, tree=tree, names=frozenset(names))


def _check_node(node: ast.AST) -> None:
    for kind, reason in _REJECTED.items():
        if isinstance(node, kind):
            raise ConditionError(f"{reason}: {ast.unparse(node)!r}")
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise ConditionError(f"dunder/private names are not allowed (names starting with '_'): {node.id!r}")
        return
    if isinstance(node, ast.Constant):
        if node.value is not None and not isinstance(node.value, (bool, int, float, str)):
            raise ConditionError(f"constant {node.value!r} is not allowed (numbers, strings, True/False, None)")
        return
    if isinstance(node, ast.Compare):
        for op, right in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)) and not _is_constant_list(right):
                raise ConditionError(f"'in' needs a list of constants on the right: {ast.unparse(node)!r}")
            if isinstance(op, (ast.Is, ast.IsNot)):
                raise ConditionError("'is' is not allowed; use '== None' / '!= None' for missing values")
        return
    if isinstance(node, (ast.List, ast.Tuple)):
        if not all(isinstance(e, ast.Constant) for e in node.elts):
            raise ConditionError(f"lists may hold constants only: {ast.unparse(node)!r}")
        return
    if isinstance(node, ast.BinOp) and type(node.op) not in _ARITH:
        raise ConditionError(f"operator not allowed (use + - * / %): {ast.unparse(node)!r}")
    if isinstance(node, ast.UnaryOp) and not isinstance(node.op, (ast.Not, ast.USub, ast.UAdd)):
        raise ConditionError(f"operator not allowed: {ast.unparse(node)!r}")
    allowed = (
        ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
        ast.BinOp, ast.Compare, ast.Load, *_COMPARE, ast.In, ast.NotIn, *_ARITH,
    )
    if not isinstance(node, allowed):
        raise ConditionError(f"{type(node).__name__} is not allowed in a condition")


def _is_constant_list(node: ast.AST) -> bool:
    return isinstance(node, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) for e in node.elts)


# --- evaluation -------------------------------------------------------------------------------

Value = np.ndarray | pd.Series | float | int | str | bool | None | list


def evaluate(condition: Condition | str, frame: pd.DataFrame, extra: Mapping[str, object] | None = None) -> np.ndarray:
    """Evaluate ``condition`` on every row of ``frame``; a boolean numpy array of ``len(frame)``.

    ``extra`` supplies columns that are not in ``frame`` (for example ``score_band`` computed by the
    decision layer). A name found in neither is missing for every row.
    """
    cond = parse_condition(condition) if isinstance(condition, str) else condition
    ev = _Evaluator(frame, extra or {}, cond.text)
    return ev.truth(ev.value(cond.tree.body))


class _Evaluator:
    """Walks a whitelisted tree; numeric columns become float64 arrays, text stays a pandas Series."""

    def __init__(self, frame: pd.DataFrame, extra: Mapping[str, object], text: str) -> None:
        self.frame = frame
        self.extra = extra
        self.text = text
        self.n = len(frame)

    def fail(self, why: str) -> ConditionError:
        return ConditionError(f"cannot evaluate {self.text!r}: {why}")

    # values
    def value(self, node: ast.AST) -> Value:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.column(node.id)
        if isinstance(node, (ast.List, ast.Tuple)):
            return [e.value for e in node.elts]  # type: ignore[attr-defined]
        if isinstance(node, ast.BoolOp):
            parts = [self.truth(self.value(v)) for v in node.values]
            out = parts[0].copy()
            for p in parts[1:]:
                out = (out & p) if isinstance(node.op, ast.And) else (out | p)
            return out
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return ~self.truth(self.value(node.operand))
            operand = self.numeric(self.value(node.operand), node)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return self.arith(node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        raise self.fail(f"{type(node).__name__} is not supported")  # unreachable after parse checks

    def column(self, name: str) -> Value:
        if name in self.extra:
            raw = self.extra[name]
        elif name in self.frame.columns:
            raw = self.frame[name]
        else:
            return np.full(self.n, np.nan)
        series = raw if isinstance(raw, pd.Series) else pd.Series(raw)
        if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
            return series.to_numpy(dtype="float64", na_value=np.nan)
        return series.reset_index(drop=True)

    def numeric(self, v: Value, node: ast.AST) -> np.ndarray | float:
        if isinstance(v, bool) or v is None:
            return np.nan if v is None else float(v)
        if isinstance(v, (int, float)):
            return float(v)
        if isinstance(v, np.ndarray) and v.dtype.kind in "fiub":
            return v.astype("float64", copy=False)
        raise self.fail(f"arithmetic needs numbers: {ast.unparse(node)!r}")

    def arith(self, node: ast.BinOp) -> np.ndarray | float:
        a = self.numeric(self.value(node.left), node)
        b = self.numeric(self.value(node.right), node)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _ARITH[type(node.op)](np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64"))
            if isinstance(node.op, (ast.Div, ast.Mod)):
                out = np.where(np.asarray(b) == 0, np.nan, out)
        return out

    def present(self, v: Value) -> np.ndarray:
        if v is None:
            return np.zeros(self.n, dtype=bool)
        if isinstance(v, pd.Series):
            return v.notna().to_numpy(dtype=bool)
        if isinstance(v, np.ndarray):
            return ~np.isnan(v) if v.dtype.kind == "f" else np.ones(self.n, dtype=bool)
        return np.ones(self.n, dtype=bool)

    def truth(self, v: Value) -> np.ndarray:
        """Boolean position: booleans as they are, numbers "present and not zero", text is an error."""
        if isinstance(v, np.ndarray) and v.dtype == bool:
            return v
        if isinstance(v, bool):
            return np.full(self.n, v)
        if isinstance(v, (int, float)):
            return np.full(self.n, bool(v) and not np.isnan(v))
        if isinstance(v, np.ndarray):
            return self.present(v) & (np.nan_to_num(v) != 0)
        raise self.fail("a text value or list cannot be used as true/false; compare it, e.g. x == 'a'")

    def compare(self, node: ast.Compare) -> np.ndarray:
        out = np.ones(self.n, dtype=bool)
        left = self.value(node.left)
        for op, right_node in zip(node.ops, node.comparators):
            right = self.value(right_node)
            out &= self.compare_one(left, op, right, node)
            left = right
        return out

    def compare_one(self, left: Value, op: ast.cmpop, right: Value, node: ast.AST) -> np.ndarray:
        if isinstance(op, (ast.In, ast.NotIn)):
            members = list(right)  # type: ignore[arg-type]
            if isinstance(left, pd.Series):
                hit = left.isin(members).to_numpy(dtype=bool)
            elif isinstance(left, np.ndarray):
                hit = np.isin(left, [m for m in members if isinstance(m, (int, float)) and not isinstance(m, bool)] or [np.nan])
            else:
                hit = np.full(self.n, left in members)
            present = self.present(left)
            return present & (hit if isinstance(op, ast.In) else ~hit)
        if right is None or left is None:
            if isinstance(op, (ast.Eq, ast.NotEq)):
                other = left if right is None else right
                present = self.present(other)
                return ~present if isinstance(op, ast.Eq) else present
            return np.zeros(self.n, dtype=bool)
        if isinstance(left, list) or isinstance(right, list):
            raise self.fail(f"a list can only follow 'in': {ast.unparse(node)!r}")
        self.check_kinds(left, right, op, node)
        try:
            raw = _COMPARE[type(op)](left, right)
        except TypeError as exc:
            raise self.fail(f"cannot compare {ast.unparse(node)!r} ({exc})") from None
        result = raw.to_numpy(dtype=bool, na_value=False) if isinstance(raw, pd.Series) else np.asarray(raw, dtype=bool)
        if result.ndim == 0:
            result = np.full(self.n, bool(result))
        return result & self.present(left) & self.present(right)

    def check_kinds(self, left: Value, right: Value, op: ast.cmpop, node: ast.AST) -> None:
        def is_text(v: Value) -> bool:
            return isinstance(v, (str, pd.Series))

        if is_text(left) != is_text(right) and not isinstance(op, (ast.Eq, ast.NotEq)):
            raise self.fail(f"cannot order text against a number: {ast.unparse(node)!r}")

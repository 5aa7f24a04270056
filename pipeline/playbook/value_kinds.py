"""Lint: a condition that compares a number with text can never be what its author meant.

``sup_csat_mean_180d < 'three'`` stops the nightly run when it is evaluated; ``acct_segment == 3``
and ``sub_mrr in ['high']`` are silently never true, so their branch never fires. Both are found
here, at load time, with the playbook's file and line, from each feature's kind in the features
catalogue (``numeric`` or ``categorical``); ``score`` is a number and ``score_band`` text.
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

from pipeline.playbook.conditions import parse_condition
from pipeline.playbook.issues import KeyPath

NUMBER, TEXT = "a number", "text"
_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
# the categorical features of the team's fixed list, for a partial install without features/
_FALLBACK_TEXT = frozenset({"acct_industry", "acct_region", "acct_segment", "acct_size_band", "acct_plan_tier",
                            "sub_plan_tier", "pur_top_category_365d", "off_last_outcome"})


def kind_mismatches(conditions: Iterable[tuple[KeyPath, str]],
                    is_feature: Callable[[str], bool]) -> Iterable[tuple[KeyPath, str]]:
    """(key path, message) for every comparison of a number with text among ``conditions``;
    names ``is_feature`` does not know are left to the unknown-feature check."""
    kind_of = _kind_lookup(is_feature)
    for path, text in conditions:
        for node in ast.walk(parse_condition(text).tree):
            if not isinstance(node, ast.Compare):
                continue
            operands = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, operands, operands[1:]):
                message = _mismatch(left, op, right, kind_of)
                if message:
                    yield path, f"{message}: {ast.unparse(node)!r}"


def _mismatch(left: ast.AST, op: ast.cmpop, right: ast.AST, kind_of: Callable[[str], str | None]) -> str:
    lk = _kind(left, kind_of)
    if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (ast.List, ast.Tuple)):
        other = {_kind(e, kind_of) for e in right.elts} - {None, lk}
        if lk and other and isinstance(left, ast.Name):
            return f"{left.id!r} is {lk} but the list holds {other.pop()}; {_outcome(op)}"
        return ""
    rk = _kind(right, kind_of)
    if not lk or not rk or lk == rk:
        return ""
    named = [o.id for o in (left, right) if isinstance(o, ast.Name)]
    if not named:
        return ""
    if isinstance(op, _ORDERING):
        return "cannot order text against a number"
    return f"{named[0]!r} is {lk if isinstance(left, ast.Name) else rk} but is compared with " \
           f"{rk if isinstance(left, ast.Name) else lk}; {_outcome(op)}"


def _outcome(op: ast.cmpop) -> str:
    return "the test is always true" if isinstance(op, (ast.NotEq, ast.NotIn)) else "the test is never true"


def _kind(node: ast.AST, kind_of: Callable[[str], str | None]) -> str | None:
    if isinstance(node, ast.Name):
        return kind_of(node.id)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return TEXT
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return NUMBER
        return None
    if isinstance(node, (ast.BinOp, ast.UnaryOp)) and not isinstance(getattr(node, "op", None), ast.Not):
        return NUMBER
    return None


def _kind_lookup(is_feature: Callable[[str], bool]) -> Callable[[str], str | None]:
    try:
        from features.registry import feature_spec
    except ImportError:  # a partial install: the fixed list's kinds
        def spec_kind(name: str) -> str | None:
            return TEXT if name in _FALLBACK_TEXT else NUMBER
    else:
        def spec_kind(name: str) -> str | None:
            try:
                return TEXT if feature_spec(name).kind == "categorical" else NUMBER
            except KeyError:
                return None

    def kind_of(name: str) -> str | None:
        if name == "score":
            return NUMBER
        if name == "score_band":
            return TEXT
        return spec_kind(name) if is_feature(name) else None

    return kind_of

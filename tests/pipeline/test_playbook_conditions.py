"""The condition language: whitelist, vectorised evaluation, missing-value semantics, no execution."""
from __future__ import annotations

import builtins
import os

import numpy as np
import pandas as pd
import pytest

from pipeline.playbook.conditions import ConditionError, evaluate, parse_condition


@pytest.fixture()
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "util": [0.95, np.nan, 0.5, 1.2],
        "days": [10, 70, 30, 0],
        "segment": pd.Series(["smb", None, "enterprise", "mid_market"], dtype="str"),
        "tier": pd.Categorical(["growth", "starter", None, "growth"]),
        "active": [1, 0, 1, np.nan],
        "score": [0.7, 0.1, np.nan, 0.3],
    })


@pytest.mark.parametrize(("text", "expected"), [
    ("util >= 0.9", [True, False, False, True]),
    ("util < 0.9", [False, False, True, False]),  # missing is neither >= nor <
    ("util != 0.5", [True, False, False, True]),  # != with a missing value is False too
    ("util == None", [False, True, False, False]),
    ("util != None", [True, False, True, True]),
    ("not util >= 0.9", [False, True, True, False]),  # not negates the boolean: missing → True
    ("0 <= days <= 30", [True, False, True, True]),
    ("util >= 0.9 and days < 30", [True, False, False, True]),
    ("util >= 0.9 or segment == 'enterprise'", [True, False, True, True]),
    ("segment in ['smb', 'mid_market']", [True, False, False, True]),
    ("segment not in ['smb']", [False, False, True, True]),  # missing is in no list, and not "not in" either
    ("segment != 'smb'", [False, False, True, True]),
    ("tier == 'growth'", [True, False, False, True]),
    ("tier in ['starter']", [False, True, False, False]),
    ("active", [True, False, True, False]),  # bare number: present and non-zero
    ("util * 100 >= 90", [True, False, False, True]),
    ("days / 0 > 1", [False, False, False, False]),  # division by zero is missing
    ("days % 20 == 10", [True, True, True, False]),
    ("-days < -20", [False, True, True, False]),
    ("score_band == 'hot'", [True, False, False, False]),
    ("not_a_column > 0", [False, False, False, False]),  # absent column = missing everywhere
    ("True", [True, True, True, True]),
])
def test_evaluation_is_vectorised_and_missing_values_are_predictable(frame: pd.DataFrame, text: str, expected: list[bool]) -> None:
    band = pd.Series(["hot", "cold", None, "warm"], dtype=object)
    result = evaluate(text, frame, {"score_band": band})
    assert result.dtype == bool and result.tolist() == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("__import__('os').system('echo pwned')", "function calls are not allowed"),
    ("open('/etc/passwd')", "function calls are not allowed"),
    ("util.real > 0", "attribute access is not allowed"),
    ("util[0] > 0", "subscripts are not allowed"),
    ("lambda: util", "lambda is not allowed"),
    ("__builtins__ == 1", "dunder/private names are not allowed"),
    ("_private > 1", "dunder/private names are not allowed"),
    ("[x for x in util]", "comprehensions are not allowed"),
    ("(x := 1) > 0", "assignment"),
    ("util if days else 0", "'x if c else y' is not allowed"),
    ("util is None", "'is' is not allowed"),
    ("segment in segment", "'in' needs a list of constants"),
    ("util ** 2 > 1", "operator not allowed"),
    ("f'{util}' == 'x'", "f-strings are not allowed"),
    ("util >", "not a valid expression"),
    ("", "non-empty"),
    ("{'a': 1} == 1", "dict literals"),
    ("b'x' == util", "constant"),
])
def test_anything_outside_the_whitelist_is_rejected_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ConditionError, match=None) as info:
        parse_condition(text)
    assert reason in str(info.value)


def test_injected_code_never_runs(monkeypatch: pytest.MonkeyPatch, tmp_path, frame: pd.DataFrame) -> None:
    calls: list[object] = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a) or 0)
    real_import = builtins.__import__
    monkeypatch.setattr(builtins, "__import__", lambda *a, **k: (calls.append(a[0]) if a[0] == "os" else None) or real_import(*a, **k))
    for text in ("__import__('os').system('touch marker') == 0", "open('marker', 'w') == 1", "().__class__ == 1"):
        with pytest.raises(ConditionError):
            evaluate(text, frame)
    monkeypatch.setattr(builtins, "__import__", real_import)
    assert calls == []
    assert not (tmp_path / "marker").exists()


def test_names_are_collected_for_the_feature_check() -> None:
    assert parse_condition("a > 1 and (b in ['x'] or not c)").names == {"a", "b", "c"}


def test_text_cannot_be_ordered_against_numbers(frame: pd.DataFrame) -> None:
    with pytest.raises(ConditionError, match="cannot order text"):
        evaluate("segment > 3", frame)
    with pytest.raises(ConditionError, match="arithmetic needs numbers"):
        evaluate("segment + 1 > 3", frame)

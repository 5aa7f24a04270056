"""Formula neutralising: text cells only, every CSV target, numbers untouched."""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from pipeline.export import export_scores
from pipeline.export.csv_safety import neutralise_arrow, neutralise_formulas, neutralise_text
from tests.pipeline.conftest import make_scored_list

EVIL = '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize("text, expected", [
    (EVIL, "'" + EVIL),
    ("+1-2", "'+1-2"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("-12% tickets", "'-12% tickets"),
    ("-12.5", "-12.5"),  # a plain number cannot run anything
    ("+3", "+3"),
    ("Acme = best", "Acme = best"),
    ("", ""),
])
def test_text_cells(text: str, expected: str) -> None:
    out = neutralise_formulas(pd.DataFrame({"t": [text]}))
    assert out["t"].iloc[0] == expected
    arrow = neutralise_arrow(pa.table({"t": pa.array([text, None])}))  # the CSV writer's vectorised twin
    assert arrow.column("t").to_pylist() == [expected, None]


def test_numeric_columns_stay_numeric() -> None:
    frame = pd.DataFrame({"delta": [-1.5, 2.0], "n": pd.Series([-3, None], dtype="Int64"), "t": ["-x", None]})
    out = neutralise_formulas(frame)
    assert out["delta"].tolist() == [-1.5, 2.0]
    assert str(out["n"].dtype) == "Int64" and out["n"].iloc[0] == -3
    assert out["t"].iloc[0] == "'-x" and pd.isna(out["t"].iloc[1])


def _cells(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("target, name_field", [("salesforce", "Name"), ("hubspot", "name"), ("csv", "name")])
def test_hyperlink_account_name_is_neutralised(tmp_path: Path, target: str, name_field: str) -> None:
    scored = make_scored_list(3)
    scored["name"] = [EVIL, "Acme", "Beta"]
    scored["hs_object_id"] = ["101", "102", "103"]
    scored["expected_value"] = [-50.0, 10.0, 0.0]  # negative numbers must stay numbers
    export_scores(scored, target, tmp_path / "out.csv")
    rows = _cells(tmp_path / "out.csv")
    assert rows[0][name_field] == "'" + EVIL
    assert rows[1][name_field] == "Acme"
    ev_field = {"salesforce": "Upsell_Expected_Value__c", "hubspot": "upsell_expected_value", "csv": "expected_value"}[target]
    assert float(rows[0][ev_field]) == -50.0  # written as a number, not quoted text
    assert not any(v.startswith(("=", "@")) for row in rows for v in row.values())
    assert ",-50," in (tmp_path / "out.csv").read_text() or ",-50\n" in (tmp_path / "out.csv").read_text()


@pytest.mark.parametrize("arrow_type", [pa.string(), pa.large_string()])
def test_arrow_twin_agrees_with_the_text_rule_on_sliced_chunked_and_unicode_columns(arrow_type: pa.DataType) -> None:
    """The Arrow path reads each value's first byte from the buffers: slices, chunks, empty
    strings, nulls and multi-byte first characters must not confuse it."""
    import numpy as np

    from pipeline.export.csv_safety import FORMULA_PREFIXES, _starts_with_prefix

    rng = np.random.default_rng(5)
    alphabet = ["=", "+", "-", "@", "\t", "\r", "a", "é", "€", "1", ".", "'", " "]
    values = ["".join(rng.choice(alphabet, rng.integers(0, 5))) for _ in range(400)]
    values = [None if i % 17 == 0 else v for i, v in enumerate(values)]
    expected = [None if v is None else neutralise_text(v) for v in values]
    whole = pa.array(values, type=arrow_type)
    chunked = pa.chunked_array([whole.slice(0, 150), whole.slice(150)])
    for column, want in ((whole, expected), (whole.slice(37, 200), expected[37:237]), (chunked, expected)):
        got = neutralise_arrow(pa.table({"t": column})).column("t").to_pylist()
        assert got == want
    sliced = whole.slice(37, 200)
    assert sliced.offset == 37
    assert _starts_with_prefix(sliced).tolist() == [v is not None and v[:1] in FORMULA_PREFIXES for v in values[37:237]]

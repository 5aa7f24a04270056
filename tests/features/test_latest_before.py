"""latest_before: the latest event strictly before each spine cutoff, any age, the same whether the
running maximum is spread into one column per cutoff (few cutoffs) or is a window (many)."""
from __future__ import annotations

import ibis
import pandas as pd
import pytest

import features.pit as pit
from features.pit import latest_before, normalise_cutoffs

CUTOFFS = normalise_cutoffs(["2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01"])
EVENTS = pd.DataFrame({
    "account_id": ["a", "a", "a", "b", "b", "c"],
    "at": pd.to_datetime(["2023-06-30 08:00:00", "2024-02-01 00:00:00", "2024-02-29 23:59:59",
                          "2024-04-01 00:00:00", "2024-05-01 00:00:00", "2024-01-31 23:59:59.999999"], format="ISO8601"),
})
# b joins the spine only at the last two cutoffs; d never has an event
SPINE = pd.DataFrame({
    "account_id": ["a"] * 4 + ["b"] * 2 + ["c"] * 4 + ["d"] * 4,
    "as_of": [*CUTOFFS, *CUTOFFS[2:], *CUTOFFS, *CUTOFFS],
})
EXPECTED = {  # worked by hand: an event at exactly the cutoff is not before it
    ("a", "2024-02-01"): "2023-06-30 08:00", ("a", "2024-03-01"): "2024-02-29 23:59:59",
    ("a", "2024-04-01"): "2024-02-29 23:59:59", ("a", "2024-05-01"): "2024-02-29 23:59:59",
    ("b", "2024-04-01"): None, ("b", "2024-05-01"): "2024-04-01 00:00",
    **{("c", str(c.date())): "2024-01-31 23:59:59.999999" for c in CUTOFFS},
    **{("d", str(c.date())): None for c in CUTOFFS},
}


def _latest(con: ibis.BaseBackend) -> dict[tuple[str, str], str | None]:
    events = con.create_table("latest_before_events", EVENTS, overwrite=True)
    spine = con.create_table("latest_before_spine", SPINE, overwrite=True)
    got = con.execute(latest_before(spine, events, "at", "last", CUTOFFS))
    assert len(got) == len(SPINE)
    return {(r.account_id, str(pd.Timestamp(r.as_of).date())): None if pd.isna(r.last) else str(pd.Timestamp(r.last))
            for r in got.itertuples()}


def _expected() -> dict[tuple[str, str], str | None]:
    return {k: None if v is None else str(pd.Timestamp(v)) for k, v in EXPECTED.items()}


@pytest.mark.parametrize("pivot_max", [24, 1], ids=["a-column-per-cutoff", "running-window"])
def test_latest_event_before_each_cutoff(monkeypatch: pytest.MonkeyPatch, pivot_max: int) -> None:
    monkeypatch.setattr(pit, "PIVOT_MAX_CUTOFFS", pivot_max)
    assert _latest(ibis.duckdb.connect()) == _expected()


def test_one_cutoff() -> None:
    con = ibis.duckdb.connect()
    events = con.create_table("e", EVENTS)
    spine = con.create_table("s", SPINE[SPINE.as_of == CUTOFFS[1]].reset_index(drop=True))
    got = con.execute(latest_before(spine, events, "at", "last", CUTOFFS[1:2])).set_index("account_id")["last"]
    assert str(got["a"]) == "2024-02-29 23:59:59" and str(got["c"]) == "2024-01-31 23:59:59.999999"
    assert "d" not in got.index  # the one-cutoff form lists accounts with events; the spine join fills the rest

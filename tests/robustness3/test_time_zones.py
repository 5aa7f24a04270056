"""Timestamps in time zones: a cutoff is the same instant whichever way the data are stored.

Timestamps with a zone (parquet) or an offset (CSV ``Z``, ``+02:00``) are instants, converted
to UTC on the DuckDB path and the pandas path alike. ``usage.usage_date`` is a calendar day:
local midnights written with their zone are the days as written (before: the UTC day of a
midnight east of Greenwich is the day before, so the usage of the day starting at the cutoff
counted as known at the cutoff).
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.robustness3.conftest import features_of, invoke, write_tables

Restamp = Callable[[pd.Series], pd.Series]


def _restamped(frames: dict[str, pd.DataFrame], restamp: Restamp, only: str | None = None) -> dict[str, pd.DataFrame]:
    """The frames with every timestamp column (or only the column ``only``) rewritten by ``restamp``."""
    out = {}
    for name, frame in frames.items():
        frame = frame.copy()
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]) and only in (None, column):
                frame[column] = restamp(frame[column])
        out[name] = frame
    return out


def _zoned(zone: str) -> Restamp:
    return lambda s: s.dt.tz_localize("UTC").dt.tz_convert(zone)


def _text(fmt: str, shift: pd.Timedelta = pd.Timedelta(0)) -> Restamp:
    return lambda s: (s + shift).dt.strftime(fmt).where(s.notna())


@pytest.fixture(scope="module")
def naive(hand_frames: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return features_of(write_tables(tmp_path_factory.mktemp("naive"), hand_frames))


@pytest.mark.parametrize(("restamp", "fmt"), [
    pytest.param(_zoned("UTC"), "parquet", id="parquet-utc"),
    pytest.param(_zoned("Europe/Berlin"), "parquet", id="parquet-berlin"),
    pytest.param(_zoned("America/New_York"), "parquet", id="parquet-new-york"),
    pytest.param(_text("%Y-%m-%dT%H:%M:%SZ"), "csv", id="csv-z"),
    pytest.param(_text("%Y-%m-%dT%H:%M:%S+02:00", pd.Timedelta(hours=2)), "csv", id="csv-plus-2"),
    pytest.param(_text("%Y-%m-%d %H:%M:%S-05:30", pd.Timedelta(hours=-5, minutes=-30)), "csv", id="csv-minus-5-30"),
    pytest.param(_text("%Y-%m-%d %H:%M:%S+02", pd.Timedelta(hours=2)), "csv", id="csv-postgres-plus-02"),
])
def test_the_same_instants_in_any_zone_give_the_same_features(hand_frames: dict[str, pd.DataFrame], naive: pd.DataFrame,
                                                              tmp_path: Path, restamp: Restamp, fmt: str) -> None:
    data = write_tables(tmp_path, _restamped(hand_frames, restamp), fmt)
    pd.testing.assert_frame_equal(features_of(data), naive)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Kolkata", "America/New_York"])
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_usage_days_written_as_local_midnights_are_those_days(hand_frames: dict[str, pd.DataFrame], naive: pd.DataFrame,
                                                              tmp_path: Path, zone: str, fmt: str) -> None:
    """A warehouse exporting each usage day as local midnight with its zone (or offset): the day
    at the cutoff (value 999) stays after the cutoff, whatever the zone."""
    def local_midnights(s: pd.Series) -> pd.Series:
        local = s.dt.tz_localize(zone)
        return local if fmt == "parquet" else local.dt.strftime("%Y-%m-%dT%H:%M:%S%z")

    data = write_tables(tmp_path, _restamped(hand_frames, local_midnights, only="usage_date"), fmt)
    got = features_of(data)
    assert got.loc[got.account_id == "a1", "use_api_value_30d"].item() == 12.0
    pd.testing.assert_frame_equal(got, naive)


def test_usage_days_given_as_utc_midnights_in_another_zone_keep_their_utc_day(
        hand_frames: dict[str, pd.DataFrame], naive: pd.DataFrame, tmp_path: Path) -> None:
    """UTC midnights shown in New York time (19:00 the evening before) are not local days."""
    data = write_tables(tmp_path, _restamped(hand_frames, _zoned("America/New_York"), only="usage_date"))
    pd.testing.assert_frame_equal(features_of(data), naive)


def test_the_note_says_why_a_zoned_usage_table_is_read_in_memory(hand_frames: dict[str, pd.DataFrame],
                                                                   tmp_path: Path) -> None:
    zoned = _restamped(hand_frames, lambda s: s.dt.tz_localize("Europe/Berlin"), only="usage_date")
    result = invoke("validate", "--data", write_tables(tmp_path, zoned))
    assert result.exit_code == 0, result.output
    assert "usage_date (Europe/Berlin)" in result.output


def test_features_do_not_depend_on_the_machines_time_zone(hand_frames: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    """A DuckDB database with TIMESTAMPTZ columns, read in memory (a VARCHAR number sends the
    usage table there): DuckDB hands pandas those values in the session's zone, the machine's."""
    import duckdb

    database = tmp_path / "source.duckdb"
    con = duckdb.connect(str(database))
    for name, frame in hand_frames.items():
        con.register("frame", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
        con.unregister("frame")
    con.execute("ALTER TABLE usage ALTER usage_date TYPE TIMESTAMPTZ USING timezone('UTC', usage_date)")
    con.execute("ALTER TABLE purchases ALTER ordered_at TYPE TIMESTAMPTZ USING timezone('UTC', ordered_at)")
    con.execute("ALTER TABLE usage ALTER value TYPE VARCHAR")
    con.close()
    outs = {}
    for zone in ("UTC", "Asia/Tokyo"):
        outs[zone] = tmp_path / f"features-{zone.replace('/', '-')}.parquet"
        code = ("import sys; from pipeline.cli import app; "
                f"sys.argv = ['upsell', 'features', '--data', {str(database)!r}, '--as-of', '2026-03-10', "
                f"'--out', {str(outs[zone])!r}]; app()")
        done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "TZ": zone},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert outs["UTC"].read_bytes() == outs["Asia/Tokyo"].read_bytes()
    got = pd.read_parquet(outs["Asia/Tokyo"])
    assert got.loc[got.account_id == "a1", "use_api_value_30d"].item() == 12.0


def test_mixed_offsets_in_usage_days_are_one_problem(hand_frames: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    """Times of day under two offsets cannot be read as days: the column's rule is named once,
    with its rows, not also as five duplicate (account_id, usage_date, metric) keys of blank days."""
    usage = hand_frames["usage"].copy()
    usage["usage_date"] = [f"2026-03-0{i}T10:00:00+0{1 + i % 2}:00" for i in range(1, 6)]
    data = write_tables(tmp_path, {"accounts": hand_frames["accounts"], "usage": usage}, "csv")
    result = invoke("validate", "--data", data)
    assert result.exit_code == 1
    assert "usage_date" in result.output and "mixed offsets" in result.output
    assert "unique (account_id, usage_date, metric)" not in result.output, result.output


def test_postgres_offsets_are_offsets(hand_frames: dict[str, pd.DataFrame], naive: pd.DataFrame, tmp_path: Path) -> None:
    """PostgreSQL writes timestamptz as '2026-03-10 00:00:00+02' (hours only). Such a column mixed
    with naive values is the mixed-offsets error (before: read silently, each row on its own clock),
    and usage days written that way are the days as written (before: the UTC day, a day early)."""
    tickets = hand_frames["support_tickets"].copy()
    tickets["opened_at"] = [f"{v:%Y-%m-%d %H:%M:%S}" + ("+02" if i == 0 else "") for i, v in enumerate(tickets["opened_at"])]
    data = write_tables(tmp_path / "mixed", {"accounts": hand_frames["accounts"], "support_tickets": tickets}, "csv")
    result = invoke("validate", "--data", data)
    assert result.exit_code == 1 and "support_tickets.opened_at" in result.output and "mixed offsets" in result.output

    usage = hand_frames["usage"].copy()
    usage["usage_date"] = [f"{v:%Y-%m-%d %H:%M:%S}+02" for v in usage["usage_date"]]
    pd.testing.assert_frame_equal(features_of(write_tables(tmp_path / "days", {**hand_frames, "usage": usage}, "csv")), naive)

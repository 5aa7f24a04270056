"""The Spark engine reads zoned usage days as the pandas and DuckDB paths do (``data.coerce``): a
column of local midnights (text with offsets, or a parquet timestamp column with a zone) is the days
as written, whatever its offsets (daylight saving time); any other zoned column takes its UTC days.
Taking the UTC day of a local midnight east of UTC moves every day to the one before, and the day
that starts at the cutoff would count as known at it.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tests.robustness3.conftest import write_tables

pytest.importorskip("pyspark")

@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from pipeline.spark.session import SparkSettings, spark_session

    settings = SparkSettings(master="local[1]", app_name="upsell-robustness3",
                             warehouse_dir=str(tmp_path_factory.mktemp("spark-warehouse")),
                             conf={"spark.sql.shuffle.partitions": "2"})
    session = spark_session(settings)
    yield session
    session.stop()


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_spark_reads_local_midnight_usage_days_as_written(spark: object, hand_frames: dict[str, pd.DataFrame],
                                                          tmp_path: Path, fmt: str) -> None:
    from pipeline.spark.load import load_tables_spark

    usage = hand_frames["usage"].copy()
    local = usage["usage_date"].dt.tz_localize("Europe/Berlin")
    usage["usage_date"] = local if fmt == "parquet" else local.dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    data = write_tables(tmp_path, {"accounts": hand_frames["accounts"], "usage": usage}, fmt)
    tables = load_tables_spark(data, spark)
    days = tables.to_pandas("usage")["usage_date"].astype("datetime64[us]")
    assert sorted(days) == sorted(hand_frames["usage"]["usage_date"])


def _usage_days(hand_frames: dict[str, pd.DataFrame], tmp_path: Path, spark: object, times: list[str], zone: str,
                fmt: str) -> tuple[list[pd.Timestamp], list[pd.Timestamp]]:
    """usage_date written as ``times`` in ``zone`` (a zoned parquet column, or text with offsets),
    as the default loader and as the Spark loader read it back, sorted."""
    from data.load import load_tables
    from pipeline.spark.load import load_tables_spark

    usage = hand_frames["usage"].copy()
    local = pd.to_datetime(times).tz_localize(zone)
    usage["usage_date"] = local if fmt == "parquet" else local.strftime("%Y-%m-%dT%H:%M:%S%z")
    data = write_tables(tmp_path, {"accounts": hand_frames["accounts"], "usage": usage}, fmt)
    duck = load_tables(data).to_pandas("usage")["usage_date"].astype("datetime64[us]")
    on_spark = load_tables_spark(data, spark).to_pandas("usage")["usage_date"].astype("datetime64[us]")
    return sorted(duck), sorted(on_spark)


# Berlin moves from +01:00 to +02:00 on 2026-03-29: one column, two offsets, all local midnights
BERLIN_DAYS = ["2026-03-27", "2026-03-28", "2026-03-29", "2026-03-30", "2026-04-02"]
# one value at 01:00 in Tokyo: the column is instants, not calendar days, so each takes its UTC day
# (01:00+09:00 on 10 March is 16:00 on 9 March in UTC; the midnights fall on the day before)
TOKYO_TIMES = ["2026-03-10 01:00", "2026-03-09 00:00", "2026-02-08 00:00", "2026-02-07 00:00", "2026-01-10 00:00"]
TOKYO_UTC_DAYS = ["2026-01-09", "2026-02-06", "2026-02-07", "2026-03-08", "2026-03-09"]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize(("times", "zone", "days"), [(BERLIN_DAYS, "Europe/Berlin", BERLIN_DAYS),
                                                     (TOKYO_TIMES, "Asia/Tokyo", TOKYO_UTC_DAYS)],
                         ids=["local-midnights-across-dst", "not-all-midnights"])
def test_zoned_usage_days_match_the_default_loader(spark: object, hand_frames: dict[str, pd.DataFrame], tmp_path: Path,
                                                   fmt: str, times: list[str], zone: str, days: list[str]) -> None:
    duck, on_spark = _usage_days(hand_frames, tmp_path, spark, times, zone, fmt)
    assert on_spark == duck == [pd.Timestamp(d) for d in days]


@pytest.mark.slow
def test_a_text_column_of_local_midnights_reports_unreadable_days_as_pandas_does(
        spark: object, hand_frames: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    from data.errors import DataContractError
    from data.load import load_tables
    from pipeline.spark.load import load_tables_spark

    usage = hand_frames["usage"].copy()
    usage["usage_date"] = ["2026-03-10T00:00:00+0100", "2026-03-09T00:00:00+0100", "2026-02-30T00:00:00+0100",
                           "2026-02-07T00:00:00+0100", "2026-01-10T00:00:00+0100"]
    data = write_tables(tmp_path, {"accounts": hand_frames["accounts"], "usage": usage}, "csv")
    found = []
    for load in (load_tables, lambda d: load_tables_spark(d, spark)):
        with pytest.raises(DataContractError) as err:
            load(data)
        [problem] = [p for p in err.value.problems if p.column == "usage_date"]
        found.append((problem.rule, problem.n_rows, problem.examples.iloc[0]["usage_date"]))
    assert found[0] == found[1] and found[0][1] == 1 and found[0][2] == "2026-02-30T00:00:00+0100"

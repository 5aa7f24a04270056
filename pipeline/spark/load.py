"""Source tables on Spark: read, validate against the contract, expose as ``Tables`` on the ibis PySpark backend.

A data source is one of

* a data directory (local path or any Hadoop URI: ``s3a://``, ``abfss://``, ``dbfs:/`` …) holding
  ``<table>.parquet`` (a file or a Spark-written directory), ``<table>.csv`` or ``<table>.csv.gz``;
* ``spark:<database>`` (or ``spark:<catalog>.<schema>``): tables named after the contract in a
  metastore schema, e.g. ``spark:sales.upsell`` reads ``sales.upsell.accounts`` …;
* a mapping ``{contract table name: Spark table name or path}`` for anything else.

Files are read by Spark, never by the driver; CSV is read as text and typed by
``pipeline.spark.coerce`` so bad values are reported, not silently nulled. The validated tables are
registered as temporary views (no warehouse directory is written) and wrapped as ibis tables, so
``features.build`` runs the same expressions it runs on DuckDB.

Files are judged as ``data.load`` judges them, with its rule names and reasons: a directory named
like a table is read when it holds parquet part files and refused otherwise (``offers.csv/``); a
CSV header with a repeated name or another separator is refused; rows ending in a delimiter keep
their columns, and a value beyond the header's last column makes the file unreadable; a file that
is not UTF-8 says so in one line. Only the header is read on the driver (its first record); the
other CSV checks ride along the validation pass (``pipeline.spark.validate``).
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from data.contract import TABLE_NAMES
from data.errors import DataContractError, UpsellError
from data.load import (
    FILE_SUFFIXES,
    RULE_ONE_FILE,
    RULE_READABLE_CSV,
    RULE_READABLE_PARQUET,
    beyond_header_reason,
    check_csv_header,
    date_column_zones,
    ignored_files_note,
    not_utf8_reason,
    table_directory_problem,
    table_locations,
)
from data.problems import Problem, render_problems
from data.tables import Tables
from pipeline.spark.session import SparkSettings, spark_session

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from pipeline.spark.validate import SparkValidation

SPARK_TABLES_PREFIX = "spark:"
# An extra column after a CSV header's last one: a value there is a value beyond the header
BEYOND_HEADER = "__upsell_beyond_header"
# Column metadata key: the time zone a date column's parquet timestamps were written in
ZONE_METADATA = "upsell_time_zone"
_BOM = "\ufeff"
_view_ids = itertools.count(1)

Source = str | os.PathLike[str] | Mapping[str, str]


def load_tables_spark(data: Source, session: "SparkSession | None" = None, *,
                      settings: SparkSettings | None = None) -> Tables:
    """Validated ``Tables`` of ``data`` on the ibis PySpark backend (session from ``settings`` when not given).

    Raises ``DataContractError`` listing every problem (table, column, rule, example rows).
    """
    from pipeline.spark.backend import connect

    session = session or spark_session(settings)
    report = validate_source_spark(data, session)
    if not report.ok:
        raise DataContractError(render_problems(report.problems, _describe(data)), report.problems)
    con = connect(session)
    run = next(_view_ids)
    tables = {}
    for name, frame in report.frames.items():
        view = f"upsell_{name}_{os.getpid()}_{run}"
        frame.createOrReplaceTempView(view)
        tables[name] = con.table(view)
    return Tables(con=con, tables=tables, source=_describe(data), notes=tuple(report.notes))


def validate_source_spark(data: Source, session: "SparkSession") -> "SparkValidation":
    """Read every table of ``data`` with Spark and check it against the contract."""
    from pipeline.spark.validate import validate_spark

    raw, problems, notes = read_raw_spark(data, session)
    report = validate_spark(raw, unreadable={p.table for p in problems})
    report.problems[:0] = problems
    report.notes[:0] = notes
    return report


def read_raw_spark(data: Source, session: "SparkSession") -> tuple[dict[str, "DataFrame"], list[Problem], list[str]]:
    """Raw Spark DataFrames per contract table (CSV as text), unreadable ones as problems, and notes."""
    if isinstance(data, Mapping):
        locations = dict(data)
        unknown = sorted(set(locations) - set(TABLE_NAMES))
        if unknown:
            raise UpsellError(f"unknown table name(s) {unknown}; the contract knows {list(TABLE_NAMES)}")
        return _read_locations(session, locations)
    text = os.fspath(data)
    if text.startswith(SPARK_TABLES_PREFIX):
        return _read_catalog(session, text.removeprefix(SPARK_TABLES_PREFIX))
    if "://" in text or text.startswith("dbfs:"):
        return _read_locations(session, _remote_files(session, text))
    root = Path(text)
    files = table_locations(root)  # parquet part-file directories read, other table directories refused
    frames, problems = {}, []
    for name, file in files.items():
        frame, problem = _read_file(session, name, str(file.resolve()))
        if problem:
            problems.append(problem)
        else:
            frames[name] = frame
    notes = ignored_files_note(root)  # the same note as the DuckDB loader, so both engines' manifests agree
    return frames, problems, notes


def _read_locations(session: "SparkSession", locations: Mapping[str, str]) -> tuple[dict, list[Problem], list[str]]:
    frames, problems = {}, []
    for name, where in locations.items():
        if where.endswith(FILE_SUFFIXES) or "/" in where:
            frame, problem = _read_file(session, name, where)
        else:
            frame, problem = _read_table(session, name, where)
        if problem:
            problems.append(problem)
        else:
            frames[name] = frame
    return frames, problems, []


def _read_catalog(session: "SparkSession", schema: str) -> tuple[dict, list[Problem], list[str]]:
    if not schema:
        raise UpsellError("spark: names no database; use spark:<database> or spark:<catalog>.<schema>")
    present = {name for name in TABLE_NAMES if session.catalog.tableExists(f"{schema}.{name}")}
    if not present:
        raise UpsellError(f"spark:{schema}: no contract table ({', '.join(TABLE_NAMES)}) in that schema")
    return _read_locations(session, {name: f"{schema}.{name}" for name in TABLE_NAMES if name in present})


def _remote_files(session: "SparkSession", root: str) -> dict[str, str]:
    """The file behind each contract table under a Hadoop URI (checked through Spark's FileSystem)."""
    jvm = session.sparkContext._jvm  # type: ignore[attr-defined]
    conf = session.sparkContext._jsc.hadoopConfiguration()  # type: ignore[attr-defined]
    base = jvm.org.apache.hadoop.fs.Path(root)
    fs = base.getFileSystem(conf)
    if not fs.exists(base):
        raise UpsellError(f"{root}: no such data directory")
    found, problems = {}, []
    for name in TABLE_NAMES:
        hits = [f"{root.rstrip('/')}/{name}{s}" for s in FILE_SUFFIXES if fs.exists(jvm.org.apache.hadoop.fs.Path(f"{root.rstrip('/')}/{name}{s}"))]
        if len(hits) > 1:
            problems.append(Problem(table=name, column=None, rule=RULE_ONE_FILE, detail="found " + ", ".join(hits)))
        elif hits and not hits[0].endswith(".parquet") and fs.getFileStatus(jvm.org.apache.hadoop.fs.Path(hits[0])).isDirectory():
            problems.append(table_directory_problem(name, _file_name(hits[0])))
        elif hits:
            found[name] = hits[0]
    if problems:
        raise DataContractError(render_problems(problems, root), problems)
    return found


def _read_file(session: "SparkSession", name: str, path: str) -> tuple["DataFrame | None", Problem | None]:
    parquet = path.rstrip("/").endswith(".parquet")
    try:
        if parquet:
            frame = session.read.parquet(path)
        else:  # CSV as text: typing (and its error messages) is the contract's business
            frame = _read_csv(session, path)
        frame.schema  # noqa: B018 - resolves the schema now, so an unreadable file is reported here
    except Exception as exc:  # any reader failure is the user's file, reported with its cause
        rule = RULE_READABLE_PARQUET if parquet else RULE_READABLE_CSV
        return None, Problem(table=name, column=None, rule=rule, detail=f"{_file_name(path)}: {_first_line(exc)}")
    if parquet:
        frame = _with_date_zones(frame, name, path)
    return frame, None


def _with_date_zones(frame: "DataFrame", name: str, path: str) -> "DataFrame":
    """Spark reads a zoned parquet timestamp as its instant; the zone its calendar days were
    written in (the Arrow schema's) goes into the column's metadata, where ``pipeline.spark.coerce``
    reads it. Files pyarrow cannot open from here (remote stores) keep their UTC days."""
    local = path.removeprefix("file://") if path.startswith("file://") else path
    if "://" in local or local.startswith("dbfs:"):
        return frame
    for column, zone in date_column_zones(name, Path(local)).items():
        if column in frame.columns:
            frame = frame.withMetadata(column, {ZONE_METADATA: zone})
    return frame


def _read_csv(session: "SparkSession", path: str) -> "DataFrame":
    """A CSV file as text columns named by its header, plus ``BEYOND_HEADER``.

    The header is checked as ``data.load`` checks it (``ValueError`` with the reason). Rows are read
    under the header's names with one column more: a row ending in a delimiter (``a,b,``) leaves
    it empty instead of shifting anything, and a value in it is reported by the validation pass.
    """
    from pyspark.sql import types as T

    options = {"multiLine": True, "escape": '"'}
    first = session.read.csv(path, header=False, inferSchema=False, **options).first()
    if first is None:
        raise ValueError("No columns to parse from file")  # pandas' words for it
    header = ["" if h is None else str(h) for h in first]
    header[0] = header[0].removeprefix(_BOM)
    if any("\ufffd" in h for h in header):  # not UTF-8: say so, as the pandas reader does
        byte = first_invalid_byte(session, path)
        if byte is not None:
            raise ValueError(not_utf8_reason(byte))
    check_csv_header(header)
    names = [h or f"_c{i}" for i, h in enumerate(header)]  # Spark's name for an empty header cell
    schema = T.StructType([T.StructField(n, T.StringType()) for n in [*names, BEYOND_HEADER]])
    return session.read.csv(path, schema=schema, header=True, enforceSchema=True, **options)


def first_invalid_byte(session: "SparkSession", path: str) -> bytes | None:
    """The first byte of ``path`` that is not UTF-8 (None when every line is UTF-8): one text scan."""
    from pyspark.sql import functions as F

    row = (session.read.text(path).where(~F.is_valid_utf8("value"))
           .select(F.col("value").cast("binary").alias("line")).first())
    if row is None:
        return None
    try:
        bytes(row["line"]).decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.object[exc.start:exc.start + 1]
    return None


def csv_read_problem(frame: "DataFrame", name: str, first_beyond: int | None, replaced: bool) -> Problem | None:
    """The problem of a CSV file (read by ``_read_csv``) that the pandas reader would refuse, or None.

    ``replaced``: some text held U+FFFD, which is how Spark decodes bytes that are not UTF-8 (a
    scan of the raw bytes tells that from a genuine U+FFFD). ``first_beyond``: the first row (from
    0; the file is read whole by one task, so row ids are file positions) with a value beyond the
    header's last column.
    """
    path = frame.inputFiles()[0]
    reason = None
    if replaced:
        byte = first_invalid_byte(frame.sparkSession, path)
        reason = not_utf8_reason(byte) if byte is not None else None
    if reason is None and first_beyond is not None:
        reason = beyond_header_reason(int(first_beyond), len(frame.columns) - 1)
    if reason is None:
        return None
    return Problem(table=name, column=None, rule=RULE_READABLE_CSV, detail=f"{_file_name(path)}: {reason}")


def _file_name(path: str) -> str:
    """The last part of a path or URI (what ``data.load`` names a file by in its messages)."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def _read_table(session: "SparkSession", name: str, table: str) -> tuple["DataFrame | None", Problem | None]:
    try:
        return session.table(table), None
    except Exception as exc:
        return None, Problem(table=name, column=None, rule="readable Spark table", detail=f"{table}: {_first_line(exc)}")


def _describe(data: Source) -> str:
    if isinstance(data, Mapping):
        return "{" + ", ".join(f"{k}: {v}" for k, v in data.items()) + "}"
    return os.fspath(data)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__

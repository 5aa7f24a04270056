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
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from data.contract import TABLE_NAMES
from data.errors import DataContractError, UpsellError
from data.load import FILE_SUFFIXES, ignored_files_note, table_files
from data.problems import Problem, render_problems
from data.tables import Tables
from pipeline.spark.session import SparkSettings, spark_session

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from pipeline.spark.validate import SparkValidation

SPARK_TABLES_PREFIX = "spark:"
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
    report = validate_spark(raw)
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
    files = _local_files(root)
    frames, problems = {}, []
    for name, file in files.items():
        frame, problem = _read_file(session, name, str(file.resolve()))
        if problem:
            problems.append(problem)
        else:
            frames[name] = frame
    notes = ignored_files_note(root)  # the same note as the DuckDB loader, so both engines' manifests agree
    return frames, problems, notes


def _local_files(root: Path) -> dict[str, Path]:
    """``data.load.table_files``, plus Spark-written parquet directories (``accounts.parquet/part-…``)."""
    files = table_files(root)  # existence, "one file per table" and the error messages
    for name in TABLE_NAMES:
        folder = root / f"{name}.parquet"
        if name not in files and folder.is_dir():
            files[name] = folder
    return files


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
            problems.append(Problem(table=name, column=None, rule="one file per table", detail="found " + ", ".join(hits)))
        elif hits:
            found[name] = hits[0]
    if problems:
        raise DataContractError(render_problems(problems, root), problems)
    return found


def _read_file(session: "SparkSession", name: str, path: str) -> tuple["DataFrame | None", Problem | None]:
    try:
        if path.endswith(".parquet"):
            frame = session.read.parquet(path)
        else:  # CSV as text: typing (and its error messages) is the contract's business
            frame = session.read.csv(path, header=True, inferSchema=False, multiLine=True, escape='"')
        frame.schema  # noqa: B018 - resolves the schema now, so an unreadable file is reported here
    except Exception as exc:  # any reader failure is the user's file, reported with its cause
        kind = "parquet" if path.endswith(".parquet") else "CSV with a header row"
        return None, Problem(table=name, column=None, rule=f"readable {kind} file", detail=f"{path}: {_first_line(exc)}")
    return frame, None


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

"""Read a data source (a directory of parquet/CSV files, or a DuckDB database file) into
validated ``Tables``. This is the only place source data is read from disk.

Every table ends up on one DuckDB connection, by one of two paths, chosen per table:

* **DuckDB path** (no rows in Python): a parquet file, or a table of a DuckDB database, whose
  contract columns are all stored in types SQL converts without parsing text (the rule and its
  table: ``data.sql_columns``). Its rules are checked by SQL aggregates where it is stored
  (``data.validate_sql``) and the table is served as a view over the file or database table.
* **pandas path**: CSV files (text that must be parsed), parquet/database tables with a column
  that needs parsing (dates or numbers held as text, booleans as text …), views of a database,
  and files DuckDB cannot open. The table is read into memory, coerced (``data.coerce``), checked
  by pandera (``data.schemas``), then copied into DuckDB. A note names the columns that sent a
  parquet or database table this way.

Both paths check the same rules with the same names and report the same ``Problem`` s; example
rows are numbered by their position in the file (or database table) and are the first offenders
in that order. Either way the served tables carry the contract's types (text as VARCHAR, naive
UTC TIMESTAMPs, DOUBLE, BIGINT, BOOLEAN), so ``features`` sees the same tables.
"""
from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from data.contract import COLUMNS, TABLE_NAMES
from data.duckdb_connection import connect_duckdb
from data.errors import DataContractError, UpsellError
from data.problems import Problem, render_problems
from data.sql_columns import SqlColumn, fit_table, quote
from data.stored_tables import StoredTable, attach_database, open_parquet
from data.tables import Tables
from data.validate import CheckedTable, ValidationReport, account_ids_of, check_frame, missing_tables, shape_problems
from data.validate_sql import check_stored

FILE_SUFFIXES = (".parquet", ".csv", ".csv.gz")
DUCKDB_SUFFIXES = (".duckdb", ".ddb", ".db")
_UTC_ZONES = {"UTC", "Etc/UTC", "+00:00", "Z", "utc", "GMT", "Etc/GMT"}  # zones whose calendar day is UTC's
_RESERVED = {"file_row_number", "rowid", "__upsell_row"}  # names our row numbering would shadow
# Rule names of the file-level problems, shared with the Spark loader (pipeline.spark.load).
RULE_ONE_FILE = "one file per table"
RULE_TABLE_IS_FILE = "a table is a file"
RULE_READABLE_PARQUET = "readable parquet file"
RULE_READABLE_CSV = "readable CSV with a header row file"
_runs = itertools.count(1)


def table_files(source: str | Path) -> dict[str, Path]:
    """The file behind each contract table in a data directory (ambiguity is a contract error)."""
    root = _existing(source)
    if not root.is_dir():
        raise UpsellError(f"{root}: expected a data directory or a DuckDB file ({', '.join(DUCKDB_SUFFIXES)})")
    found: dict[str, Path] = {}
    problems = []
    for name in TABLE_NAMES:
        candidates = [root / f"{name}{suffix}" for suffix in FILE_SUFFIXES if (root / f"{name}{suffix}").is_file()]
        if len(candidates) > 1:
            problems.append(Problem(table=name, column=None, rule=RULE_ONE_FILE,
                                    detail="found " + ", ".join(p.name for p in candidates)))
        elif candidates:
            found[name] = candidates[0]
    if problems:
        raise DataContractError(render_problems(problems, str(root)), problems)
    return found


def table_locations(source: str | Path) -> dict[str, Path]:
    """``table_files`` plus tables stored as a directory of parquet files (``offers.parquet/part-…``,
    as Spark and Databricks write them; the Spark loader reads the same ones). Any other
    directory named like a table (``offers.csv/``) is a contract error: it is never silently
    taken for a missing table."""
    found = table_files(source)
    root = Path(source)
    problems = []
    for name in TABLE_NAMES:
        for suffix in FILE_SUFFIXES:
            folder = root / f"{name}{suffix}"
            if not folder.is_dir():
                continue
            if name in found:
                problems.append(Problem(table=name, column=None, rule=RULE_ONE_FILE,
                                        detail=f"found {found[name].name} and the directory {folder.name}/"))
            elif suffix == ".parquet":
                found[name] = folder
            else:
                problems.append(table_directory_problem(name, folder.name))
    if problems:
        raise DataContractError(render_problems(problems, str(root)), problems)
    return found


def validate_source(source: str | Path, *, in_memory: bool = False) -> ValidationReport:
    """Check every table of a source; the report lists every problem found.

    ``report.frames`` maps each checked table to a ``CheckedTable`` (an ibis table on an
    in-process DuckDB connection, and its row count). ``in_memory=True`` sends every table down
    the pandas path (the behaviour before the DuckDB path existed; for comparisons and debugging).
    """
    return _check_source(_existing(source), connect_duckdb(), in_memory)


def load_tables(source: str | Path, con: ibis.BaseBackend | None = None, *, in_memory: bool = False) -> Tables:
    """Validated ``Tables`` from a data directory or DuckDB file, on ``con`` (a new in-process
    DuckDB connection by default).

    Raises ``DataContractError`` naming every problem (table, column, rule, example rows).
    """
    duck = con if con is not None and con.name == "duckdb" else connect_duckdb()
    report = _check_source(_existing(source), duck, in_memory)
    if not report.ok:
        raise DataContractError(render_problems(report.problems, str(source)), report.problems)
    tables = {name: checked.table for name, checked in report.frames.items()}
    notes = tuple(report.notes)
    if con is not None and con is not duck:  # another backend: hand it the rows
        tables = {name: con.create_table(f"src_{name}", duck.to_pandas(t), overwrite=True) for name, t in tables.items()}
        return Tables(con=con, tables=tables, source=str(source), notes=notes)
    return Tables(con=duck, tables=tables, source=str(source), notes=notes)


def fingerprint_source(source: str | Path) -> dict[str, str]:
    """sha256 of every input file (for run manifests: which exact data a run saw)."""
    path = _existing(source)
    files = {"database": path} if path.is_file() else table_locations(path)
    return {name: _sha256(file) for name, file in sorted(files.items())}


def _check_source(path: Path, con: ibis.BaseBackend, in_memory: bool) -> ValidationReport:
    raw_con: duckdb.DuckDBPyConnection = con.con
    run = next(_runs)
    stored, in_memory_frames, read_problems, notes = _open(path, raw_con, in_memory)
    present = set(stored) | set(in_memory_frames) | {p.table for p in read_problems}
    report = ValidationReport(frames={}, problems=read_problems + missing_tables(present), notes=notes)
    known = _KnownAccounts()
    for name in TABLE_NAMES:  # accounts first: the other tables' ids are checked against it
        if name in stored:
            checked = _via_duckdb(con, stored[name], run, known, report)
        elif name in in_memory_frames:
            checked = _via_pandas(con, name, in_memory_frames.pop(name), run, known, report)
        else:
            continue
        if checked is None:
            continue
        report.frames[name] = checked
        if name == "accounts" and "account_id" in checked.table.columns:
            served = quote(_served_name(name, run))
            known.sql = f"(SELECT DISTINCT account_id AS known_id FROM {served} WHERE account_id IS NOT NULL)"
    return report


@dataclass
class _KnownAccounts:
    """The ids every other table's ``account_id`` must be among: a SQL relation (column
    ``known_id``) for the DuckDB path, a pandas Index for the pandas path (fetched when needed)."""

    sql: str | None = None
    index: pd.Index | None = None

    def as_index(self, con: duckdb.DuckDBPyConnection) -> pd.Index | None:
        if self.index is None and self.sql is not None:
            self.index = pd.Index(con.execute(f"SELECT known_id FROM {self.sql}").df()["known_id"])
        return self.index


def _open(path: Path, con: duckdb.DuckDBPyConnection, in_memory: bool
          ) -> tuple[dict[str, tuple[StoredTable, dict[str, SqlColumn]]], dict[str, pd.DataFrame], list[Problem], list[str]]:
    """Per table: stored tables SQL can check (with their column conversions), raw frames for the
    pandas path, problems of unreadable files, and notes."""
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    if path.is_file() and path.name.endswith(DUCKDB_SUFFIXES):
        try:
            found, notes = attach_database(con, path)
        except duckdb.Error as exc:
            raise UpsellError(f"{path}: not a readable DuckDB database ({_first_line(exc)})") from None
    else:
        locations = table_locations(path)  # first: it says when the path is not a data directory
        found, notes = {}, ignored_files_note(path)
        for name, file in locations.items():
            duckdb_failed = ""
            if file.is_dir():
                notes.append(f"{name}: {file.name} is a directory of parquet files; "
                             "the table is parsed and checked in memory")
            elif file.suffix == ".parquet" and not in_memory and (zoned := zoned_date_columns(name, file)):
                notes.append(f"{name}: {zoned} stored with a time zone: its calendar days are read in that "
                             "zone; the table is parsed and checked in memory")
            elif file.suffix == ".parquet" and not in_memory:
                try:
                    found[name] = open_parquet(con, name, file)
                    continue
                except duckdb.Error as exc:  # let the pandas reader try, and report its reason if it fails too
                    duckdb_failed = _first_line(exc)
            try:
                frames[name] = read_table_frame(file)
            except Exception as exc:  # any reader failure is the user's file, reported with its cause
                rule = RULE_READABLE_PARQUET if file.suffix == ".parquet" else RULE_READABLE_CSV
                problems.append(Problem(table=name, column=None, rule=rule,
                                        detail=f"{file.name}: {_first_line(exc)}"))
            else:
                if duckdb_failed:
                    notes.append(f"{name}: DuckDB could not read {file.name} ({duckdb_failed}); "
                                 "the table is parsed and checked in memory")
    stored = {}
    for name, table in found.items():
        columns, why = (None, "") if in_memory else _sql_columns(table)
        if columns is None:
            frames[name] = _utc_clock(table.read_df(con))
            if why:
                notes.append(f"{name}: {why}; the table is parsed and checked in memory")
        else:
            stored[name] = (table, columns)
    return stored, frames, problems, notes


def zoned_date_columns(table: str, file: Path) -> str:
    """The date columns (``usage.usage_date``) a parquet file stores as timestamps in a zone other
    than UTC, as text ("" when none, or when the footer cannot be read: DuckDB then says why).

    A date names a calendar day in the writer's zone (local midnights, say). DuckDB keeps only
    the instant, whose UTC day is the day before for zones east of UTC (the day that starts at
    a cutoff would count before it), so such a table goes to the pandas path, which keeps the
    zone (``data.coerce``).
    """
    return ", ".join(f"{column} ({zone})" for column, zone in date_column_zones(table, file).items())


def date_column_zones(table: str, path: Path) -> dict[str, str]:
    """``{column: zone}`` for the date columns a parquet file (or a directory of parquet part
    files) stores as timestamps in a zone other than UTC; empty when there are none or the footer
    cannot be read (the readers then say why). Spark keeps only the instants too
    (``pipeline.spark.load``), so it needs the zone from here."""
    dates = {c.name for c in COLUMNS[table] if c.kind == "date"}
    if not dates:
        return {}
    try:
        schema = pads.dataset(path, format="parquet").schema if path.is_dir() else pq.read_schema(path)
    except Exception:  # noqa: BLE001 - an unreadable file is reported by the readers
        return {}
    return {field.name: str(field.type.tz) for field in schema
            if field.name in dates and pa.types.is_timestamp(field.type) and field.type.tz is not None
            and field.type.tz not in _UTC_ZONES}


def _utc_clock(frame: pd.DataFrame) -> pd.DataFrame:
    """Zoned timestamp columns of a table DuckDB read (given in the session's zone: the machine's)
    at their UTC wall clock, so no value depends on where the job runs."""
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC")
    return frame


def _sql_columns(table: StoredTable) -> tuple[dict[str, SqlColumn] | None, str]:
    """The column conversions when SQL can check ``table`` where it is stored, else why not."""
    fitted, unfit = fit_table(table.name, table.columns)
    if table.n_rows == 0:
        return fitted, ""  # nothing to check or serve
    if not table.numbered_scan:
        return None, f"{table.where} is a view"
    if _RESERVED & set(table.columns):
        return None, f"a column is named {', '.join(sorted(_RESERVED & set(table.columns)))}"
    if unfit:
        listed = ", ".join(f"{c} ({t})" for c, t in unfit.items())
        return None, f"column(s) {listed} not stored as their contract type"
    return fitted, ""


def _via_duckdb(con: ibis.BaseBackend, entry: tuple[StoredTable, dict[str, SqlColumn]], run: int,
                known: _KnownAccounts, report: ValidationReport) -> CheckedTable | None:
    stored, columns = entry
    problems, notes, check_rows = shape_problems(stored.name, stored.column_names, stored.n_rows)
    report.problems += problems
    report.notes += notes
    if not check_rows:
        return None
    check = check_stored(con.con, stored, columns, known.sql if stored.name != "accounts" else None)
    report.problems += check.problems
    view = _served_name(stored.name, run)
    con.con.execute(f"CREATE OR REPLACE TEMP VIEW {quote(view)} AS SELECT {check.select} FROM {stored.scan}")
    return CheckedTable(table=con.table(view), n_rows=stored.n_rows, engine="duckdb")


def _via_pandas(con: ibis.BaseBackend, name: str, raw: pd.DataFrame, run: int,
                known: _KnownAccounts, report: ValidationReport) -> CheckedTable | None:
    problems, notes, check_rows = shape_problems(name, list(raw.columns), len(raw))
    report.problems += problems
    report.notes += notes
    if not check_rows:
        return None
    account_ids = None if name == "accounts" else known.as_index(con.con)
    typed, problems = check_frame(name, raw, account_ids)
    report.problems += problems
    if name == "accounts":
        known.index = account_ids_of(typed)
    table = con.create_table(_served_name(name, run), typed, temp=True)
    return CheckedTable(table=table, n_rows=len(typed), engine="pandas")


def _served_name(table: str, run: int) -> str:
    """The temporary view or table serving ``table`` (unique per load, so loads on one connection coexist)."""
    return f"src_{table}_{run}"


def ignored_files_note(root: Path) -> list[str]:
    """The notes on what a data directory holds but no table is read from (empty when none): files
    that are not contract tables, and directories named as a table without a suffix (``usage/``
    beside ``accounts.parquet``, as some Spark jobs write a table), whose features would otherwise
    vanish without a word."""
    known = {f"{n}{s}" for n in TABLE_NAMES for s in FILE_SUFFIXES}
    ignored = sorted(p.name for p in root.iterdir() if p.is_file() and not p.name.startswith(".") and p.name not in known)
    notes = [f"ignored file(s) not in the contract: {', '.join(ignored)}"] if ignored else []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name.lower() in TABLE_NAMES):
        table = folder.name.lower()
        notes.append(f"{table}: the directory {folder.name}/ is not read (a table stored as parquet part files "
                     f"is read from a directory named {table}.parquet/); if it holds this table, "
                     f"rename {folder.name}/ to {table}.parquet/")
    return notes


def _sha256(path: Path) -> str:
    """sha256 of a file, or of a directory's files (relative names and contents, in name order)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _existing(source: str | Path) -> Path:
    path = Path(source)
    if not path.exists():
        raise UpsellError(f"{path}: no such data directory or file")
    return path


def read_table_frame(file: Path) -> pd.DataFrame:
    """One table file as pandas, untyped (CSV as text): the reader every path into the pipeline
    shares, so CSV quirks (repeated or non-comma headers, trailing delimiters, non-UTF-8 text)
    are caught the same way wherever a file comes in. Raises ``ValueError`` with the reason."""
    if file.suffix == ".parquet":
        return pd.read_parquet(file)
    try:
        header = pd.read_csv(file, dtype=str, header=None, nrows=1, keep_default_na=False).iloc[0].tolist()
        check_csv_header([str(h) for h in header])
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
    except UnicodeDecodeError as exc:  # Excel's "CSV" is often Windows-1252 or UTF-16
        raise ValueError(not_utf8_reason(exc.object[exc.start:exc.start + 1])) from None
    if not isinstance(frame.index, pd.RangeIndex):
        # rows hold more fields than the header names: pandas would take the first column(s) as
        # the index and shift every value one column left
        return _without_trailing_delimiters(file, list(frame.columns))
    return frame


def _without_trailing_delimiters(file: Path, names: list) -> pd.DataFrame:
    """Rows ending in a delimiter (``a,b,``: a common export quirk) read under their header; a
    value beyond the header's columns is an error naming the first such row."""
    body = pd.read_csv(file, dtype=str, header=None, skiprows=1, keep_default_na=False, na_values=[""])
    beyond = body.iloc[:, len(names):].notna().any(axis=1)
    if beyond.any():
        row = int(beyond.to_numpy().argmax())
        raise ValueError(beyond_header_reason(row, len(names)))
    body = body.iloc[:, :len(names)]
    body.columns = names
    return body


def table_directory_problem(table: str, folder: str) -> Problem:
    """The problem of a table stored as a directory that is not a parquet dataset (``offers.csv/``)."""
    return Problem(table=table, column=None, rule=RULE_TABLE_IS_FILE,
                   detail=f"{folder} is a directory; only parquet tables may be directories of part files")


def not_utf8_reason(byte: bytes) -> str:
    """Why a CSV file whose first undecodable byte is ``byte`` cannot be read."""
    return f"not UTF-8 text (byte {byte!r} cannot be read); save the file as CSV UTF-8"


def beyond_header_reason(row: int, n_columns: int) -> str:
    """Why a CSV file whose data row ``row`` (from 0) has a value beyond its header cannot be read."""
    return f"row {row} has more values than the header has columns ({n_columns})"


def check_csv_header(header: list[str]) -> None:
    """Headers pandas would quietly mend: a repeated name (read as ``name.1``, so one of the two
    columns is silently ignored) and a file separated by something other than commas."""
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise ValueError(f"column name(s) repeated in the header: {', '.join(repeated)}")
    if len(header) == 1:
        other = [sep for sep in (";", "\t", "|") if sep in header[0]]
        if other:
            shown = "tab" if other[0] == "\t" else repr(other[0])
            raise ValueError(f"the header is separated by {shown}, not by commas: "
                             "CSV files must be comma-separated")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__

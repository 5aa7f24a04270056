"""Read a data source (a directory of parquet/CSV files, or a DuckDB database file) into
validated ``Tables``. This is the only place source data is read from disk.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import ibis
import pandas as pd

from data.contract import TABLE_NAMES
from data.errors import DataContractError, UpsellError
from data.problems import Problem, render_problems
from data.tables import Tables
from data.validate import ValidationReport, validate_frames

FILE_SUFFIXES = (".parquet", ".csv", ".csv.gz")
DUCKDB_SUFFIXES = (".duckdb", ".ddb", ".db")


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
            problems.append(Problem(table=name, column=None, rule="one file per table",
                                    detail="found " + ", ".join(p.name for p in candidates)))
        elif candidates:
            found[name] = candidates[0]
    if problems:
        raise DataContractError(render_problems(problems, str(root)), problems)
    return found


def read_raw(source: str | Path) -> tuple[dict[str, pd.DataFrame], list[Problem], list[str]]:
    """Raw frames as stored (CSV as text), unreadable files as problems, and notes."""
    path = _existing(source)
    if path.is_file() and path.name.endswith(DUCKDB_SUFFIXES):
        return _read_duckdb(path)
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for name, file in table_files(path).items():
        try:
            frames[name] = _read_file(file)
        except Exception as exc:  # any reader failure is the user's file, reported with its cause
            kind = "parquet" if file.suffix == ".parquet" else "CSV with a header row"
            problems.append(Problem(table=name, column=None, rule=f"readable {kind} file",
                                    detail=f"{file.name}: {_first_line(exc)}"))
    known = {f"{n}{s}" for n in TABLE_NAMES for s in FILE_SUFFIXES}
    ignored = sorted(p.name for p in path.iterdir() if p.is_file() and not p.name.startswith(".") and p.name not in known)
    notes = [f"ignored file(s) not in the contract: {', '.join(ignored)}"] if ignored else []
    return frames, problems, notes


def validate_source(source: str | Path) -> ValidationReport:
    """Read and validate every table of a source; the report lists every problem found."""
    frames, read_problems, notes = read_raw(source)
    report = validate_frames(frames)
    report.problems[:0] = read_problems
    if read_problems:
        # a table we could not read cannot be required to be present as well
        unreadable = {p.table for p in read_problems}
        report.problems = [p for p in report.problems if not (p.rule == "required table present" and p.table in unreadable)]
    report.notes[:0] = notes
    return report


def load_tables(source: str | Path, con: ibis.BaseBackend | None = None) -> Tables:
    """Validated ``Tables`` from a data directory or DuckDB file.

    Raises ``DataContractError`` naming every problem (table, column, rule, example rows).
    """
    report = validate_source(source)
    if not report.ok:
        raise DataContractError(render_problems(report.problems, str(source)), report.problems)
    tables = Tables.from_frames(report.frames, con=con, source=str(source))
    return Tables(con=tables.con, tables=tables.tables, source=tables.source, notes=tuple(report.notes))


def fingerprint_source(source: str | Path) -> dict[str, str]:
    """sha256 of every input file (for run manifests: which exact data a run saw)."""
    path = _existing(source)
    files = {"database": path} if path.is_file() else table_files(path)
    return {name: _sha256(file) for name, file in sorted(files.items())}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _existing(source: str | Path) -> Path:
    path = Path(source)
    if not path.exists():
        raise UpsellError(f"{path}: no such data directory or file")
    return path


def _read_file(file: Path) -> pd.DataFrame:
    if file.suffix == ".parquet":
        return pd.read_parquet(file)
    return pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])


def _read_duckdb(path: Path) -> tuple[dict[str, pd.DataFrame], list[Problem], list[str]]:
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise UpsellError(f"{path}: not a readable DuckDB database ({_first_line(exc)})") from None
    try:
        present = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
        frames = {name: con.execute(f'select * from "{name}"').df() for name in TABLE_NAMES if name in present}
    finally:
        con.close()
    ignored = sorted(present - set(TABLE_NAMES))
    notes = [f"ignored table(s) not in the contract: {', '.join(ignored)}"] if ignored else []
    return frames, [], notes


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__

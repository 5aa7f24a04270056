"""SQL target: upsert the scored list into a table of any SQLAlchemy database, in one transaction.

PostgreSQL and SQLite use ``INSERT … ON CONFLICT (account_id) DO UPDATE``; other dialects delete
the incoming keys and insert them again, inside the same transaction, so readers never see a
half-written night. A missing table is created with ``account_id`` as its primary key; an
existing table must have every exported column and a unique key on ``account_id``.

The URL may carry a password: it is never printed — messages show the URL with ``***``.
"""
from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from data.errors import UpsellError
from pipeline.export.files import arrow_table

DEFAULT_TABLE = "upsell_scores"
KEY_COLUMN = "account_id"
CHUNK_ROWS = 5_000
# query parameters that carry credentials (``?password=…``, ``&sslkey=…``, ``&token=…``)
_SECRET_PARAMETER = re.compile(r"(?i)([?&][^=&#]*(?:password|passwd|pwd|secret|token|key|credential)[^=&#]*=)[^&#]*")


def resolve_url(destination: str | Path) -> URL:
    """A SQLAlchemy URL from a URL string or a plain file path (→ SQLite, the default).

    A destination without ``dialect://`` that carries an ``@`` (``user:pw@host/db``) is a URL
    missing its dialect, not a file name: creating an SQLite file named after the credentials
    would write the password to disk and print it.
    """
    text = str(destination)
    if "://" not in text:
        if "@" in text:
            raise UpsellError(f"sql export: {mask_url(text)} is not a URL (no 'dialect://', e.g. "
                              "postgresql+psycopg://user@host/db) and not an SQLite file path")
        return URL.create("sqlite", database=str(Path(text)))
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise UpsellError(f"sql export: {mask_url(text)} is not a SQLAlchemy URL "
                          "(dialect+driver://user:password@host:port/db)") from None
    if url.host and "@" in url.host:
        raise UpsellError(f"sql export: {mask_url(text)}: the password or user name holds an '@'; "
                          "percent-encode it as %40")
    return url


def mask_url(url: str | URL) -> str:
    """The URL with its password, and credentials in its query, replaced by ``***`` (safe to print
    and log). Works on text that does not parse, too: everything before the last ``@`` is
    treated as credentials."""
    text = url.render_as_string(hide_password=True) if isinstance(url, URL) else str(url)
    head, sep, rest = text.partition("://")
    if not sep:
        head, rest = "", text
    at = rest.rfind("@")  # the last one: a password may hold '@', '?' or '/' unencoded (masking more is safe)
    if at >= 0:
        user, colon, _ = rest[:at].partition(":")
        rest = (f"{user}:***" if colon else ("***" if not sep else user)) + rest[at:]
    return _SECRET_PARAMETER.sub(lambda m: m.group(1) + "***", head + sep + rest)


def upsert_frame(frame: pd.DataFrame, destination: str | Path, *, table: str = DEFAULT_TABLE,
                 schema: str | None = None) -> str:
    """Upsert ``frame`` (one row per account_id) into ``table``; returns the masked destination."""
    url = resolve_url(destination)
    shown = f"{mask_url(url)} table {schema + '.' if schema else ''}{table}"
    try:
        engine = sa.create_engine(url)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise UpsellError(f"sql export to {shown}: cannot create an engine ({_clean(exc, url)})") from None
    try:
        with engine.begin() as conn:
            target = _ensure_table(conn, frame, table, schema, shown)
            _upsert(conn, target, frame, shown)
    except UpsellError:
        raise
    except SQLAlchemyError as exc:
        raise UpsellError(f"sql export to {shown} failed, nothing was written: {_clean(exc, url)}") from None
    finally:
        engine.dispose()
    return shown


def _ensure_table(conn: sa.Connection, frame: pd.DataFrame, table: str, schema: str | None, shown: str) -> sa.Table:
    inspector = sa.inspect(conn)
    if not inspector.has_table(table, schema=schema):
        target = sa.Table(table, sa.MetaData(schema=schema),
                          *(_column(name, frame[name]) for name in frame.columns))
        target.create(conn)
        return target
    target = sa.Table(table, sa.MetaData(schema=schema), autoload_with=conn)
    missing = [c for c in frame.columns if c not in target.columns]
    if missing:
        raise UpsellError(f"sql export to {shown}: the table lacks column(s) {missing}; add them "
                          "(ALTER TABLE … ADD COLUMN) or export to a new table")
    if not _has_unique_key(inspector, table, schema):
        raise UpsellError(f"sql export to {shown}: the table needs a primary key or unique constraint on "
                          f"{KEY_COLUMN} for the upsert")
    return target


def _has_unique_key(inspector: sa.Inspector, table: str, schema: str | None) -> bool:
    pk = inspector.get_pk_constraint(table, schema=schema).get("constrained_columns") or []
    if pk == [KEY_COLUMN]:
        return True
    uniques = [u.get("column_names") for u in inspector.get_unique_constraints(table, schema=schema)]
    indexes = [i.get("column_names") for i in inspector.get_indexes(table, schema=schema) if i.get("unique")]
    return [KEY_COLUMN] in uniques or [KEY_COLUMN] in indexes


def _column(name: str, values: pd.Series) -> sa.Column:
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        kind: sa.types.TypeEngine = sa.Boolean()
    elif pd.api.types.is_integer_dtype(dtype):
        kind = sa.BigInteger()
    elif pd.api.types.is_float_dtype(dtype):
        kind = sa.Double()
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        kind = sa.DateTime()
    else:
        kind = sa.Text()
    if name == KEY_COLUMN:
        return sa.Column(name, sa.String(255), primary_key=True)
    return sa.Column(name, kind, nullable=True)


def _upsert(conn: sa.Connection, target: sa.Table, frame: pd.DataFrame, shown: str) -> None:
    """Bulk upsert where the dialect has a fast path (``BULK_UPSERTS``), else delete + insert."""
    if frame.empty:
        return
    bulk = BULK_UPSERTS.get((conn.dialect.name, conn.dialect.driver))
    if bulk is not None:
        bulk(conn, target, frame)
        return
    for rows in _record_chunks(frame):  # any other database: delete the incoming keys, insert them again
        keys = [r[KEY_COLUMN] for r in rows]
        conn.execute(target.delete().where(target.c[KEY_COLUMN].in_(keys)))
        conn.execute(target.insert(), rows)


def _upsert_postgres_copy(conn: sa.Connection, target: sa.Table, frame: pd.DataFrame) -> None:
    quote = conn.dialect.identifier_preparer.quote
    table = conn.dialect.identifier_preparer.format_table(target)
    columns = [quote(str(c)) for c in frame.columns]
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c, name in zip(columns, frame.columns) if name != KEY_COLUMN)
    staging = quote("_upsell_export_staging")
    cursor = conn.connection.cursor()  # the DBAPI (psycopg) cursor, inside this transaction
    try:
        cursor.execute(f"CREATE TEMP TABLE {staging} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
        # Arrow's CSV matches COPY's CSV rules: nulls unquoted-empty, text always quoted ("" = empty text)
        with cursor.copy(f"COPY {staging} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
            rows = arrow_table(frame, iso_timestamps=False)
            for start in range(0, len(frame), CHUNK_ROWS * 20):
                buffer = io.BytesIO()
                pacsv.write_csv(rows.slice(start, CHUNK_ROWS * 20), buffer,
                                pacsv.WriteOptions(include_header=False, quoting_style="needed"))
                copy.write(buffer.getvalue())
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM {staging} "
            f"ON CONFLICT ({quote(KEY_COLUMN)}) DO UPDATE SET {updates}"
        )
        cursor.execute(f"DROP TABLE {staging}")
    finally:
        cursor.close()


def _upsert_sqlite(conn: sa.Connection, target: sa.Table, frame: pd.DataFrame) -> None:
    quote = conn.dialect.identifier_preparer.quote
    table = conn.dialect.identifier_preparer.format_table(target)
    columns = [quote(str(c)) for c in frame.columns]
    updates = ", ".join(f"{c} = excluded.{c}" for c, name in zip(columns, frame.columns) if name != KEY_COLUMN)
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
           f"ON CONFLICT ({quote(KEY_COLUMN)}) DO UPDATE SET {updates}")
    # SQLAlchemy stores SQLite DATETIME as this text; write the same so its readers agree
    as_text = frame.copy()
    for name in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[name].dtype):
            as_text[name] = _sqlite_datetimes(frame[name])
    cursor = conn.connection.cursor()
    try:
        for start in range(0, len(as_text), CHUNK_ROWS * 10):
            cursor.executemany(sql, list(_row_tuples(as_text.iloc[start:start + CHUNK_ROWS * 10])))
    finally:
        cursor.close()


BULK_UPSERTS = {
    ("postgresql", "psycopg"): _upsert_postgres_copy,
    ("sqlite", "pysqlite"): _upsert_sqlite,
}


def _sqlite_datetimes(column: pd.Series) -> pd.Series:
    stamps = column.dt.tz_convert("UTC").dt.tz_localize(None) if isinstance(column.dtype, pd.DatetimeTZDtype) else column
    values = stamps.to_numpy(dtype="datetime64[us]")
    text = np.char.replace(np.datetime_as_string(values, unit="us").astype(str), "T", " ").astype(object)
    text[np.isnat(values)] = None
    return pd.Series(text, index=column.index, dtype=object)


def _row_tuples(frame: pd.DataFrame) -> Iterator[tuple]:
    """Rows as tuples of plain Python values (None for missing)."""
    columns = [_python_values(frame[name]) for name in frame.columns]
    return zip(*columns)


def _record_chunks(frame: pd.DataFrame) -> Iterator[list[dict]]:
    """Rows as dicts of plain Python values, in chunks (for the generic SQLAlchemy path)."""
    names = [str(c) for c in frame.columns]
    for start in range(0, len(frame), CHUNK_ROWS):
        chunk = frame.iloc[start:start + CHUNK_ROWS]
        yield [dict(zip(names, row)) for row in _row_tuples(chunk)]


def _python_values(column: pd.Series) -> list:
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        stamps = column.dt.tz_convert("UTC").dt.tz_localize(None) if isinstance(column.dtype, pd.DatetimeTZDtype) else column
        return [None if pd.isna(v) else v for v in stamps.dt.to_pydatetime()]
    return column.astype("object").where(column.notna(), None).tolist()


def _clean(exc: BaseException, url: URL) -> str:
    """First line of a driver error, with the password scrubbed in case a driver echoed it."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    line = text[0][:300] if text else type(exc).__name__
    secrets = [str(url.password or "")]
    secrets += [str(v) for k, v in url.query.items() if _SECRET_PARAMETER.match(f"?{k}=")]
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        line = line.replace(secret, "***")
    return line

"""Where the MLflow tracking store lives and how to reach it: the URI (``MLFLOW_TRACKING_URI``,
else a SQLite file under ``$UPSELL_HOME``), a client on it, a bounded health probe of a remote
server, and its failures said in one line without passwords. ``models.registry`` builds the
registry on it (and re-exports these names).

MLflow opens any ``sqlite:///`` path by creating it (and its directories), or by adding its
tables to whatever SQLite database is there. So a client for reading (``must_exist``) refuses a
store file that does not exist, and every client refuses a file that is not an MLflow store: a
mistyped path is said as such, never as an empty registry with "no champion".

``mlflow`` is imported inside functions: it costs about a second, and most commands never need it.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from data.errors import UpsellError

if TYPE_CHECKING:
    from mlflow import MlflowClient


def upsell_home() -> Path:
    return Path(os.environ.get("UPSELL_HOME", Path.home() / ".upsell")).expanduser()


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else the project's local SQLite store."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    home = upsell_home()
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(home / 'mlflow.db').resolve()}"


def redacted(uri: str) -> str:
    """``uri`` without any user name or password, for messages and logs."""
    parsed = urlparse(uri)
    if parsed.username or parsed.password:
        return parsed._replace(netloc=parsed.hostname + (f":{parsed.port}" if parsed.port else "")).geturl()
    return uri


def sqlite_store_file(uri: str) -> Path | None:
    """The file of a SQLite tracking store (relative paths from the working directory, as MLflow
    reads them); None for another kind of store or one in memory."""
    if urlparse(uri).scheme != "sqlite":
        return None
    path = uri[len("sqlite:///"):].split("?", 1)[0] if uri.startswith("sqlite:///") else ""
    return None if path in ("", ":memory:") else Path(path)


# Tables every MLflow SQLite store has (its schema version, and what runs and models hang on).
MLFLOW_TABLES: frozenset[str] = frozenset({"alembic_version", "experiments"})


def store_problem(uri: str, *, must_exist: bool) -> str | None:
    """Why ``uri`` is not an MLflow store to open (None: it is one, or can become one). Only
    SQLite files are judged here; a server or database answers for itself when asked."""
    path = sqlite_store_file(uri)
    if path is None:
        return None
    if not path.exists():
        if not must_exist:
            return None  # creating commands (train, demo) create it, directories included
        if path.parent.is_dir():
            return f"does not exist (no file {path}; `upsell train` creates a store)"
        return f"does not exist (no file {path}: no directory {path.parent} either)"
    if path.is_dir():
        return f"is not an MLflow store ({path} is a directory; the URI names the store's .db file)"
    tables = _sqlite_tables(path)
    if tables is None:
        return f"is not an MLflow store ({path} is not a SQLite database)"
    if not tables:
        return None if not must_exist else f"is not an MLflow store ({path} is an empty file)"
    if not MLFLOW_TABLES <= tables:
        shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
        return f"is not an MLflow store ({path} is a SQLite database of other tables: {shown})"
    return None


def _sqlite_tables(path: Path) -> set[str] | None:
    """The table names of a SQLite file, opened read-only; None when it is not SQLite. A database
    busy or locked elsewhere is taken as MLflow's (MLflow itself will say what is wrong)."""
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as con:
            rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc) or "malformed" in str(exc):
            return None
        return set(MLFLOW_TABLES)
    return {name for (name,) in rows}


def _artifact_root(uri: str) -> str | None:
    """Artifacts beside a SQLite file store (MLflow would otherwise use ./mlruns of the cwd)."""
    parsed = urlparse(uri)
    if parsed.scheme != "sqlite":
        return None
    db = Path(uri[len("sqlite:///") :])
    return (db.resolve().parent / "mlartifacts").as_uri()


# MLflow retries an HTTP request 7 times with exponential backoff and waits up to 120 s for each
# try (mlflow/environment_variables.py): a server that does not answer would keep a one-shot
# command busy for minutes before it says so. The health probe alone is bounded (the user's own
# MLFLOW_HTTP_REQUEST_* win); the command's real calls keep MLflow's retries, which ride out a 429
# or a server restarting during a nightly job's artifact upload.
HTTP_BOUNDS: dict[str, str] = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
}
_answered: set[str] = set()  # remote stores that answered once in this process


def client(*, must_exist: bool = False) -> "MlflowClient":
    """An ``MlflowClient`` on the configured store (also sets MLflow's global URIs).

    ``must_exist``: the caller only reads (score, nightly, champions), so a SQLite store file that
    does not exist is a mistyped URI, said as such, rather than created empty; commands that
    record (train, demo) leave it False and create it. A file that is not an MLflow store is
    refused either way (MLflow would add its tables to another application's database).

    A remote tracking server (http/https) is asked once per process, with bounded retries
    (``HTTP_BOUNDS``), whether it answers, so a down or mistyped server is a one-line error now
    rather than a hang or a traceback in the middle of a command.
    """
    uri = tracking_uri()
    problem = store_problem(uri, must_exist=must_exist)
    if problem:
        raise UpsellError(f"MLflow tracking store {redacted(uri)} {problem}; check MLFLOW_TRACKING_URI")
    import mlflow

    remote = urlparse(uri).scheme in ("http", "https")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        c = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    except Exception as exc:  # a database store connects here: wrong host, port, password, driver
        raise UpsellError(f"MLflow tracking store {redacted(uri)} cannot be opened ({_reason(exc, uri)}); "
                          "check MLFLOW_TRACKING_URI") from None
    if remote and uri not in _answered:
        try:
            _probe(uri)
        except NotMlflowAnswer as exc:  # a wrong path, a proxy, credentials
            raise UpsellError(f"MLflow tracking server {redacted(uri)} {_reason(exc, uri)}") from None
        except Exception as exc:  # refused, timed out
            raise UpsellError(f"MLflow tracking server {redacted(uri)} does not answer ({_reason(exc, uri)}); "
                              "check MLFLOW_TRACKING_URI (retries and timeout of this check: "
                              "MLFLOW_HTTP_REQUEST_MAX_RETRIES, MLFLOW_HTTP_REQUEST_TIMEOUT)") from None
        _answered.add(uri)
    return c


def _probe(uri: str) -> None:
    """One bounded request to a remote tracking server (search one experiment); raises if it fails."""
    from mlflow.tracking._tracking_service.utils import get_default_host_creds
    from mlflow.utils.rest_utils import http_request, verify_rest_response

    bounds = {name: os.environ.get(name) or value for name, value in HTTP_BOUNDS.items()}
    endpoint = "/api/2.0/mlflow/experiments/search"
    response = http_request(get_default_host_creds(uri), endpoint, "POST",
                            max_retries=int(bounds["MLFLOW_HTTP_REQUEST_MAX_RETRIES"]),
                            backoff_factor=float(bounds["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"]),
                            timeout=float(bounds["MLFLOW_HTTP_REQUEST_TIMEOUT"]), json={"max_results": 1})
    answer = _not_mlflow(response)
    if answer:
        raise NotMlflowAnswer(answer)
    verify_rest_response(response, endpoint)


class NotMlflowAnswer(Exception):
    """The server answered, but not as MLflow's REST API does (the message says how, in one line)."""


def _not_mlflow(response: Any) -> str | None:
    """What a server that is not MLflow's REST API answered (a wrong path: a web server's 404 page;
    a proxy's login page), as one line: the HTTP status and MLflow's own message if it sent one,
    never the page itself. None for an MLflow answer."""
    try:
        body = json.loads(response.text)
    except ValueError:
        body = None
    status = f"HTTP {response.status_code}" + (f" {response.reason}" if getattr(response, "reason", None) else "")
    if isinstance(body, dict):
        if response.status_code == 200:
            return None
        message = str(body.get("message") or body.get("error_code") or "").strip().splitlines()
        return f"answered {status}" + (f": {message[0][:200]}" if message else "") + "; check MLFLOW_TRACKING_URI"
    if response.status_code in (401, 403):
        return (f"answered {status}: check its credentials (MLFLOW_TRACKING_USERNAME and "
                "MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN)")
    head = response.text[:1000].lower()
    kind = "an HTML page" if "<html" in head or "<!doctype" in head else "a body that is not MLflow's JSON"
    return (f"answered {status} with {kind}, not MLflow's REST API; check the path in MLFLOW_TRACKING_URI "
            "(none unless MLflow is served under one)")


def _reason(exc: BaseException, uri: str) -> str:
    """The library's complaint as one short line, without the URI's password."""
    text = re.sub(r"\.?\s*Response body: .*", "", str(exc).strip(), flags=re.S)  # a server's page, not a reason
    text = re.sub(r"<[^>]{0,200}>", " ", text).strip()
    if "MLFLOW_ALLOW_FILE_STORE" in text:  # MLflow 3 refuses ./mlruns; its opt-out is at the end of a long text
        return ("MLflow no longer opens a file store by default: migrate it with `mlflow migrate-filestore` "
                "to sqlite:///mlflow.db, or set MLFLOW_ALLOW_FILE_STORE=true")
    cause = re.search(r"\[Errno -?\d+\][^\"')]*|Read timed out|timed out|Name or service not known", text)
    reason = cause.group(0).strip() if cause else (text.splitlines()[0][:300] if text else type(exc).__name__)
    password = urlparse(uri).password
    reason = reason.replace(password, "***") if password else reason
    return re.sub(r"(://[^/\s:@]+):[^/\s@]+@", r"\1:***@", reason)  # any other URL's password (an artifact store's)


def _store_failure(exc: BaseException) -> UpsellError:
    uri = tracking_uri()
    return UpsellError(f"MLflow tracking store {redacted(uri)} failed: {_reason(exc, uri)}")

"""Where the MLflow tracking store lives and how to reach it: the URI (``MLFLOW_TRACKING_URI``,
else a SQLite file under ``$UPSELL_HOME``), a client on it, a bounded health probe of a remote
server, and its failures said in one line without passwords. ``models.registry`` builds the
registry on it (and re-exports these names).

``mlflow`` is imported inside functions: it costs about a second, and most commands never need it.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
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


def client() -> "MlflowClient":
    """An ``MlflowClient`` on the configured store (also sets MLflow's global URIs).

    A remote tracking server (http/https) is asked once per process, with bounded retries
    (``HTTP_BOUNDS``), whether it answers, so a down or mistyped server is a one-line error now
    rather than a hang or a traceback in the middle of a command.
    """
    import mlflow

    uri = tracking_uri()
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
        except Exception as exc:  # refused, timed out, wrong path, auth
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
    verify_rest_response(response, endpoint)


def _reason(exc: BaseException, uri: str) -> str:
    """The library's complaint as one short line, without the URI's password."""
    text = str(exc).strip()
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

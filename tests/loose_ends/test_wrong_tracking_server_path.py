"""A tracking URI with a wrong path (``http://host:5000/wrong``) reaches a web server that answers
404 with an HTML page; the error used to quote a fragment of that page. It is one line naming
the server (password masked) and the HTTP status, without HTML."""
from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from data.errors import UpsellError
from models import registry
from tests.loose_ends.conftest import invoke

NOT_FOUND_PAGE = (b"<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
                  b"<p>The requested URL was not found on the server.</p>\n")


class _Answers(http.server.BaseHTTPRequestHandler):
    status = 404
    body = NOT_FOUND_PAGE
    content_type = "text/html; charset=utf-8"

    def _answer(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:  # quiet
        pass


def _serve(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def web_server() -> Iterator[int]:
    """A web server that is not MLflow: every path answers 404 with an HTML page."""
    yield from _serve(_Answers)


@pytest.fixture
def bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")


def test_a_wrong_path_is_one_line_with_the_status_and_no_html(web_server: int, bounded: None,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://ops:s3cret@127.0.0.1:{web_server}/wrong")
    result = invoke("champions")
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    output = result.output.strip()
    assert len(output.splitlines()) == 1, output
    assert f"http://127.0.0.1:{web_server}/wrong" in output and "HTTP 404" in output
    assert "<" not in output and "doctype" not in output.lower()  # before: "Response body: '<!doctype html>"
    assert "s3cret" not in output and "ops" not in output


def test_the_message_says_it_answered_rather_than_that_it_does_not(web_server: int, bounded: None,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{web_server}/wrong")
    with pytest.raises(UpsellError) as err:
        registry.load_champion("upsell-propensity")
    message = str(err.value)
    assert "answered HTTP 404" in message and "MLFLOW_TRACKING_URI" in message
    assert "does not answer" not in message and "no champion" not in message


class _LoginPage(_Answers):
    status = 200
    body = b"<html><body><form action='/login'>Sign in</form></body></html>"


def test_an_html_page_with_status_200_is_not_taken_for_mlflow(bounded: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy's login page (200): before, MLflow's 'response body was not in a valid JSON format'
    quoted it too."""
    for port in _serve(_LoginPage):
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}/mlflow")
        with pytest.raises(UpsellError) as err:
            registry.client()
        message = str(err.value)
        assert "HTTP 200" in message and "HTML page" in message and "<" not in message


def test_a_failure_quoting_a_page_is_cut_before_the_page() -> None:
    """Later calls' failures (after the probe) go through the same one-line reason."""
    from mlflow.exceptions import MlflowException

    exc = MlflowException("API request to endpoint /api/2.0/mlflow/registered-models/get failed with error code "
                          "404 != 200. Response body: '<!doctype html>\n<title>404 Not Found</title>'")
    reason = registry._reason(exc, "http://127.0.0.1:5000/wrong")
    assert reason.endswith("404 != 200") and "<" not in reason

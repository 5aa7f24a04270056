"""An MLflow tracking server that does not answer: MLflow's own HTTP retries (7, exponential
backoff, 120 s timeout) kept a one-shot command busy for minutes, then printed a traceback
(`upsell champions`) or told the user to train a model they already have (`upsell score`).
Now a bounded health probe fails fast and plainly; the command's real calls keep MLflow's own
retries (a nightly job's upload rides out a 429 or a server restart), and the user's settings win."""
from __future__ import annotations

import socket

import pytest

from data.errors import UpsellError
from models import registry
from tests.robustness2.conftest import invoke


@pytest.fixture
def closed_port_uri(monkeypatch: pytest.MonkeyPatch) -> str:
    with socket.socket() as s:  # a port nobody listens on: connections are refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uri = f"http://ops:s3cret@127.0.0.1:{port}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    for name in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT"):
        monkeypatch.setenv(name, "")  # records the variable's state, so teardown restores it even if code sets it
        monkeypatch.delenv(name)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")  # retry at once: the test does not sleep
    return uri


def test_champions_is_one_line_naming_the_server_without_its_password(closed_port_uri: str) -> None:
    result = invoke("champions")
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # before: MlflowException traceback
    assert "does not answer" in result.output and "127.0.0.1" in result.output
    assert "s3cret" not in result.output


def test_no_champion_is_not_claimed_when_the_server_is_down(closed_port_uri: str) -> None:
    with pytest.raises(UpsellError) as err:
        registry.load_champion("upsell-propensity")
    assert "does not answer" in str(err.value)
    assert "upsell train" not in str(err.value)  # before: "has no champion ...; run `upsell train` first"


def _spy_on_requests(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    from mlflow.utils import rest_utils

    calls: list[dict] = []
    real = rest_utils.http_request

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(rest_utils, "http_request", spy)
    return calls


def test_only_the_probe_is_bounded_and_the_environment_is_left_alone(
        closed_port_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    calls = _spy_on_requests(monkeypatch)
    with pytest.raises(UpsellError):
        registry.client()
    assert calls and calls[0]["max_retries"] == 2 and calls[0]["timeout"] <= 30  # MLflow's: 7 tries of 120 s
    # before: MLFLOW_HTTP_REQUEST_* were set for the whole process (and its children), so a nightly
    # job's artifact upload gave up after 2 quick retries
    assert "MLFLOW_HTTP_REQUEST_MAX_RETRIES" not in os.environ and "MLFLOW_HTTP_REQUEST_TIMEOUT" not in os.environ


def test_the_users_own_bounds_apply_to_the_probe(closed_port_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    calls = _spy_on_requests(monkeypatch)
    with pytest.raises(UpsellError):
        registry.client()
    assert calls[0]["max_retries"] == 0 and calls[0]["backoff_factor"] == 0
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "0" and "MLFLOW_HTTP_REQUEST_TIMEOUT" not in os.environ


def test_a_local_store_is_not_probed_or_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "")
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES")
    assert registry.version_by_alias("no-such-model", registry.CHAMPION) is None
    assert "MLFLOW_HTTP_REQUEST_MAX_RETRIES" not in os.environ


def test_a_file_store_names_mlflows_way_out(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MLflow 3 refuses ./mlruns unless MLFLOW_ALLOW_FILE_STORE=true, saying so after 300 characters
    that the one-line error used to cut."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", str(tmp_path / "mlruns"))
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    result = invoke("champions")
    assert result.exit_code == 1, result.output
    assert "MLFLOW_ALLOW_FILE_STORE=true" in result.output and "mlflow migrate-filestore" in result.output

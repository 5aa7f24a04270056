"""An MLflow tracking server that does not answer: MLflow's own HTTP retries (7, exponential
backoff, 120 s timeout) kept a one-shot command busy for minutes, then printed a traceback
(`upsell champions`) or told the user to train a model they already have (`upsell score`).
Now the first request fails fast and plainly, and the user's own retry settings are kept."""
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
    for name in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"):
        monkeypatch.delenv(name, raising=False)
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


def test_retries_are_bounded_unless_the_user_set_them(closed_port_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # the user's own choice
    with pytest.raises(UpsellError):
        registry.client()
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "0"
    assert int(os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"]) <= 30  # ours: MLflow's default is 120 s a try


def test_a_local_store_is_not_probed_or_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", raising=False)
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

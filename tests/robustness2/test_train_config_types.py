"""`upsell train/backtest --config FILE`: TOML values of the wrong type were coerced (`seed = true`
became seed 1) or reported without a line; a file that is not UTF-8 was a traceback."""
from __future__ import annotations

from pathlib import Path

import pytest

from models.config import load_config
from tests.robustness2.conftest import config_file, config_refusal, invoke


@pytest.mark.parametrize("text, line, key", [
    ("[training]\nseed = true\n", 2, "training.seed"),               # was: seed 1
    ('[training]\nmax_rounds = "100"\n', 2, "training.max_rounds"),  # was: 100, from text
    ("# mine\n[calibration]\nfolds = 2.5\n", 3, "calibration.folds"),
    ("[training]\nmax_round = 100\n", 2, "training.max_round"),
    ('[lightgbm]\nnum_leaves = [3, 7]\n', 2, "lightgbm.num_leaves"),
])
def test_wrong_types_name_the_line(tmp_path: Path, text: str, line: int, key: str) -> None:
    path, message = config_refusal(tmp_path, text)
    assert f"{path}:{line}:" in message and key in message
    assert message.count("Input should be") <= 1  # one reason per key, not one per type tried


def test_right_types_still_load(tmp_path: Path) -> None:
    path = config_file(tmp_path, '[training]\nmax_rounds = 100\nseed = 7\n[promotion]\nmin_improvement = 0\n'
                              '[lightgbm]\nnum_leaves = 7\nmetric = "auc"\n')
    cfg = load_config(path)
    assert (cfg.training.max_rounds, cfg.training.seed, cfg.promotion.min_improvement) == (100, 7, 0.0)
    assert cfg.lightgbm["num_leaves"] == 7 and cfg.lightgbm["metric"] == "auc"


def test_a_config_that_is_not_utf8_is_one_line(tmp_path: Path, saas_parquet_dir: Path) -> None:
    path = tmp_path / "excel.toml"
    path.write_bytes("[training]\nseed = 7 # Gr\u00fc\u00dfe\n".encode("utf-16"))
    result = invoke("backtest", "--data", saas_parquet_dir, "--as-of", "2026-03-31", "--config", path)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # before: UnicodeDecodeError traceback
    assert str(path) in result.output and "UTF-8" in result.output

"""Malformed dates and out-of-range numbers are bad usage on every command: exit 2 (typer's usage
error) naming the option, before any work, with the shared YYYY-MM-DD message. Before, `features`
and `generate` exited 1 and the jobs printed typer's format string."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

BAD_DAY = "01/02/2026"


@pytest.mark.parametrize("args, flag", [
    (["features", "--data", "{tmp}/data", "--as-of", BAD_DAY, "--out", "{tmp}/f.parquet"], "--as-of"),
    (["features", "--data", "{tmp}/data", "--as-of", "2026-02-30", "--out", "{tmp}/f.parquet"], "--as-of"),
    (["generate", "--scenario", "saas", "--accounts", "5", "--seed", "1", "--end", BAD_DAY, "--out", "{tmp}/g"], "--end"),
    (["score", "--data", "{tmp}/data", "--as-of", BAD_DAY, "--playbook", "saas", "--out", "{tmp}/s.csv"], "--as-of"),
    (["score", "--data", "{tmp}/data", "--as-of", "2026-6-30", "--playbook", "saas", "--out", "{tmp}/s.csv"], "--as-of"),
    (["nightly", "--data", "{tmp}/data", "--as-of", BAD_DAY, "--playbook", "saas", "--out", "{tmp}/n"], "--as-of"),
    (["demo", "--end", BAD_DAY, "--out", "{tmp}/d"], "--end"),
    (["train", "--data", "{tmp}/data", "--as-of", BAD_DAY], "--as-of"),
    (["backtest", "--data", "{tmp}/data", "--as-of", BAD_DAY], "--as-of"),
    (["champions", "--on", BAD_DAY], "--on"),
    (["champions", "--on", "2026-11-26T25:00"], "--on"),
])
def test_malformed_dates_are_usage_errors(tmp_path: Path, args: list[str], flag: str) -> None:
    (tmp_path / "data").mkdir()
    result = CliRunner().invoke(app, [part.replace("{tmp}", str(tmp_path)) for part in args])
    assert result.exit_code == 2, result.output
    assert f"{flag} must be a date YYYY-MM-DD" in result.output, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # refused before anything was written


@pytest.mark.parametrize("override, flag", [
    (["--accounts", "0"], "--accounts"),
    (["--months", "0"], "--months"),
    (["--months", "241"], "--months"),
    (["--usage-interval-days", "0"], "--usage-interval-days"),
    (["--seed", "-1"], "--seed"),
])
def test_generate_range_checks_are_usage_errors(tmp_path: Path, override: list[str], flag: str) -> None:
    options = {"--scenario": "saas", "--accounts": "5", "--seed": "1", "--end": "2026-01-01",
               "--out": str(tmp_path / "g")}
    options.update(dict(zip(override[::2], override[1::2])))
    result = CliRunner().invoke(app, ["generate", *[part for pair in options.items() for part in pair]])
    assert result.exit_code == 2, result.output
    assert flag in result.output
    assert not (tmp_path / "g").exists()


def test_generate_option_ranges_are_the_generators() -> None:
    """The CLI spells the generator's ranges out (a fast --help); they must not drift apart:
    the generator refuses just outside them and accepts their edges."""
    import importlib
    from datetime import date

    from data.errors import UpsellError
    from pipeline.cli import generate_cmds

    module = importlib.import_module("data.synthetic.generate")
    assert generate_cmds.MAX_ACCOUNTS == module.MAX_ACCOUNTS
    (months_low, months_high), (every_low, every_high) = generate_cmds.MONTHS_RANGE, generate_cmds.USAGE_INTERVAL_RANGE
    for months, every in ((months_low - 1, every_low), (months_high + 1, every_low),
                          (months_low, every_low - 1), (months_low, every_high + 1)):
        with pytest.raises(UpsellError):
            module.generate("saas", 1, 1, date(2026, 1, 1), months=months, usage_interval_days=every)
    frames = module.generate("saas", 20, 1, date(2026, 1, 1), months=months_low, usage_interval_days=every_high)
    assert len(frames["accounts"]) == 20

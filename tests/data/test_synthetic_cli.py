"""``upsell generate``: writes the directory, prints a summary, exits 1/2 on bad options."""
from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, ["generate", *args])


def test_generate_writes_a_data_directory(tmp_path):
    out = tmp_path / "saas"
    result = _run("--scenario", "saas", "--accounts", "200", "--seed", "3", "--end", "2026-06-30",
                  "--out", str(out), "--months", "6")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.glob("*.parquet"))
    assert names == ["accounts.parquet", "offers.parquet", "subscriptions.parquet", "support_tickets.parquet",
                     "usage.parquet"]
    truth = pd.read_parquet(out / "_truth" / "propensity.parquet")
    assert list(truth.columns) == ["account_id", "as_of", "horizon_days", "probability"]
    assert "accounts" in result.output and "200 rows" in result.output
    assert "90-day" in result.output


def test_generate_replaces_an_existing_directory(tmp_path):
    out = tmp_path / "d"
    out.mkdir()
    (out / "stale.csv").write_text("x\n1\n")
    result = _run("--scenario", "ecommerce", "--accounts", "50", "--seed", "1", "--end", "2026-01-01",
                  "--out", str(out), "--months", "3")
    assert result.exit_code == 0, result.output
    assert not (out / "stale.csv").exists()
    assert sorted(p.name for p in out.glob("*.parquet")) == ["accounts.parquet", "offers.parquet", "purchases.parquet"]


def test_unknown_scenario_is_a_usage_error(tmp_path):
    result = _run("--scenario", "retail", "--accounts", "5", "--seed", "1", "--end", "2026-01-01",
                  "--out", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert not (tmp_path / "x").exists()


def test_bad_values_exit_2_with_a_message(tmp_path):
    cases = [
        (["--accounts", "0"], "--accounts"),
        (["--end", "2026-02-30"], "--end"),
        (["--months", "0"], "--months"),
    ]
    for override, needle in cases:
        args = {"--scenario": "saas", "--accounts": "5", "--seed": "1", "--end": "2026-01-01",
                "--out": str(tmp_path / "x")}
        args.update(dict(zip(override[::2], override[1::2])))
        result = _run(*[x for kv in args.items() for x in kv])
        assert result.exit_code == 2, (override, result.output)  # bad usage
        assert needle in result.output
        assert "Traceback" not in result.output
    target = tmp_path / "file"
    target.write_text("not a directory")
    result = _run("--scenario", "saas", "--accounts", "5", "--seed", "1", "--end", "2026-01-01", "--out", str(target))
    assert result.exit_code == 1 and "not a directory" in result.output
    assert target.read_text() == "not a directory"


def test_a_one_account_world_is_written_and_validates(tmp_path):
    """A world with no tickets or offers yet (one account) is still a valid data directory
    (it crashed numbering zero ticket ids)."""
    for scenario in ("saas", "b2b_services"):
        out = tmp_path / scenario
        result = _run("--scenario", scenario, "--accounts", "1", "--seed", "2", "--end", "2026-06-30",
                      "--out", str(out), "--months", "3")
        assert result.exit_code == 0, result.output
        assert "1 row " in result.output or "1 row\n" in result.output
        assert pd.read_parquet(out / "support_tickets.parquet").empty
        checked = runner.invoke(app, ["validate", "--data", str(out)])
        assert checked.exit_code == 0, checked.output
        assert "accounts                  1 row   ok" in checked.output  # not "1 rows"

"""The spark-submit entry script: the options of ``upsell nightly``, exit 1 with the reason on bad input."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.spark.submit_nightly import main, parse_args

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_options_mirror_upsell_nightly() -> None:
    args = parse_args(["--data", "spark:sales", "--as-of", "2026-07-01", "--playbook", "saas", "--out", "o",
                       "--export", "salesforce"])
    assert (args.data, args.as_of, args.playbook, args.out, args.export) == ("spark:sales", "2026-07-01", "saas", "o", "salesforce")
    with pytest.raises(SystemExit) as err:
        parse_args(["--data", "d"])
    assert err.value.code == 2


def test_bad_data_exits_1_naming_the_problem_and_writes_nothing(spark, tmp_path: Path, capsys) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "accounts.csv").write_text("account_id,created_at\na1,2024-01-01\na1,yesterday\n")
    code = main(["--data", str(tmp_path / "data"), "--as-of", "2026-07-01", "--playbook", "saas",
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "accounts.account_id: rule 'unique' broken by 2 rows" in err
    assert "accounts.created_at: rule 'ISO 8601 date/time' broken by 1 row" in err
    assert not (tmp_path / "out").exists()

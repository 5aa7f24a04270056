"""Spark settings come from defaults, a TOML/YAML file and the environment, in that order; bad
settings name the file and key; the session runs with Arrow, UTC and this interpreter."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from data.errors import UpsellError
from pipeline.spark.session import REQUIRED_CONF, SparkSettings, spark_settings

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_defaults_are_local_two_cores_with_arrow_utc_and_a_warehouse_outside_the_cwd() -> None:
    s = spark_settings(env={})
    assert s.master == "local[2]" and s.log_level == "WARN"
    conf = s.spark_conf()
    assert conf["spark.sql.execution.arrow.pyspark.enabled"] == "true"
    assert conf["spark.sql.session.timeZone"] == "UTC"
    assert Path(conf["spark.sql.warehouse.dir"]).resolve() != (Path.cwd() / "spark-warehouse").resolve()


def test_local_heap_defaults_to_a_bounded_share_of_ram_and_yields_to_the_user() -> None:
    """Spark's own 1 GB heap runs out scoring 1M accounts locally; a cluster sizes its own."""
    from pipeline.spark.session import local_driver_memory

    heap = local_driver_memory()
    assert heap.endswith("g") and 1 <= int(heap[:-1]) <= 8
    assert spark_settings(env={}).spark_conf()["spark.driver.memory"] == heap
    mine = spark_settings(env={"UPSELL_SPARK_CONF": "spark.driver.memory=12g"})
    assert mine.spark_conf()["spark.driver.memory"] == "12g"
    assert "spark.driver.memory" not in spark_settings(env={"UPSELL_SPARK_MASTER": "yarn"}).spark_conf()


def test_file_then_environment_override_in_order(tmp_path: Path) -> None:
    toml = tmp_path / "spark.toml"
    toml.write_text('[spark]\nmaster = "spark://head:7077"\nlog_level = "error"\n'
                    '[spark.conf]\n"spark.executor.memory" = "8g"\n"spark.sql.shuffle.partitions" = 400\n')
    s = spark_settings(toml, env={"UPSELL_SPARK_MASTER": "yarn", "UPSELL_SPARK_CONF": "spark.executor.cores=4; spark.executor.memory=16g"})
    assert s.master == "yarn" and s.log_level == "ERROR" and not s.is_local
    conf = s.spark_conf()
    assert conf["spark.executor.memory"] == "16g" and conf["spark.executor.cores"] == "4"
    assert conf["spark.sql.shuffle.partitions"] == "400"
    assert "spark.ui.enabled" not in conf, "local-only defaults must not leak onto a cluster"


def test_yaml_file_from_the_environment_and_required_conf_cannot_be_turned_off(tmp_path: Path) -> None:
    yml = tmp_path / "spark.yaml"
    yml.write_text("master: local[1]\nconf:\n  spark.sql.execution.arrow.pyspark.enabled: false\n")
    s = spark_settings(env={"UPSELL_SPARK_CONFIG": str(yml)})
    assert s.master == "local[1]"
    assert s.spark_conf()["spark.sql.execution.arrow.pyspark.enabled"] == REQUIRED_CONF["spark.sql.execution.arrow.pyspark.enabled"]


@pytest.mark.parametrize(("text", "suffix", "message"), [
    ('[spark]\nmastr = "local"\n', ".toml", "unknown Spark setting(s) ['mastr']"),
    ('[spark]\nmaster = 3\n', ".toml", "'master' must be a non-empty string"),
    ('[spark]\nlog_level = "LOUD"\n', ".toml", "log_level 'LOUD'"),
    ('[spark\n', ".toml", "not valid TOML"),
    ("conf: [1, 2]\n", ".yaml", "'conf' must be a table"),
    ("master: local\n", ".ini", "must be .toml, .yaml or .yml"),
])
def test_bad_settings_name_the_file_and_key(tmp_path: Path, text: str, suffix: str, message: str) -> None:
    path = tmp_path / f"spark{suffix}"
    path.write_text(text)
    with pytest.raises(UpsellError) as err:
        spark_settings(path, env={})
    assert message in str(err.value) and str(path) in str(err.value)


def test_bad_conf_pairs_in_the_environment_are_rejected() -> None:
    with pytest.raises(UpsellError, match="UPSELL_SPARK_CONF"):
        spark_settings(env={"UPSELL_SPARK_CONF": "spark.a=1;oops"})


def test_session_runs_workers_on_this_interpreter_with_arrow_and_utc(spark) -> None:
    import os

    assert os.environ["PYSPARK_PYTHON"] == sys.executable
    assert spark.conf.get("spark.sql.execution.arrow.pyspark.enabled") == "true"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert SparkSettings().warehouse_dir != str(Path.cwd() / "spark-warehouse")

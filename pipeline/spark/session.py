"""The SparkSession the Spark engine runs on, built from settings (file and/or environment).

Settings, lowest precedence first:

1. built-in defaults: ``master = "local[2]"``, app name ``upsell-propensity``, Arrow on, session
   time zone UTC (the contract's timestamps are naive UTC), quiet logging, on a local master a
   heap of a quarter of the RAM (1-8 GB: ``local_driver_memory``), a warehouse directory
   under the system temp dir (never the working directory: ibis ``create_table`` would leave a
   ``./spark-warehouse`` behind and the next run fails with ``LOCATION_ALREADY_EXISTS``);
2. a TOML or YAML file — ``spark_settings(path)`` or ``$UPSELL_SPARK_CONFIG`` — with a ``[spark]``
   table (or the keys at top level): ``master``, ``app_name``, ``log_level``, ``warehouse_dir``,
   ``python`` and ``conf`` (a table of Spark properties);
3. environment variables: ``UPSELL_SPARK_MASTER``, ``UPSELL_SPARK_APP_NAME``,
   ``UPSELL_SPARK_LOG_LEVEL``, ``UPSELL_SPARK_WAREHOUSE_DIR`` and ``UPSELL_SPARK_CONF``
   (``key=value`` pairs separated by ``;``).

Under ``spark-submit`` or on Databricks a session already exists: ``spark_session`` reuses the
active one and only applies the runtime settings Spark allows to change (Arrow, time zone), so
the cluster's master and resources stay as the platform set them.

Local masters run Python workers with this interpreter (``PYSPARK_PYTHON`` = ``sys.executable``)
unless ``python`` says otherwise; otherwise workers pick the system Python and fail with
``No module named 'pandas'``. On a cluster the executors' Python is the platform's business.
"""
from __future__ import annotations

import os
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from data.errors import UpsellError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

CONFIG_ENV = "UPSELL_SPARK_CONFIG"
LOG_LEVELS = ("ALL", "DEBUG", "ERROR", "FATAL", "INFO", "OFF", "TRACE", "WARN")
_KEYS = ("master", "app_name", "log_level", "warehouse_dir", "python", "conf")

# Always on: the engine's semantics depend on them (naive UTC timestamps, Arrow batches for pandas UDFs).
REQUIRED_CONF: dict[str, str] = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
}
# Sensible for one machine; a cluster config overrides them.
LOCAL_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
}


def local_driver_memory() -> str:
    """The heap of a local Spark (driver and executors share one JVM): a quarter of the machine's
    RAM, at least 1 GB and at most 8 GB. Spark's own 1 GB default runs out of heap scoring 1M
    accounts; a quarter leaves room for the Python workers and DuckDB beside it."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not every platform reports it
        ram = 0
    return f"{min(max(ram // 4 // 1024**3, 1), 8)}g"


@dataclass(frozen=True)
class SparkSettings:
    """Where and how the Spark engine runs. ``conf`` holds any Spark property (``spark.*``)."""

    master: str = "local[2]"
    app_name: str = "upsell-propensity"
    log_level: str = "WARN"
    warehouse_dir: str = field(default_factory=lambda: str(Path(tempfile.gettempdir()) / "upsell-spark-warehouse"))
    python: str | None = None
    conf: dict[str, str] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        return self.master.startswith("local")

    def spark_conf(self) -> dict[str, str]:
        """Every property the builder sets: local defaults, then the user's, then the required ones."""
        out = {**LOCAL_CONF, "spark.driver.memory": local_driver_memory()} if self.is_local else {}
        out["spark.sql.warehouse.dir"] = self.warehouse_dir
        out.update(self.conf)
        out.update(REQUIRED_CONF)
        return out


def spark_settings(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> SparkSettings:
    """Settings from defaults, the config file (``path`` or ``$UPSELL_SPARK_CONFIG``) and the environment."""
    env = dict(os.environ) if env is None else env
    settings = SparkSettings()
    file = path if path is not None else env.get(CONFIG_ENV)
    if file:
        settings = _apply(settings, _read_file(Path(file)), where=str(file))
    overrides: dict[str, Any] = {}
    for key in ("master", "app_name", "log_level", "warehouse_dir"):
        value = env.get(f"UPSELL_SPARK_{key.upper()}")
        if value:
            overrides[key] = value
    if env.get("UPSELL_SPARK_CONF"):
        overrides["conf"] = {**settings.conf, **_parse_conf_pairs(env["UPSELL_SPARK_CONF"])}
    return _apply(settings, overrides, where="environment (UPSELL_SPARK_*)")


def spark_session(settings: SparkSettings | None = None) -> "SparkSession":
    """The active SparkSession if there is one (spark-submit, Databricks), else a new one from ``settings``."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise UpsellError("the Spark engine needs PySpark: pip install 'upsell-propensity[spark]'") from exc
    settings = settings or spark_settings()
    active = SparkSession.getActiveSession()
    if active is not None:
        for key, value in REQUIRED_CONF.items():
            active.conf.set(key, value)
        return active
    if settings.is_local:
        python = settings.python or sys.executable
        os.environ.setdefault("PYSPARK_PYTHON", python)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", python)
    elif settings.python:
        os.environ["PYSPARK_PYTHON"] = settings.python
    builder = SparkSession.builder.master(settings.master).appName(settings.app_name)
    for key, value in settings.spark_conf().items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # JVM missing, bad master URL, ...: say which settings were used
        raise UpsellError(f"could not start Spark (master {settings.master!r}): {str(exc).strip().splitlines()[0][:300]}") from exc
    session.sparkContext.setLogLevel(settings.log_level)
    return session


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise UpsellError(f"{path}: Spark config file not found (from {CONFIG_ENV} or --spark-config)")
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text) or {}
        else:
            raise UpsellError(f"{path}: Spark config must be .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise UpsellError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None
    if not isinstance(data, dict):
        raise UpsellError(f"{path}: expected a table of settings, got {type(data).__name__}")
    section = data.get("spark", data)
    if not isinstance(section, dict):
        raise UpsellError(f"{path}: 'spark' must be a table of settings")
    return section


def _apply(settings: SparkSettings, values: dict[str, Any], where: str) -> SparkSettings:
    unknown = sorted(set(values) - set(_KEYS))
    if unknown:
        raise UpsellError(f"{where}: unknown Spark setting(s) {unknown}; known: {', '.join(_KEYS)}")
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key == "conf":
            if not isinstance(value, dict):
                raise UpsellError(f"{where}: 'conf' must be a table of Spark properties (key = value)")
            clean["conf"] = {**settings.conf, **{str(k): _conf_value(v) for k, v in value.items()}}
            continue
        if not isinstance(value, str) or not value.strip():
            raise UpsellError(f"{where}: '{key}' must be a non-empty string, got {value!r}")
        clean[key] = value.strip()
    level = clean.get("log_level", settings.log_level).upper()
    if level not in LOG_LEVELS:
        raise UpsellError(f"{where}: log_level {level!r} is not one of {', '.join(LOG_LEVELS)}")
    clean["log_level"] = level
    return replace(settings, **clean)


def _conf_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse_conf_pairs(text: str) -> dict[str, str]:
    out = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise UpsellError(f"UPSELL_SPARK_CONF: expected key=value pairs separated by ';', got {part!r}")
        out[key.strip()] = value.strip()
    return out

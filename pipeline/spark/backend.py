"""The ibis PySpark backend, with one fix: ``Table.cache()`` works on expressions holding in-memory tables.

ibis 12.0.0's PySpark backend compiles a cached expression without first registering the
``ibis.memtable``s it references, so caching anything built on a memtable fails with
``TABLE_OR_VIEW_NOT_FOUND ibis_pandas_memtable_…``. ``features.build`` caches the spine, which
joins the cutoffs memtable, so without this the same feature code that runs on DuckDB would not
run on Spark. Every other behaviour is ibis's own.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ibis.backends.pyspark import Backend

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class UpsellPySparkBackend(Backend):
    """ibis's PySpark backend; ``_create_cached_table`` registers in-memory tables first."""

    def _create_cached_table(self, name: str, expr: Any) -> Any:
        self._register_in_memory_tables(expr)
        return super()._create_cached_table(name, expr)


def connect(session: "SparkSession") -> UpsellPySparkBackend:
    """An ibis connection on ``session`` (batch mode)."""
    import ibis

    ibis.pyspark  # noqa: B018 - loading the backend registers its options (ibis.options.pyspark)
    return UpsellPySparkBackend().connect(session)

"""Entry points for ``--engine spark``: features and the scored account list, computed by Spark.

``run_spark_features`` runs the same Ibis feature definitions as ``features.build`` on the
PySpark backend; ``run_spark_scoring`` is the Spark twin of ``pipeline.scoring.score_accounts``
(features → champion via ``spark_udf`` → playbook per partition → capacity on the driver →
reason codes for the accounts someone acts on) and returns the same ``ScoringResult``, so the
nightly job writes, reports and exports it exactly as it does for DuckDB.
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from data.errors import UpsellError
from data.tables import Tables
from features.build import feature_table, to_canonical_frame
from features.output import write_features
from features.pit import normalise_cutoffs
from features.spine import build_spine
from pipeline.scoring import (
    DEFAULT_REASONS_LIMIT, SCORED_LIST_COLUMNS, ScoringResult, _with_reasons, assemble_scored_list,
    RECENCY_FEATURES, stale_data_notes,
)
from pipeline.spark.decide import decide_spark
from pipeline.spark.load import Source, load_tables_spark
from pipeline.spark.score import SCORE, champion_uri, score_spark, with_model_columns
from pipeline.spark.session import SparkSettings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from pipeline.playbook.schema import Playbook

_views = itertools.count(1)


def spark_frame(tables: Tables, name: str) -> "DataFrame":
    """The Spark DataFrame behind one source table of Spark-backed ``tables``."""
    return tables.con._session.table(tables[name].get_name())  # type: ignore[attr-defined]


def feature_frame_spark(tables: Tables, cutoffs: Iterable[object] | object, *,
                        metrics: Sequence[str] | None = None, cached: list[Any] | None = None) -> "DataFrame":
    """Every feature at every cutoff as a Spark DataFrame (columns and meaning as ``build_features``).

    With a ``cached`` list, the spine is cached (as ``build_features`` does) so the feature groups
    do not recompute it, and appended to the list: release it once the frame is materialised.
    """
    cuts = normalise_cutoffs(cutoffs)
    spine = build_spine(tables, cuts)
    if cached is not None:
        spine = spine.cache()
        cached.append(spine)
    expr = feature_table(tables, cuts, spine=spine, metrics=metrics)
    view = f"upsell_features_{os.getpid()}_{next(_views)}"
    tables.con.create_view(view, expr, overwrite=True)
    return with_ibis_types(tables.con._session.table(view), expr.schema())  # type: ignore[attr-defined]


def with_ibis_types(frame: "DataFrame", schema: Any) -> "DataFrame":
    """``frame`` cast to the types ibis promised.

    ibis drops a cast it considers a no-op, so ``(seconds / 86400.0).cast("float64")`` reaches
    Spark as decimal arithmetic (``86400.0`` is a decimal literal in Spark SQL) and the column comes
    out ``decimal(28,7)``. ``to_pandas`` converts by the ibis schema; a Spark DataFrame handed to
    UDFs and writers must carry the same types itself.
    """
    from ibis.backends.pyspark.datatypes import PySparkType
    from pyspark.sql import functions as F

    wanted = {name: PySparkType.from_ibis(dtype) for name, dtype in schema.items()}
    actual = {f.name: f.dataType for f in frame.schema.fields}
    return frame.select(*[F.col(f"`{c}`").cast(wanted[c]).alias(c) if actual[c] != wanted[c] else F.col(f"`{c}`")
                          for c in frame.columns])


def run_spark_features(data: Source | Tables, cutoffs: Iterable[object] | object, out: str | os.PathLike[str] | None = None,
                       *, session: "SparkSession | None" = None, settings: SparkSettings | None = None,
                       metrics: Sequence[str] | None = None) -> pd.DataFrame | "DataFrame":
    """Point-in-time features computed by Spark.

    ``out`` ending in ``.parquet``: collected and written as one file with the DuckDB engine's
    columns, types and row order (small and medium data; floats agree to ~1e-9 relative). ``out`` without that suffix: a parquet
    dataset directory written by Spark's executors (any size; overwritten). Returns the pandas frame
    in the first case and when ``out`` is None, else the written dataset as a Spark DataFrame.
    """
    tables = data if isinstance(data, Tables) else load_tables_spark(data, session, settings=settings)
    cached: list[Any] = []
    frame = feature_frame_spark(tables, cutoffs, metrics=metrics, cached=cached)
    if out is not None and not os.fspath(out).endswith(".parquet"):
        frame.orderBy("as_of", "account_id").write.mode("overwrite").parquet(os.fspath(out))
        _release(cached)
        return tables.con._session.read.parquet(os.fspath(out))  # type: ignore[attr-defined]
    try:
        result = to_canonical_frame(frame.toPandas())
    finally:
        _release(cached)
    if out is not None:
        write_features(result, Path(out))
    return result


def run_spark_scoring(
    data: Source | Tables,
    as_of: str | pd.Timestamp,
    playbook: "Playbook",
    *,
    model_name: str,
    run_id: str,
    reasons_limit: int = DEFAULT_REASONS_LIMIT,
    session: "SparkSession | None" = None,
    settings: SparkSettings | None = None,
    collect_features: bool = True,
) -> ScoringResult:
    """Score every account active at ``as_of`` on Spark and run the playbook; same result as ``score_accounts``.

    ``collect_features=False`` leaves ``ScoringResult.features`` holding only the rows that got
    reason codes (the nightly review wants all of them; at cluster scale, skip it).
    """
    from models.registry import load_version

    as_of = pd.Timestamp(as_of).normalize()
    tables = data if isinstance(data, Tables) else load_tables_spark(data, session, settings=settings)
    session = tables.con._session  # type: ignore[attr-defined]
    uri, version = champion_uri(model_name)
    model, _ = load_version(model_name, version)

    cached: list[Any] = []
    features = feature_frame_spark(tables, [as_of], cached=cached).localCheckpoint()  # computed once, here
    _release(cached)
    if features.isEmpty():
        raise UpsellError(f"no account is active at {as_of:%Y-%m-%d}: nothing to score")
    needed = list(model.features_)
    features, missing = with_model_columns(features, needed, list(model.categorical_features_))
    notes = [f"{len(missing)} model feature(s) absent today, scored as missing: {', '.join(missing)}"] if missing else []
    recency = [c for c in RECENCY_FEATURES if c in features.columns]
    if recency:
        from pyspark.sql import functions as F

        minima = [v for v in features.agg(*[F.min(c) for c in recency]).first() if v is not None]
        notes += stale_data_notes(float(min(minima)) if minima else None, as_of)
    scored = score_spark(session, features, uri, needed).localCheckpoint()

    offers = spark_frame(tables, "offers") if "offers" in tables else None
    result = decide_spark(scored, playbook, offers, as_of, spark_frame(tables, "accounts"))
    for name in result.missing_features:
        notes.append(f"playbook condition name {name!r} is not a feature of this data: treated as missing")

    scores = scored.select("account_id", SCORE).toPandas()
    decisions = result.decisions.toPandas()
    decisions["due_at"] = decisions["due_at"].astype("datetime64[ns]")
    decisions["priority"] = decisions["priority"].astype("Int64")
    listed = assemble_scored_list(scores, decisions, as_of)

    if collect_features:
        feature_rows = to_canonical_frame(scored.drop(SCORE, *missing).toPandas())
    else:
        feature_rows = _reason_rows(scored.drop(SCORE, *missing), result.decisions, reasons_limit,
                                    playbook.person_roles(), playbook.reason_actions())
    feature_rows = feature_rows.assign(**{c: float("nan") for c in missing}) if missing else feature_rows
    listed = _with_reasons(listed, feature_rows, model, reasons_limit, playbook.person_roles(), playbook.reason_actions())
    listed["model_name"] = model_name
    listed["model_version"] = str(version)
    listed["run_id"] = run_id
    ordered = list(SCORED_LIST_COLUMNS) + [c for c in listed.columns if c not in SCORED_LIST_COLUMNS]
    return ScoringResult(scored=listed[ordered], features=feature_rows, notes=notes)


def _reason_rows(features: "DataFrame", decisions: "DataFrame", limit: int, person_roles: list[str],
                 actions: list[str]) -> pd.DataFrame:
    """Feature rows of the accounts that get reason codes: the same choice as ``reason_targets``."""
    from pyspark.sql import functions as F

    value = F.when(F.isnan("expected_value"), None).otherwise(F.col("expected_value"))
    person = F.coalesce(F.col("owner_role").isin(person_roles), F.lit(False)) if person_roles else F.lit(False)
    chosen = (decisions.where(F.col("action").isin(actions) if actions else F.lit(False))
              .orderBy(person.desc(), value.desc_nulls_last(), F.col("account_id").asc())
              .limit(max(limit, 0)).select("account_id"))
    return to_canonical_frame(features.join(chosen, "account_id", "left_semi").toPandas())


def _release(cached: list[Any]) -> None:
    for table in cached:
        try:
            table.release()
        except Exception:  # noqa: BLE001 - dropping a cache is best effort
            pass


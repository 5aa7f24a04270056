"""Scoring on Spark: the registered champion as a Spark UDF over the feature DataFrame.

The model is the probability pyfunc of ``models.pyfunc`` (MLflow's lightgbm flavour would return
class labels). ``mlflow.pyfunc.spark_udf`` loads it once per Python worker and scores Arrow
batches, so a billion rows never pass through the driver. ``env_manager="local"``: the executors
use the Python environment they run in, which must have this package installed (``pip install
upsell-propensity`` on the cluster, or the wheel as a Databricks library).

The champion alias is resolved to a version number once, on the driver, and the UDF loads that
version (``models:/<name>/<version>``): a promotion during the run cannot mix two models in one
scored list, and the list's ``model_version`` column is exactly the model that scored it.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from data.errors import UpsellError
from pipeline.scoring import MAX_MISSING_FEATURE_SHARE

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SCORE = "score"


def champion_uri(model_name: str) -> tuple[str, str]:
    """(``models:/<name>/<version>``, version) of the current champion; ``UpsellError`` when there is none."""
    from models.registry import require_champion

    info = require_champion(model_name)  # a mistyped store is said as such, not as "no champion"
    return f"models:/{model_name}/{info.version}", str(info.version)


def with_model_columns(features: "DataFrame", needed: Sequence[str], categorical: Sequence[str]) -> tuple["DataFrame", list[str]]:
    """``features`` with every model input present; absent ones are added as missing (same rule as DuckDB).

    Too many absent inputs means an upstream outage: ``UpsellError``, as ``pipeline.scoring`` does.
    """
    from pyspark.sql import functions as F

    missing = [c for c in needed if c not in features.columns]
    if missing and len(missing) > MAX_MISSING_FEATURE_SHARE * len(needed):
        raise UpsellError(
            f"today's data lacks {len(missing)} of the model's {len(needed)} features "
            f"(e.g. {', '.join(missing[:8])}): is a source table missing? Refusing to score."
        )
    for c in missing:
        features = features.withColumn(c, F.lit(None).cast("string" if c in categorical else "double"))
    return features, missing


def score_spark(session: "SparkSession", features: "DataFrame", model_uri: str, inputs: Sequence[str]) -> "DataFrame":
    """``features`` plus a ``score`` column: the pyfunc's calibrated probability for every row."""
    import mlflow.pyfunc
    from pyspark.sql import functions as F

    from models.registry import tracking_uri

    mlflow.set_tracking_uri(tracking_uri())
    predict = mlflow.pyfunc.spark_udf(session, model_uri, env_manager="local", result_type="double")
    return features.withColumn(SCORE, predict(F.struct(*[F.col(f"`{c}`") for c in inputs])))

"""The MLflow flavour of the propensity model: a custom pyfunc returning calibrated probabilities.

MLflow's lightgbm flavour returns class labels from ``predict`` (STACK_NOTES), which is useless for
ranking and expected value, so the model is logged as this ``PythonModel``. Its only artifact is the
directory written by ``PropensityModel.save`` (LightGBM text model + JSON): nothing is pickled
except this small wrapper class, which needs the ``models`` package importable where it loads.
"""
from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import pandas as pd

from models.propensity import PropensityModel

ARTIFACT_KEY = "propensity_model"


class PropensityPyfunc(mlflow.pyfunc.PythonModel):
    """``predict(features_df)`` → a ``score`` series of calibrated probabilities, one per row."""

    def load_context(self, context: Any) -> None:
        self.model = PropensityModel.load(context.artifacts[ARTIFACT_KEY])

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.Series:
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        return pd.Series(self.model.predict_score(model_input), index=model_input.index, name="score")

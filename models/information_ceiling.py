"""How well the features *could* rank accounts: a model fitted to the true probabilities, not to 0/1 labels.

With synthetic data the generator's truth (``_truth``) gives every training row its true
probability p. The oracle ranks by p itself, which rests on the world's hidden state; a model of
the tables can only rank by what they show. The best such ranking is by P(y = 1 | features) =
E[p | features], and a least-squares regression of p on the features estimates exactly that,
with nothing lost to noisy 0/1 labels. The backtest reports it as ``truth_fit``, which splits the
distance to the oracle into two parts that call for different fixes:

* oracle − truth_fit: information the tables do not carry (better features or richer data);
* truth_fit − model: what learning from outcomes costs at this size (more rows, better settings).

A diagnostic with fixed settings (not the model's config): tuning the model must not move it,
or it would stop being a yardstick.
"""
from __future__ import annotations

from collections.abc import Sequence

import lightgbm as lgb
import numpy as np
import pandas as pd

from models.frame import freeze_categories, is_categorical, to_matrix

PARAMS: dict[str, object] = {
    "objective": "regression",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 100,
    "feature_fraction": 0.9,
    "lambda_l2": 1.0,
    "num_threads": 1,
    "seed": 0,
    "deterministic": True,
    "force_row_wise": True,
    "verbosity": -1,
}
ROUNDS = 400


def truth_probability(frame: pd.DataFrame, truth: pd.DataFrame, horizon_days: int) -> pd.Series:
    """The true probability of each (account_id, as_of) row of ``frame`` (NaN where the truth has no row)."""
    t = truth[truth["horizon_days"] == horizon_days]
    t = t.drop_duplicates(["account_id", "as_of"]).set_index(["account_id", "as_of"])["probability"]
    keys = pd.MultiIndex.from_arrays([frame["account_id"].astype(str), pd.to_datetime(frame["as_of"]).astype("datetime64[us]")])
    return pd.Series(t.reindex(keys).to_numpy(dtype=float), index=frame.index)


def truth_fit_scores(X_train: pd.DataFrame, target: pd.Series, X_eval: pd.DataFrame,
                     features: Sequence[str]) -> np.ndarray | None:
    """Scores for ``X_eval`` from a least-squares regressor of ``target`` (the true probability)
    on ``features`` of ``X_train``; rows without a target are left out. None when no row has one."""
    known = target.notna().to_numpy()
    if not known.any():
        return None
    categories = freeze_categories(X_train, [c for c in features if is_categorical(X_train[c])])
    train = lgb.Dataset(to_matrix(X_train.loc[known], list(features), categories), label=target.to_numpy()[known],
                        free_raw_data=True)
    booster = lgb.train(PARAMS, train, num_boost_round=ROUNDS)
    return booster.predict(to_matrix(X_eval, list(features), categories))

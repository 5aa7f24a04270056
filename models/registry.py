"""MLflow tracking and model registry: runs, versions, the ``challenger``/``champion`` aliases and
the promotion history.

* Tracking store (``models.tracking_store``): ``MLFLOW_TRACKING_URI`` when set, else a local SQLite
  file ``$UPSELL_HOME/mlflow.db`` (``UPSELL_HOME`` defaults to ``~/.upsell``), with artifacts beside it.
  Only recording a model (``log_and_register``) creates a store; reading one (versions, the
  champion, the promotion history) says so when the store file does not exist or is not MLflow's.
* Every trained model becomes a new version of the registered model and takes the ``challenger``
  alias. It takes ``champion`` only when it is at least as good as the current champion on the
  same backtest (or there is no champion).
* Every decision is written onto the model versions as tags: ``promotion_decision`` on each
  challenger, and ``champion_periods`` (from, until, by which command, metrics) on each champion,
  so ``champion_on(name, when)`` answers "which model was champion on date X".

``mlflow`` is imported inside functions: it costs about a second, and most commands never need it.
"""
from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pandas as pd

from data.errors import UpsellError
from models.frame import SCORE_COLUMN
from models.metrics import is_at_least_as_good
from models.propensity import PropensityModel
from models.tracking_store import (  # noqa: F401 - public here too: callers import them from models.registry
    HTTP_BOUNDS, _artifact_root, _reason, _store_failure, client, redacted, sqlite_store_file, store_problem,
    tracking_uri, upsell_home,
)

if TYPE_CHECKING:
    from mlflow import MlflowClient

PYFUNC_ENTRY = Path(__file__).with_name("pyfunc_model.py")
CHAMPION = "champion"
CHALLENGER = "challenger"
MODEL_ARTIFACT_NAME = "model"
# Installed where the pyfunc loads: the model needs these (plus this project's ``models`` package).
PIP_REQUIREMENTS = ["lightgbm>=4.7,<5", "pandas>=3.1,<4", "numpy>=2.4,<3", "scikit-learn>=1.9,<2", "pydantic>=2.10,<3"]


def _experiment_id(c: "MlflowClient", name: str) -> str:
    exp = c.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    root = _artifact_root(tracking_uri())
    return c.create_experiment(name, artifact_location=f"{root}/{name}" if root else None)


# ------------------------------------------------------------------ versions
@dataclass(frozen=True)
class VersionInfo:
    """One registered model version, as the nightly job and reports need it."""

    name: str
    version: str
    run_id: str
    aliases: tuple[str, ...]
    tags: Mapping[str, str] = field(default_factory=dict)
    created_at: datetime | None = None

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    @classmethod
    def from_mlflow(cls, mv: Any) -> "VersionInfo":
        return cls(
            name=mv.name,
            version=str(mv.version),
            run_id=mv.run_id or "",
            aliases=tuple(sorted(getattr(mv, "aliases", []) or [])),
            tags=dict(mv.tags or {}),
            created_at=datetime.fromtimestamp(mv.creation_timestamp / 1000, tz=timezone.utc) if mv.creation_timestamp else None,
        )


def get_version(name: str, version: str | int) -> VersionInfo:
    return VersionInfo.from_mlflow(client(must_exist=True).get_model_version(name, str(version)))


def version_by_alias(name: str, alias: str) -> VersionInfo | None:
    """The version holding ``alias``, or None when the model or alias does not exist, or no store
    file does yet (a creating command asking "is there a champion?" before it trains; nothing is
    created by asking). ``require_champion`` is the reading commands' question."""
    from mlflow.exceptions import MlflowException

    store_file = sqlite_store_file(tracking_uri())
    if store_file is not None and not store_file.exists():
        return None
    c = client(must_exist=True)
    try:
        return VersionInfo.from_mlflow(c.get_model_version_by_alias(name, alias))
    except MlflowException as exc:
        # no such model / alias (NOT_FOUND: Unity Catalog's word for it)
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INVALID_PARAMETER_VALUE"):
            return None
        raise _store_failure(exc) from None


def list_versions(name: str) -> list[VersionInfo]:
    """Every version of ``name``, oldest first; none while no store file exists yet (a notebook
    asking "is there a model?" before it trains; nothing is created by asking). A store that
    exists but is not MLflow's is still refused; the ``champions`` command checks the store
    first, so a mistyped URI is said as such there."""
    from mlflow.exceptions import MlflowException

    store_file = sqlite_store_file(tracking_uri())
    if store_file is not None and not store_file.exists():
        return []
    c = client(must_exist=True)
    try:
        versions = c.search_model_versions(f"name = '{name}'")
        # search results carry no aliases; the registered model knows which version holds which
        aliases: dict[str, list[str]] = {}
        if versions:
            for alias, version in (c.get_registered_model(name).aliases or {}).items():
                aliases.setdefault(str(version), []).append(alias)
    except MlflowException as exc:
        raise _store_failure(exc) from None
    infos = [VersionInfo.from_mlflow(v) for v in versions]
    infos = [VersionInfo(i.name, i.version, i.run_id, tuple(sorted(aliases.get(i.version, []))), i.tags, i.created_at) for i in infos]
    return sorted(infos, key=lambda v: int(v.version))


# ------------------------------------------------------------------ logging a run
def _signature(model: PropensityModel) -> Any:
    from mlflow.models import ModelSignature
    from mlflow.types.schema import AnyType, ColSpec, Schema

    # Columns are declared by name with type "Any": MLflow refuses int64 for a double column and
    # pandas categoricals for a string one, yet count features are legitimately integer one
    # night and float (with gaps) the next. The model converts each column itself and names any
    # that cannot be converted; the kinds are in the model's metadata (``feature_kinds``).
    inputs = Schema([ColSpec(AnyType(), f) for f in model.features_])
    return ModelSignature(inputs=inputs, outputs=Schema([ColSpec("double", SCORE_COLUMN)]))


def signature_frame(model: PropensityModel, features_df: pd.DataFrame) -> pd.DataFrame:
    """``features_df`` reduced to the model's features with the types its MLflow signature declares
    (numbers as float64, categoricals as text) — what a caller should pass to the pyfunc."""
    out = features_df[model.features_].copy()
    for col in model.features_:
        if col in model.categorical_features_:
            out[col] = out[col].astype(object).where(out[col].notna(), None)
        else:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return out


def log_and_register(
    model: PropensityModel,
    *,
    model_name: str,
    experiment: str,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    tags: Mapping[str, str],
    files: Mapping[str, Path] = {},
    documents: Mapping[str, Any] = {},
    input_example: pd.DataFrame | None = None,
) -> VersionInfo:
    """One MLflow run: params, metrics, tags, files (plots), JSON documents (feature list,
    fingerprints), the pyfunc model; registered as a new version of ``model_name`` with alias
    ``challenger`` and ``tags`` copied onto the version."""
    import mlflow

    from models.pyfunc import ARTIFACT_KEY

    c = client()
    experiment_id = _experiment_id(c, experiment)
    with mlflow.start_run(experiment_id=experiment_id) as run, tempfile.TemporaryDirectory() as tmp:
        mlflow.log_params({k: str(v)[:6000] for k, v in params.items()})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items()})
        mlflow.set_tags(dict(tags))
        for path in files.values():
            mlflow.log_artifact(str(path), artifact_path="plots")
        for doc_name, payload in documents.items():
            mlflow.log_dict(payload, doc_name)
        saved = model.save(Path(tmp) / "propensity_model")
        info = mlflow.pyfunc.log_model(
            name=MODEL_ARTIFACT_NAME,
            python_model=str(PYFUNC_ENTRY),
            artifacts={ARTIFACT_KEY: str(saved)},
            signature=_signature(model),
            input_example=None if input_example is None else signature_frame(model, input_example.head(5)),
            pip_requirements=PIP_REQUIREMENTS,
            metadata={
                "feature_kinds": {f: "categorical" if f in model.categorical_features_ else "numeric" for f in model.features_}
            },
            registered_model_name=model_name,
            await_registration_for=60,
        )
        version = str(info.registered_model_version)
        for key, value in tags.items():
            c.set_model_version_tag(model_name, version, key, str(value))
        c.set_model_version_tag(model_name, version, "run_id", run.info.run_id)
        c.set_registered_model_alias(model_name, CHALLENGER, version)
    return get_version(model_name, version)


# ------------------------------------------------------------------ promotion
@dataclass(frozen=True)
class PromotionDecision:
    """Whether a challenger became champion, against whom, on which metric and evidence."""

    promoted: bool
    reason: str
    metric: str
    challenger_version: str
    challenger_value: float
    champion_version: str | None
    champion_value: float | None
    backtest_key: str
    decided_at: str
    command: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def decide(
    metric: str,
    challenger_value: float,
    champion_value: float | None,
    min_improvement: float,
) -> tuple[bool, str]:
    """Pure rule: promote when there is no champion or the challenger is at least as good."""
    if champion_value is None:
        return True, "no champion yet"
    if is_at_least_as_good(metric, challenger_value, champion_value, min_improvement):
        return True, f"{metric} {challenger_value:.4f} is at least as good as the champion's {champion_value:.4f}"
    return False, f"{metric} {challenger_value:.4f} is worse than the champion's {champion_value:.4f}"


def _periods(v: VersionInfo) -> list[dict[str, Any]]:
    return json.loads(v.tags.get("champion_periods", "[]"))


def record_decision(
    name: str,
    challenger: VersionInfo,
    *,
    metric: str,
    challenger_metrics: Mapping[str, float],
    champion: VersionInfo | None,
    champion_metrics: Mapping[str, float] | None,
    backtest_key: str,
    min_improvement: float,
    command: str,
    blocked: str | None = None,
    now: datetime | None = None,
) -> PromotionDecision:
    """Apply the promotion rule, move the ``champion`` alias if it passes, and record the decision
    on the versions (``promotion_decision``; ``champion_periods`` opened/closed). ``blocked``
    (e.g. suspected leakage) refuses promotion whatever the metrics say."""
    now = now or datetime.now(timezone.utc)
    stamp = now.isoformat(timespec="microseconds")
    champion_value = None if champion_metrics is None else float(champion_metrics[metric])
    promoted, reason = decide(metric, float(challenger_metrics[metric]), champion_value, min_improvement)
    if blocked:
        promoted, reason = False, f"not promoted: {blocked}"
    decision = PromotionDecision(
        promoted=promoted,
        reason=reason,
        metric=metric,
        challenger_version=challenger.version,
        challenger_value=float(challenger_metrics[metric]),
        champion_version=None if champion is None else champion.version,
        champion_value=champion_value,
        backtest_key=backtest_key,
        decided_at=stamp,
        command=command,
    )
    c = client()
    c.set_model_version_tag(name, challenger.version, "promotion_decision", json.dumps(decision.to_dict(), sort_keys=True))
    if promoted:
        if champion is not None and champion.version != challenger.version:
            periods = _periods(get_version(name, champion.version))
            if periods and periods[-1].get("until") is None:
                periods[-1]["until"] = stamp
                periods[-1]["replaced_by"] = challenger.version
            c.set_model_version_tag(name, champion.version, "champion_periods", json.dumps(periods, sort_keys=True))
        periods = _periods(get_version(name, challenger.version))
        periods.append(
            {
                "from": stamp,
                "until": None,
                "by": command,
                "replaced": None if champion is None else champion.version,
                "metrics": {k: float(v) for k, v in challenger_metrics.items()},
                "backtest_key": backtest_key,
            }
        )
        c.set_model_version_tag(name, challenger.version, "champion_periods", json.dumps(periods, sort_keys=True))
        c.set_registered_model_alias(name, CHAMPION, challenger.version)
    return decision


def promotion_history(name: str) -> pd.DataFrame:
    """Every champion period of ``name``: version, from, until, by which command, metrics; by start."""
    rows = [
        {"version": v.version, "run_id": v.run_id, **{k: p.get(k) for k in ("from", "until", "by", "replaced", "backtest_key")}, "metrics": p.get("metrics")}
        for v in list_versions(name)
        for p in _periods(v)
    ]
    cols = ["version", "run_id", "from", "until", "by", "replaced", "backtest_key", "metrics"]
    return pd.DataFrame(rows, columns=cols).sort_values(["from", "version"], ignore_index=True)


def champion_on(name: str, when: datetime | str) -> VersionInfo | None:
    """The version that held ``champion`` at instant ``when`` (UTC; naive values are taken as UTC)."""
    at = pd.Timestamp(when)
    at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
    for row in promotion_history(name).to_dict("records"):
        start = pd.Timestamp(row["from"])
        end = None if row["until"] is None or pd.isna(row["until"]) else pd.Timestamp(row["until"])
        if start <= at and (end is None or at < end):
            return get_version(name, row["version"])
    return None


# ------------------------------------------------------------------ loading
def load_version(name: str, version: str | int) -> tuple[PropensityModel, VersionInfo]:
    """The fitted ``PropensityModel`` of one version (for scoring and reason codes) and its info."""
    import mlflow.pyfunc

    info = get_version(name, version)
    try:
        pyfunc_model = mlflow.pyfunc.load_model(info.uri)
        return pyfunc_model.unwrap_python_model().model, info
    except Exception as exc:  # noqa: BLE001 - the store's answer, said in one line
        source = _artifact_location(name, str(version))
        uri = tracking_uri()
        if _files_missing(exc):
            raise UpsellError(
                f"{name} version {info.version} cannot be loaded: its files are not where the registry at "
                f"{redacted(uri)} says ({source}): {_reason(exc, uri)}. A store copied "
                "without its artifacts folder, or artifacts cleaned up, leave the registry pointing at nothing"
            ) from None
        hint = ("; it was not registered by `upsell train`" if "flavor" in str(exc)
                else "; check access to the artifact store" if re.search(r"\b(401|403)\b|denied|forbidden", str(exc), re.I)
                else "")
        raise UpsellError(f"{name} version {info.version} cannot be loaded from {source} "
                          f"({_reason(exc, uri)}){hint}") from None


def _files_missing(exc: BaseException) -> bool:
    """The version's files are gone (not: access refused, another flavour, a broken package)."""
    text = str(exc)
    if isinstance(exc, FileNotFoundError) or "No such artifact" in text or "No such file or directory" in text:
        return True
    return getattr(exc, "error_code", None) in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND") and "flavor" not in text


def _artifact_location(name: str, version: str) -> str:
    """Where a version's files should be: the logged model's artifact location (MLflow 3 sources
    read ``models:/m-…``), else the version's source; for an error message, so it never raises."""
    try:
        c = client()
        source = c.get_model_version(name, version).source or "?"
    except Exception:  # noqa: BLE001 - the store failing again: the message names the version instead
        return f"models:/{name}/{version}"
    if source.startswith("models:/m-"):
        try:
            return c.get_logged_model(source.split("models:/", 1)[1]).artifact_location or source
        except Exception:  # noqa: BLE001 - the message then shows the source
            return source
    password = urlparse(source).password if "://" in source else None
    return redacted(source) if password else source


def require_champion(name: str) -> VersionInfo:
    """The version holding ``champion`` for a command that only reads (score, nightly): a store
    that does not exist or is not MLflow's is said as such, an existing store without a champion
    as "no champion"."""
    client(must_exist=True)
    champion = version_by_alias(name, CHAMPION)
    if champion is None:
        raise UpsellError(
            f"model registry at {redacted(tracking_uri())} has no champion for {name!r}; run `upsell train` first "
            "(or set MLFLOW_TRACKING_URI to the store that holds it)"
        )
    return champion


def load_champion(name: str) -> tuple[PropensityModel, VersionInfo]:
    """The current champion of ``name``; a clear error when there is none (``require_champion``)."""
    return load_version(name, require_champion(name).version)

"""Model settings: ``models/defaults.toml`` overlaid with an optional user TOML file.

A user file only needs the keys it changes. Unknown sections or keys, values of the wrong type
(``seed = true``, ``max_rounds = "100"``) and LightGBM values LightGBM would refuse are errors
naming the file, line and key, so a typo never silently falls back to a default or crashes the
training after the data are loaded. ``[lightgbm]`` may not set what the model fixes itself (its
binary objective) or what ``[training]`` owns (rounds, early stopping, seed).

Parameters with one value per model feature (``monotone_constraints = [1, 0, -1]`` or LightGBM's
text ``"1,0,-1"``) have their values judged when the file is read, and their count by
``check_per_feature_parameters`` once the model's features are known, before LightGBM sees data.
"""
from __future__ import annotations

import contextlib
import difflib
import io
import math
import os
import re
import sys
import tomllib
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from data.errors import UpsellError

DEFAULTS_FILE = "defaults.toml"


class _Section(BaseModel):
    # strict: TOML has types, so a string or a boolean where a number belongs is a mistake to show
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class TrainingConfig(_Section):
    max_rounds: int = Field(gt=0)
    early_stopping_rounds: int = Field(gt=0)
    class_weight: Literal["none", "balanced", "sqrt_balanced"]
    n_snapshots: int = Field(gt=0)
    single_snapshot_validation_share: float = Field(gt=0, lt=1)
    seed: int


class CalibrationConfig(_Section):
    method: Literal["auto", "isotonic", "platt"]
    folds: int = Field(ge=2)


class LeakageConfig(_Section):
    max_single_feature_auc: float = Field(gt=0.5, le=1.0)
    max_plausible_auc: float = Field(gt=0.5, le=1.0)
    oracle_margin: float = Field(ge=0)


class PromotionConfig(_Section):
    metric: Literal["roc_auc", "pr_auc", "log_loss", "brier", "ece", "lift_10"]
    min_improvement: float = 0.0


class RegistryConfig(_Section):
    model_name: str = Field(min_length=1)
    experiment: str = Field(min_length=1)

    @field_validator("model_name")
    @classmethod
    def _registrable(cls, name: str) -> str:
        reason = model_name_problem(name)
        if reason:
            raise ValueError(reason)
        return name


def model_name_problem(name: str) -> str | None:
    """Why MLflow's registry would refuse ``name`` (None when it takes it): it is checked only
    when the trained model is registered, after the whole training."""
    if not name.strip():
        return "a registered model name is not blank"
    if "/" in name or ":" in name:
        return f"a registered model name cannot contain '/' or ':' (got {name!r})"
    return None


class ModelConfig(_Section):
    """Every setting of the propensity model, validated."""

    lightgbm: dict[str, float | int | str | bool]
    training: TrainingConfig
    calibration: CalibrationConfig
    leakage: LeakageConfig
    promotion: PromotionConfig
    registry: RegistryConfig
    # where each per-feature [lightgbm] key was set (``file:line``), for errors once the features are known
    _where: dict[str, str] = PrivateAttr(default_factory=dict)

    def to_flat_params(self) -> dict[str, Any]:
        """``section.key`` → value, for experiment tracking."""
        return {f"{section}.{key}": value for section, values in self.model_dump().items() for key, value in values.items()}


def _defaults() -> dict[str, Any]:
    return tomllib.loads(files("models").joinpath(DEFAULTS_FILE).read_text(encoding="utf-8"))


def _overlay(base: dict[str, Any], override: dict[str, Any], source: str) -> dict[str, Any]:
    merged = {section: dict(values) for section, values in base.items()}
    for section, values in override.items():
        if section not in merged:
            raise UpsellError(f"{source}: unknown section [{section}]; known sections: {sorted(merged)}")
        if not isinstance(values, dict):
            raise UpsellError(f"{source}: [{section}] must be a table of keys, got {values!r}")
        merged[section].update(values)
    return merged


def load_config(path: str | Path | None = None, overrides: dict[str, dict[str, Any]] | None = None) -> ModelConfig:
    """The defaults, overlaid with the TOML file at ``path`` and then with ``overrides``."""
    raw = _defaults()
    source = DEFAULTS_FILE
    where = {key: DEFAULTS_FILE for key in _per_feature_keys(raw.get("lightgbm", {}))}
    if path is not None:
        path = Path(path)
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
            user = tomllib.loads(text)
        except FileNotFoundError:
            raise UpsellError(f"model config file {path} does not exist") from None
        except UnicodeDecodeError:
            raise UpsellError(f"{path}: the model config is not UTF-8 text (save it as UTF-8)") from None
        except tomllib.TOMLDecodeError as exc:
            raise UpsellError(f"{path}: not valid TOML: {exc}") from None
        if isinstance(user.get("lightgbm"), dict):
            user["lightgbm"] = _per_feature_as_text(user["lightgbm"], source, text)
            _check_lightgbm_keys(user["lightgbm"], source, text)
            where.update({key: f"{source}{_line_of(text, 'lightgbm', key)}" for key in _per_feature_keys(user["lightgbm"])})
        raw = _overlay(raw, user, source)
    else:
        text = None
    if overrides:
        if isinstance(overrides.get("lightgbm"), dict):
            overrides = {**overrides, "lightgbm": _per_feature_as_text(overrides["lightgbm"], "overrides")}
            _check_lightgbm_keys(overrides["lightgbm"], "overrides")
            where.update({key: "overrides" for key in _per_feature_keys(overrides["lightgbm"])})
        raw = _overlay(raw, overrides, "overrides")
    try:
        config = ModelConfig.model_validate(raw)
    except ValidationError as exc:
        raise UpsellError(_validation_message(exc, source, text)) from None
    config._where = where
    return config


def _validation_message(exc: ValidationError, source: str, text: str | None) -> str:
    """One reason per key, at the key's line: ``file:line: invalid model settings: [section.key] …``."""
    seen: dict[tuple[str, ...], str] = {}
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"][:2])
        if loc in seen:  # a value of [lightgbm] fails each type of the union: say it once
            seen[loc] = f"[{'.'.join(loc)}] must be a number, text or true/false (got {err.get('input')!r})"
            continue
        if err["type"] == "value_error":  # our own validator's reason already shows the value
            seen[loc] = f"[{'.'.join(loc)}] {err['msg'].removeprefix('Value error, ')}"
            continue
        seen[loc] = f"[{'.'.join(loc)}] {err['msg']} (got {err.get('input')!r})"
    first = next(iter(seen))
    line = _line_of(text, *first) if text is not None and len(first) == 2 else ""
    return f"{source}{line}: invalid model settings: {'; '.join(seen.values())}"


def _line_of(text: str, section: str, key: str) -> str:
    """``:N`` for the line that sets ``key`` in ``[section]`` of a TOML text ('' when not found)."""
    lines = text.splitlines()
    current = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
        if header:
            current = header.group(1).strip("\"'")
            continue
        hit = re.match(rf"^[\"']?(?:{re.escape(section)}[\"']?\.[\"']?)?{re.escape(key)}[\"']?\s*=", stripped)
        if hit and (current == section or stripped.startswith(section + ".")):
            return f":{number}"
    return ""


@cache
def lightgbm_parameter_names() -> frozenset[str]:
    """Every parameter name LightGBM accepts, aliases included (from the library itself); empty
    when this LightGBM cannot list them, and then nothing is checked."""
    try:
        from lightgbm.basic import _ConfigAliases

        aliases = _ConfigAliases._get_all_param_aliases()
    except Exception:  # noqa: BLE001 - an older or newer LightGBM without the listing
        return frozenset()
    return frozenset(aliases) | frozenset(name for names in aliases.values() for name in names)


# LightGBM parameters (with all their aliases) that [lightgbm] may not set: the model is a binary
# classifier calibrated afterwards, and [training] is the one place for rounds, early stopping and
# the seed (LightGBM's copy would silently win over it).
OWNED_ELSEWHERE: dict[str, str] = {
    "objective": "the model sets it to binary (a calibrated probability)",
    "num_class": "the model is binary: one class (a calibrated probability)",
    "num_iterations": "set [training] max_rounds instead",
    "early_stopping_round": "set [training] early_stopping_rounds instead",
    "seed": "set [training] seed instead",
}


# The values the model itself uses for parameters it owns: stating them changes nothing.
MODEL_VALUES: dict[str, object] = {"objective": "binary", "num_class": 1}

# Parameters about the columns of the real data (one value per feature, feature names, files of
# bins or splits): the value probe's one-column dataset cannot judge them, so only LightGBM's
# training checks their values.
PER_FEATURE: tuple[str, ...] = (
    "max_bin_by_feature", "monotone_constraints", "categorical_feature", "forcedbins_filename",
    "forcedsplits_filename", "interaction_constraints", "tree_interaction_constraints", "feature_contri",
    "ignore_column", "cegb_penalty_feature_lazy", "cegb_penalty_feature_coupled",
)


def _aliases(name: str) -> set[str]:
    """``name`` and every other spelling LightGBM accepts for it."""
    try:
        from lightgbm.basic import _ConfigAliases

        return _ConfigAliases.get(name) | {name}
    except Exception:  # noqa: BLE001 - a LightGBM without the alias table: the canonical name at least
        return {name}


def _is_model_value(key: str, value: object) -> bool:
    """``key = value`` only restates what the model sets (``objective = "binary"``)."""
    for name, model_value in MODEL_VALUES.items():
        if key in _aliases(name):
            if isinstance(model_value, str):
                return isinstance(value, str) and value.strip().lower() == model_value
            return not isinstance(value, bool) and value == model_value
    return False


def _owned_elsewhere() -> dict[str, str]:
    """Every spelling of an ``OWNED_ELSEWHERE`` parameter → the reason it is refused."""
    try:
        from lightgbm.basic import _ConfigAliases

        return {alias: why for name, why in OWNED_ELSEWHERE.items() for alias in _ConfigAliases.get(name) | {name}}
    except Exception:  # noqa: BLE001 - a LightGBM without the alias table: the canonical names at least
        return dict(OWNED_ELSEWHERE)


def _check_lightgbm_keys(values: dict[str, Any], source: str, text: str | None = None) -> None:
    """LightGBM only logs a warning for a parameter it does not know and trains with its default,
    so ``num_leavs = 7`` would silently train another model: refuse it, naming file, line and key.
    So are parameters the model owns, and values LightGBM would refuse once the data are loaded."""
    def where(key: str) -> str:
        if text is None:
            return source
        return f"{source}{_line_of(text, 'lightgbm', key)}"

    owned = _owned_elsewhere()
    for key, value in values.items():
        if key in owned and not _is_model_value(key, value):
            raise UpsellError(f"{where(key)}: [lightgbm] {key!r} cannot be set here: {owned[key]}")
    known = lightgbm_parameter_names()
    for key in values:
        if not known or key in known:
            continue
        close = difflib.get_close_matches(key, sorted(known), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see LightGBM's parameter list"
        raise UpsellError(f"{where(key)}: [lightgbm] {key!r} is not a LightGBM parameter{hint}")
    per_feature = {alias for name in PER_FEATURE for alias in _aliases(name)}
    for key, value in values.items():
        reason = _feature_values_problem(key, value)
        if reason:
            raise UpsellError(f"{where(key)}: [lightgbm] {key} = {value!r}: {reason}")
    for key, value in values.items():
        if key in per_feature or key in owned:
            continue
        if isinstance(value, (bool, int, float, str)):  # other types are the schema's to refuse
            reason = _lightgbm_refuses(key, value)
            if reason:
                raise UpsellError(f"{where(key)}: [lightgbm] {key} = {value!r}: LightGBM refuses it ({reason})")


def _lightgbm_refuses(key: str, value: bool | int | float | str) -> str | None:
    """LightGBM's own complaint about one parameter value (None when it takes it), from a dataset
    of four rows: the same parser the training uses, before any data are read."""
    import numpy as np

    try:
        import lightgbm as lgb
    except ImportError:  # nothing to check against
        return None
    try:  # LightGBM warns (Python) and writes its fatal message to stderr (C++) before raising: keep both quiet
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), _native_stderr_silenced():
            warnings.simplefilter("ignore")
            lgb.Dataset(np.zeros((4, 1)), label=np.array([0, 1, 0, 1]), params={key: value, "verbosity": -1}).construct()
    except lgb.basic.LightGBMError as exc:
        return str(exc).split(" at /")[0].strip().rstrip(".")
    except Exception:  # noqa: BLE001 - anything else is not about this value
        return None
    return None


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """File descriptor 2 points at the null device meanwhile (LightGBM's C++ writes there itself)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no descriptor 2 to redirect
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


# ------------------------------------------------------------------ per-feature parameters
@dataclass(frozen=True)
class FeatureValueRule:
    """What each value of a one-value-per-feature LightGBM parameter may be."""

    whole: bool  # whole numbers only
    allowed: Callable[[float], bool]
    says: str


# LightGBM parameters holding one value per model feature, in the model's feature order. LightGBM
# reads each value with atoi/atof, so "2", "1.5" or "up" in monotone_constraints train silently as
# something else, and a wrong count fails only after the data are loaded.
PER_FEATURE_VALUES: dict[str, FeatureValueRule] = {
    "monotone_constraints": FeatureValueRule(True, lambda v: v in (-1, 0, 1), "-1, 0 or 1 (decreasing, none, increasing)"),
    "feature_contri": FeatureValueRule(False, lambda v: v >= 0, "a gain weight >= 0 (LightGBM reads a negative one as 0)"),
    "max_bin_by_feature": FeatureValueRule(True, lambda v: v > 1, "a whole number of bins > 1"),
    "cegb_penalty_feature_lazy": FeatureValueRule(False, lambda v: v >= 0, "a cost >= 0"),
    "cegb_penalty_feature_coupled": FeatureValueRule(False, lambda v: v >= 0, "a cost >= 0"),
}
# Groups of feature positions ("[0,1],[2,3]"): each position must be one of the model's features.
INTERACTION_GROUPS: tuple[str, ...] = ("interaction_constraints",)
_GROUPS = re.compile(r"^\s*\[\s*\d+(\s*,\s*\d+)*\s*\](\s*,\s*\[\s*\d+(\s*,\s*\d+)*\s*\])*\s*$")


def _canonical(key: str) -> str | None:
    """The per-feature parameter ``key`` spells (an alias included), or None."""
    for name in (*PER_FEATURE_VALUES, *INTERACTION_GROUPS):
        if key in _aliases(name):
            return name
    return None


def _per_feature_keys(values: dict[str, Any]) -> list[str]:
    return [key for key in values if _canonical(key) is not None]


def _per_feature_as_text(values: dict[str, Any], source: str, text: str | None = None) -> dict[str, Any]:
    """``monotone_constraints = [1, -1, 0]`` (TOML's way to write a list) as LightGBM's own text
    ``"1,-1,0"``; ``interaction_constraints = [[0, 1], [2]]`` as ``"[0,1],[2]"``."""
    def number(item: object) -> bool:
        return isinstance(item, (int, float)) and not isinstance(item, bool)

    out = dict(values)
    for key, value in values.items():
        name = _canonical(key)
        if name is None or not isinstance(value, list):
            continue
        where = f"{source}{_line_of(text, 'lightgbm', key) if text is not None else ''}"
        if name in INTERACTION_GROUPS:
            if not all(isinstance(g, list) and g and all(number(i) for i in g) for g in value):
                raise UpsellError(f"{where}: [lightgbm] {key} = {value!r}: give groups of feature positions, "
                                  "e.g. [[0, 1], [2, 3]]")
            out[key] = ",".join("[" + ",".join(str(i) for i in g) + "]" for g in value)
        else:
            if not value or not all(number(i) for i in value):
                raise UpsellError(f"{where}: [lightgbm] {key} = {value!r}: give one number per feature, "
                                  "e.g. [1, 0, -1]")
            out[key] = ",".join(str(i) for i in value)
    return out


def _feature_values(value: object) -> list[str]:
    """The values of a per-feature parameter as written: ``"1,-1,0"`` → ['1', '-1', '0']; a single
    number (a one-feature model) → one value."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",")]
    return [str(value)]


def _feature_values_problem(key: str, value: object) -> str | None:
    """Why the values of a per-feature parameter are not what LightGBM means (None: they are, or
    ``key`` is not one), judged before any data are read; the count needs the features."""
    name = _canonical(key)
    if name is None or isinstance(value, bool):
        return None if name is None else "give one number per feature, e.g. \"1,0,-1\""
    if name in INTERACTION_GROUPS:
        if isinstance(value, str) and _GROUPS.match(value):
            return None
        return "give groups of feature positions, e.g. \"[0,1],[2,3]\" (or [[0, 1], [2, 3]])"
    rule = PER_FEATURE_VALUES[name]
    for position, item in enumerate(_feature_values(value), start=1):
        try:
            number = float(item)
        except ValueError:
            number = math.nan
        whole = re.fullmatch(r"[+-]?\d+", item) is not None
        if not math.isfinite(number) or (rule.whole and not whole) or not rule.allowed(number):
            return f"value {position} ({item!r}) is not {rule.says}"
    return None


def check_per_feature_parameters(config: ModelConfig, features: Sequence[str]) -> None:
    """Once the model's features are known (before LightGBM sees the data): each one-value-per-
    feature ``[lightgbm]`` parameter has one value per feature, and interaction groups name
    feature positions that exist. ``UpsellError`` names the file, line and key."""
    n = len(features)
    shown = ", ".join(f"{i}: {f}" for i, f in enumerate(features[:6])) + (", …" if n > 6 else "")
    for key, value in config.lightgbm.items():
        name = _canonical(key)
        if name is None:
            continue
        where = config._where.get(key, "model settings")
        if name in INTERACTION_GROUPS:
            positions = [int(i) for i in re.findall(r"\d+", str(value))]
            beyond = sorted({i for i in positions if i >= n})
            if beyond:
                raise UpsellError(f"{where}: [lightgbm] {key} = {value!r}: feature position(s) "
                                  f"{', '.join(map(str, beyond))} do not exist: the model has {n} features "
                                  f"(positions from 0: {shown})")
            continue
        count = len(_feature_values(value))
        if count != n:
            raise UpsellError(f"{where}: [lightgbm] {key} has {count} value(s) but the model has {n} features: "
                              f"one value per feature, in the model's feature order ({shown})")

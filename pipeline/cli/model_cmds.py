"""`upsell train`, `upsell backtest` and `upsell champions`: the propensity model's commands.

Thin: each parses options and calls one public function of ``models`` (the same functions serve
notebooks). Heavy imports (LightGBM, MLflow) happen inside the commands so `upsell --help` stays fast.
"""
from __future__ import annotations

import json
import shlex
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from pipeline.cli.dates import parse_day, parse_instant
from pipeline.cli.errors import user_errors


class Label(str, Enum):
    expansion = "expansion"
    purchase = "purchase"


def _date(value: str, flag: str):  # -> pd.Timestamp
    import pandas as pd

    return pd.Timestamp(parse_day(value, flag))


def _command_line(command: str, **options: object) -> str:
    """The command with its effective options, for the promotion record."""
    parts = ["upsell", command]
    for name, value in options.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if v is not None and v is not False:
                parts += [f"--{name.replace('_', '-')}", str(getattr(v, "value", v))]
    return shlex.join(parts)


def _model_name(name: str | None) -> str | None:
    """--model-name as the registry will take it (checked before any data are read)."""
    from models.config import model_name_problem

    reason = None if name is None else model_name_problem(name)
    if reason:
        from data.errors import UpsellError

        raise UpsellError(f"--model-name: {reason}")
    return name


def _playbook_rules(playbook: str | None, addon_category: list[str]) -> tuple[Any, tuple[str, ...]]:
    """The rules baseline's triggers and the add-on categories that count as an expansion: the
    playbook's ``objective.addon_categories`` joined by each ``--addon-category`` (a mistyped
    playbook fails here, before the data are read)."""
    from models.baselines import DEFAULT_SOP_TRIGGERS, playbook_triggers

    if playbook is None:
        return DEFAULT_SOP_TRIGGERS, tuple(sorted(set(addon_category)))
    from pipeline.playbook.load import resolve_playbook

    book = resolve_playbook(playbook)
    return playbook_triggers(book), tuple(sorted({*book.objective.addon_categories, *addon_category}))


def _scores_path(out: Path | None) -> Path | None:
    """--out as a file the backtest can write: .parquet or .csv (checked before the backtest runs)."""
    if out is not None and out.suffix.lower() not in (".parquet", ".csv"):
        from data.errors import UpsellError

        raise UpsellError(f"--out {out}: the scores file is .parquet or .csv (got {out.suffix or 'no suffix'!r})")
    return out


def _write_scores(frame, out: Path) -> None:
    from data.atomic import atomic_path

    with atomic_path(out) as tmp:
        if out.suffix.lower() == ".csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)


def _metrics_table(metrics: dict[str, dict[str, float]]) -> str:
    shown = ("roc_auc", "pr_auc", "lift_10", "capture_10", "log_loss", "brier", "ece")
    lines = [f"{'scorer':<22}" + "".join(f"{m:>11}" for m in shown)]
    for scorer, values in metrics.items():
        lines.append(f"{scorer:<22}" + "".join(f"{values[m]:>11.4f}" if m in values else f"{'-':>11}" for m in shown))
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the `upsell` app."""

    @app.command()
    @user_errors
    def train(
        data: Path = typer.Option(..., "--data", help="Data directory (parquet/CSV per table) or DuckDB file."),
        as_of: str = typer.Option(..., "--as-of", help="Train on snapshots whose label windows end by this date (YYYY-MM-DD)."),
        horizon_days: int = typer.Option(90, "--horizon-days", min=1, help="Label horizon in days."),
        label: Label = typer.Option(Label.expansion, "--label", help="What the model predicts."),
        model_name: str = typer.Option(None, "--model-name", help="Registered model name (default: \\[registry].model_name in the model settings)."),
        config: Path = typer.Option(None, "--config", help="Model settings TOML overriding models/defaults.toml."),
        playbook: str = typer.Option(None, "--playbook", help="Playbook whose triggers form the rules baseline and whose objective.addon_categories count as expansions."),
        addon_category: list[str] = typer.Option(
            [], "--addon-category", help="Purchase category that counts as an expansion (repeatable; added to the playbook's)."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Train, log to MLflow, register a version (alias challenger); promote to champion when it is
        at least as good as the current champion on the same backtest (or there is none)."""
        cutoff = _date(as_of, "--as-of")
        model_name = _model_name(model_name)
        from data.load import fingerprint_source, load_tables
        from models.backtest import read_truth
        from models.config import load_config
        from models.training import train_and_register

        cfg = load_config(config)
        triggers, addons = _playbook_rules(playbook, addon_category)
        tables = load_tables(data)
        result = train_and_register(
            tables, cutoff, horizon_days, label.value, config=cfg, model_name=model_name, command=_command_line(
                "train", data=data, as_of=as_of, horizon_days=horizon_days, label=label, model_name=model_name,
                config=config, playbook=playbook, addon_category=addon_category,
            ),
            triggers=triggers, truth=read_truth(data) if data.is_dir() else None,
            source_fingerprints=fingerprint_source(data), addon_categories=addons,
        )
        if as_json:
            typer.echo(json.dumps(result.summary(), indent=2, sort_keys=True))
            return
        v, d = result.version, result.decision
        typer.echo(f"registered {v.name} version {v.version} (run {v.run_id}) as challenger")
        typer.echo(f"promotion evidence: backtest at {result.backtest.cutoff.date()} ({result.backtest.horizon_days}-day {label.value})")
        typer.echo(_metrics_table(result.backtest.metrics))
        for flag in result.backtest.flags:
            typer.echo(f"WARNING: {flag}", err=True)
        typer.echo(("PROMOTED to champion: " if d.promoted else "kept as challenger: ") + d.reason)

    @app.command()
    @user_errors
    def backtest(
        data: Path = typer.Option(..., "--data", help="Data directory (parquet/CSV per table) or DuckDB file."),
        as_of: str = typer.Option(..., "--as-of", help="Cutoff: train as `train` would at this date, score at it."),
        horizon_days: int = typer.Option(90, "--horizon-days", min=1, help="Label horizon in days."),
        label: Label = typer.Option(Label.expansion, "--label", help="What the model predicts."),
        out: Path = typer.Option(None, "--out", help="Write account_id, score, label (parquet, or CSV by suffix)."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
        config: Path = typer.Option(None, "--config", help="Model settings TOML overriding models/defaults.toml."),
        playbook: str = typer.Option(None, "--playbook", help="Playbook whose triggers form the rules baseline and whose objective.addon_categories count as expansions."),
        addon_category: list[str] = typer.Option(
            [], "--addon-category", help="Purchase category that counts as an expansion (repeatable; added to the playbook's)."
        ),
        charts: Path = typer.Option(None, "--charts", help="Directory for calibration.png and gains.png."),
    ) -> None:
        """Honest backtest: train on what was known at --as-of, score at it, judge on what happened after."""
        cutoff = _date(as_of, "--as-of")
        out = _scores_path(out)
        from data.load import load_tables
        from models.backtest import read_truth, run_backtest, write_charts
        from models.config import load_config

        cfg = load_config(config)
        triggers, addons = _playbook_rules(playbook, addon_category)
        tables = load_tables(data)
        result = run_backtest(
            tables, cutoff, horizon_days, label.value, config=cfg, triggers=triggers,
            truth=read_truth(data) if data.is_dir() else None, addon_categories=addons,
        )
        if out is not None:
            _write_scores(result.scores[["account_id", "score", "label"]], out)
        if charts is not None:
            write_charts(result, charts)
        if as_json:
            typer.echo(json.dumps(result.summary(), indent=2, sort_keys=True))
        else:
            typer.echo(
                f"backtest at {cutoff.date()}: {len(result.scores):,} accounts scored, trained on "
                f"{result.train_rows:,} rows from {len(result.train_snapshots)} snapshot(s); calibration "
                f"{result.model.calibrator_.method}"
            )
            typer.echo(_metrics_table(result.metrics))
            for note in result.notes:
                typer.echo(f"note: {note}")
        for flag in result.flags:
            typer.echo(f"WARNING: {flag}", err=True)

    @app.command()
    @user_errors
    def champions(
        model_name: str = typer.Option(None, "--model-name", help="Registered model name (default: \\[registry].model_name in the model settings)."),
        on: str = typer.Option(None, "--on", help="Only the version that was champion at this date/time (UTC)."),
    ) -> None:
        """Promotion history: which version was champion when, promoted by which command."""
        from models import registry
        from models.config import load_config

        name = model_name or load_config().registry.model_name
        when = None if on is None else _date(on, "--on") if len(on) <= 10 else parse_instant(on, "--on")
        registry.client(must_exist=True)  # a mistyped store is named, not read as "no promotions"
        if when is not None:
            found = registry.champion_on(name, when)
            typer.echo(f"{name}: no champion at {on}" if found is None else f"{name} version {found.version} (run {found.run_id})")
            return
        history = registry.promotion_history(name)
        if history.empty:
            typer.echo(f"{name}: no promotions recorded in {registry.redacted(registry.tracking_uri())}")
            return
        for row in history.to_dict("records"):
            until = "now" if row["until"] is None or row["until"] != row["until"] else row["until"]
            typer.echo(f"version {row['version']}: {row['from']} → {until}  by: {row['by']}")

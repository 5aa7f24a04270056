"""CLI: ``upsell generate`` — write a synthetic data directory with its hidden true propensity."""
from __future__ import annotations

import time
from datetime import date, datetime
from enum import Enum
from pathlib import Path

import typer

from data.errors import UpsellError
from pipeline.cli.errors import user_errors


class ScenarioName(str, Enum):
    saas = "saas"
    ecommerce = "ecommerce"
    b2b_services = "b2b_services"
    telecom = "telecom"


def _parse_date(value: str, option: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise UpsellError(f"{option} must be a date YYYY-MM-DD, got {value!r}") from None


@user_errors
def generate_command(
    scenario: ScenarioName = typer.Option(..., "--scenario", help="Which world to simulate."),
    accounts: int = typer.Option(..., "--accounts", help="Number of accounts."),
    seed: int = typer.Option(..., "--seed", help="Random seed: the same seed gives byte-identical files."),
    end: str = typer.Option(..., "--end", help="End of the data, YYYY-MM-DD (exclusive: every timestamp is before it)."),
    out: Path = typer.Option(..., "--out", help="Directory to write (replaced as a whole)."),
    months: int = typer.Option(24, "--months", help="Months of history before --end."),
    usage_interval_days: int = typer.Option(
        7, "--usage-interval-days", help="Days between sampled usage rows (1 = daily; larger keeps big runs small)."),
) -> None:
    """Write a synthetic data directory: one parquet file per table plus _truth/propensity.parquet."""
    from data.synthetic import TRUTH, generate, write_dataset

    end_date = _parse_date(end, "--end")
    if out.exists() and not out.is_dir():
        raise UpsellError(f"--out {out} exists and is not a directory")
    started = time.perf_counter()
    frames = generate(scenario.value, accounts, seed, end_date, months=months,
                      usage_interval_days=usage_interval_days)
    write_dataset(frames, out)
    elapsed = time.perf_counter() - started
    typer.echo(f"wrote {scenario.value} data set to {out} in {elapsed:.1f} s")
    for name, frame in frames.items():
        label = "_truth/propensity" if name == TRUTH else name
        typer.echo(f"  {label:<20} {len(frame):>12,} rows")
    truth = frames[TRUTH]
    t90 = truth[truth["horizon_days"] == 90]
    if len(t90):
        typer.echo(f"  expected 90-day expansion rate (mean true probability): {t90['probability'].mean():.3f}")


def register(app: typer.Typer) -> None:
    """Attach ``generate`` to the `upsell` app."""
    app.command("generate")(generate_command)

"""CLI: ``upsell generate`` — write a synthetic data directory with its hidden true propensity."""
from __future__ import annotations

import time
from enum import Enum
from pathlib import Path

import typer

from data.errors import UpsellError
from pipeline.cli.dates import parse_date
from pipeline.cli.errors import user_errors


# data.synthetic.generate's ranges, spelt out so `upsell --help` does not import the generator
# (tested equal); out of range is bad usage, exit 2, before any work
MAX_ACCOUNTS = 5_000_000
MONTHS_RANGE = (2, 240)
USAGE_INTERVAL_RANGE = (1, 31)


class ScenarioName(str, Enum):
    saas = "saas"
    ecommerce = "ecommerce"
    b2b_services = "b2b_services"
    telecom = "telecom"


@user_errors
def generate_command(
    scenario: ScenarioName = typer.Option(..., "--scenario", help="Which world to simulate."),
    accounts: int = typer.Option(..., "--accounts", min=1, max=MAX_ACCOUNTS, help="Number of accounts."),
    seed: int = typer.Option(..., "--seed", min=0, help="Random seed: the same seed gives byte-identical files."),
    end: str = typer.Option(..., "--end", help="End of the data, YYYY-MM-DD (exclusive: every timestamp is before it)."),
    out: Path = typer.Option(..., "--out", help="Directory to write (replaced as a whole)."),
    months: int = typer.Option(24, "--months", min=MONTHS_RANGE[0], max=MONTHS_RANGE[1],
                               help="Months of history before --end."),
    usage_interval_days: int = typer.Option(
        7, "--usage-interval-days", min=USAGE_INTERVAL_RANGE[0], max=USAGE_INTERVAL_RANGE[1],
        help="Days between sampled usage rows (1 = daily; larger keeps big runs small)."),
) -> None:
    """Write a synthetic data directory: one parquet file per table plus _truth/propensity.parquet."""
    from data.synthetic import TRUTH, generate, write_dataset

    end_date = parse_date(end, "--end")  # bad usage: exit 2
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
        typer.echo(f"  {label:<20} {len(frame):>12,} {'row' if len(frame) == 1 else 'rows'}")
    truth = frames[TRUTH]
    t90 = truth[truth["horizon_days"] == 90]
    if len(t90):
        typer.echo(f"  expected 90-day expansion rate (mean true probability): {t90['probability'].mean():.3f}")


def register(app: typer.Typer) -> None:
    """Attach ``generate`` to the `upsell` app."""
    app.command("generate")(generate_command)

"""`upsell features`: point-in-time features for one or more cutoffs (one parquet file, one pass), or
the feature catalogue."""
from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.dates import parse_day
from pipeline.cli.errors import user_errors


def register(app: typer.Typer) -> None:
    """Attach `features` to the `upsell` app."""

    @app.command()
    @user_errors
    def features(
        data: Path = typer.Option(None, "--data", help="Data directory (parquet/CSV per table) or DuckDB file."),
        as_of: list[str] = typer.Option(
            None, "--as-of",
            help="Cutoff date YYYY-MM-DD: features use only data before it. Repeat it for several cutoffs "
                 "(one file, one row per account and cutoff, computed in one pass)."),
        out: Path = typer.Option(None, "--out", help="Parquet file to write (replaced atomically); a suffix other than .parquet is refused."),
        engine: str = typer.Option("duckdb", "--engine", help="Execution engine: duckdb or spark."),
        list_: bool = typer.Option(False, "--list", help="List every feature (name, source, kind, description) and exit."),
    ) -> None:
        """Point-in-time features: one row per account active at each --as-of, streamed to parquet."""
        from features.catalogue import render_listing

        if list_:
            typer.echo(render_listing())
            return
        missing = [flag for flag, value in (("--data", data), ("--as-of", as_of or None), ("--out", out)) if value is None]
        if missing:
            raise typer.BadParameter(f"missing {', '.join(missing)} (or use --list)")
        if out.suffix and out.suffix.lower() != ".parquet":  # parquet bytes in x.csv would mislead every reader
            raise typer.BadParameter(f"must be a .parquet file (features are written as parquet), got {str(out)!r}",
                                     param_hint="--out")
        as_of = [parse_day(value, "--as-of") for value in as_of]  # bad usage: exit 2, as on every command
        if engine not in ("duckdb", "spark"):
            raise typer.BadParameter(f"--engine must be duckdb or spark, not {engine!r}")

        from features.engine import load_for_engine
        from features.output import write_feature_parquet

        tables = load_for_engine(data, engine)
        result = write_feature_parquet(tables, as_of, out)
        if len(result.cutoffs) == 1:
            typer.echo(f"{result.rows:,} accounts x {result.n_features} features at {as_of[0]} -> {out}")
        else:
            days = [c.date().isoformat() for c in result.cutoffs]
            typer.echo(f"{result.rows:,} rows ({len(days)} cutoffs, {days[0]} .. {days[-1]}) x "
                       f"{result.n_features} features -> {out}")

"""`upsell features`: point-in-time features for one cutoff, or the feature catalogue."""
from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.errors import user_errors


def register(app: typer.Typer) -> None:
    """Attach `features` to the `upsell` app."""

    @app.command()
    @user_errors
    def features(
        data: Path = typer.Option(None, "--data", help="Data directory (parquet/CSV per table) or DuckDB file."),
        as_of: str = typer.Option(None, "--as-of", help="Cutoff date YYYY-MM-DD: features use only data before it."),
        out: Path = typer.Option(None, "--out", help="Parquet file to write (replaced atomically)."),
        engine: str = typer.Option("duckdb", "--engine", help="Execution engine: duckdb or spark."),
        list_: bool = typer.Option(False, "--list", help="List every feature (name, source, kind, description) and exit."),
    ) -> None:
        """Point-in-time features: one row per account active at --as-of."""
        from features.catalogue import render_listing

        if list_:
            typer.echo(render_listing())
            return
        missing = [flag for flag, value in (("--data", data), ("--as-of", as_of), ("--out", out)) if value is None]
        if missing:
            raise typer.BadParameter(f"missing {', '.join(missing)} (or use --list)")
        if engine not in ("duckdb", "spark"):
            raise typer.BadParameter(f"--engine must be duckdb or spark, not {engine!r}")

        from features.build import build_features
        from features.engine import load_for_engine
        from features.output import write_features

        tables = load_for_engine(data, engine)
        frame = build_features(tables, [as_of])
        write_features(frame, out)
        typer.echo(f"{len(frame):,} accounts x {frame.shape[1] - 2} features at {as_of} -> {out}")

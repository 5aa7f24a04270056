"""`upsell validate`: check a data source against the contract."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.cli.errors import user_errors


def register(app: typer.Typer) -> None:
    """Attach `validate` to the `upsell` app."""

    @app.command()
    @user_errors
    def validate(
        data: Path = typer.Option(..., "--data", help="Data directory (parquet/CSV per table) or DuckDB file."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
    ) -> None:
        """Check every table present against the data contract; list every problem found."""
        from data.load import validate_source
        from data.problems import render_problems

        report = validate_source(data)
        if as_json:
            typer.echo(json.dumps(report.as_dict(), indent=2, default=str))
        if not report.ok:
            if not as_json:
                typer.echo(render_problems(report.problems, str(data)), err=True)
                for note in report.notes:  # e.g. the file that was meant as a missing table
                    typer.echo(f"note: {note}", err=True)
            raise typer.Exit(code=1)
        if not as_json:
            for name, frame in report.frames.items():
                typer.echo(f"{name:<16} {len(frame):>10,} {'row ' if len(frame) == 1 else 'rows'}  ok")
            for note in report.notes:
                typer.echo(f"note: {note}")

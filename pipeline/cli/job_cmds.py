"""`upsell score`, `upsell nightly` and `upsell demo`: the jobs that put the SOP to work."""
from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.dates import parse_date, parse_day
from pipeline.cli.errors import user_errors

# pipeline.scoring.DEFAULT_REASONS_LIMIT, spelt out: the CLI imports the pipeline lazily (tested equal)
REASONS_LIMIT = 10_000

ENGINES = ("duckdb", "spark")


def _engine(value: str) -> str:
    if value not in ENGINES:
        raise typer.BadParameter(f"choose one of {', '.join(ENGINES)}")
    return value


def register(app: typer.Typer) -> None:
    """Attach `score`, `nightly` and `demo` to the `upsell` app."""

    @app.command()
    @user_errors
    def score(
        data: Path = typer.Option(..., "--data", help="Data directory or DuckDB file."),
        as_of: str = typer.Option(..., "--as-of", metavar="YYYY-MM-DD", help="Score as of this date (data before it)."),
        playbook: str = typer.Option(..., "--playbook", help="A shipped playbook name (saas) or a YAML path."),
        out: Path = typer.Option(..., "--out", help="The scored list file (.parquet or .csv)."),
        model_name: str | None = typer.Option(None, "--model-name", help="Registered model name (default from config)."),
        reasons_limit: int = typer.Option(REASONS_LIMIT, "--reasons-limit", min=0,
                                          help="Reason codes for at most this many accounts: those with a person-owned action, or an action marked reasons: true in the playbook (person-owned first)."),
        engine: str = typer.Option("duckdb", "--engine", callback=_engine, help="duckdb (default) or spark."),
    ) -> None:
        """Features → champion model → SOP decisions → the scored account list."""
        as_of = parse_day(as_of, "--as-of")
        from pipeline.score_job import score_to_file

        result = score_to_file(data, as_of, playbook, out, model_name=model_name, reasons_limit=reasons_limit, engine=engine)
        for note in result.notes:
            typer.echo(f"note: {note}", err=True)
        typer.echo(f"scored list: {result.path} ({result.rows:,} accounts)")

    @app.command()
    @user_errors
    def nightly(
        data: Path = typer.Option(..., "--data", help="Data directory or DuckDB file."),
        as_of: str = typer.Option(..., "--as-of", metavar="YYYY-MM-DD", help="The night's date (data before it)."),
        playbook: str = typer.Option(..., "--playbook", help="A shipped playbook name (saas) or a YAML path."),
        out: Path = typer.Option(..., "--out", help="Output directory (scored list, export, report, history, manifest)."),
        export: str | None = typer.Option(None, "--export", help="Export target: salesforce, hubspot, csv, parquet or sql."),
        export_to: str | None = typer.Option(None, "--export-to", help="Export destination (file/dir, or a SQLAlchemy URL; "
                                             "default <out>/exports/, or $UPSELL_EXPORT_URL for sql)."),
        mapping: Path | None = typer.Option(None, "--mapping", help="CRM field mapping file (TOML/YAML)."),
        changed_only: bool = typer.Option(False, "--changed-only", help="Export only rows changed since the last export."),
        table: str | None = typer.Option(None, "--table", help="SQL table for the sql target."),
        model_name: str | None = typer.Option(None, "--model-name", help="Registered model name (default from config)."),
        reasons_limit: int = typer.Option(REASONS_LIMIT, "--reasons-limit", min=0,
                                          help="Reason codes for at most this many accounts: those with a person-owned action, or an action marked reasons: true in the playbook (person-owned first)."),
        engine: str = typer.Option("duckdb", "--engine", callback=_engine, help="duckdb (default) or spark."),
    ) -> None:
        """The whole nightly job; outputs appear in --out only when every stage succeeded."""
        import os

        as_of = parse_day(as_of, "--as-of")
        from pipeline.nightly import ExportRequest, run_nightly

        request = None
        if export is not None:
            destination = export_to or (os.environ.get("UPSELL_EXPORT_URL") if export == "sql" else None)
            request = ExportRequest(target=export, destination=destination,
                                    mapping=str(mapping) if mapping else None, changed_only=changed_only, table=table)
        result = run_nightly(data, as_of, playbook, out, export=request, model_name=model_name,
                             reasons_limit=reasons_limit, engine=engine)
        for note in result.manifest.get("notes") or []:
            typer.echo(f"note: {note}", err=True)
        typer.echo(f"run {result.run_id}: {len(result.scored):,} accounts scored → {result.out}")

    @app.command()
    @user_errors
    def demo(
        out: Path = typer.Option(Path("upsell-demo"), "--out", help="Where the demo writes everything."),
        accounts: int = typer.Option(3000, "--accounts", min=100, help="Synthetic accounts to generate."),
        seed: int = typer.Option(7, "--seed"),
        end: str = typer.Option("2026-06-30", "--end", metavar="YYYY-MM-DD",
                                help="End of the synthetic history (exclusive: the data stop the day before)."),
    ) -> None:
        """The main job on embedded defaults: generate SaaS data, train a champion if none, run the nightly job."""
        end_date = parse_date(end, "--end")
        from pipeline.demo import run_demo

        summary = run_demo(out, n_accounts=accounts, seed=seed, end=end_date)
        typer.echo(summary)

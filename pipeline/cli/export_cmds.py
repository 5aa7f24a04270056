"""`upsell export`, `upsell outcomes import` and `upsell review`: the pipeline's outward edges."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pipeline.cli.dates import parse_day, parse_instant
from pipeline.cli.errors import user_errors

if TYPE_CHECKING:
    import pandas as pd

TARGET_NAMES = ("salesforce", "hubspot", "csv", "parquet", "sql")


def register(app: typer.Typer) -> None:
    """Attach `export`, `outcomes import` and `review` to the `upsell` app."""

    @app.command()
    @user_errors
    def export(
        scores: Path = typer.Option(..., "--scores", help="Scored account list (parquet or CSV) from `upsell score`."),
        target: str = typer.Option(..., "--target", help="One of: " + ", ".join(TARGET_NAMES) + "."),
        out: str = typer.Option(
            None, "--out", envvar="UPSELL_EXPORT_URL", show_envvar=True,
            help="File (or directory) for file targets; for sql a SQLAlchemy URL or SQLite file. Put URLs "
                 "with passwords in UPSELL_EXPORT_URL, not on the command line.",
        ),
        mapping: Path = typer.Option(None, "--mapping", help="Field mapping file (TOML/YAML) for salesforce/hubspot."),
        data: Path = typer.Option(None, "--data", help="Data directory: join accounts' columns (name, …) in."),
        join: Path = typer.Option(None, "--join", help="Extra per-account columns (CSV/parquet with account_id), "
                                                       "e.g. a crosswalk to hs_object_id or domain."),
        changed_only: bool = typer.Option(False, "--changed-only", help="Export only rows changed since the previous export."),
        state: Path = typer.Option(None, "--state", help="State file for --changed-only (default: beside the file)."),
        table: str = typer.Option("upsell_scores", "--table", help="sql: table to upsert into (created if missing)."),
        schema: str = typer.Option(None, "--schema", help="sql: database schema of the table."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Write the scored list as a CRM-ready file (salesforce, hubspot, csv, parquet) or upsert it (sql)."""
        from data.errors import UpsellError
        from data.id_positions import positions_in
        from pipeline.export import export_scores, read_scored_list
        from pipeline.export.scored_list import require_some_match
        from pipeline.table_io import read_table

        if target not in TARGET_NAMES:
            raise typer.BadParameter(f"{target!r} is not one of {', '.join(TARGET_NAMES)}", param_hint="--target")
        if not out:
            raise UpsellError("export: give a destination with --out (or UPSELL_EXPORT_URL for sql)")
        scored = read_scored_list(scores)
        attributes = None
        if data is not None:
            accounts = read_table(data, "accounts")
            if accounts is None:
                raise UpsellError(f"{data}: no accounts table to join")
            attributes = accounts.drop(columns=[c for c in ("created_at",) if c in accounts.columns])
        if join is not None:
            extra = _read_join(join)
            require_some_match(positions_in(extra["account_id"], scored["account_id"]), extra, scored, str(join))
            attributes = extra if attributes is None else attributes.merge(
                extra[["account_id", *[c for c in extra.columns if c not in attributes.columns]]],
                on="account_id", how="outer")
        result = export_scores(scored, target, out, mapping=mapping, attributes=attributes,
                               changed_only=changed_only, state_path=state, table=table, schema=schema)
        if as_json:
            typer.echo(json.dumps(result.to_dict(), indent=2))
            return
        delta = ""
        if result.changed_only:
            delta = (f" (changed only: {result.rows_new} new, {result.rows_changed} changed, "
                     f"{result.rows_unchanged} unchanged, {result.rows_removed} no longer listed)")
        typer.echo(f"exported {result.rows_written:,} of {result.rows_total:,} rows to {result.target}: "
                   f"{result.destination}{delta}")

    outcomes = typer.Typer(name="outcomes", help="The feedback loop: offer outcomes from the CRM.",
                           no_args_is_help=True)
    app.add_typer(outcomes)

    @outcomes.command("import")
    @user_errors
    def outcomes_import(
        file: Path = typer.Argument(..., help="CRM outcome file (CSV or parquet): offer_id (or account_id + "
                                              "offered_at + offer_type), outcome, outcome_at, revenue, reenter_at."),
        data: Path = typer.Option(..., "--data", help="Data directory whose offers table receives the outcomes."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Validate and count, write nothing."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
        playbook: str = typer.Option(None, "--playbook", help="Shipped playbook name or YAML path: a deferral "
                                     "without reenter_at re-enters after its exit_paths.deferred.reenter_after_days."),
        now: str = typer.Option(None, "--now", help="The import's 'now' (ISO 8601, e.g. 2026-11-26T13:00:00+00:00; "
                                "naive is UTC; default: the wall clock): outcome_at may be at most a day later. "
                                "Give it to backfill or replay an import deterministically."),
    ) -> None:
        """Validate, de-duplicate and merge offer outcomes into the offers table (idempotent)."""
        from pipeline.outcomes import import_outcomes

        now = None if now is None else parse_instant(now, "--now")
        result = import_outcomes(file, data, dry_run=dry_run, now=now, playbook=playbook)
        if as_json:
            typer.echo(json.dumps(result.to_dict(), indent=2))
            return
        for note in result.notes:
            typer.echo(f"note: {note}")
        verb = "wrote" if result.written else ("would write" if dry_run and (result.updated or result.appended)
                                               else "nothing to write to")
        typer.echo(f"{result.rows_read:,} rows read ({result.duplicates_dropped} duplicates, {result.superseded} "
                   f"superseded): {result.updated} updated, {result.appended} appended, {result.unchanged} unchanged, "
                   f"{result.stale} older than recorded; {verb} {result.offers_path}")

    @app.command()
    @user_errors
    def review(
        data: Path = typer.Option(..., "--data", help="Data directory or DuckDB file (offers, subscriptions)."),
        out: Path = typer.Option(None, "--out", help="Nightly output directory: reads its history/, "
                                                     "writes review/review.html and review/review.json there."),
        history: Path = typer.Option(None, "--history", help="Score history: a nightly run's history/ directory, "
                                                             "or a parquet/CSV file (default: OUT/history)."),
        as_of: str = typer.Option(None, "--as-of", help="Review date (default: the latest night in the history)."),
        playbook: str = typer.Option(None, "--playbook", help="Shipped playbook name or YAML path: revenue target, "
                                                              "capacities, score bands, SOP diagram."),
        horizon_days: int = typer.Option(90, "--horizon-days", min=1, help="Prediction horizon of the scores."),
        since: str = typer.Option(None, "--since", help="Only offers made on or after this date."),
        revenue_target: float = typer.Option(None, "--revenue-target", min=0, help="Overrides the playbook's target."),
        period: str = typer.Option(None, "--period", help="Target period: month, quarter or year."),
        capacity: int = typer.Option(None, "--capacity", min=0, help="Human capacity (accounts); overrides the "
                                                                     "playbook's weekly role capacities."),
        cost_per_contact: float = typer.Option(0.0, "--cost-per-contact", min=0, help="Cost of one human contact."),
        calibration_nights: int = typer.Option(12, "--calibration-nights", min=1,
                                               help="Latest nights with a closed horizon used for calibration."),
        reference: Path = typer.Option(None, "--reference", help="Training features (+ score) for drift (parquet/CSV)."),
        features: Path = typer.Option(None, "--features", help="Today's features (+ score) for drift."),
        html: Path = typer.Option(None, "--html", help="HTML report path (default: OUT/review/review.html or ./review.html)."),
        json_out: Path = typer.Option(None, "--json", help="JSON figures path (default: beside the HTML)."),
    ) -> None:
        """SOP step 7: conversion of past offers by band, node, action, channel and owner; calibration;
        revenue vs target; drift; a recommended threshold under capacity. Writes HTML and JSON."""
        from data.errors import UpsellError
        from pipeline.history import history_files
        from pipeline.review_report import history_path, run_review

        as_of = None if as_of is None else parse_day(as_of, "--as-of")
        since = None if since is None else parse_day(since, "--since")
        if history is None and out is None:
            raise UpsellError("review: give --out (the nightly output directory) or --history FILE")
        if (reference is None) != (features is None):
            raise UpsellError("review: drift needs both --reference (training features) and --features (today's)")
        history_file = history if history is not None else history_path(out)
        if history is None and not history_files(history_file):
            history_file = None  # no nightly run yet: the review needs --as-of and has no scores
        base = (out / "review") if out is not None else Path(".")
        html_path = html or base / "review.html"
        json_path = json_out or html_path.with_suffix(".json")
        options = {k: v for k, v in {"as_of": as_of, "since": since, "revenue_target": revenue_target,
                                     "target_period": period, "capacity": capacity}.items() if v is not None}
        result, files = run_review(data, history=history_file, playbook=playbook,
                                   reference=reference, current_features=features, html_path=html_path,
                                   json_path=json_path, horizon_days=horizon_days,
                                   cost_per_contact=cost_per_contact, calibration_nights=calibration_nights,
                                   **options)
        s = result.summary
        conversion = "n/a" if s["conversion"] is None else f"{s['conversion']:.1%}"
        typer.echo(f"review {result.as_of}: {s['offers']:,} offers, {s['accepted']:,} accepted ({conversion}), "
                   f"revenue {s['revenue']:,.0f}")
        rev = result.revenue
        if rev.get("progress") is not None:
            projection = "n/a" if rev["projected_vs_target"] is None else f"{rev['projected_vs_target']:.1%}"
            typer.echo(f"revenue target: {rev['progress']:.1%} reached ({rev['period_start']} to {rev['period_end']}), "
                       f"run-rate projection {projection} of target")
        best = result.recommendation.get("band") if result.recommendation else None
        if best:
            typer.echo(f"recommended band threshold: {best['band']} (score >= {best['threshold']:.3f}), "
                       f"{best['volume']:,} accounts")
        for note in result.notes:
            typer.echo(f"note: {note}")
        if files:
            typer.echo(f"wrote {files.html} and {files.json}")


def _read_join(path: Path) -> "pd.DataFrame":
    """A per-account attribute file (CSV read as text, so ids keep their spelling)."""
    import pandas as pd

    from data.coerce import text_ids
    from data.errors import UpsellError

    if not path.is_file():
        raise UpsellError(f"{path}: no such file to join")
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""])
    except Exception as exc:
        raise UpsellError(f"{path}: cannot read ({str(exc).splitlines()[0][:200]})") from None
    if "account_id" not in frame.columns:
        raise UpsellError(f"{path}: column 'account_id' missing (columns: {', '.join(map(str, frame.columns))})")
    frame["account_id"] = text_ids(frame["account_id"])
    return frame

"""The nightly job: validate → features → champion → score → decide → reasons → export → report → manifest.

Safe by construction. Bad input fails in the first stage, before anything is written. Every file
is built in a staging directory and moved into ``--out`` only when all stages succeeded, the
manifest last (``pipeline.publish``), so a failed or killed run leaves the previous night's
outputs as they were. Rerunning the same night gives byte-identical outputs: the run id is derived
from the inputs, rows are sorted, and no wall-clock time goes into any output but the manifest's
``timings``.

Layout of ``--out``::

    scored_accounts.parquet     the scored account list (contract columns, then extras)
    exports/…                   the CRM export (when --export names a file target)
    report/review.html, .json   SOP step 7 for this night
    history/scores-DATE.parquet one scored list per night, by account_id (a rerun replaces its night)
    manifest.json               inputs, model, playbook, rows, timings, output checksums
"""
from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from data.atomic import write_bytes_atomic
from data.errors import UpsellError
from data.id_positions import positions_in
from data.load import fingerprint_source, load_tables
from pipeline.export.exporter import export_scores
from pipeline.export.targets import TARGETS
from pipeline.history import append_night, history_files, night_file, night_of, night_rows
from pipeline.manifest import manifest_json, mask_secrets, output_checksums, run_id_for, sha256_file
from pipeline.progress import StageTimer
from pipeline.publish import MANIFEST_NAME, staged_outputs
from pipeline.scoring import DEFAULT_REASONS_LIMIT, score_accounts

SCORED_FILE = "scored_accounts.parquet"
EXPORT_DIR = "exports"
REPORT_DIR = "report"


@dataclass
class ExportRequest:
    """What ``--export`` asked for. ``destination`` defaults to ``<out>/exports/`` for file targets."""

    target: str
    destination: str | None = None
    mapping: str | None = None
    changed_only: bool = False
    table: str | None = None


@dataclass
class NightlyResult:
    """Where a night's outputs are and what the run was (the manifest, as a dict)."""

    out: Path
    run_id: str
    scored_path: Path
    report_path: Path | None
    manifest_path: Path
    manifest: dict[str, Any]
    scored: pd.DataFrame = field(repr=False)
    export: dict[str, Any] | None = None


def package_version() -> str:
    try:
        return version("upsell-propensity")
    except PackageNotFoundError:
        return "0+source"


def write_frame_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Deterministic parquet: same frame, same bytes (no index, fixed codec)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, compression="zstd")


def run_nightly(
    data: str | Path,
    as_of: str | pd.Timestamp,
    playbook: str | Path,
    out: str | Path,
    *,
    export: ExportRequest | None = None,
    model_name: str | None = None,
    reasons_limit: int = DEFAULT_REASONS_LIMIT,
    engine: str = "duckdb",
    stream: TextIO | None = None,
) -> NightlyResult:
    """Run one night for ``as_of`` and publish its outputs under ``out``."""
    from models.config import load_config
    from models.registry import load_champion
    from pipeline.playbook.lint import check_playbook
    from pipeline.playbook.load import resolve_playbook

    out = Path(out)
    as_of = pd.Timestamp(as_of).normalize()
    model_name = model_name or load_config().registry.model_name
    if export is not None and export.target not in TARGETS:  # said before the night's work, not after it
        raise UpsellError(f"export: unknown target {export.target!r}; choose one of {', '.join(TARGETS)}")
    timer = StageTimer("nightly", stream=stream or sys.stderr)

    with timer.stage("validate") as facts:
        tables = _load(data, engine)
        fingerprints = fingerprint_source(data)
        facts["tables"] = len(tables)
    with timer.stage("playbook") as facts:
        book = resolve_playbook(playbook)
        check_playbook(book)
        playbook_hash = book_hash(book)
        facts["playbook"] = book.name
    with timer.stage("model") as facts:
        model, info = load_champion(model_name)
        facts["version"] = info.version
    run_id = run_id_for({
        "data": fingerprints, "as_of": as_of.isoformat(), "model": [model_name, info.version],
        "playbook": playbook_hash, "reasons_limit": reasons_limit, "code": package_version(),
    })
    with timer.stage("score") as facts:
        if engine == "spark":
            from pipeline.spark.job import run_spark_scoring

            result = run_spark_scoring(tables, as_of, book, model_name=model_name, run_id=run_id,
                                       reasons_limit=reasons_limit)
        else:
            result = score_accounts(tables, as_of, book, model, model_name=model_name, model_version=info.version,
                                    run_id=run_id, reasons_limit=reasons_limit)
        scored = result.scored
        facts["accounts"] = len(scored)
        facts["actions"] = int(scored["action"].notna().sum())

    export_info: dict[str, Any] | None = None
    report_path: Path | None = None
    with staged_outputs(out) as stage:
        with timer.stage("write") as facts:
            write_frame_parquet(scored, stage / SCORED_FILE)
            tonight = night_rows(scored)
            write_frame_parquet(tonight, stage / night_file(as_of))
            nights = ({night_of(f) for f in history_files(out)} - {None}) | {as_of}
            facts["history_nights"] = len(nights)
        with timer.stage("report") as facts:
            report_path = _write_report(tables, out, tonight, book, model, result.features, as_of, stage / REPORT_DIR)
            facts["report"] = REPORT_DIR
        if export is not None:
            with timer.stage("export") as facts:
                export_info = _export(scored, tables, export, out, stage)
                facts["rows"] = export_info["rows_written"]
        with timer.stage("checksums"):
            outputs = output_checksums(stage)
        if export_info is not None and export_info["sha256"] is None and Path(export_info["destination"]).is_relative_to(out):
            export_info["sha256"] = outputs.get(Path(export_info["destination"]).relative_to(out).as_posix())
        manifest = {
            "job": "nightly",
            "run_id": run_id,
            "as_of": as_of.strftime("%Y-%m-%d"),
            "engine": engine,
            "package_version": package_version(),
            "data": {"source": mask_secrets(str(data)), "fingerprints": fingerprints, "notes": list(tables.notes)},
            "rows": {"accounts_scored": len(scored), **_counts(scored)},
            "model": {"name": model_name, "version": info.version, "mlflow_run_id": info.run_id},
            "playbook": {"name": book.name, "sha256": playbook_hash},
            "notes": result.notes,
            "export": export_info,
            "outputs": outputs,
            "timings_seconds": timer.timings,
            "score_breakdown_seconds": result.timings,
        }
        write_bytes_atomic(stage / MANIFEST_NAME, manifest_json(manifest))
    return NightlyResult(
        out=out, run_id=run_id, scored_path=out / SCORED_FILE,
        report_path=(out / report_path.relative_to(stage)) if report_path else None,
        manifest_path=out / MANIFEST_NAME, manifest=manifest, scored=scored, export=export_info,
    )


def book_hash(book: Any) -> str:
    """sha256 of the playbook's source text (or its canonical JSON when built in code)."""
    import hashlib

    text = getattr(book, "source_text", None) or book.model_dump_json()
    return hashlib.sha256(text.encode()).hexdigest()


def _load(data: str | Path, engine: str) -> Any:
    if engine == "duckdb":
        return load_tables(data)
    if engine == "spark":
        from pipeline.spark.load import load_tables_spark

        return load_tables_spark(data)
    raise ValueError(f"unknown engine {engine!r}")


def _counts(scored: pd.DataFrame) -> dict[str, Any]:
    return {
        "with_action": int(scored["action"].notna().sum()),
        "by_final_node": {str(k): int(v) for k, v in scored["final_node"].value_counts(dropna=False).sort_index().items()},
        "by_owner_role": {str(k): int(v) for k, v in scored["owner_role"].dropna().value_counts().sort_index().items()},
    }


def _export(scored: pd.DataFrame, tables: Any, request: ExportRequest, out: Path, stage: Path) -> dict[str, Any]:
    spec = TARGETS[request.target]
    is_file = spec.kind != "sql"
    # the CRM needs a display name (and any crosswalk ids users add), not the whole accounts table
    attributes = tables.to_pandas("accounts", columns=("account_id", "name", "domain", "hs_object_id", "crm_id"))
    staged = stage / EXPORT_DIR
    kwargs: dict[str, Any] = {"mapping": request.mapping, "attributes": attributes, "changed_only": request.changed_only,
                              "checksum": not is_file or request.destination is not None}  # staged: the manifest hashes it
    if request.table:
        kwargs["table"] = request.table
    state_name = None  # the changed-only state kept under <out>/exports, read back the next night
    if is_file and request.destination is None:
        destination: str | Path = staged  # staged like every other output
        state_name = f"{spec.default_file}.export-state.parquet"
    else:
        destination = request.destination if request.destination is not None else ""
        if not is_file and request.changed_only:
            state_name = f"{request.target}.export-state.parquet"
            kwargs["state_path"] = staged / state_name
    if is_file and request.destination is None or "state_path" in kwargs:
        staged.mkdir(exist_ok=True)
    if request.changed_only and state_name is not None and (out / EXPORT_DIR / state_name).is_file():
        # the last export's state is all this run reads from <out>/exports; the other files there
        # stay in place (outputs are published file by file), so they are not copied
        shutil.copy2(out / EXPORT_DIR / state_name, staged / state_name)
    result = export_scores(scored, request.target, destination, **kwargs).to_dict()
    for key in ("destination", "state_path"):  # said where they are once published, not in the stage
        if result.get(key) and Path(result[key]).is_relative_to(stage):
            result[key] = str(out / Path(result[key]).relative_to(stage))
    return result


def _write_report(tables: Any, out: Path, tonight: pd.DataFrame, book: Any, model: Any, features: pd.DataFrame,
                  as_of: pd.Timestamp, where: Path) -> Path:
    """SOP step 7 for this night: past offers against past scores, calibration, drift, threshold.

    Of the past nights under ``out`` only the rows the review uses are read (tonight's list is
    still staged, so it comes in as ``tonight``)."""
    from pipeline.review import build_review
    from pipeline.review_calibration import PURCHASE_COLUMNS, SUBSCRIPTION_COLUMNS
    from pipeline.review_report import HISTORY_COLUMNS, read_review_history, write_review

    offers = tables.to_pandas("offers") if "offers" in tables else None
    past = read_review_history(out, offers, as_of, today_given=True)
    history = append_night(past, tonight[[c for c in HISTORY_COLUMNS if c in tonight.columns]], sort_night=False)
    reference = getattr(model, "reference_", None)
    # today's score beside each feature row; a lookup, not a merge (which copies every column)
    today = history.loc[history["as_of"] == as_of, ["account_id", "score"]]
    at = positions_in(today["account_id"], features["account_id"])
    hit = at >= 0
    score = np.full(len(features), np.nan)
    score[hit] = today["score"].to_numpy(dtype="float64", na_value=np.nan)[at[hit]]
    today_features = features.assign(score=score)
    if not hit.all():
        today_features = today_features[hit].reset_index(drop=True)
    result = build_review(
        offers,
        history,
        as_of=as_of,
        subscriptions=tables.to_pandas("subscriptions", columns=SUBSCRIPTION_COLUMNS) if "subscriptions" in tables else None,
        purchases=tables.to_pandas("purchases", columns=PURCHASE_COLUMNS)
        if book.objective.addon_categories and "purchases" in tables else None,
        playbook=book,
        reference=reference,
        current_features=today_features if reference is not None else None,
    )
    files = write_review(result, where / "review.html", where / "review.json")
    return files.html


__all__ = ["ExportRequest", "NightlyResult", "run_nightly", "sha256_file"]

"""``export_scores``: the one public entry point for every export target.

Pure preparation (join, order, delta, mapping, formula neutralising) in the middle; the write at
the edge is atomic (files: temp file + rename; SQL: one transaction); the ``--changed-only``
state advances only after the write succeeded.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from data.errors import UpsellError
from pipeline.export import changes
from pipeline.export.files import write_csv, write_parquet
from pipeline.export.mapping import FieldMapping, apply_mapping, load_mapping
from pipeline.export.scored_list import check_scored_list, join_attributes, sort_for_export
from pipeline.export.sql import DEFAULT_TABLE, mask_url, upsert_frame
from pipeline.export.targets import TARGETS, ExportTarget


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote (safe to print and to put in a run manifest: no secrets)."""

    target: str
    destination: str  # a file path, or the masked database URL and table
    as_of: str
    rows_total: int  # rows in the scored list
    rows_written: int  # rows in the export (the delta with changed_only)
    changed_only: bool
    rows_new: int | None = None
    rows_changed: int | None = None
    rows_unchanged: int | None = None
    rows_removed: int | None = None
    baseline_as_of: str | None = None
    state_path: str | None = None
    sha256: str | None = None  # of the written file (file targets)
    columns: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        out = asdict(self)
        out["columns"] = list(self.columns)
        return out


def export_scores(
    scored: pd.DataFrame,
    target: str,
    destination: str | Path,
    *,
    mapping: FieldMapping | str | Path | None = None,
    attributes: pd.DataFrame | None = None,
    changed_only: bool = False,
    state_path: str | Path | None = None,
    table: str = DEFAULT_TABLE,
    schema: str | None = None,
    checksum: bool = True,
) -> ExportResult:
    """Export a scored account list to ``target`` at ``destination``.

    - ``target``: one of ``TARGETS`` (salesforce, hubspot, csv, parquet, sql).
    - ``destination``: a file path for file targets (a directory, or a path without a file
      extension, gets the target's default file name, e.g. ``upsell_salesforce.csv``); for ``sql`` a SQLAlchemy URL or a SQLite file path.
    - ``mapping``: CRM targets only — a ``FieldMapping`` or a TOML/YAML mapping file.
    - ``attributes``: per-account columns to join in on ``account_id`` (accounts' ``name``, a CRM
      id crosswalk with ``hs_object_id`` or ``domain``…).
    - ``changed_only``: write only rows that changed since the previous export (see
      ``pipeline.export.changes``); ``state_path`` defaults to ``<file>.export-state.parquet``
      beside a file destination and is required for ``sql``.
    - ``table``/``schema``: the SQL table (created when missing).
    - ``checksum``: give the written file's sha256 (a caller that hashes its outputs anyway, as
      the nightly manifest does, passes False and reads the file once).

    Raises ``UpsellError`` (nothing written) on a bad scored list, mapping or destination.
    """
    spec = _target(target)
    if not str(destination).strip():
        what = "a SQLAlchemy URL or SQLite file path" if spec.kind == "sql" else "a file or directory"
        raise UpsellError(f"export to {spec.name}: no destination given (expected {what})")
    frame = check_scored_list(scored.copy(), unique=False)
    as_of = _single_as_of(frame)
    frame = sort_for_export(join_attributes(frame, attributes, check_scored_ids=True))
    resolved_mapping = _mapping(spec, mapping, frame)
    file_path = _file_destination(spec, destination)
    state_file = _state_path(spec, file_path, state_path) if changed_only else None

    plan = None
    rows = frame
    if changed_only:
        plan = changes.plan_changes(frame, changes.read_state(state_file), as_of)
        rows = frame[plan.changed].reset_index(drop=True)

    if resolved_mapping is not None:
        rows = apply_mapping(rows, resolved_mapping)
    sha256 = None
    if spec.kind == "csv":
        sha256 = write_csv(rows, file_path, checksum=checksum)
        shown = str(file_path)
    elif spec.kind == "parquet":
        sha256 = write_parquet(rows, file_path, checksum=checksum)
        shown = str(file_path)
    else:
        shown = upsert_frame(rows, destination, table=table, schema=schema)

    if plan is not None:
        changes.write_state(state_file, plan.new_state)
    return ExportResult(
        target=spec.name,
        destination=shown,
        as_of=as_of.strftime("%Y-%m-%d"),
        rows_total=len(frame),
        rows_written=len(rows),
        changed_only=changed_only,
        rows_new=plan.rows_new if plan else None,
        rows_changed=plan.rows_changed if plan else None,
        rows_unchanged=plan.rows_unchanged if plan else None,
        rows_removed=plan.rows_removed if plan else None,
        baseline_as_of=plan.baseline_as_of.strftime("%Y-%m-%d") if plan and plan.baseline_as_of is not None else None,
        state_path=str(state_file) if state_file else None,
        sha256=sha256,
        columns=tuple(map(str, rows.columns)),
    )


def _target(name: str) -> ExportTarget:
    try:
        return TARGETS[name]
    except KeyError:
        raise UpsellError(f"export: unknown target {name!r}; choose one of {', '.join(TARGETS)}") from None


def _single_as_of(frame: pd.DataFrame) -> pd.Timestamp:
    stamps = pd.to_datetime(frame["as_of"]).dropna().unique()
    if len(stamps) != 1:
        shown = ", ".join(str(pd.Timestamp(s).date()) for s in sorted(stamps)[:5])
        raise UpsellError(f"scored list: column 'as_of': rule 'one scoring night per export' broken (found {shown})")
    return pd.Timestamp(stamps[0])


def _mapping(spec: ExportTarget, mapping: FieldMapping | str | Path | None, frame: pd.DataFrame) -> FieldMapping | None:
    if spec.default_mapping is None:
        if mapping is not None:
            raise UpsellError(f"export: a field mapping applies to the salesforce and hubspot targets, not {spec.name}")
        return None
    if isinstance(mapping, FieldMapping):
        return mapping
    if mapping is None:
        return spec.default_mapping(frame.columns)
    return load_mapping(mapping, spec.default_mapping(frame.columns))


def _file_destination(spec: ExportTarget, destination: str | Path) -> Path | None:
    if spec.kind == "sql":
        return None
    path = Path(destination)
    if "://" in str(destination):
        raise UpsellError(f"export: the {spec.name} target writes a file; {mask_url(str(destination))} is a URL")
    if path.is_dir() or str(destination).endswith(("/", "\\")) or (not path.exists() and not path.suffix):
        path = path / str(spec.default_file)
    return path


def _state_path(spec: ExportTarget, file_path: Path | None, state_path: str | Path | None) -> Path:
    if state_path is not None:
        return Path(state_path)
    if file_path is None:
        raise UpsellError("export --changed-only to sql needs a state file (--state FILE): there is no file "
                          "destination to keep it beside")
    return file_path.with_name(file_path.name + ".export-state.parquet")

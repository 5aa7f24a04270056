"""``upsell score``: the scored account list for one date, written to one file."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from data.atomic import atomic_path
from data.errors import UpsellError
from data.load import fingerprint_source
from pipeline.manifest import run_id_for
from pipeline.nightly import _load, book_hash, package_version, write_frame_parquet
from pipeline.scoring import DEFAULT_REASONS_LIMIT, score_accounts


@dataclass(frozen=True)
class ScoredFile:
    """What ``score_to_file`` wrote: the file, its row count, and notes worth a reader's eye
    (model features absent today, stale data)."""

    path: Path
    rows: int
    notes: list[str] = field(default_factory=list)


def score_to_file(
    data: str | Path,
    as_of: str | pd.Timestamp,
    playbook: str | Path,
    out: str | Path,
    *,
    model_name: str | None = None,
    reasons_limit: int = DEFAULT_REASONS_LIMIT,
    engine: str = "duckdb",
) -> ScoredFile:
    """Score ``data`` at ``as_of`` with the champion and the playbook; write ``out`` atomically."""
    from models.config import load_config
    from models.registry import load_champion
    from pipeline.export.files import write_csv
    from pipeline.playbook.lint import check_playbook
    from pipeline.playbook.load import resolve_playbook

    out = Path(out)
    if out.suffix not in (".parquet", ".csv"):
        raise UpsellError(f"{out}: the scored list is written as .parquet or .csv")
    as_of = pd.Timestamp(as_of).normalize()
    tables = _load(data, engine)
    book = resolve_playbook(playbook)
    check_playbook(book)
    name = model_name or load_config().registry.model_name
    model, info = load_champion(name)
    run_id = run_id_for({"data": fingerprint_source(data), "as_of": as_of.isoformat(), "model": [name, info.version],
                         "playbook": book_hash(book), "reasons_limit": reasons_limit, "code": package_version()})
    result = score_accounts(tables, as_of, book, model, model_name=name, model_version=info.version,
                            run_id=run_id, reasons_limit=reasons_limit)
    scored = result.scored
    if out.suffix == ".parquet":
        with atomic_path(out) as tmp:
            write_frame_parquet(scored, tmp)
    else:
        write_csv(scored, out, checksum=False)  # nothing records it
    return ScoredFile(path=out, rows=len(scored), notes=list(result.notes))

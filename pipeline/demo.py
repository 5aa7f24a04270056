"""``upsell demo``: the main job end to end on embedded defaults, in one directory.

Generates the SaaS scenario, trains and registers a champion when the registry has none, runs the
nightly job with a Salesforce export, and says where everything is. The MLflow store is a SQLite
file inside the demo directory unless ``MLFLOW_TRACKING_URI`` says otherwise, so the demo never
touches a real registry by accident.
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

SCENARIO = "saas"
MONTHS = 24


@contextmanager
def _tracking_store(default: Path) -> Iterator[str]:
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    uri = previous or f"sqlite:///{default.resolve()}"
    os.environ["MLFLOW_TRACKING_URI"] = uri
    try:
        yield uri
    finally:
        if previous is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)


def _ensure_data(data_dir: Path, n_accounts: int, seed: int, end: date) -> bool:
    """Generate the scenario unless the same one is already there; True when generated."""
    from data.synthetic import generate, write_dataset

    params = {"scenario": SCENARIO, "accounts": n_accounts, "seed": seed, "end": end.isoformat(), "months": MONTHS}
    marker = data_dir / "_truth" / "demo-params.json"
    if marker.is_file() and json.loads(marker.read_text()) == params:
        return False
    frames = generate(SCENARIO, n_accounts, seed, end, months=MONTHS)
    write_dataset(frames, data_dir)
    marker.write_text(json.dumps(params, sort_keys=True))
    return True


def run_demo(out: str | Path, *, n_accounts: int = 3000, seed: int = 7, end: date = date(2026, 6, 30)) -> str:
    """Run the demo under ``out``; returns the summary printed to the user."""
    from models.config import load_config
    from models.registry import CHAMPION, redacted, version_by_alias
    from data.load import fingerprint_source, load_tables
    from data.synthetic import addon_categories
    from models.training import train_and_register
    from pipeline.nightly import ExportRequest, run_nightly

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data_dir = out / "data"
    as_of = pd.Timestamp(end + timedelta(days=1))
    with _tracking_store(out / "mlflow.db") as uri:
        generated = _ensure_data(data_dir, n_accounts, seed, end)
        name = load_config().registry.model_name
        trained = None
        if version_by_alias(name, CHAMPION) is None:
            trained = train_and_register(
                load_tables(data_dir), as_of, command="upsell demo", source_fingerprints=fingerprint_source(data_dir),
                addon_categories=tuple(addon_categories(SCENARIO)),
            )
        result = run_nightly(data_dir, as_of, SCENARIO, out / "nightly", export=ExportRequest(target="salesforce"))
    actions = int(result.scored["action"].notna().sum())
    lines = [
        "",
        f"upsell demo — SaaS scenario, {n_accounts:,} accounts, as of {as_of:%Y-%m-%d}",
        f"  data            {data_dir}{'  (generated)' if generated else '  (reused)'}",
        f"  model           {name} v{result.manifest['model']['version']}"
        + ("  (trained now: no champion before)" if trained is not None else "  (existing champion)"),
        f"  scored list     {result.scored_path}  ({len(result.scored):,} accounts, {actions:,} with an action)",
        f"  CRM export      {result.export['destination'] if result.export else '-'}",
        f"  review report   {result.report_path}",
        f"  run manifest    {result.manifest_path}",
        f"  MLflow UI       mlflow ui --backend-store-uri {redacted(uri)}",
    ]
    return "\n".join(lines)

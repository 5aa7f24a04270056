"""Execute each analyst notebook top to bottom on small generated data; a broken API call fails here.

Each notebook generates its own small SaaS data set in ``UPSELL_NB_DIR`` (a temporary directory)
and keeps its MLflow store there, so nothing outside the test's tmp_path is touched.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
# notebook -> fewest charts (PNG/SVG outputs) it must render; each draws a few more than this
MIN_CHARTS = {"01-explore-data": 6, "02-train-and-compare": 4, "03-sop-decisions": 4}
CHART_MIMES = {"image/png", "image/svg+xml"}
TIMEOUT_SECONDS = 600

pytestmark = [pytest.mark.slow, pytest.mark.notebook]


def _kernel_dir(root: Path) -> Path:
    """A ``python3`` kernelspec running this interpreter, so the notebook sees the project's venv."""
    spec = root / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (upsell tests)",
        "language": "python",
    }))
    return root


def _charts(nb: nbformat.NotebookNode) -> int:
    return sum(
        1
        for cell in nb.cells if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if CHART_MIMES & set(out.get("data", {}))
    )


@pytest.mark.parametrize("name", sorted(MIN_CHARTS))
def test_notebook_runs_and_renders_charts(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    monkeypatch.setenv("UPSELL_NB_DIR", str(work))
    monkeypatch.setenv("JUPYTER_PATH", str(_kernel_dir(tmp_path / "jupyter")))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert not any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), "stored with outputs"

    NotebookClient(nb, timeout=TIMEOUT_SECONDS, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()

    charts = _charts(nb)
    assert charts >= MIN_CHARTS[name], f"{name} rendered {charts} chart(s), expected at least {MIN_CHARTS[name]}"
    assert (work / "mlflow.db").exists() or name.startswith("01"), "MLflow store not kept in UPSELL_NB_DIR"
    assert not os.environ.get("MLFLOW_TRACKING_URI")

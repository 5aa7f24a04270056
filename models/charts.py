"""The two evaluation charts, as PNG files: calibration curve and cumulative gains.

Each chart overlays the model and its baselines on the same rows so one picture answers "is it
better, and are its probabilities honest?". Drawn on bare matplotlib ``Figure`` objects: no pyplot
state and no backend switch, so a notebook's inline plotting keeps working after the import.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from data.atomic import atomic_path
from models.metrics import calibration_table, gains_table

_PNG_METADATA = {"Software": None}  # no version stamp: same inputs → same bytes


def _save(fig: Figure, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, metadata=_PNG_METADATA)
    return path


def _axes() -> tuple[Figure, object]:
    fig = Figure(figsize=(6, 5))
    return fig, fig.add_subplot()


MIN_BIN_ROWS = 20


def calibration_chart(y: np.ndarray, probabilities: Mapping[str, np.ndarray], path: str | Path, title: str = "Calibration") -> Path:
    """Reliability diagram: mean predicted probability vs observed rate per bin, for each score.

    Bins holding fewer than ``MIN_BIN_ROWS`` accounts are left out: their observed rate is noise.
    """
    fig, ax = _axes()
    upper = 0.0
    for name, p in probabilities.items():
        table = calibration_table(y, p)
        table = table[table["rows"] >= MIN_BIN_ROWS]
        if table.empty:
            continue
        ax.plot(table["mean_predicted"], table["observed_rate"], marker="o", label=name)
        upper = max(upper, float(table["mean_predicted"].max()), float(table["observed_rate"].max()))
    upper = min(1.0, upper * 1.05 + 0.01)
    ax.plot([0, upper], [0, upper], linestyle="--", color="grey", label="perfect")
    ax.set(xlabel=f"mean predicted probability (bins with ≥ {MIN_BIN_ROWS} accounts)", ylabel="observed rate", title=title,
           xlim=(0, upper), ylim=(0, upper))
    ax.legend(loc="upper left")
    return _save(fig, Path(path))


def gains_chart(y: np.ndarray, scores: Mapping[str, np.ndarray], path: str | Path, title: str = "Cumulative gains") -> Path:
    """Share of positives captured vs share of accounts contacted, highest scores first."""
    fig, ax = _axes()
    for name, s in scores.items():
        table = gains_table(y, s)
        ax.plot(table["contacted"], table["captured"], label=name)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="random")
    ax.set(xlabel="share of accounts contacted", ylabel="share of upsells captured", title=title, xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="lower right")
    return _save(fig, Path(path))

"""`upsell train/backtest --playbook P` count P's ``objective.addon_categories`` as expansions, as
the contract says (they were read by the review only: the model learned a label without them),
and each ``--addon-category`` is added to those."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.playbook.load import resolve_playbook


@pytest.fixture(scope="module")
def ecommerce_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from data.synthetic import generate

    root = tmp_path_factory.mktemp("ecommerce")
    for name, frame in generate("ecommerce", 40, 3, date(2026, 6, 30), months=6).items():
        if not name.startswith("_"):  # the hidden truth is not a source table
            frame.to_parquet(root / f"{name}.parquet", index=False)
    return root


class _Stop(Exception):
    pass


def _captured(monkeypatch: pytest.MonkeyPatch, target: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def record(*args: Any, **kwargs: Any) -> None:
        seen.update(kwargs)
        raise _Stop

    module, name = target.rsplit(".", 1)
    monkeypatch.setattr(f"{module}.{name}", record)
    return seen


@pytest.mark.parametrize("command, target", [("backtest", "models.backtest.run_backtest"),
                                             ("train", "models.training.train_and_register")])
def test_the_playbooks_addon_categories_reach_the_label(command: str, target: str, ecommerce_dir: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = tuple(resolve_playbook("ecommerce").objective.addon_categories)
    assert shipped  # the e-commerce playbook names its add-ons

    seen = _captured(monkeypatch, target)
    CliRunner().invoke(app, [command, "--data", str(ecommerce_dir), "--as-of", "2026-03-01", "--playbook", "ecommerce"])
    assert seen["addon_categories"] == tuple(sorted(shipped))

    seen = _captured(monkeypatch, target)
    CliRunner().invoke(app, [command, "--data", str(ecommerce_dir), "--as-of", "2026-03-01", "--playbook", "ecommerce",
                             "--addon-category", "gift_cards", "--addon-category", shipped[0]])
    assert seen["addon_categories"] == tuple(sorted({*shipped, "gift_cards"}))

    seen = _captured(monkeypatch, target)
    CliRunner().invoke(app, [command, "--data", str(ecommerce_dir), "--as-of", "2026-03-01", "--addon-category", "gift_cards"])
    assert seen["addon_categories"] == ("gift_cards",)  # no playbook: only what was named

"""Stage progress for long jobs: rich on a terminal, plain structured log lines otherwise.

Cron, Airflow and Databricks capture stderr line by line; a spinner there is noise. When stderr is
not a terminal (or ``UPSELL_LOG_FORMAT=plain``) every stage start and end is one logfmt line that
log tooling can parse: ``ts=… level=info job=nightly stage=features event=done seconds=1.23 rows=2000``.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TextIO


def _logfmt(value: object) -> str:
    text = str(value)
    return f'"{text}"' if (" " in text or "=" in text or not text) else text


@dataclass
class StageTimer:
    """Times named stages and reports them; ``timings`` feeds the run manifest."""

    job: str
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    rich: bool | None = None
    timings: dict[str, float] = field(default_factory=dict)
    facts: dict[str, dict[str, object]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.rich is None:
            plain = os.environ.get("UPSELL_LOG_FORMAT", "").lower() == "plain"
            self.rich = (not plain) and getattr(self.stream, "isatty", lambda: False)()
        self._console = None
        if self.rich:
            from rich.console import Console

            self._console = Console(file=self.stream)

    @contextmanager
    def stage(self, name: str) -> Iterator[dict[str, object]]:
        """Time one stage; the yielded dict collects facts (row counts…) to report with it."""
        facts: dict[str, object] = {}
        start = time.perf_counter()
        if self._console is not None:
            status = self._console.status(f"[bold]{self.job}[/]: {name}…")
            status.start()
        else:
            status = None
            self._line(name, "start")
        try:
            yield facts
        except BaseException:
            if status is not None:
                status.stop()
            self._line(name, "failed", seconds=round(time.perf_counter() - start, 3), **facts)
            raise
        seconds = time.perf_counter() - start
        self.timings[name] = round(seconds, 3)
        self.facts[name] = dict(facts)
        if status is not None:
            status.stop()
            detail = "  ".join(f"{k}={v}" for k, v in facts.items())
            self._console.print(f"[green]✓[/] {name:<10} {seconds:7.2f}s  {detail}")
        else:
            self._line(name, "done", seconds=round(seconds, 3), **facts)

    def _line(self, stage: str, event: str, **facts: object) -> None:
        if self._console is not None:
            if event == "failed":
                self._console.print(f"[red]✗[/] {stage} failed")
            return
        ts = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        parts = {"ts": ts, "level": "error" if event == "failed" else "info", "job": self.job,
                 "stage": stage, "event": event, **facts}
        self.stream.write(" ".join(f"{k}={_logfmt(v)}" for k, v in parts.items()) + "\n")
        self.stream.flush()

"""The month grid the simulator steps on, and conversions between its clock and timestamps.

The world advances in calendar months. Every event inside a month is placed at a uniformly drawn
instant of that month; the oracle relies on that (a horizon that covers a fraction of a month
covers that fraction of the month's event probability).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class MonthGrid:
    """``months`` calendar months ending with the month that contains ``end - 1 day``.

    Times are int64 seconds since the Unix epoch (naive UTC). ``end`` is exclusive: no generated
    timestamp is at or after it.
    """

    starts: np.ndarray  # int64 seconds, month m starts at starts[m]; len months + extra
    end: int  # exclusive end, seconds
    months: int

    @classmethod
    def ending(cls, end: date, months: int, extra: int = 8) -> "MonthGrid":
        """The grid for ``months`` months up to ``end`` plus ``extra`` future months (for horizons)."""
        end_day = np.datetime64(end, "D")
        last = (end_day - np.timedelta64(1, "D")).astype("datetime64[M]")
        first = last - np.timedelta64(months - 1, "M")
        month_starts = (first + np.arange(months + extra + 1)).astype("datetime64[D]")
        seconds = month_starts.astype("datetime64[s]").astype(np.int64)
        return cls(starts=seconds, end=int(end_day.astype("datetime64[s]").astype(np.int64)), months=months)

    @property
    def start(self) -> int:
        return int(self.starts[0])

    def length(self, m: int | np.ndarray) -> np.ndarray:
        """Length of month ``m`` in seconds."""
        return self.starts[np.asarray(m) + 1] - self.starts[np.asarray(m)]

    def at(self, m: int | np.ndarray, frac: np.ndarray) -> np.ndarray:
        """The instant ``frac`` (0..1) of the way through month ``m``, whole seconds."""
        return self.starts[m] + np.floor(frac * self.length(m)).astype(np.int64)

    def month_of(self, t: np.ndarray) -> np.ndarray:
        """Month index of each time (negative before the grid)."""
        idx = np.searchsorted(self.starts, t, side="right") - 1
        before = t < self.starts[0]
        if np.any(before):
            first = np.datetime64(int(self.starts[0]), "s").astype("datetime64[M]")
            months = np.asarray(t[before]).astype("datetime64[s]").astype("datetime64[M]")
            idx = idx.copy()
            idx[before] = (months - first).astype(np.int64)
        return idx


def to_datetime64(seconds: np.ndarray) -> np.ndarray:
    """int64 epoch seconds → naive datetime64[us]."""
    return (np.asarray(seconds, dtype=np.int64) * 1_000_000).astype("datetime64[us]")


def month_start_seconds(grid: MonthGrid, month: np.ndarray) -> np.ndarray:
    """Start of month index ``month`` (any integer, before or after the grid) in epoch seconds."""
    first = np.datetime64(int(grid.starts[0]), "s").astype("datetime64[M]")
    months = first + np.asarray(month, dtype=np.int64).astype("timedelta64[M]")
    return months.astype("datetime64[s]").astype(np.int64)


def anniversary(grid: MonthGrid, month: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """The contract anniversary instant in ``month``: ``offset`` seconds in, clipped to the month."""
    start = month_start_seconds(grid, month)
    return np.minimum(start + offset, month_start_seconds(grid, np.asarray(month) + 1) - 1)

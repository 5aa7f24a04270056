"""Training "as of" a date never sees anything learnt on or after it: the training frame (features
at each snapshot and the label that followed) of data that runs on past ``as_of`` equals the one
of the same data cut at ``as_of`` (rows dated from it removed; ends, closes and outcomes dated
from it not yet known: the plan active, the ticket open, the offer pending)."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from data.contract import EVENT_TIME
from data.tables import Tables
from features.training import build_training_frame

AS_OF = pd.Timestamp("2026-04-01")


def _cut_at(frames: dict[str, pd.DataFrame], t: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The data as it stood at ``t``."""
    out = {}
    for name, frame in frames.items():
        frame = frame[frame[EVENT_TIME[name]] < t].copy()
        if name == "subscriptions":
            late = frame["ended_at"] >= t
            frame.loc[late, ["ended_at", "end_reason"]] = [pd.NaT, None]
        elif name == "support_tickets":
            late = frame["closed_at"] >= t
            frame.loc[late, "closed_at"] = pd.NaT
            if "csat" in frame:
                frame.loc[late, "csat"] = pd.NA
        elif name == "offers":
            late = frame["outcome_at"] >= t
            frame.loc[late, ["outcome_at", "reenter_at"]] = pd.NaT
            frame.loc[late, "outcome"] = "pending"
            frame.loc[late, "revenue"] = np.nan
        out[name] = frame
    return out


def test_training_frame_ignores_what_was_learnt_after_as_of() -> None:
    from data.synthetic import generate

    frames = {name: frame for name, frame in generate("saas", 150, 5, date(2026, 6, 30), months=12).items()
              if name in EVENT_TIME}
    full = build_training_frame(Tables.from_frames(frames), as_of=AS_OF, n_snapshots=3)
    cut = build_training_frame(Tables.from_frames(_cut_at(frames, AS_OF)), as_of=AS_OF, n_snapshots=3)
    assert len(full) > 200 and 0 < full["label"].sum() < len(full)
    pd.testing.assert_frame_equal(full, cut)

"""Kevin Hillstrom's MineThatData e-mail campaign (2008) as the project's contract tables.

The file is one row per customer of a real randomized experiment: a third got a men's
merchandise e-mail, a third a women's one, a third nothing (the control), and the outcomes are
what each customer did in the two weeks after. In contract terms every customer is an account
and every customer got one upsell offer on the ``email`` channel, sent by the automated system;
the No E-Mail third are the offers held out for uplift measurement (``is_control``).

What the file does not say, and how this mapping fills it (nothing else is invented):

- **Dates.** The send date is not in the file. ``sent_at`` is a nominal date (default
  2008-03-01, before the challenge was published on 2008-03-20); every offer is dated at it and
  every outcome at the close of the two-week window (``outcome_at``), the moment an outcome was
  known — the day of each purchase within the window is not recorded.
- **created_at**, required by the contract, is unknown: every customer bought in the 12 months
  before the campaign, so accounts are dated at the start of that window (a placeholder; nothing
  in the review reads it).
- **Outcomes.** ``conversion`` = 1 is ``accepted`` with ``revenue`` = ``spend`` (spend is > 0
  exactly when conversion is 1); everything else is ``no_response``. The file has no explicit
  refusals, so nothing is ``rejected``; ``visit`` (a site visit without a purchase) has no
  contract outcome and is lost.
- Customer attributes (recency, past-year spend, mens/womens, newbie, purchase channel) have no
  contract column except ``zip_code`` → ``accounts.region``; they are left out rather than dressed
  up as purchases that never happened with those dates.
"""
from __future__ import annotations

import pandas as pd

SENT_AT = pd.Timestamp("2008-03-01")
WINDOW = pd.Timedelta(days=14)  # outcomes cover the two weeks after the e-mail
OFFER_TYPES = {"Mens E-Mail": "mens_email", "Womens E-Mail": "womens_email", "No E-Mail": "no_email"}
CONTROL_SEGMENT = "No E-Mail"


def hillstrom_tables(raw: pd.DataFrame, sent_at: pd.Timestamp = SENT_AT) -> dict[str, pd.DataFrame]:
    """``accounts`` and ``offers`` (contract column names, one offer per customer) from the CSV's rows.

    Account ids are the row number (``h00000`` …), so the mapping is deterministic. A ``segment``
    outside the three arms is an error rather than a guess.
    """
    unknown = sorted(set(raw["segment"]) - set(OFFER_TYPES))
    if unknown:
        raise ValueError(f"hillstrom: unknown segment value(s) {unknown}; expected {sorted(OFFER_TYPES)}")
    ids = pd.Series([f"h{i:05d}" for i in range(len(raw))], dtype="str")
    accounts = pd.DataFrame({
        "account_id": ids,
        "created_at": pd.Series(sent_at - pd.DateOffset(months=12), index=ids.index).astype("datetime64[us]"),
        "region": raw["zip_code"].astype("str").to_numpy(),
    })
    accepted = raw["conversion"].to_numpy() == 1
    offers = pd.DataFrame({
        "offer_id": pd.Series([f"e{i:05d}" for i in range(len(raw))], dtype="str"),
        "account_id": ids,
        "offered_at": pd.Series(sent_at, index=ids.index).astype("datetime64[us]"),
        "offer_type": raw["segment"].map(OFFER_TYPES).astype("str").to_numpy(),
        "channel": "email",
        "owner_role": "automated",
        "outcome": pd.Series(accepted).map({True: "accepted", False: "no_response"}).astype("str"),
        "outcome_at": pd.Series(sent_at + WINDOW, index=ids.index).astype("datetime64[us]"),
        "revenue": pd.Series(raw["spend"].to_numpy(dtype=float)).where(accepted),
        "is_control": (raw["segment"] == CONTROL_SEGMENT).to_numpy(),
    })
    return {"accounts": accounts, "offers": offers}


def review_date(sent_at: pd.Timestamp = SENT_AT) -> pd.Timestamp:
    """The day the two-week outcome window closed: the earliest honest review date."""
    return sent_at + WINDOW

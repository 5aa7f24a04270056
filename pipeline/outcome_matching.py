"""Which offer each row of a CRM outcome file names: by ``offer_id``, by its natural key
``account_id`` + ``offered_at`` + ``offer_type`` exactly, or at another precision than the offers
table keeps (a date without its time, a time where the table stamps midnight, a type in other case).

Pure pandas over the offers table and the prepared outcome rows (``pipeline.outcome_file``), vectorised:
a CRM file of 50k rows is matched against a million offers in seconds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

NATURAL_KEY: tuple[str, ...] = ("account_id", "offered_at", "offer_type")


def offer_keys(frame: pd.DataFrame) -> pd.Series:
    """One identity per row: ``id:<offer_id>`` or ``key:<account>|<offered_at>|<offer_type>``."""
    natural = ("key:" + frame["account_id"].astype("str") + "|"
               + frame["offered_at"].dt.strftime("%Y-%m-%dT%H:%M:%S").astype("str") + "|"
               + frame["offer_type"].astype("str"))
    return ("id:" + frame["offer_id"].astype("str")).where(frame["offer_id"].notna(), natural)


def match_offers(offers: pd.DataFrame, outcomes: pd.DataFrame) -> pd.Series:
    """Row position in ``offers`` of each outcome: >= 0 matched, -1 new, -2 ambiguous."""
    position = pd.Series(-1, index=outcomes.index, dtype="int64")
    if offers.empty:
        return position
    by_id = pd.Series(range(len(offers)), index=offers["offer_id"].astype("str"))
    has_id = outcomes["offer_id"].notna()
    position[has_id] = outcomes.loc[has_id, "offer_id"].map(by_id).fillna(-1).astype("int64")
    keyed = offers[list(NATURAL_KEY)].assign(_pos=range(len(offers)))
    counts = keyed.groupby(list(NATURAL_KEY), dropna=False)["_pos"].agg(["first", "size"])
    lookup = outcomes.loc[~has_id, list(NATURAL_KEY)]
    if len(lookup):
        found = lookup.merge(counts, left_on=list(NATURAL_KEY), right_index=True, how="left")
        found.index = lookup.index
        pos = found["first"].fillna(-1).astype("int64").where(found["size"].fillna(0) <= 1, -2)
        position[~has_id] = pos
    return position


# A CRM dating offers in local time puts an offer of 22:00 UTC on the next date, at most ~14 h away
# from the date's edges (UTC-12 … UTC+14).
NEIGHBOUR_REACH = pd.Timedelta(hours=14)


@dataclass(frozen=True)
class NearMatches:
    """Natural-key rows that matched no offer exactly but found one at another precision.

    ``position``: the offer row each outcome row now matches (-1: none). ``listed``: for rows to
    refuse as near copies, the offers they resemble (columns ``_i``, ``_offer_id``, ``_offer_at``,
    ``_offer_type``, ``_spelt``). ``neighbours``: rows matched to an offer on a neighbouring date
    (``_i``, ``_at``, ``_offer_id``, ``_offer_at``), for a note.
    """

    position: pd.Series
    listed: pd.DataFrame
    neighbours: pd.DataFrame

    @property
    def near(self) -> pd.Series:
        """True for rows to refuse as near copies."""
        return pd.Series(self.position.index.isin(self.listed["_i"]), index=self.position.index)

    def describe(self, rows: pd.Index, file_rows: pd.Series, per_row: int = 3) -> str:
        """``row N: OFF-1 2026-09-01 22:00:00, …`` for the given rows only (``file_rows``: each
        row's number in the file)."""
        listed = self.listed[self.listed["_i"].isin(rows)].groupby("_i", sort=False).head(per_row)
        parts = []
        for i, found in listed.groupby("_i", sort=False):
            offers = ", ".join(f"{oid} {at:%Y-%m-%d %H:%M:%S}" + ("" if kind == spelt else f" {kind}")
                               for oid, at, kind, spelt in zip(found["_offer_id"], found["_offer_at"],
                                                               found["_offer_type"], found["_spelt"]))
            parts.append(f"row {file_rows[i]}: {offers}")
        return "; ".join(parts)

    def neighbour_note(self, file_rows: pd.Series) -> str:
        """What the matches on a neighbouring date were, with an example naming both dates."""
        first = self.neighbours.iloc[0]
        return (f"{len(self.neighbours)} date-only row(s) matched the one offer of that account and type on a "
                f"neighbouring date (none on the row's date; a CRM dating in local time), e.g. row "
                f"{file_rows[first['_i']]} dated {first['_at']:%Y-%m-%d} → {first['_offer_id']} of "
                f"{first['_offer_at']:%Y-%m-%d %H:%M}")


def near_matches(offers: pd.DataFrame, outcomes: pd.DataFrame, unmatched: pd.Series) -> NearMatches:
    """CRM exports often give ``offered_at`` at another precision than the offers table (a date
    without its time; a time where the table stamps offers at midnight) or the offer type in
    other case. For natural-key rows that matched nothing, among the offers of the same account
    and offer type (case and spaces aside):

    - a date-only row matches the one offer on that date, spelt the same; when none is on that
      date, the one offer within ``NEIGHBOUR_REACH`` of the date's edges (a CRM dating in local
      time), reported in ``neighbours``;
    - a row with a time matches the one offer on its date when that offer is stamped at midnight;
    - any other row with such offers (several on the date, another spelling; for a row with a
      time, offers within a day: a time off by seconds) gets them ``listed``, to refuse it rather
      than append a copy.
    """
    empty = NearMatches(pd.Series(-1, index=outcomes.index, dtype="int64"),
                        pd.DataFrame(columns=["_i", "_offer_id", "_offer_at", "_offer_type", "_spelt"]),
                        pd.DataFrame(columns=["_i", "_at", "_offer_id", "_offer_at"]))
    rows = outcomes[unmatched & outcomes["offer_id"].isna() & outcomes[list(NATURAL_KEY)].notna().all(axis=1)]
    if rows.empty or offers.empty:
        return empty
    accounts = rows["account_id"].astype("str")
    mine = np.flatnonzero(is_in(offers["account_id"], accounts))
    if not len(mine):
        return empty
    candidates = offers.iloc[mine]
    left = pd.DataFrame({"_i": rows.index, "account_id": accounts.to_numpy(),
                         "_type": folded(rows["offer_type"]).to_numpy(),
                         "_at": rows["offered_at"].astype("datetime64[us]").to_numpy(),
                         "_spelt": rows["offer_type"].astype("str").to_numpy()})
    right = pd.DataFrame({"_pos": mine, "account_id": candidates["account_id"].astype("str").to_numpy(),
                          "_type": folded(candidates["offer_type"]).to_numpy(),
                          "_offer_at": candidates["offered_at"].astype("datetime64[us]").to_numpy(),
                          "_offer_type": candidates["offer_type"].astype("str").to_numpy(),
                          "_offer_id": candidates["offer_id"].astype("str").to_numpy()})
    pairs = left.merge(right, on=["account_id", "_type"])
    if pairs.empty:
        return empty
    day = pd.Timedelta(days=1)
    row_date = pairs["_at"].dt.normalize()
    date_only = pairs["_at"] == row_date
    same_date = pairs["_offer_at"].dt.normalize() == row_date
    neighbour = (date_only & ~same_date & (pairs["_offer_at"] >= row_date - NEIGHBOUR_REACH)
                 & (pairs["_offer_at"] < row_date + day + NEIGHBOUR_REACH))
    within_a_day = ~date_only & (pairs["_offer_at"] > pairs["_at"] - day) & (pairs["_offer_at"] < pairs["_at"] + day)
    by_row = pairs["_i"]
    has_same_date = same_date.groupby(by_row).transform("any")
    # the offers a row may mean: its date's, or (a date-only row, none that date) a neighbouring date's
    meant = same_date | (neighbour & ~has_same_date)
    n_meant = meant.groupby(by_row).transform("sum")
    spelt = pairs["_offer_type"] == pairs["_spelt"]
    at_midnight = pairs["_offer_at"] == pairs["_offer_at"].dt.normalize()
    match = meant & (n_meant == 1) & spelt & (date_only | at_midnight)
    position = empty.position.copy()
    hit = pairs[match]
    position[hit["_i"].to_numpy()] = hit["_pos"].to_numpy()
    matched_rows = by_row.isin(hit["_i"])
    listed = pairs[~matched_rows & (meant | within_a_day)]
    neighbours = hit.loc[~same_date[match], ["_i", "_at", "_offer_id", "_offer_at"]]
    return NearMatches(position, listed[["_i", "_offer_id", "_offer_at", "_offer_type", "_spelt"]], neighbours)


def matched_offer(offers: pd.DataFrame, position: pd.Series, rows: pd.Series) -> pd.DataFrame:
    """The offer_id and offered_at of the offer each of ``rows`` matched (the file's may be empty
    or at another precision), to show beside the row."""
    at = position[rows].to_numpy()
    return pd.DataFrame({"offers_offer_id": offers["offer_id"].to_numpy()[at],
                         "offers_offered_at": offers["offered_at"].to_numpy()[at]}, index=position.index[rows])


def is_in(values: pd.Series, allowed: pd.Series | pd.Index) -> np.ndarray:
    """``values.isin(allowed)`` for text, by Arrow's hash lookup: pandas' Arrow-string ``isin``
    converts ``allowed`` one Python object at a time (seconds for a million account ids)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    value_set = pa.array(pd.Series(allowed, dtype="str").dropna().unique(), type=pa.string())
    found = pc.is_in(pa.array(values.astype("str"), type=pa.string(), from_pandas=True), value_set=value_set)
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def folded(values: pd.Series) -> pd.Series:
    return values.astype("str").str.strip().str.casefold().str.replace(r"[\s-]+", "_", regex=True)

"""Point-in-time building blocks: cutoffs, window joins, "latest before t", and assembling sources.

A feature at cutoff t sees rows dated in [t - N days, t). Many cutoffs are computed in one pass:
each event is keyed by the first cutoff after it (a CASE over the sorted cutoffs) and joined, on
that key, to the few cutoffs whose window can hold it; then one group-by per (account_id, as_of).
Unbounded "latest event before t" values use the same key as a bucket plus a running maximum
over the buckets (filtered maxima per account for up to ``PIVOT_MAX_CUTOFFS`` cutoffs, else a
window), so they cost one pass over the events whatever the number of cutoffs. Small tables (plan periods, tickets, offers)
are simply joined to every later cutoff. Everything is plain Ibis, so it compiles for DuckDB and
PySpark alike.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as idt
import ibis.expr.types as ir
import pandas as pd

from data.errors import UpsellError
from features.registry import FeatureSpec

SECONDS_PER_DAY = 86400.0
# Lower bound of the first bucket: earlier than any real event.
_BEGINNING = ibis.literal(dt.datetime(1, 1, 1), type="timestamp")


def normalise_cutoffs(cutoffs: Iterable[object] | object) -> list[pd.Timestamp]:
    """Cutoffs as sorted, distinct, naive-UTC midnight timestamps.

    Accepts dates, datetimes, strings and pandas timestamps (tz-aware ones are converted to UTC).
    A cutoff with a time of day is rejected: features are daily snapshots and usage rows are
    daily, so "before t" is only unambiguous at midnight.
    """
    if isinstance(cutoffs, (str, dt.date, pd.Timestamp)):
        cutoffs = [cutoffs]
    out: set[pd.Timestamp] = set()
    for raw in cutoffs:  # type: ignore[union-attr]
        try:
            ts = pd.Timestamp(raw)
        except (ValueError, TypeError) as exc:
            raise UpsellError(f"cutoff {raw!r} is not a date (expected YYYY-MM-DD)") from exc
        if ts is pd.NaT:
            raise UpsellError("cutoff is missing (NaT)")
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        if ts != ts.normalize():
            raise UpsellError(f"cutoff {raw!r} has a time of day; cutoffs are dates (midnight UTC)")
        out.add(ts.as_unit("us"))
    if not out:
        raise UpsellError("no cutoffs given")
    return sorted(out)


def cutoffs_table(cutoffs: Iterable[object] | object) -> ir.Table:
    """A one-column (``as_of``) in-memory table of the cutoffs."""
    frame = pd.DataFrame({"as_of": pd.Series(normalise_cutoffs(cutoffs), dtype="datetime64[us]")})
    return ibis.memtable(frame, schema={"as_of": "timestamp"})


def spine_cutoffs(spine: ir.Table) -> ir.Table:
    """The distinct cutoffs of a spine, as a one-column table."""
    return spine.select("as_of").distinct()


def days_between(later: ir.Value, earlier: ir.Value) -> ir.FloatingValue:
    """(later - earlier) in days, fractional, as float64."""
    return ((later.epoch_seconds() - earlier.epoch_seconds()) / SECONDS_PER_DAY).cast("float64")


def trend(recent: ir.NumericValue, before: ir.NumericValue) -> ir.FloatingValue:
    """(a - b) / (a + b); 0 when both are 0 (and null inputs count as 0)."""
    a = recent.fill_null(0).cast("float64")
    b = before.fill_null(0).cast("float64")
    return ibis.ifelse((a + b) == 0, 0.0, (a - b) / (a + b))


# Decimal places an exact sum keeps: amounts, usage values and hours are far coarser than 1e-9.
EXACT_SCALE = 9


def exact_sum(value: ir.NumericValue, where: ir.BooleanValue | None = None) -> ir.FloatingValue:
    """The sum of a float column, the same float on every run, engine and thread count.

    Engines add floats in whatever order their threads meet the rows, so a plain SUM can differ
    in the last bit from run to run (and outputs stop being byte-identical). Summed as
    DECIMAL(38, 9) after rounding each value to 1e-9, the addition is exact, so order no longer
    matters. Integer-valued columns (counts) do not need it.
    """
    return value.cast(ibis.dtype(f"decimal(38, {EXACT_SCALE})")).sum(where=where).cast("float64")


def exact_mean(value: ir.NumericValue, where: ir.BooleanValue | None = None) -> ir.FloatingValue:
    """Mean of the non-null values (under ``where``), via :func:`exact_sum`; null when there are none."""
    n = value.count(where=where)
    return ibis.ifelse(n > 0, exact_sum(value, where) / n.cast("float64"), ibis.null("float64"))


@ibis.udf.agg.builtin(name="max_by")
def _max_by(arg: idt.float64, key: idt.timestamp) -> idt.float64:  # type: ignore[empty-body]
    """The engines' own MAX_BY (DuckDB's ARG_MAX, Spark's MAX_BY)."""


def latest_value(value: ir.NumericValue, time: ir.TimestampValue,
                 where: ir.BooleanValue | None = None) -> ir.FloatingValue:
    """The latest non-null value of a group (of its rows under ``where``) by ``time``, as float64.

    Rows with a null value are always left out: engines disagree on them (DuckDB's ARG_MAX skips
    them, Spark's MAX_BY may return the null). ``time`` must be unique among a group's rows with a
    value: at a tie the engine may pick either value. Ibis's
    own ``argmax`` compiles to an ordered ``FIRST`` on DuckDB, whose variable-size state made the
    12-cutoff usage aggregation spill (at 1M accounts); ``MAX_BY`` keeps a value and a
    timestamp per group.
    """
    known = value.notnull() if where is None else where & value.notnull()
    return _max_by(value.cast("float64"), time.cast("timestamp"), where=known)


def timestamp_literal(value: pd.Timestamp) -> ir.TimestampScalar:
    """A cutoff as an Ibis timestamp literal (the same SQL on every engine)."""
    return ibis.literal(value.to_pydatetime(), type="timestamp")


def next_cutoff(t: ir.TimestampValue, cutoffs: Sequence[pd.Timestamp]) -> ir.TimestampValue:
    """The first cutoff strictly after ``t`` (null after the last one): a CASE over the sorted cutoffs."""
    ordered = sorted(cutoffs)
    return ibis.cases(*[(t < timestamp_literal(c), timestamp_literal(c)) for c in ordered], else_=ibis.null("timestamp"))


def window_join(events: ir.Table, time: str, cutoffs: Sequence[pd.Timestamp], days: int) -> ir.Table:
    """Events joined to every cutoff t with ``time`` in [t - days, t); the result adds ``as_of``.

    An equality join, not a range join: each event is keyed by the first cutoff after it, and a
    tiny table lists, for each such cutoff, the cutoffs whose window can reach back to it. So an
    event meets only the few cutoffs whose window may hold it (then an exact filter), and the
    rows outside every window are dropped by a constant filter the engine can push into the scan.
    """
    ordered = sorted(cutoffs)
    width = pd.Timedelta(days=days)
    t = events[time]
    events = events.filter(t >= timestamp_literal(ordered[0] - width), t < timestamp_literal(ordered[-1]))
    if len(ordered) == 1:  # the nightly case: the range filter is the whole join
        return events.mutate(as_of=timestamp_literal(ordered[0]))
    keyed = events.mutate(_bucket=next_cutoff(events[time], ordered))
    pairs = pd.DataFrame([(b, c) for b in ordered for c in ordered if b <= c < b + width],
                         columns=["_bucket_key", "as_of"]).astype("datetime64[us]")
    reach = ibis.memtable(pairs, schema={"_bucket_key": "timestamp", "as_of": "timestamp"})
    j = keyed.join(reach, keyed._bucket == reach._bucket_key)
    j = j.filter(j[time] >= j.as_of - ibis.interval(days=days))
    return j.drop("_bucket", "_bucket_key")


# Up to this many cutoffs "latest before" spreads each account's bucket maxima into one column
# per cutoff (one small group-by, then a lookup per spine row); beyond it, whose cost grows with
# the square of the number of cutoffs, a running maximum (a window over buckets and spine rows).
PIVOT_MAX_CUTOFFS = 24


def latest_before(spine: ir.Table, events: ir.Table, time: str, name: str,
                  cutoffs: Sequence[pd.Timestamp]) -> ir.Table:
    """(account_id, as_of, ``name``): the latest ``time`` strictly before each spine cutoff, any age.

    Each event falls in exactly one bucket [previous cutoff, cutoff) — found with a CASE over the
    sorted cutoffs, so no join — and the latest event before cutoff c is the largest bucket
    maximum among buckets up to c: one pass over the events whatever the number of cutoffs. Up to
    ``PIVOT_MAX_CUTOFFS`` cutoffs those running maxima are filtered maxima per account (12
    cutoffs at 100k accounts: 0.66 s instead of 0.84 s for a window over 1.7M rows); beyond, a
    window over buckets and spine rows.
    """
    t = events[time].cast("timestamp")
    if len(cutoffs) == 1:  # the nightly case: one group-by, no buckets
        cut = timestamp_literal(cutoffs[0])
        one = events.filter(t < cut).group_by("account_id").agg(**{name: t.max()})
        return one.select("account_id", as_of=cut, **{name: one[name]})
    ordered = sorted(cutoffs)
    ev = events.select("account_id", t=t, as_of=next_cutoff(t, ordered))
    ev = ev.filter(ev.as_of.notnull())
    buckets = ev.group_by(["account_id", "as_of"]).agg(last=ev.t.max())
    if len(ordered) <= PIVOT_MAX_CUTOFFS:
        upto = buckets.group_by("account_id").agg(**{
            f"_upto_{i}": buckets["last"].max(where=buckets.as_of <= timestamp_literal(c)) for i, c in enumerate(ordered)})
        j = spine.select("account_id", as_of=spine.as_of.cast("timestamp")).left_join(upto, "account_id")
        last = ibis.cases(*[(j.as_of == timestamp_literal(c), j[f"_upto_{i}"]) for i, c in enumerate(ordered)],
                          else_=ibis.null("timestamp"))
        return j.select("account_id", "as_of", **{name: last.cast("timestamp")})
    buckets = buckets.mutate(is_spine=ibis.literal(0))
    rows = spine.select("account_id", as_of=spine.as_of.cast("timestamp"), last=ibis.null("timestamp"),
                        is_spine=ibis.literal(1))
    both = buckets.mutate(as_of=buckets.as_of.cast("timestamp"), last=buckets["last"].cast("timestamp")).union(rows)
    running = ibis.window(group_by="account_id", order_by=["as_of", "is_spine"], preceding=None, following=0)
    both = both.mutate(last=both["last"].max().over(running))
    return both.filter(both.is_spine == 1).select("account_id", "as_of", **{name: "last"})


def spine_cutoff_values(spine: ir.Table) -> list[pd.Timestamp]:
    """The distinct cutoffs of a spine as Python values (runs a small query)."""
    values = spine_cutoffs(spine).to_pyarrow().column("as_of").to_pylist()
    return sorted(pd.Timestamp(v) for v in values)


@dataclass(frozen=True)
class SourceValues:
    """One source's contribution: partial tables keyed on (account_id, as_of), and how to finish them.

    A partial without ``as_of`` is keyed on ``account_id`` alone: the same values at every cutoff.

    Each partial holds distinct intermediate columns (at most one row per key). ``finish`` maps
    the assembled intermediate columns to feature expressions. Keeping partials separate lets
    :func:`assemble` attach every source to the spine in one flat chain of left joins (instead
    of a join per feature group), which keeps the query, and Ibis's compile time, small.
    """

    partials: tuple[ir.Table, ...]
    finish: Callable[[ir.Table], dict[str, ir.Value]]


def assemble(spine: ir.Table, sources: Sequence[SourceValues], specs: Sequence[FeatureSpec]) -> ir.Table:
    """The spine's rows with every feature in ``specs``; missing values get each spec's ``fill``."""
    partials = [p for s in sources for p in s.partials]
    schema: dict[str, object] = {}
    for p in partials:
        for name, dtype in p.schema().items():
            if name in ("account_id", "as_of"):
                continue
            if name in schema:
                raise ValueError(f"intermediate column {name!r} produced twice")
            schema[name] = dtype
    # a self-reference: partials computed from an unmaterialised spine contain it, and a join of
    # the spine with its own descendants needs a distinct alias on one side
    base = spine.view()
    chain = base
    for p in partials:
        keys = [base.account_id == p.account_id]
        if "as_of" in p.columns:  # else values that hold at every cutoff: one row per account
            keys.append(base.as_of == p.as_of)
        chain = chain.left_join(p, keys)
    g = chain.select(base.account_id, base.as_of,
                     *[p[c] for p in partials for c in p.columns if c not in ("account_id", "as_of")])
    values: dict[str, ir.Value] = {}
    for s in sources:
        values.update(s.finish(g))
    cols = {}
    for spec in specs:
        col = values[spec.name]
        if spec.fill is not None:
            col = col.fill_null(spec.fill)
        cols[spec.name] = col.cast("float64") if spec.kind == "numeric" else col.cast("string")
    return g.select("account_id", "as_of", **cols)


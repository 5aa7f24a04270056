"""The playbook on Spark: ``pipeline.playbook.decide.decide`` per partition, capacity on the driver.

``decide()`` is row-wise except for two steps that rank accounts against each other: capacity
(each role's weekly capacity goes to its best accounts) and ``priority`` (queue position per owner
role). The split keeps every decision identical to the single-machine run:

1. **Per partition.** Accounts are hashed into buckets; each bucket's scored rows meet exactly
   their own offers history (``cogroup``) and ``decide()`` runs on them with every role's capacity
   lifted. Routing, triggers, suppression and follow-ups only look at one account, so these rows
   are final for every account whose action is owned by an unlimited role.
2. **Capacity, on the driver.** The accounts the tree sent to a capacity-limited role (the only
   ones capacity can change) are collected with their offers and this week's offers by role, and
   ``decide()`` runs again with the real playbook. Accounts outside that subset neither consume
   capacity nor can be rerouted, so the subset's result equals the full run's. This is the
   "capacity-limited subset": at most a few thousand accounts a week, however large the book.
3. **Priority, in Spark.** Queue position per owner role by expected value (missing last), then
   ``account_id``: a window over the merged decisions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from data.contract import column_names
from pipeline.playbook.capacity import week_start
from pipeline.playbook.conditions import parse_condition
from pipeline.playbook.decide import DECISION_COLUMNS, decide
from pipeline.playbook.schema import Playbook

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

ACCOUNT_SIDE = ("owner_id", "segment", "plan_tier")  # what decide() reads from accounts
SCOPE_FEATURES = ("acct_segment", "sub_plan_tier", "acct_plan_tier")
_SIDE_PREFIX = "__account_"
_BUCKET = "__bucket"

DECISION_SCHEMA = (
    "account_id string, score_band string, triggers string, decision_path string, final_node string, "
    "action string, offer_type string, channel string, owner_role string, owner_id string, priority bigint, "
    "expected_value double, due_at timestamp, suppression_reason string, capacity_note string"
)


@dataclass(frozen=True)
class SparkDecisions:
    """Decisions for every scored account (a Spark DataFrame, ``DECISION_COLUMNS``) and what was noticed."""

    decisions: "DataFrame"
    missing_features: list[str]
    capacity_subset: int


def unlimited(playbook: Playbook) -> Playbook:
    """``playbook`` with every role's weekly capacity lifted (routing and suppression unchanged)."""
    roles = {name: role.model_copy(update={"weekly_capacity": None}) for name, role in playbook.roles.items()}
    return playbook.model_copy(update={"roles": roles})


def limited_actions(playbook: Playbook) -> list[str]:
    """Actions owned by a role with a weekly capacity: the only ones capacity can change."""
    return [a for a, spec in playbook.actions.items() if playbook.roles[spec.owner].weekly_capacity is not None]


def condition_inputs(playbook: Playbook, columns: list[str]) -> tuple[list[str], list[str]]:
    """(columns ``decide`` reads that are present, condition names absent from ``columns``)."""
    texts = [t.when for t in playbook.triggers] + [b.when for n in playbook.nodes.values() for b in n.branches]
    names = set().union(*(parse_condition(t).names for t in texts)) - {"score", "score_band"}
    present = [c for c in columns if c in names or c in SCOPE_FEATURES]
    return present, sorted(names - set(columns))


def decide_spark(scored: "DataFrame", playbook: Playbook, offers: "DataFrame | None", as_of: pd.Timestamp,
                 accounts: "DataFrame | None", buckets: int | None = None) -> SparkDecisions:
    """Run ``playbook`` over ``scored`` (``account_id``, ``score``, features) exactly as ``decide()`` would."""
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    session = scored.sparkSession
    as_of = pd.Timestamp(as_of)
    buckets = buckets or int(session.conf.get("spark.sql.shuffle.partitions"))
    inputs, absent = condition_inputs(playbook, scored.columns)
    rows = scored.select("account_id", "score", *inputs)
    side_cols: list[str] = []
    if accounts is not None:
        side_cols = [c for c in ACCOUNT_SIDE if c in accounts.columns]
        side = accounts.select("account_id", *[F.col(c).alias(_SIDE_PREFIX + c) for c in side_cols])
        rows = rows.join(side, "account_id", "left")
    rows = rows.withColumn(_BUCKET, F.pmod(F.hash("account_id"), F.lit(buckets)))
    offer_cols = [c for c in column_names("offers") if offers is not None and c in offers.columns]
    relaxed = unlimited(playbook)
    has_accounts = accounts is not None

    def per_bucket(part: pd.DataFrame, history: pd.DataFrame | None) -> pd.DataFrame:
        acc = None
        if has_accounts:
            acc = pd.DataFrame({"account_id": part["account_id"],
                                **{c: part[_SIDE_PREFIX + c] for c in side_cols}})
        if part.empty:  # a bucket holding offers of accounts that are not scored today
            return pd.DataFrame({c: pd.Series(dtype=object) for c in DECISION_COLUMNS})
        frame = part.drop(columns=[_BUCKET, *[_SIDE_PREFIX + c for c in side_cols]])
        out = decide(frame, relaxed, history, as_of, acc)
        return out[list(DECISION_COLUMNS)]

    grouped = rows.groupBy(_BUCKET)
    if offers is None:
        first = grouped.applyInPandas(lambda part: per_bucket(part, None), schema=DECISION_SCHEMA)
    else:
        history = offers.select(*offer_cols).withColumn(_BUCKET, F.pmod(F.hash("account_id"), F.lit(buckets)))
        first = grouped.cogroup(history.groupBy(_BUCKET)).applyInPandas(
            lambda part, hist: per_bucket(part, hist.drop(columns=[_BUCKET])), schema=DECISION_SCHEMA)
    first = first.localCheckpoint()  # decided once: the driver pass and the merge must see the same rows

    limited = limited_actions(playbook)
    subset_ids = first.where(F.col("action").isin(limited)).select("account_id") if limited else None
    final = first
    n_subset = 0
    if subset_ids is not None:
        sub_rows = rows.join(subset_ids, "account_id", "left_semi").drop(_BUCKET).toPandas()
        n_subset = len(sub_rows)
        if n_subset:
            sub_offers = None
            if offers is not None:
                week = offers.where((F.col("offered_at") >= F.lit(week_start(as_of).to_pydatetime()))
                                    & (F.col("offered_at") < F.lit(as_of.to_pydatetime())))
                mine = offers.join(subset_ids, "account_id", "left_semi")
                sub_offers = mine.unionByName(week.join(subset_ids, "account_id", "left_anti")).select(*offer_cols).toPandas()
            acc = None
            if has_accounts:
                acc = pd.DataFrame({"account_id": sub_rows["account_id"],
                                    **{c: sub_rows[_SIDE_PREFIX + c] for c in side_cols}})
            frame = sub_rows.drop(columns=[_SIDE_PREFIX + c for c in side_cols])
            exact = decide(frame, playbook, sub_offers, as_of, acc)[list(DECISION_COLUMNS)]
            exact_sdf = session.createDataFrame(exact, schema=DECISION_SCHEMA)
            final = first.join(subset_ids, "account_id", "left_anti").unionByName(exact_sdf)

    queue = Window.partitionBy("owner_role").orderBy(
        F.when(F.isnan("expected_value"), None).otherwise(F.col("expected_value")).desc_nulls_last(),
        F.col("account_id").asc())
    acted = final.where(F.col("action").isNotNull()).withColumn("priority", F.row_number().over(queue).cast("bigint"))
    idle = final.where(F.col("action").isNull()).withColumn("priority", F.lit(None).cast("bigint"))
    final = acted.unionByName(idle).select(*DECISION_COLUMNS)
    return SparkDecisions(decisions=final, missing_features=absent, capacity_subset=n_subset)

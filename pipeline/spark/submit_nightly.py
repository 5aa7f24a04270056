"""The nightly job as a Spark application: the entry script for ``spark-submit`` and Databricks jobs.

    spark-submit --master yarn --deploy-mode client \\
        --conf spark.sql.shuffle.partitions=400 \\
        "$(python -c 'import pipeline.spark.submit_nightly as m; print(m.__file__)')" \\
        --data s3a://bucket/upsell/2026-07-01/ --as-of 2026-07-01 --playbook saas --out /mnt/upsell/nightly

Under ``spark-submit`` (or on a Databricks cluster) the session already exists and keeps the
platform's master and resources; run with plain ``python`` it starts one from ``--spark-config`` /
``$UPSELL_SPARK_CONFIG`` / ``UPSELL_SPARK_*`` (``local[2]`` by default). Everything else is
``upsell nightly --engine spark``: same outputs, same manifest, same exit codes (0 ok, 1 bad input
or a failed check, 2 bad usage). See docs/spark.md.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="submit_nightly", description="upsell nightly on Spark")
    p.add_argument("--data", required=True, help="data directory (local or Hadoop URI) or spark:<database>")
    p.add_argument("--as-of", required=True, help="the night to score, YYYY-MM-DD")
    p.add_argument("--playbook", required=True, help="shipped playbook name or YAML path")
    p.add_argument("--out", required=True, help="output directory (driver-local or a mounted path)")
    p.add_argument("--export", default=None, help="export target (salesforce, hubspot, csv, parquet, sql)")
    p.add_argument("--model-name", default=None, help="registered model name (default: models config)")
    p.add_argument("--spark-config", default=None, help="Spark settings file (TOML/YAML) when not under spark-submit")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one night on Spark; returns the process exit code."""
    from data.errors import UpsellError
    from pipeline.nightly import ExportRequest, run_nightly
    from pipeline.spark.session import spark_session, spark_settings

    args = parse_args(argv)
    try:
        spark_session(spark_settings(args.spark_config))  # the active one under spark-submit
        result = run_nightly(args.data, args.as_of, args.playbook, args.out,
                             export=ExportRequest(target=args.export) if args.export else None,
                             model_name=args.model_name, engine="spark")
    except UpsellError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"nightly {result.run_id}: {result.manifest['rows']['accounts_scored']} accounts scored → {result.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

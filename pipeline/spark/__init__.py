"""The Spark engine: the same features, scores and decisions as the default DuckDB path, on a cluster.

``session`` builds the SparkSession from settings, ``load`` reads and validates the source tables
into ``Tables`` on the ibis PySpark backend, ``score`` applies the champion with
``mlflow.pyfunc.spark_udf``, ``decide`` runs the playbook per partition, and ``job`` is the entry
the nightly job calls for ``--engine spark``. PySpark is an optional extra:
``pip install 'upsell-propensity[spark]'``.
"""

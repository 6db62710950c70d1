"""Splink on Spark (``local[*]`` unless ``OPENPROFILES_SPARK_MASTER`` says otherwise).

The same comparisons, blocking rules and shipped model as the DuckDB engine; only the database
differs. Needs the ``spark`` extra (pyspark) and a Java runtime.
"""

from __future__ import annotations

import os
from typing import Any

from openprofiles.resolution.normalise import NormalisedRecord
from openprofiles.resolution.splink_engine import SplinkEngine, rows_columns


class SparkEngine(SplinkEngine):
    name = "spark"

    def _database(self) -> Any:
        from pyspark.sql import SparkSession
        from splink import SparkAPI
        from splink.backends.spark import similarity_jar_location

        master = os.environ.get("OPENPROFILES_SPARK_MASTER", "local[*]")
        session = (
            SparkSession.builder.master(master)
            .appName("openprofiles-resolution")
            .config(
                "spark.sql.shuffle.partitions", os.environ.get("OPENPROFILES_SPARK_PARTITIONS", "2")
            )
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            # Splink's Jaro-Winkler and other similarity functions are Scala UDFs in this jar
            .config("spark.jars", similarity_jar_location())
            .config("spark.driver.memory", os.environ.get("OPENPROFILES_SPARK_MEMORY", "2g"))
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        session.sparkContext.setCheckpointDir(os.path.join(_scratch(), "checkpoints"))
        api: Any = SparkAPI
        # Cached frames rather than parquet files between Splink's steps: a local session has
        # the memory, and writing every step costs more than the steps themselves.
        return api(
            spark_session=session,
            break_lineage_method="persist",
            num_partitions_on_repartition=int(os.environ.get("OPENPROFILES_SPARK_PARTITIONS", "2")),
        )

    def _register(self, database: Any, records: list[NormalisedRecord]) -> Any:
        from pyspark.sql.types import StringType, StructField, StructType

        columns = rows_columns()
        schema = StructType([StructField(column, StringType(), True) for column in columns])
        frame = database.spark.createDataFrame(
            [tuple(getattr(record, column) for column in columns) for record in records], schema
        )
        return database.register(frame)


def _scratch() -> str:
    import tempfile

    return os.environ.get("OPENPROFILES_SPARK_SCRATCH", tempfile.gettempdir())

"""The Spark engine gives the DuckDB engine's groups (Splink on Spark, local[*]; needs Java)."""

from __future__ import annotations

import pytest

from openprofiles.resolution import get_engine
from openprofiles.resolution.engine import ResolutionSettings

from .domain import domain

pytest.importorskip("pyspark")


# A JVM start and a few hundred small Spark jobs: about a minute on an idle 2-core machine,
# several on a loaded one.
@pytest.mark.timeout(900)
def test_spark_and_duckdb_find_the_same_groups() -> None:
    records = domain()
    settings = ResolutionSettings()
    duckdb_groups = get_engine("duckdb").resolve(records, settings)
    spark = get_engine("spark")
    spark_groups = spark.resolve(records, settings)
    assert [group.profile_ids for group in spark_groups] == [
        group.profile_ids for group in duckdb_groups
    ]
    assert len(spark_groups) >= 5
    for ours, theirs in zip(spark_groups, duckdb_groups, strict=True):
        assert ours.confidence == pytest.approx(theirs.confidence, abs=1e-6)
    assert spark.trained_model() == get_engine("duckdb").trained_model()

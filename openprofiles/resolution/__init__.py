"""Identity resolution: which profiles are the same person (see engine.py for the contract)."""

from __future__ import annotations

from openprofiles.resolution.engine import Engine

ENGINE_NAMES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"


def get_engine(name: str = DEFAULT_ENGINE) -> Engine:
    """A new engine by name: ``duckdb`` (the default) or ``spark`` (needs the spark extra)."""
    if name == "duckdb":
        from openprofiles.resolution.duckdb_engine import DuckDBEngine

        return DuckDBEngine()
    if name == "spark":
        from openprofiles.resolution.spark_engine import SparkEngine

        spark: Engine = SparkEngine()
        return spark
    raise ValueError(f"resolution engine {name!r} is not one of {', '.join(ENGINE_NAMES)}")

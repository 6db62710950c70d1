"""Splink on DuckDB: the default engine, in process, an in-memory database per job."""

from __future__ import annotations

from typing import Any

from openprofiles.resolution.normalise import NormalisedRecord
from openprofiles.resolution.splink_engine import SplinkEngine, column_values, rows_columns


class DuckDBEngine(SplinkEngine):
    name = "duckdb"

    def _database(self) -> Any:
        from splink import DuckDBAPI

        return DuckDBAPI()

    def _register(self, database: Any, records: list[NormalisedRecord]) -> Any:
        import pyarrow as pa

        table = pa.table(
            {
                column: pa.array(column_values(records, column), pa.string())
                for column in rows_columns()
            }
        )
        return database.register(table)

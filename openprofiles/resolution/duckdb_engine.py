"""Splink on DuckDB: the default engine, in process, an in-memory database per job."""

from __future__ import annotations

from typing import Any

from openprofiles.resolution.splink_engine import SplinkEngine, rows_columns


class DuckDBEngine(SplinkEngine):
    name = "duckdb"

    def _database(self) -> Any:
        from splink import DuckDBAPI

        return DuckDBAPI()

    def _register(self, database: Any, rows: list[dict[str, str | None]]) -> Any:
        import pyarrow as pa

        columns = rows_columns()
        table = pa.table(
            {column: pa.array([row[column] for row in rows], pa.string()) for column in columns}
        )
        return database.register(table)

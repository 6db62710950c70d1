"""The migrations build exactly the schema tables.py declares, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from openprofiles.storage.database import Database
from openprofiles.storage.migrate import upgrade
from openprofiles.storage.tables import metadata


def test_migrated_schema_matches_tables(database_url: str) -> None:
    database = Database.open(database_url)
    upgrade(database)  # a second run is a no-op
    with database.read() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    database.close()
    assert diff == []

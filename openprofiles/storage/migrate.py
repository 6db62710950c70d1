"""Apply Alembic migrations at start-up (and from ``openprofiles migrate``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from openprofiles.storage.database import Database

_SCRIPTS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision``; safe to run on every start."""
    config = _config()
    with database.write() as conn:
        if database.dialect == "postgresql":
            # Two servers starting against one database migrate one after the other.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7212450611)")
        config.attributes["connection"] = conn
        command.upgrade(config, revision)

"""Apply Alembic migrations at start-up (and from ``openprofiles migrate``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from openprofiles.storage.database import Database

_SCRIPTS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


def upgrade(
    database: Database,
    revision: str = "head",
    on_step: Callable[[str, str], None] | None = None,
) -> None:
    """Bring the schema to ``revision``; safe to run on every start. ``on_step`` is told the
    revision and description of each migration once it is applied."""
    config = _config()
    if on_step is not None:
        config.attributes["on_step"] = on_step
    with database.write() as conn:
        if database.dialect == "postgresql":
            # Two servers starting against one database migrate one after the other.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7212450611)")
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def head_revision() -> str:
    """The newest migration this openprofiles has."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the migrations have no head"
    return head


def known_revisions() -> set[str]:
    """Every migration this openprofiles has."""
    return {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}


def current_revision(conn: Connection) -> str | None:
    """The migration the database on ``conn`` is at; None for a database never migrated."""
    return MigrationContext.configure(conn).get_current_revision()

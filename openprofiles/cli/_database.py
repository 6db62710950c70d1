"""The database a command beside ``serve`` works on, named as ``serve`` names it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from openprofiles.config import Settings
    from openprofiles.storage.database import Database


def open_database(data_dir: Path | None, database_url: str | None) -> tuple[Settings, Database]:
    """Settings and the open database of ``--data-dir`` or ``--database-url``; a usage error
    (exit status 2) when there is none there or it cannot be opened. The caller closes it."""
    from sqlalchemy.exc import SQLAlchemyError

    from openprofiles.config import load_settings
    from openprofiles.storage.database import Database

    try:
        settings = load_settings({"data_dir": data_dir, "database_url": database_url})
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if not settings.database_url and not (settings.data_dir / "openprofiles.db").exists():
        raise click.UsageError(
            f"{settings.data_dir} holds no openprofiles database: give the --data-dir of a "
            "server (`openprofiles serve --data-dir DIR`) or a --database-url"
        )
    try:
        database = Database.open(settings.effective_database_url)
    except (SQLAlchemyError, ValueError) as exc:
        raise click.UsageError(f"cannot open the database: {exc}") from exc
    return settings, database

"""``openprofiles backup`` and ``openprofiles restore``: the SQLite database through SQLite's
online backup API (``storage/sqlite_backup.py``), with a progress bar and a summary.

PostgreSQL has its own tools for this; both commands say which and exit with status 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from openprofiles.cli.serve import _load, _with_common
from openprofiles.config import Settings


def _pg_advice(settings: Settings, restoring: bool) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(settings.effective_database_url).set(drivername="postgresql")
    shown = url.render_as_string(hide_password=True)
    if restoring:
        return (
            "openprofiles restore is for the embedded SQLite database. For PostgreSQL, stop the "
            "server and use pg_restore:\n"
            f"    pg_restore --clean --if-exists --no-owner --dbname '{shown}' openprofiles.dump"
        )
    return (
        "openprofiles backup is for the embedded SQLite database. For PostgreSQL use pg_dump, "
        "which takes a consistent snapshot while the server runs:\n"
        f"    pg_dump --format=custom --file openprofiles.dump '{shown}'"
    )


def _database_file(settings: Settings, restoring: bool) -> Path:
    from openprofiles.storage.sqlite_backup import BackupError, sqlite_path

    try:
        path = sqlite_path(settings.effective_database_url)
    except BackupError as exc:
        raise click.UsageError(str(exc)) from exc
    if path is None:
        click.echo(_pg_advice(settings, restoring), err=True)
        sys.exit(2)
    return path


class _Bar:
    """A tqdm bar over pages, made at the first step (when the page count is known)."""

    def __init__(self, enabled: bool, what: str) -> None:
        self.enabled = enabled
        self.what = what
        self.bar: Any = None

    def __call__(self, copied: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=" pages", desc=self.what, file=sys.stderr,
                            dynamic_ncols=True, mininterval=0.2)  # fmt: skip
        self.bar.total = total
        self.bar.update(copied - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _summary(rows: list[tuple[str, str]]) -> None:
    for name, value in rows:
        click.echo(f"{name:<12}{value}")


def _size(count: int) -> str:
    return f"{count / 1048576:,.1f} MiB" if count >= 1048576 else f"{count:,} bytes"


@click.command("backup")
@_with_common
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The backup file to write (replaced once the copy is whole).")  # fmt: skip
@click.option("--progress/--no-progress", default=True, help="Progress bar on stderr.")
def backup_command(output: Path, progress: bool, **flags: Any) -> None:
    """Copy the SQLite database to a backup file, while a server may go on writing.

    The copy holds every write committed before it began (one snapshot, read page by page);
    it is a plain SQLite database that `openprofiles restore` brings back. For PostgreSQL it
    says to use pg_dump and exits with status 2.
    """
    from openprofiles.storage.sqlite_backup import BackupError, backup

    settings = _load(flags)
    database = _database_file(settings, restoring=False)
    bar = _Bar(progress, "backup")
    try:
        copied = backup(database, output, bar)
    except BackupError as exc:
        raise click.UsageError(str(exc)) from exc
    finally:
        bar.close()
    _summary([
        ("database", str(database)),
        ("backup", str(output)),
        ("pages", f"{copied.pages:,}"),
        ("size", _size(copied.bytes)),
        ("schema", str(copied.revision)),
        ("elapsed", f"{copied.elapsed:.1f} s"),
    ])  # fmt: skip


@click.command("restore")
@_with_common
@click.option("--input", "input_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file written by `openprofiles backup`.")  # fmt: skip
@click.option(
    "--force",
    is_flag=True,
    help="Replace a database that exists, even one a running server has open.",
)
@click.option("--progress/--no-progress", default=True, help="Progress bar on stderr.")
def restore_command(input_file: Path, force: bool, progress: bool, **flags: Any) -> None:
    """Bring back a backup into the data directory's SQLite database.

    Without --force it refuses to replace a database that exists, and says so when a running
    server has it open. With --force the backup replaces its content through SQLite's backup
    API, under the database's write lock: a running server's writes wait for the copy and its
    reads then see the restored data; restart it afterwards. A backup at an older schema is
    migrated when a server next starts on it. For PostgreSQL it says to use pg_restore and
    exits with status 2.
    """
    from openprofiles.storage.sqlite_backup import BackupError, in_use, inspect, restore

    settings = _load(flags)
    database = _database_file(settings, restoring=True)
    try:
        inspect(input_file)
    except BackupError as exc:
        raise click.UsageError(str(exc)) from exc
    if not force:
        if in_use(database):
            raise click.UsageError(
                f"{database} is open in a running server (or another openprofiles command): "
                "stop it first, or give --force to replace its data while it runs"
            )
        if database.exists() and database.stat().st_size > 0:
            raise click.UsageError(
                f"{database} exists: give --force to replace its data with the backup's, or "
                "restore into another --data-dir"
            )
    was_in_use = in_use(database)
    bar = _Bar(progress, "restore")
    try:
        copied = restore(input_file, database, bar)
    except BackupError as exc:
        raise click.UsageError(str(exc)) from exc
    finally:
        bar.close()
    from openprofiles.storage.migrate import head_revision

    schema = str(copied.revision)
    if copied.revision != head_revision():
        schema += f" (migrated to {head_revision()} when a server starts on it)"
    _summary([
        ("backup", str(input_file)),
        ("database", str(database)),
        ("pages", f"{copied.pages:,}"),
        ("schema", schema),
        ("elapsed", f"{copied.elapsed:.1f} s"),
    ])  # fmt: skip
    if was_in_use:
        click.echo("a server has this database open: restart it so it starts afresh", err=True)

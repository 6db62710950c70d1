"""Backups of the SQLite database through SQLite's online backup API, and their restore.

A backup copies the database page by page while a server goes on writing: the copy reads one
snapshot (a read transaction held from the first page to the last), so it holds every write
committed before it began and none made after, and the server's writers never wait for it (in
WAL mode a reader does not block them). The backup file is one self-contained SQLite database
in rollback-journal mode: an ``openprofiles.db`` to put in a data directory, or to restore.

A restore copies a backup into a data directory's database through the same API. Into a
database a running server has open it takes the write lock for the copy (the server's writes
wait), and the server's next reads see the restored content.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from openprofiles.storage.migrate import known_revisions

# Pages copied per step of the backup API: 4 MiB at the default page size, so the progress
# bar moves every few milliseconds without a step's overhead counting.
STEP_PAGES = 1024
# Byte of the -shm file on which every connection to a WAL database holds a shared lock
# while it has the database open (SQLite's unix VFS: the "dead man switch" of its wal-index).
_SHM_DMS_OFFSET = 128
_HEADER = b"SQLite format 3\x00"

# (pages copied, pages in all): told after each step
Progress = Callable[[int, int], None]


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason in words."""


@dataclass(frozen=True)
class Copied:
    pages: int
    bytes: int
    revision: str | None  # the schema migration the copy is at
    elapsed: float


def sqlite_path(database_url: str) -> Path | None:
    """The file of an SQLite database URL; None for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up or restore")
    return Path(url.database)


def in_use(database: Path) -> bool:
    """Whether some process (a running server, an import) has the WAL database open."""
    shm = Path(f"{database}-shm")
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False  # the last connection to close removes it
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_OFFSET)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, _SHM_DMS_OFFSET)
        return False
    finally:
        os.close(fd)


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return None if row is None else str(row[0])


def _copy(source: sqlite3.Connection, target: sqlite3.Connection, progress: Progress | None) -> int:
    total = 0

    def step(_status: int, remaining: int, pages: int) -> None:
        nonlocal total
        total = pages
        if progress is not None:
            progress(pages - remaining, pages)

    source.backup(target, pages=STEP_PAGES, progress=step)
    return total


def backup(database: Path, output: Path, progress: Progress | None = None) -> Copied:
    """Copy ``database`` to ``output`` (replaced only once the copy is whole)."""
    if not database.is_file():
        raise BackupError(f"there is no database at {database}")
    written, read = output.resolve(), database.resolve()
    if written == read or (
        written.parent == read.parent and written.name in (f"{read.name}-wal", f"{read.name}-shm")
    ):
        raise BackupError(f"{output} is the database or one of its files: write elsewhere")
    started = time.perf_counter()
    partial = output.with_name(output.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(database, isolation_level=None, timeout=60)
    try:
        # One snapshot for the whole copy: the backup API would otherwise start again from
        # the first page each time another connection commits.
        source.execute("BEGIN")
        revision = _revision(source)
        if revision is None:
            raise BackupError(f"{database} is not an openprofiles database (no schema version)")
        target = sqlite3.connect(partial, isolation_level=None)
        try:
            pages = _copy(source, target, progress)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
        source.execute("COMMIT")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    with open(partial, "rb") as copy:
        os.fsync(copy.fileno())
    os.replace(partial, output)
    return Copied(pages, output.stat().st_size, revision, time.perf_counter() - started)


def inspect(backup_file: Path) -> str:
    """The schema migration of a backup; raises BackupError when it is not one this
    openprofiles can restore."""
    try:
        with open(backup_file, "rb") as file:
            header = file.read(len(_HEADER))
    except OSError as exc:
        raise BackupError(f"cannot read {backup_file}: {exc.strerror}") from exc
    if header != _HEADER:
        raise BackupError(f"{backup_file} is not an SQLite database")
    conn = sqlite3.connect(f"{backup_file.resolve().as_uri()}?mode=ro", uri=True)
    try:
        revision = _revision(conn)
    finally:
        conn.close()
    if revision is None:
        raise BackupError(f"{backup_file} is not an openprofiles database (no schema version)")
    if revision not in known_revisions():
        raise BackupError(
            f"{backup_file} was made by a newer openprofiles (schema migration {revision}): "
            "restore it with that version or a later one"
        )
    return revision


def restore(backup_file: Path, database: Path, progress: Progress | None = None) -> Copied:
    """Copy the backup into ``database`` (created if absent, its content replaced if not)."""
    started = time.perf_counter()
    revision = inspect(backup_file)
    database.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"{backup_file.resolve().as_uri()}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(database, isolation_level=None, timeout=60)
        try:
            pages = _copy(source, target, progress)
            with contextlib.suppress(sqlite3.OperationalError):  # busy: the server will
                target.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            target.close()
    finally:
        source.close()
    return Copied(pages, backup_file.stat().st_size, revision, time.perf_counter() - started)

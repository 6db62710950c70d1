"""storage/sqlite_backup.py on real SQLite files: the copy reads one snapshot however much is
written meanwhile, a database another process has open is seen as in use, and a backup this
openprofiles cannot restore is refused with the reason."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from openprofiles.storage import sqlite_backup
from openprofiles.storage.database import Database
from openprofiles.storage.sqlite_backup import BackupError, backup, in_use, inspect, restore


def _database(path: Path) -> Path:
    Database.open(f"sqlite:///{path}").close()
    conn = sqlite3.connect(path)
    with conn:  # one transaction
        conn.execute("CREATE TABLE filler (n INTEGER, pad TEXT)")
        conn.executemany("INSERT INTO filler VALUES (?, ?)", [(i, "x" * 400) for i in range(5000)])
    conn.close()
    return path


def test_a_backup_reads_one_snapshot_while_another_connection_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_backup, "STEP_PAGES", 20)  # many steps, writes between them
    database = _database(tmp_path / "openprofiles.db")
    stop = threading.Event()
    written = [0]

    def write() -> None:
        conn = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        while not stop.is_set():
            conn.execute("INSERT INTO filler VALUES (-1, 'after')")
            written[0] += 1
        conn.close()

    steps: list[tuple[int, int]] = []
    writer = threading.Thread(target=write)
    writer.start()
    try:
        while written[0] < 20:
            stop.wait(0.001)
        copied = backup(
            database, tmp_path / "copy.db", lambda done, total: steps.append((done, total))
        )
    finally:
        stop.set()
        writer.join()
    assert written[0] > 20
    done = [d for d, _ in steps]
    assert done == sorted(done) and len(steps) >= 2, steps  # page by page, never restarted
    assert steps[-1][0] == steps[-1][1] == copied.pages
    conn = sqlite3.connect(tmp_path / "copy.db")
    try:
        assert conn.execute("SELECT count(*) FROM filler WHERE n >= 0").fetchone() == (5000,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            copied.revision,
        )
    finally:
        conn.close()
    assert not (tmp_path / "copy.db.partial").exists()


def test_in_use_while_another_process_has_it_open(tmp_path: Path) -> None:
    database = _database(tmp_path / "openprofiles.db")
    assert not in_use(database)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
         " c.execute('SELECT count(*) FROM filler').fetchone(); print('open', flush=True);"
         " sys.stdin.read()", str(database)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        assert in_use(database)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(10)
    assert not in_use(database)


def test_restore_refuses_what_it_cannot_restore(tmp_path: Path) -> None:
    newer = _database(tmp_path / "newer.db")
    conn = sqlite3.connect(newer, isolation_level=None)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    with pytest.raises(BackupError, match="made by a newer openprofiles"):
        inspect(newer)
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("CREATE TABLE t (a)").connection.close()
    with pytest.raises(BackupError, match="not an openprofiles database"):
        restore(plain, tmp_path / "target.db")
    assert not (tmp_path / "target.db").exists()

"""Settings for a bulk load (``openprofiles import``) on the database it writes to."""

from __future__ import annotations

import sqlite3
import threading

from openprofiles.storage.database import Database

# Page cache of the write connection during a bulk load. Each batch inserts into indexes keyed
# by values spread over the whole domain (emails, phone numbers); once those indexes outgrow
# the cache, every insert reads its leaf page back from the file. 256 MiB holds the hot indexes
# of about a million objects and keeps the import well under its 1 GiB memory budget.
BULK_WRITE_CACHE_KIB = 262_144
# Commits a background checkpoint may fall behind before the next write transaction waits
# for it (see BulkWrites).
CHECKPOINT_LAG = 3
_DEFAULT_AUTOCHECKPOINT = 1000  # SQLite's default wal_autocheckpoint, in pages


class BulkWrites:
    """A bulk load's hold on the database, for as long as the load lasts.

    On SQLite the write connection gets a larger page cache, and WAL checkpoints (copying
    committed pages from the write-ahead log back into the database file) run on a thread of
    their own instead of inside each commit: a batch of a large import dirties tens of
    thousands of pages scattered over the indexes, and copying them back took about a fifth
    of the import's time, which the checkpoint thread now spends on the other core while the
    next batch is read, mapped and written.

    SQLite starts the log over only at the start of a write transaction that finds it wholly
    copied back; so every CHECKPOINT_LAG-th transaction waits for the checkpoints of the
    commits before it, and the log never holds more than that many batches.

    Durability is unchanged: every batch still commits with the database's synchronous
    setting, and what a checkpoint has not copied yet is in the log, as after any commit.
    On PostgreSQL this does nothing.
    """

    def __init__(self, database: Database, cache_kib: int = BULK_WRITE_CACHE_KIB) -> None:
        self.database = database
        self.active = database.dialect == "sqlite"
        self.checkpoints = 0  # checkpoints run (for tests and curiosity)
        self.waits = 0  # write transactions that waited for a checkpoint
        self.error: sqlite3.Error | None = None  # the last checkpoint that failed
        self._condition = threading.Condition()
        self._requested = 0  # commits announced with committed()
        self._done = 0  # commits whose pages a finished checkpoint has copied back
        self._begins = 0
        self._closing = False
        self._thread: threading.Thread | None = None
        self._connection: sqlite3.Connection | None = None
        if not self.active:
            return
        path = database.write_engine.url.database
        self.active = bool(path) and path != ":memory:"  # a log to checkpoint needs a file
        with database.write() as conn:
            conn.exec_driver_sql(f"PRAGMA cache_size=-{int(cache_kib)}")
            if self.active:
                conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
        if not self.active or path is None:
            return
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._connection.execute("PRAGMA busy_timeout=60000")
        database.before_write_begin.append(self._before_begin)
        self._thread = threading.Thread(
            target=self._run, name="openprofiles-checkpoint", daemon=True
        )
        self._thread.start()

    def committed(self) -> None:
        """A batch has committed: copy its pages back in the background."""
        if not self.active:
            return
        with self._condition:
            self._requested += 1
            self._condition.notify_all()

    def close(self) -> None:
        """Finish the last checkpoint and give the write connection its settings back."""
        if not self.active or self._thread is None:
            return
        with self._condition:
            self._closing = True
            self._condition.notify_all()
        self._thread.join()
        self._thread = None
        self.database.before_write_begin.remove(self._before_begin)
        assert self._connection is not None
        self._connection.close()
        with self.database.write() as conn:
            conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={_DEFAULT_AUTOCHECKPOINT}")

    def _before_begin(self) -> None:
        self._begins += 1
        if self._begins % CHECKPOINT_LAG:
            return
        with self._condition:
            if self._done < self._requested:
                self.waits += 1
            while self._done < self._requested and self._thread is not None:
                self._condition.wait()

    def _run(self) -> None:
        assert self._connection is not None
        while True:
            with self._condition:
                while self._done == self._requested and not self._closing:
                    self._condition.wait()
                if self._done == self._requested:
                    return
                target = self._requested
            # PASSIVE: copy what is committed without waiting for readers or the writer; busy
            # (another connection is checkpointing) just leaves it to the next round. A failed
            # checkpoint loses nothing (the log still holds every commit) and must not leave a
            # write transaction waiting for it: it is kept in ``error``.
            try:
                self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as exc:
                self.error = exc
            with self._condition:
                self.checkpoints += 1
                self._done = target
                self._condition.notify_all()


def prepare_bulk_writes(database: Database, cache_kib: int = BULK_WRITE_CACHE_KIB) -> BulkWrites:
    """Set ``database`` up for a bulk load; close the result when the load is over."""
    return BulkWrites(database, cache_kib)

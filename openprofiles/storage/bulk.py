"""Settings for a bulk load (``openprofiles import``) on the database it writes to."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future

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
# How long a bulk load leaves the database's write lock free before its next batch when
# another connection (a server on the same data directory) has written since its last one.
# A waiting SQLite connection retries every 100 ms at most, so this lets at least one of its
# retries find the lock free.
GIVE_WAY_SECONDS = 0.1
# How many write transactions after one that found another connection's commit
# ``others_writing`` asks to keep small.
OTHERS_RECENT_BATCHES = 5


# PostgreSQL: the planner's statistics of the tables a load fills are refreshed after this
# many batches, then after four times as many, and so on.
FIRST_ANALYZE_AFTER = 1
_ANALYZED_TABLES = "profiles, profile_keys, profile_objects"


class CommitFailed(Exception):
    """A batch's commit, run in the background, failed: that batch is not stored, and no
    write begins after it."""


class BulkWrites:
    """A bulk load's hold on the database, for as long as the load lasts.

    On SQLite the write connection gets a larger page cache, and the work of storing a batch
    that needs no Python runs on a thread of its own, on the other core, while the load reads
    and maps the next batch:

    - WAL checkpoints (copying committed pages from the write-ahead log back into the database
      file) no longer run inside each commit. A batch of a large import dirties tens of
      thousands of pages scattered over the indexes; copying them back took about a fifth of
      the import's time. SQLite starts the log over only at the start of a write transaction
      that finds it wholly copied back, so every CHECKPOINT_LAG-th transaction waits for the
      checkpoints of the commits before it: the log never holds more than that many batches.
    - Commits handed on with :meth:`commit_later` (``Database.write(commit=...)``): writing a
      batch's pages to the log is another sixth of the time near a million objects. The next
      write transaction begins only once the commit is done, and not at all if it failed
      (:class:`CommitFailed`); the future :meth:`commit_later` returns says when a batch is
      stored. Statements the transaction deferred to its commit (``Database.before_commit``:
      a batch's key rows, as a few JSON-fed INSERTs that SQLite runs without Python's lock)
      run here too, just before it.

    The next batch is mapped while a commit runs, so a batch would begin as soon as the one
    before is committed and another writer (a server on the same data directory) could wait
    for the whole load; when another connection has written since the last batch began, the
    next one waits GIVE_WAY_SECONDS first, with the write lock free, and ``others_writing``
    tells the load to make its transactions smaller for a while.

    Commits and checkpoints share the one thread: with a thread each, three threads compete
    for two cores, and a 1,000,000-object import measured slower (5,450 against 6,004
    objects/s, the same hour).

    Durability is unchanged: every batch still commits with the database's synchronous
    setting, and what a checkpoint has not copied yet is in the log, as after any commit.
    On PostgreSQL (and an in-memory database) ``active`` is False and :meth:`commit_later`
    commits at once; on PostgreSQL :meth:`batch_written` keeps the planner's statistics fresh
    instead.
    """

    def __init__(self, database: Database, cache_kib: int = BULK_WRITE_CACHE_KIB) -> None:
        self.database = database
        self.active = database.dialect == "sqlite"
        self.checkpoints = 0  # checkpoints run (for tests and curiosity)
        self.waits = 0  # write transactions that waited for a checkpoint
        self.error: sqlite3.Error | None = None  # the last checkpoint that failed
        self.commit_error: BaseException | None = None  # the first commit that failed
        self.gave_way = 0  # batches that waited for another writer
        self._others_at: int | None = None  # the write transaction that last gave way
        self._data_version: int | None = None
        self._condition = threading.Condition()
        self._commits: deque[tuple[Callable[[], None], Future[None]]] = deque()
        self._requested = 0  # commits run on the thread
        self._done = 0  # commits whose pages a finished checkpoint has copied back
        self._begins = 0
        self._closing = False
        self._thread: threading.Thread | None = None
        self._connection: sqlite3.Connection | None = None
        self.analyzed = 0  # PostgreSQL: statistics refreshes run
        self._stored = 0
        self._next_analyze = FIRST_ANALYZE_AFTER
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
        self._thread = threading.Thread(target=self._run, name="openprofiles-bulk", daemon=True)
        self._thread.start()

    @property
    def others_writing(self) -> bool:
        """Whether another connection has committed during the last few write transactions
        (a server on the same data directory): then a load should keep its transactions
        short, since that writer waits for each of them."""
        return (
            self._others_at is not None and self._begins - self._others_at <= OTHERS_RECENT_BATCHES
        )

    def batch_written(self) -> None:
        """A batch's write transaction is over. On PostgreSQL, after the 1st, 4th, 16th, …
        batch, refresh the planner's statistics of the tables a load fills: planned on the
        empty tables of a new domain, the look-ups by key and by unique key read whole tables,
        so each batch costs more than the last (100,000 objects took over ten minutes), and
        autovacuum, where it runs at all, analyses them a minute or more later."""
        if self.database.dialect != "postgresql":
            return
        self._stored += 1
        if self._stored < self._next_analyze:
            return
        self._next_analyze *= 4
        with self.database.write() as conn:
            conn.exec_driver_sql(f"ANALYZE {_ANALYZED_TABLES}")
        self.analyzed += 1

    def commit_later(self, finish: Callable[[], None]) -> Future[None]:
        """Run a write transaction's ``finish`` (its commit) on the background thread.

        The future resolves once the batch is stored, or with the commit's error. Never
        raises: a load that is over, or not on SQLite, finishes here and now.
        """
        future: Future[None] = Future()
        with self._condition:
            if self._thread is not None and not self._closing:
                self._commits.append((finish, future))
                self._condition.notify_all()
                return future
        _run_into(finish, future)
        return future

    def close(self) -> None:
        """Finish the commits and checkpoints under way; give the write connection its
        settings back."""
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
        # Holding the write lock: a commit handed on before has finished.
        if self.commit_error is not None:
            raise CommitFailed(
                f"an earlier batch could not be committed: {self.commit_error}"
            ) from self.commit_error
        self._give_way()
        self._begins += 1
        if self._begins % CHECKPOINT_LAG:
            return
        with self._condition:
            if self._done < self._requested:
                self.waits += 1
            while self._done < self._requested and self._thread is not None:
                self._condition.wait()

    def _give_way(self) -> None:
        # PRAGMA data_version on the write connection changes when another connection has
        # committed since it was last asked (never for this connection's own commits).
        # Straight on the driver: a SQLAlchemy connection would begin a write transaction.
        raw = self.database.write_engine.raw_connection()
        try:
            driver = raw.driver_connection
            assert driver is not None
            version = int(driver.execute("PRAGMA data_version").fetchone()[0])
        finally:
            raw.close()
        if self._data_version is not None and version != self._data_version:
            self.gave_way += 1
            self._others_at = self._begins
            time.sleep(GIVE_WAY_SECONDS)
        self._data_version = version

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._commits and self._done == self._requested and not self._closing:
                    self._condition.wait()
                # Commits first: the next write transaction waits for them.
                task = self._commits.popleft() if self._commits else None
                if task is None and self._done == self._requested:
                    return  # closing, and nothing left to do
                target = self._requested
            if task is not None:
                self._commit(*task)
                continue
            self._checkpoint()
            with self._condition:
                self.checkpoints += 1
                self._done = target
                self._condition.notify_all()

    def _commit(self, finish: Callable[[], None], future: Future[None]) -> None:
        stored = _run_into(finish, future)
        with self._condition:
            if stored:
                self._requested += 1
            elif self.commit_error is None:
                self.commit_error = future.exception()
            self._condition.notify_all()

    def _checkpoint(self) -> None:
        # PASSIVE: copy what is committed without waiting for readers or the writer; busy
        # (another connection is checkpointing) just leaves it to the next round. A failed
        # checkpoint loses nothing (the log still holds every commit) and must not leave a
        # write transaction waiting for it: it is kept in ``error``.
        assert self._connection is not None
        try:
            self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:
            self.error = exc


def _run_into(finish: Callable[[], None], future: Future[None]) -> bool:
    """Run ``finish``, resolving ``future`` with its outcome; True when it succeeded."""
    try:
        finish()
    except BaseException as exc:
        future.set_exception(exc)
        return False
    future.set_result(None)
    return True


def prepare_bulk_writes(database: Database, cache_kib: int = BULK_WRITE_CACHE_KIB) -> BulkWrites:
    """Set ``database`` up for a bulk load; close the result when the load is over."""
    return BulkWrites(database, cache_kib)

"""The database: engines, transactions, migrations.

SQLite runs in WAL mode with a single writer path: write transactions go through one
connection guarded by a lock and start with ``BEGIN IMMEDIATE``, so concurrent requests queue
in Python instead of surfacing "database is locked"; reads use their own pooled connections and
see the last committed state. PostgreSQL uses ordinary pooled connections for both.

Group commit (SQLite, server only): the writes made on the event loop's thread share one
transaction per loop turn, committed on a thread of its own; ``storage/group_commit.py`` does
it, and ``Database`` delegates to it (:meth:`Database.group_commits_on`, :meth:`Database.joined`,
:meth:`Database.writer_free`).

Nothing above ``storage`` imports a dialect: callers use :meth:`Database.read` and
:meth:`Database.write` and the repositories.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, pool
from sqlalchemy.engine import make_url

from openprofiles.storage.group_commit import GroupCommit, WriteGroup, run_callbacks

# Page cache of the single write connection: bulk ingestion updates several indexes per object,
# and SQLite's default 2 MiB cache makes it spill dirty pages mid-transaction (about 2x slower).
WRITE_CACHE_KIB = 65536

# Receives the ``finish`` of a write transaction whose commit is handed on (Database.write).
Committer = Callable[[Callable[[], None]], None]


def _nothing() -> None:
    return None


class Database:
    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL") -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self._write_lock = threading.Lock()
        # SQLite: called, holding the write lock, before each write() transaction begins.
        self.before_write_begin: list[Callable[[], None]] = []
        # Of this thread's open write: .callbacks (after_commit's), .deferred (before_commit's).
        self._open_write = threading.local()
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            self.write_engine = self._sqlite_engine(
                url, "BEGIN IMMEDIATE", sqlite_synchronous, 1, WRITE_CACHE_KIB
            )
            self.read_engine = self._sqlite_engine(url, "BEGIN", sqlite_synchronous, 8)
        elif self.dialect == "postgresql":
            engine = create_engine(
                url, pool_size=10, max_overflow=20, pool_pre_ping=True, pool_recycle=3600
            )
            self.write_engine = engine
            self.read_engine = engine
        else:
            raise ValueError(f"unsupported database {self.dialect!r}: use sqlite or postgresql")
        self._groups = GroupCommit(self.write_engine, self._write_lock)

    @staticmethod
    def _sqlite_engine(
        url: str, begin: str, synchronous: str, size: int, cache_kib: int | None = None
    ) -> Engine:
        engine = create_engine(
            url,
            poolclass=pool.QueuePool,
            pool_size=size,
            max_overflow=0,
            pool_timeout=60,
            connect_args={"check_same_thread": False, "timeout": 60},
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Take transaction control away from the sqlite3 module; we emit BEGIN ourselves.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=60000")
            if cache_kib:
                cursor.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql(begin)

        return engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, **kwargs: Any) -> Database:
        """Connect and, unless told otherwise, bring the schema up to date."""
        database = cls(url, **kwargs)
        if migrate:
            from openprofiles.storage.migrate import upgrade

            upgrade(database)
        return database

    @contextmanager
    def write(self, *, commit: Committer | None = None) -> Iterator[Connection]:
        """A read-write transaction, committed when the block exits without an exception.

        On the group-commit thread the block is a savepoint of the open group instead, and
        "committed" means: when the group's future (:meth:`joined`) resolves.

        ``commit`` (a bulk load's): when the block exits without an exception, it is handed a
        ``finish`` callable instead of the block committing; ``finish`` runs the statements
        the block deferred (:meth:`before_commit`), commits (raising if either fails), runs
        the block's :meth:`after_commit` callbacks and only then lets the next write begin,
        and ``commit`` may run it on another thread. Where commits cannot be
        handed on (PostgreSQL, group commit) the block commits as usual and ``commit`` gets a
        ``finish`` that does nothing.
        """
        if self.grouped_here:
            with self._groups.write() as conn:
                yield conn
            if commit is not None:
                commit(_nothing)
            return
        callbacks: list[Callable[[], None]] = []
        outer = getattr(self._open_write, "callbacks", None)
        outer_deferred = getattr(self._open_write, "deferred", None)
        self._open_write.callbacks = callbacks
        self._open_write.deferred = None
        try:
            if self.dialect == "sqlite" and commit is not None:
                deferred: list[Callable[[], None]] = []
                self._open_write.deferred = deferred
                with self._handed_on_write(commit, callbacks, deferred) as conn:
                    yield conn
                return
            if self.dialect == "sqlite":
                with self._write_lock:
                    for hook in self.before_write_begin:
                        hook()
                    with self.write_engine.begin() as conn:
                        yield conn
            else:
                with self.write_engine.begin() as conn:
                    yield conn
        finally:
            self._open_write.callbacks = outer
            self._open_write.deferred = outer_deferred
        run_callbacks(callbacks)
        if commit is not None:
            commit(_nothing)

    @property
    def commit_handed_on(self) -> bool:
        """Whether this thread is inside a :meth:`write` block whose commit is handed on
        (``commit=``, SQLite): then :meth:`before_commit` defers work to the commit."""
        return getattr(self._open_write, "deferred", None) is not None

    def before_commit(self, statement: Callable[[], None]) -> None:
        """Run ``statement`` (a write on the block's connection) just before the commit of
        the :meth:`write` block this thread is in, on whichever thread commits it; now, when
        that commit is not handed on (:attr:`commit_handed_on`).

        For a bulk load's writes that nothing later in the block reads, and that run as one
        driver call each: SQLite runs such a call without Python's lock, so on the commit's
        thread it overlaps the load's Python. A failure fails the commit (the transaction is
        rolled back, as when the commit itself fails)."""
        if self.commit_handed_on:
            self._open_write.deferred.append(statement)
        else:
            statement()

    @contextmanager
    def _handed_on_write(
        self,
        commit: Committer,
        callbacks: list[Callable[[], None]],
        deferred: list[Callable[[], None]],
    ) -> Iterator[Connection]:
        self._write_lock.acquire()
        try:
            for hook in self.before_write_begin:
                hook()
            conn = self.write_engine.connect()
        except BaseException:
            self._write_lock.release()
            raise
        try:
            transaction = conn.begin()
            yield conn
        except BaseException:
            try:
                conn.close()  # rolls the transaction back
            finally:
                self._write_lock.release()
            raise

        def finish() -> None:
            try:
                try:
                    for statement in deferred:
                        statement()
                    transaction.commit()
                except BaseException:
                    # A failed deferred statement, or a refused COMMIT (a deferred
                    # constraint, a full disk), can leave the transaction open on the
                    # connection: end it before the next write.
                    with contextlib.suppress(Exception):
                        driver = conn.connection.driver_connection
                        if driver is not None and driver.in_transaction:
                            driver.rollback()
                    raise
            finally:
                try:
                    conn.close()
                finally:
                    self._write_lock.release()
            run_callbacks(callbacks)

        commit(finish)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once what this thread wrote is committed: inside a :meth:`write`
        block, after its transaction (or write group) commits, never if that fails; outside
        one, now."""
        if self._groups.after_commit(callback):
            return
        callbacks = getattr(self._open_write, "callbacks", None)
        if callbacks is None:
            callback()
        else:
            callbacks.append(callback)

    def group_commits_on(self, loop: asyncio.AbstractEventLoop) -> None:
        """Group the writes made on ``loop``'s thread (the calling thread), SQLite only."""
        if self.dialect != "sqlite":
            raise ValueError("group commit is for SQLite's single writer")
        self._groups.start(loop)

    @property
    def grouped_here(self) -> bool:
        """Whether this thread's writes join write groups (it runs the loop that has them)."""
        return self._groups.here

    @staticmethod
    def joined() -> WriteGroup | None:
        """The group this request's writes joined, if any; forgets it (asked once per request)."""
        return GroupCommit.joined()

    def commit_group(self) -> None:
        """Commit the open group, if any (run by the event loop); see
        :meth:`GroupCommit.commit_group`."""
        self._groups.commit_group()

    def writer_free(self) -> Coroutine[Any, Any, None]:
        """Await it to return once no group's commit is under way, so that a write made right
        after (with no ``await`` between) joins a new group at once instead of blocking the
        loop while it waits for the writer."""
        return self._groups.writer_free()

    @property
    def write_groups(self) -> int:
        """Write groups committed or failed."""
        return self._groups.write_groups

    @property
    def grouped_writes(self) -> int:
        """The writes those groups held."""
        return self._groups.grouped_writes

    def ping(self) -> None:
        """Round-trip to the database (raises when it does not answer)."""
        with self.read() as conn:
            conn.exec_driver_sql("SELECT 1")

    def pool_figures(self) -> dict[str, dict[str, int]]:
        """Each connection pool's size, connections checked out and overflow, by pool name
        (``read`` and ``write`` on SQLite, ``main`` where one engine serves both)."""
        engines = {"main": self.write_engine}
        if self.read_engine is not self.write_engine:
            engines = {"read": self.read_engine, "write": self.write_engine}
        figures: dict[str, dict[str, int]] = {}
        for name, engine in engines.items():
            found = engine.pool
            if isinstance(found, pool.QueuePool):
                figures[name] = {
                    "size": found.size(),
                    "checked_out": found.checkedout(),
                    "overflow": found.overflow(),
                }
        return figures

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction seeing one consistent snapshot."""
        with self.read_engine.connect() as conn, conn.begin():
            yield conn

    def close(self) -> None:
        """Finish the commit under way and commit the open group, here and now."""
        self._groups.close()
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()

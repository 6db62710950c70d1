"""The database: engines, transactions, migrations.

SQLite runs in WAL mode with a single writer path: write transactions go through one
connection guarded by a lock and start with ``BEGIN IMMEDIATE``, so concurrent requests queue
in Python instead of surfacing "database is locked"; reads use their own pooled connections and
see the last committed state. PostgreSQL uses ordinary pooled connections for both.

Group commit (SQLite, server only): once :meth:`Database.group_commits_on` names an event
loop, every write made on that loop's thread joins one open transaction, each inside its own
savepoint (a failing write undoes only itself), and the transaction commits once, on the
loop's next turn. The caller learns which group its writes joined (:meth:`Database.joined`)
and answers its client only after that group is committed, so no acknowledged write can be
lost, while one commit (and its fsync) serves every request that arrived together.

The commit itself runs on a thread of its own (SQLite lets go of the GIL while it writes the
log and syncs it), so the loop goes on reading, verifying and parsing the next requests
meanwhile. The writer is busy until the commit is over: a caller about to write first awaits
:meth:`Database.writer_free`, or its write would block the loop until then.

Nothing above ``storage`` imports a dialect: callers use :meth:`Database.read` and
:meth:`Database.write` and the repositories.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, RootTransaction, create_engine, event, pool
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

# Page cache of the single write connection: bulk ingestion updates several indexes per object,
# and SQLite's default 2 MiB cache makes it spill dirty pages mid-transaction (about 2x slower).
WRITE_CACHE_KIB = 65536

log = logging.getLogger(__name__)

# Receives the ``finish`` of a write transaction whose commit is handed on (Database.write).
Committer = Callable[[Callable[[], None]], None]


def _nothing() -> None:
    return None


def _run_callbacks(callbacks: list[Callable[[], None]]) -> None:
    """Run what was waiting for a commit; one that fails is logged and the others still run."""
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("a callback after a commit failed")


def _outcome(commit: Future[BaseException | None]) -> BaseException | None:
    """The error of a finished :meth:`Database._commit` (which returns it), or None; an error
    it raised instead (freeing the connection failed) counts too."""
    return commit.exception() or commit.result()


class WriteGroup:
    """One shared write transaction on the event loop's thread, and the future of its commit."""

    def __init__(self, connection: Connection, transaction: RootTransaction, done: Any) -> None:
        self.connection = connection
        self.transaction = transaction
        self.done: asyncio.Future[None] = done
        self.writes = 0
        self.after_commit: list[Callable[[], None]] = []
        self.committing: Future[BaseException | None] | None = None  # the commit under way

    def finish(self, error: BaseException | None) -> None:
        """Resolve the group's future; on success run what waited for the commit (once)."""
        if self.done.done():
            return
        if error is None:
            self.done.set_result(None)
            _run_callbacks(self.after_commit)
        else:
            self.done.set_exception(error)


# The group the current request's writes joined (a request runs in its own task and context).
_joined: contextvars.ContextVar[WriteGroup | None] = contextvars.ContextVar(
    "openprofiles_write_group", default=None
)


class Database:
    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL") -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self._write_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._group: WriteGroup | None = None
        self._committing: WriteGroup | None = None  # a group whose commit is under way
        self._committer: ThreadPoolExecutor | None = None
        self.write_groups = 0  # groups committed or failed, and the writes they held
        self.grouped_writes = 0
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
            with self._group_write() as conn:
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
        _run_callbacks(callbacks)
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
            _run_callbacks(callbacks)

        commit(finish)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once what this thread wrote is committed: inside a :meth:`write`
        block, after its transaction (or write group) commits, never if that fails; outside
        one, now."""
        group = self._group
        if group is not None and self.grouped_here:
            group.after_commit.append(callback)
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
        self._loop = loop
        self._loop_thread = threading.get_ident()

    @property
    def grouped_here(self) -> bool:
        """Whether this thread's writes join write groups (it runs the loop that has them)."""
        return self._loop_thread is not None and threading.get_ident() == self._loop_thread

    @staticmethod
    def joined() -> WriteGroup | None:
        """The group this request's writes joined, if any; forgets it (asked once per request)."""
        group = _joined.get()
        if group is not None:
            _joined.set(None)
        return group

    @contextmanager
    def _group_write(self) -> Iterator[Connection]:
        group = self._group or self._open_group()
        _joined.set(group)
        group.writes += 1
        self.grouped_writes += 1
        # Savepoints straight on the driver: these blocks never nest (one runs at a time on
        # this thread), and SQLAlchemy's own savepoints cost more than the statements inside.
        driver = group.connection.connection.driver_connection
        assert driver is not None
        driver.execute("SAVEPOINT request")
        try:
            yield group.connection
        except BaseException as exc:
            try:
                driver.execute("ROLLBACK TO request")
                driver.execute("RELEASE request")
            except Exception:
                pass  # reported below: the transaction is gone
            # After some failures (disk full, I/O error) SQLite drops the whole transaction:
            # then the group cannot commit, and every request in it fails (none was answered).
            if not driver.in_transaction:
                self._end_group(group, exc)
            raise
        driver.execute("RELEASE request")

    def _open_group(self) -> WriteGroup:
        assert self._loop is not None
        self._write_lock.acquire()
        try:
            connection = self.write_engine.connect()
            try:
                transaction = connection.begin()
            except BaseException:
                connection.close()
                raise
        except BaseException:
            self._write_lock.release()
            raise
        group = WriteGroup(connection, transaction, self._loop.create_future())
        self._group = group
        self.write_groups += 1
        # Commit on the turn after next: requests that arrive meanwhile join this group.
        self._loop.call_soon(self._loop.call_soon, self.commit_group)
        return group

    def commit_group(self) -> None:
        """Commit the open group, if any (run by the event loop).

        The commit runs on the committer thread; later writes open the next group once it is
        over (:meth:`writer_free`). The group's future resolves, and its :meth:`after_commit`
        callbacks run, on the loop when it is done.
        """
        group = self._group
        if group is None:
            return
        loop = self._loop
        assert loop is not None  # groups open only on the loop, which runs this
        self._group = None
        self._committing = group
        if self._committer is None:
            self._committer = ThreadPoolExecutor(1, thread_name_prefix="openprofiles-commit")

        def committed(outcome: Future[BaseException | None]) -> None:
            # A loop closed meanwhile has no one to answer; close() finished the group.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._finish_commit, group, _outcome(outcome))

        group.committing = self._committer.submit(self._commit, group)
        group.committing.add_done_callback(committed)

    async def writer_free(self) -> None:
        """Return once no group's commit is under way, so that a write made right after (with
        no ``await`` between) joins a new group at once instead of blocking the loop while it
        waits for the writer."""
        while (group := self._committing) is not None:
            await asyncio.wait([group.done])

    def _commit(self, group: WriteGroup) -> BaseException | None:
        """Commit ``group``'s transaction and free the writer: the error, or None."""
        try:
            group.transaction.commit()
        except BaseException as exc:
            self._free_writer(group)
            return exc
        self._free_writer(group)
        return None

    def _free_writer(self, group: WriteGroup) -> None:
        """Roll back what ``group``'s transaction still holds (after a failure), return its
        connection to the pool and release the write lock."""
        try:
            if group.transaction.is_active:
                # A failed rollback leaves nothing to undo; the error is reported anyway.
                with contextlib.suppress(DBAPIError):
                    group.transaction.rollback()
            group.connection.close()
        except Exception:
            # What a commit stored stays stored: the group's answers do not depend on this.
            log.exception("freeing the write connection failed")
        finally:
            self._write_lock.release()

    def _finish_commit(self, group: WriteGroup, error: BaseException | None) -> None:
        if self._committing is group:
            self._committing = None
        if self._group is group:
            self._group = None
        group.finish(error)

    def _end_group(self, group: WriteGroup, error: BaseException | None) -> None:
        """End the open ``group`` on the loop's thread without committing (its transaction
        is lost): roll back, free the writer, fail every write of the group."""
        if self._group is not group:
            return
        self._group = None
        try:
            self._free_writer(group)
        finally:
            group.finish(error)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction seeing one consistent snapshot."""
        with self.read_engine.connect() as conn, conn.begin():
            yield conn

    def close(self) -> None:
        """Finish the commit under way and commit the open group, here and now."""
        committing = self._committing
        if committing is not None and committing.committing is not None:
            self._finish_commit(committing, _outcome(committing.committing))
        group = self._group
        if group is not None:
            self._finish_commit(group, self._commit(group))
        if self._committer is not None:
            self._committer.shutdown(wait=True)
            self._committer = None
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()

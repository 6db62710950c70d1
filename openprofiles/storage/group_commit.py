"""SQLite group commit (server only): the writes of one event loop turn share a transaction.

Once :meth:`Database.group_commits_on` names an event loop, every write made on that loop's
thread joins one open transaction, each inside its own savepoint (a failing write undoes only
itself), and the transaction commits once, on the loop's next turn. The caller learns which
group its writes joined (:meth:`Database.joined`) and answers its client only after that group
is committed, so no acknowledged write can be lost, while one commit (and its fsync) serves
every request that arrived together.

The commit itself runs on a thread of its own (SQLite lets go of the GIL while it writes the
log and syncs it), so the loop goes on reading, verifying and parsing the next requests
meanwhile. The writer is busy until the commit is over: a caller about to write first awaits
:meth:`Database.writer_free`, or its write would block the loop until then.

:class:`GroupCommit` does this for the ``Database`` that holds it, on that database's single
write connection and write lock; callers use the ``Database`` methods of the same names.
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
from typing import Any

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import DBAPIError

# The database's log: what fails here is its writes and their commits.
log = logging.getLogger("openprofiles.storage.database")


def run_callbacks(callbacks: list[Callable[[], None]]) -> None:
    """Run what was waiting for a commit; one that fails is logged and the others still run."""
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("a callback after a commit failed")


def _outcome(commit: Future[BaseException | None]) -> BaseException | None:
    """The error of a finished :meth:`GroupCommit._commit` (which returns it), or None; an error
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
            run_callbacks(self.after_commit)
        else:
            self.done.set_exception(error)


# The group the current request's writes joined (a request runs in its own task and context).
_joined: contextvars.ContextVar[WriteGroup | None] = contextvars.ContextVar(
    "openprofiles_write_group", default=None
)


class GroupCommit:
    """The write groups of one database's single writer (SQLite): the open group, the commit
    under way and the thread that commits."""

    def __init__(self, write_engine: Engine, write_lock: threading.Lock) -> None:
        self._write_engine = write_engine
        self._write_lock = write_lock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._group: WriteGroup | None = None
        self._committing: WriteGroup | None = None  # a group whose commit is under way
        self._committer: ThreadPoolExecutor | None = None
        self.write_groups = 0  # groups committed or failed, and the writes they held
        self.grouped_writes = 0

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Group the writes made on ``loop``'s thread (the calling thread)."""
        self._loop = loop
        self._loop_thread = threading.get_ident()

    @property
    def here(self) -> bool:
        """Whether this thread's writes join write groups (it runs the loop that has them)."""
        return self._loop_thread is not None and threading.get_ident() == self._loop_thread

    @staticmethod
    def joined() -> WriteGroup | None:
        """The group this request's writes joined, if any; forgets it (asked once per request)."""
        group = _joined.get()
        if group is not None:
            _joined.set(None)
        return group

    def after_commit(self, callback: Callable[[], None]) -> bool:
        """Run ``callback`` once the open group commits, if this thread's writes join it;
        False (and nothing done) when they do not."""
        group = self._group
        if group is not None and self.here:
            group.after_commit.append(callback)
            return True
        return False

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write of the open group (opened first if there is none), in a savepoint of its
        own: on the loop's thread only."""
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
            connection = self._write_engine.connect()
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

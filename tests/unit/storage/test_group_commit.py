"""Group commit on SQLite: writes made on the event loop share one transaction and one commit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from openprofiles.storage.database import Database
from openprofiles.storage.group_commit import WriteGroup
from openprofiles.storage.tables import tags


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database.open(f"sqlite:///{tmp_path / 'group.db'}")
    yield db
    db.close()


def _insert(database: Database, key: str) -> WriteGroup | None:
    with database.write() as conn:
        conn.execute(
            tags.insert().values(account="a", resource_arn="arn", tag_key=key, tag_value="v")
        )
    return database.joined()


def _keys(database: Database) -> set[str]:
    with database.read() as conn:
        return set(conn.execute(select(tags.c.tag_key)).scalars())


def test_writes_made_together_commit_once_and_only_then_become_visible(
    database: Database,
) -> None:
    async def main() -> None:
        database.group_commits_on(asyncio.get_running_loop())
        groups = [_insert(database, key) for key in ("a", "b", "c")]
        assert groups[0] is not None and all(g is groups[0] for g in groups)
        assert groups[0].writes == 3
        assert _keys(database) == set()  # not committed yet: nobody may be answered
        await groups[0].done
        assert _keys(database) == {"a", "b", "c"}
        later = _insert(database, "d")  # the next turn opens a new group
        assert later is not None and later is not groups[0]
        await later.done

    asyncio.run(main())
    assert _keys(database) == {"a", "b", "c", "d"}


def test_a_failing_write_undoes_only_itself(database: Database) -> None:
    async def main() -> None:
        database.group_commits_on(asyncio.get_running_loop())
        first = _insert(database, "kept")
        with pytest.raises(ValueError), database.write() as conn:
            conn.execute(
                tags.insert().values(account="a", resource_arn="arn", tag_key="x", tag_value="v")
            )
            raise ValueError("the request is refused")
        failed = database.joined()
        assert failed is first is not None
        await first.done

    asyncio.run(main())
    assert _keys(database) == {"kept"}


def test_a_lost_transaction_fails_every_write_of_its_group(database: Database) -> None:
    async def main() -> None:
        database.group_commits_on(asyncio.get_running_loop())
        first = _insert(database, "lost")
        # As after a disk-full error: SQLite has rolled the whole transaction back.
        with pytest.raises(OSError, match="disk full"), database.write() as conn:
            conn.exec_driver_sql("ROLLBACK")
            raise OSError("disk full")
        assert first is not None and database.joined() is first
        with pytest.raises(OSError, match="disk full"):  # every request of the group fails
            await first.done
        after = _insert(database, "after")  # the writer is free again
        assert after is not None and after is not first
        await after.done

    asyncio.run(main())
    assert _keys(database) == {"after"}


def test_other_threads_write_alone_after_the_group_commits(database: Database) -> None:
    async def main() -> None:
        database.group_commits_on(asyncio.get_running_loop())
        group = _insert(database, "loop")
        assert group is not None
        result: list[WriteGroup | None] = []
        worker = threading.Thread(target=lambda: result.append(_insert(database, "thread")))
        worker.start()
        await group.done
        await asyncio.to_thread(worker.join)
        assert result == [None]  # committed on its own, before its write() returned

    asyncio.run(main())
    assert _keys(database) == {"loop", "thread"}


def _assert_committed(group: WriteGroup | None, database: Database, keys: set[str]) -> None:
    """``group`` resolved without an error, and a new connection finds ``keys`` stored."""
    assert group is not None and group.done.done() and group.done.exception() is None
    reopened = Database.open(database.url)
    try:
        assert _keys(reopened) == keys
    finally:
        reopened.close()


def test_close_commits_the_open_group(database: Database) -> None:
    async def main() -> WriteGroup | None:
        database.group_commits_on(asyncio.get_running_loop())
        group = _insert(database, "pending")
        database.close()
        return group

    _assert_committed(asyncio.run(main()), database, {"pending"})


def test_after_commit_waits_for_the_group_and_is_dropped_when_it_fails(
    database: Database,
) -> None:
    ran: list[str] = []

    async def main() -> None:
        database.group_commits_on(asyncio.get_running_loop())
        group = _insert(database, "a")
        database.after_commit(lambda: ran.append("committed"))
        assert group is not None and ran == []
        await group.done
        assert ran == ["committed"]
        failed = _insert(database, "b")
        database.after_commit(lambda: ran.append("lost"))
        with pytest.raises(OSError), database.write() as conn:
            conn.exec_driver_sql("ROLLBACK")
            raise OSError("disk full")
        assert failed is not None
        with pytest.raises(OSError):
            await failed.done

    asyncio.run(main())
    assert ran == ["committed"]
    database.after_commit(lambda: ran.append("alone"))  # outside a group: at once
    assert ran == ["committed", "alone"]


class _Transaction:
    """Stands in for a group's transaction: its commit first waits for ``release`` (as a slow
    disk would) or fails with ``error`` (as a full one would)."""

    def __init__(
        self,
        transaction: Any,
        release: threading.Event | None = None,
        error: BaseException | None = None,
    ) -> None:
        self.transaction = transaction
        self.release = release
        self.error = error

    @property
    def is_active(self) -> bool:
        return bool(self.transaction.is_active)

    def rollback(self) -> None:
        self.transaction.rollback()

    def commit(self) -> None:
        if self.release is not None:
            assert self.release.wait(10), "the test never let the commit go on"
        if self.error is not None:
            raise self.error
        self.transaction.commit()


def _slow_commit(group: WriteGroup, release: threading.Event) -> None:
    group.transaction = _Transaction(group.transaction, release=release)  # type: ignore[assignment]


def test_the_loop_goes_on_while_a_group_commits(database: Database) -> None:
    async def main() -> None:
        database.group_commits_on(asyncio.get_running_loop())
        first = _insert(database, "first")
        assert first is not None
        release = threading.Event()
        _slow_commit(first, release)
        for _ in range(5):  # the commit is due two turns after the group opened
            await asyncio.sleep(0)
        writer = asyncio.create_task(database.writer_free())
        for _ in range(5):
            await asyncio.sleep(0)
        # The commit is under way on its own thread: the loop still runs, nobody is answered
        # yet, and a write must wait for the writer.
        assert not first.done.done() and not writer.done()
        assert _keys(database) == set()
        release.set()
        await first.done
        await writer
        assert _keys(database) == {"first"}
        second = _insert(database, "second")  # the writer is free: a new group at once
        assert second is not None and second is not first
        await second.done

    asyncio.run(main())
    assert _keys(database) == {"first", "second"}


def test_a_failed_commit_fails_its_group_and_frees_the_writer(database: Database) -> None:
    async def main() -> None:
        database.group_commits_on(asyncio.get_running_loop())
        group = _insert(database, "refused")
        assert group is not None
        group.transaction = _Transaction(group.transaction, error=OSError("disk full"))  # type: ignore[assignment]
        database.after_commit(lambda: pytest.fail("ran although the commit failed"))
        with pytest.raises(OSError, match="disk full"):
            await group.done
        await database.writer_free()
        after = _insert(database, "after")
        assert after is not None
        await after.done

    asyncio.run(main())
    assert _keys(database) == {"after"}


def test_close_finishes_a_commit_under_way(database: Database) -> None:
    async def main() -> WriteGroup | None:
        database.group_commits_on(asyncio.get_running_loop())
        group = _insert(database, "underway")
        assert group is not None
        release = threading.Event()
        _slow_commit(group, release)
        for _ in range(20):
            await asyncio.sleep(0)
        assert not group.done.done()
        threading.Timer(0.2, release.set).start()
        database.close()  # waits for the commit and resolves the group
        return group

    _assert_committed(asyncio.run(main()), database, {"underway"})


class _Connection:
    """Stands in for a group's connection: closing it fails (after closing the real one)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self.connection, name)

    def close(self) -> None:
        self.connection.close()
        raise OSError("the connection could not be returned")


def test_a_commit_whose_connection_fails_to_close_still_answers(database: Database) -> None:
    async def main() -> None:
        database.group_commits_on(asyncio.get_running_loop())
        group = _insert(database, "stored")
        assert group is not None
        group.connection = _Connection(group.connection)  # type: ignore[assignment]
        await asyncio.wait_for(group.done, 10)  # committed: its writes are answered
        await asyncio.wait_for(database.writer_free(), 10)
        after = _insert(database, "after")
        assert after is not None
        await asyncio.wait_for(after.done, 10)

    asyncio.run(main())
    assert _keys(database) == {"stored", "after"}

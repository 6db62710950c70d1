"""The floors: bare ASGI apps that do the least a request to the server needs.

Served by the same HTTP server (uvicorn) and SQLite settings (WAL, synchronous=FULL) as
openprofiles, so a ratio against them measures what openprofiles adds: SigV4, routing,
model-driven parsing and validation, the service layer and its extra rows (search keys).

``per_request`` (``bench.floor_app:per_request``)
    One JSON parse, one insert and one commit per request, on the event loop's thread.
``grouped`` (``bench.floor_app:grouped``)
    The same parse and insert, committed the way the server commits on SQLite (see
    openprofiles/storage/database.py): the requests that arrive during one event-loop turn
    share one transaction and one commit, the commit runs on a thread of its own, each request
    is answered after its group's commit, and a request arriving while a commit is under way
    waits for the writer before it joins the next group.
``hello`` (``bench.floor_app:hello``)
    No database and no parsing: reads the body and answers a fixed JSON; uvicorn and ASGI alone.

Each answers 200 with a small JSON body. The database is ``$FLOOR_DB`` (default ``floor.db``),
opened at lifespan start-up.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Handler = Callable[[bytes], Awaitable[bytes]]
ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

_db: sqlite3.Connection | None = None


def _open_database() -> None:
    global _db
    if _db is not None:
        return
    _db = sqlite3.connect(
        os.environ.get("FLOOR_DB", "floor.db"), isolation_level=None, check_same_thread=False
    )
    _db.execute("PRAGMA journal_mode=WAL")
    _db.execute("PRAGMA synchronous=FULL")
    _db.execute("CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, body TEXT NOT NULL)")


def _database() -> sqlite3.Connection:
    assert _db is not None, "the database opens at lifespan start-up"
    return _db


def _row(body: bytes) -> tuple[str, str]:
    """What the server does with a request's JSON at the least: parse it, serialize it back."""
    return uuid.uuid4().hex, json.dumps(json.loads(body or b"{}"))


def _created(item_id: str) -> bytes:
    return json.dumps({"ProfileId": item_id}).encode()


async def _per_request(body: bytes) -> bytes:
    item_id, text = _row(body)
    # Autocommit: the insert is its own transaction, committed (and synced) before it returns.
    _database().execute("INSERT INTO items VALUES (?, ?)", (item_id, text))
    return _created(item_id)


class _GroupCommit:
    """The server's group commit on one SQLite connection, without its savepoints and hooks."""

    def __init__(self) -> None:
        self._group: asyncio.Future[None] | None = None  # the open transaction's group
        self._committing: asyncio.Future[None] | None = None  # a group whose commit is under way
        self._committer = ThreadPoolExecutor(1, thread_name_prefix="floor-commit")

    async def insert(self, item_id: str, text: str) -> None:
        """Insert the row in the open group (opening one if needed); return once it commits."""
        while (committing := self._committing) is not None:
            await asyncio.wait([committing])  # the writer is busy until that commit is over
        group = self._group
        if group is None:
            loop = asyncio.get_running_loop()
            _database().execute("BEGIN IMMEDIATE")
            group = self._group = loop.create_future()
            # Commit on the turn after next: requests that arrive meanwhile join this group.
            loop.call_soon(loop.call_soon, self._commit)
        _database().execute("INSERT INTO items VALUES (?, ?)", (item_id, text))
        await group

    def _commit(self) -> None:
        group = self._group
        assert group is not None
        self._group = None
        self._committing = group
        loop = asyncio.get_running_loop()
        commit = loop.run_in_executor(self._committer, _database().execute, "COMMIT")

        def committed(outcome: asyncio.Future[Any]) -> None:
            self._committing = None
            error = outcome.exception()
            if error is None:
                group.set_result(None)
            else:
                group.set_exception(error)

        commit.add_done_callback(committed)


_groups = _GroupCommit()


async def _grouped(body: bytes) -> bytes:
    item_id, text = _row(body)
    await _groups.insert(item_id, text)
    return _created(item_id)


async def _hello(body: bytes) -> bytes:
    return b'{"Message":"hello"}'


def _asgi(handler: Handler, database: bool) -> ASGIApp:
    """An ASGI app answering every request 200 with what ``handler`` makes of its body."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    if database:
                        _open_database()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        payload = await handler(body)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    return app


per_request = _asgi(_per_request, database=True)
grouped = _asgi(_grouped, database=True)
hello = _asgi(_hello, database=False)

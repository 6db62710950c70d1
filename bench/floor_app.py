"""The floor: a bare ASGI app doing one JSON parse and one SQLite insert per request.

Served by the same HTTP server (uvicorn) and SQLite settings (WAL, synchronous=FULL) as
openprofiles, so the ratio measures what openprofiles adds: SigV4, routing, model-driven
parsing and validation, the service layer and its extra rows (search keys).
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from typing import Any

_db = sqlite3.connect(
    os.environ.get("FLOOR_DB", "floor.db"), isolation_level=None, check_same_thread=False
)
_db.execute("PRAGMA journal_mode=WAL")
_db.execute("PRAGMA synchronous=FULL")
_db.execute("CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, body TEXT NOT NULL)")


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
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
    document = json.loads(body or b"{}")
    item_id = uuid.uuid4().hex
    _db.execute("INSERT INTO items VALUES (?, ?)", (item_id, json.dumps(document)))
    payload = json.dumps({"ProfileId": item_id}).encode()
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

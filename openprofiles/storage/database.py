"""The database: engines, transactions, migrations.

SQLite runs in WAL mode with a single writer path: write transactions go through one
connection guarded by a lock and start with ``BEGIN IMMEDIATE``, so concurrent requests queue
in Python instead of surfacing "database is locked"; reads use their own pooled connections and
see the last committed state. PostgreSQL uses ordinary pooled connections for both.

Nothing above ``storage`` imports a dialect: callers use :meth:`Database.read` and
:meth:`Database.write` and the repositories.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, pool
from sqlalchemy.engine import make_url

# Page cache of the single write connection: bulk ingestion updates several indexes per object,
# and SQLite's default 2 MiB cache makes it spill dirty pages mid-transaction (about 2x slower).
WRITE_CACHE_KIB = 65536


class Database:
    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL") -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self._write_lock = threading.Lock()
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
    def write(self) -> Iterator[Connection]:
        """A read-write transaction, committed when the block exits without an exception."""
        if self.dialect == "sqlite":
            with self._write_lock, self.write_engine.begin() as conn:
                yield conn
        else:
            with self.write_engine.begin() as conn:
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction seeing one consistent snapshot."""
        with self.read_engine.connect() as conn, conn.begin():
            yield conn

    def close(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()

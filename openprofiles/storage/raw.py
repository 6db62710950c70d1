"""Statements run straight on the database driver's cursor: the request path's hottest reads
and the batched writes.

Every request resolves its domain, and every PutProfileObject its object type. Through
SQLAlchemy's execution path (compiled-statement cache, parameter processing, result rows)
resolving a domain took 62 µs on SQLite, the query itself 5 µs. These functions run inside the
caller's transaction: every connection ``Database`` hands out has begun its transaction (on
SQLite, emitted its BEGIN) before the caller gets it. Errors are the driver's own (sqlite3's,
psycopg's), not SQLAlchemy's wrappers; on PostgreSQL the pool checks a connection before
handing it out again, so one lost mid-statement is replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect

from openprofiles.clock import to_utc
from openprofiles.storage.tables import UTC_DATETIME


def marker(conn: Connection) -> str:
    """The driver's placeholder, for SQL run on the driver or with ``exec_driver_sql``."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


@contextmanager
def _cursor(conn: Connection) -> Iterator[Any]:
    """A cursor of ``conn``'s driver connection, closed after the block."""
    driver = conn.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


def fetch_one(conn: Connection, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """The first row of ``sql`` (placeholders from :func:`marker`), as the driver returns it."""
    with _cursor(conn) as cursor:
        cursor.execute(sql, tuple(params))
        row = cursor.fetchone()
    return None if row is None else tuple(row)


def fetch_all(conn: Connection, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Every row of ``sql`` (placeholders from :func:`marker`), as the driver returns them."""
    with _cursor(conn) as cursor:
        cursor.execute(sql, tuple(params))
        rows: list[tuple[Any, ...]] = cursor.fetchall()  # both drivers' rows are tuples
    return rows


def execute_many(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run ``sql`` once per row (the driver's executemany): a request's few rows cost the same
    SQLAlchemy overhead as a bulk batch's thousands, about 35 us a statement."""
    with _cursor(conn) as cursor:
        cursor.executemany(sql, rows)


@cache
def datetime_reader(dialect: Dialect) -> Callable[[Any], datetime]:
    """Reads a stored UTC datetime column's raw value (text on SQLite) as an aware datetime."""
    processor = UTC_DATETIME.dialect_impl(dialect).result_processor(dialect, None)
    if processor is None:
        return to_utc

    def read(value: Any) -> datetime:
        return to_utc(cast(datetime, processor(value)))

    return read

"""Look-ups run straight on the database driver's cursor, for the request path's hottest reads.

Every request resolves its domain, and every PutProfileObject its object type. Through
SQLAlchemy's execution path (compiled-statement cache, parameter processing, result rows)
resolving a domain took 62 µs on SQLite, the query itself 5 µs. These functions run inside the
caller's transaction: every connection ``Database`` hands out has begun its transaction (on
SQLite, emitted its BEGIN) before the caller gets it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def fetch_one(conn: Connection, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """The first row of ``sql`` (placeholders from :func:`marker`), as the driver returns it."""
    driver = conn.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        cursor.execute(sql, tuple(params))
        row = cursor.fetchone()
    finally:
        cursor.close()
    return None if row is None else tuple(row)


@cache
def datetime_reader(dialect: Dialect) -> Callable[[Any], datetime]:
    """Reads a stored UTC datetime column's raw value (text on SQLite) as an aware datetime."""
    processor = UTC_DATETIME.dialect_impl(dialect).result_processor(dialect, None)
    if processor is None:
        return to_utc

    def read(value: Any) -> datetime:
        return to_utc(cast(datetime, processor(value)))

    return read

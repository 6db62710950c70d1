"""Batched statements: executemany inserts (COPY on PostgreSQL) and bounded chunks of values.

Bulk import and the ingestion engine write whole batches through here: one statement, or a
few, per batch rather than per row.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any, Final, TypeVar

from sqlalchemy import Connection, DateTime, Table
from sqlalchemy.engine import Dialect

from openprofiles.storage.raw import execute_many, marker

# Values per look-up statement. Bound as one JSON text or array (:func:`one_of`), a list has no
# parameter limit to stay under; chunks only bound one statement's work and memory.
_CHUNK = 10_000
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_many(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    on_conflict: str | None = None,
) -> None:
    """INSERT ``rows`` (tuples in ``columns`` order) with the driver's executemany;
    ``on_conflict``, when given, follows ``ON CONFLICT`` (the same syntax on SQLite and
    PostgreSQL: ``DO NOTHING`` leaves rows already present as they are).

    Bulk import spends most of its time here, so this skips SQLAlchemy's per-row parameter
    processing: only datetime columns need the dialect's bind processor.
    """
    if not rows:
        return
    dialect = conn.dialect
    rows = _bind_datetimes(table, columns, dialect, rows)
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    conflict = f" ON CONFLICT {on_conflict}" if on_conflict else ""
    if dialect.name == "postgresql" and len(rows) >= _COPY_FROM:
        _copy_in(conn, quote(table.name), names, rows, conflict)
        return
    markers = ", ".join([marker(conn)] * len(columns))
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({markers})"
    execute_many(conn, sql + conflict, rows)


def update_many(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    where: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """UPDATE ``table`` SET ``columns`` WHERE each of ``where`` equals, once per row: rows are
    tuples of the new values in ``columns`` order, then the ``where`` values. The driver's
    executemany, without SQLAlchemy's per-row parameter processing (see :func:`insert_many`)."""
    if not rows:
        return
    dialect = conn.dialect
    rows = _bind_datetimes(table, (*columns, *where), dialect, rows)
    quote, m = dialect.identifier_preparer.quote, marker(conn)
    assignments = ", ".join(f"{quote(c)} = {m}" for c in columns)
    condition = " AND ".join(f"{quote(c)} = {m}" for c in where)
    execute_many(conn, f"UPDATE {quote(table.name)} SET {assignments} WHERE {condition}", rows)


def _bind_datetimes(
    table: Table, columns: Sequence[str], dialect: Dialect, rows: Sequence[Sequence[Any]]
) -> Sequence[Sequence[Any]]:
    """``rows`` with their datetime columns as the dialect binds them (SQLite stores them as
    text). A batch's rows mostly share one timestamp, so each distinct value is converted
    once."""
    processors = _datetime_processors(table, tuple(columns), dialect)
    if not processors:
        return rows
    converted: dict[Any, Any] = {}
    mutable = [list(row) for row in rows]
    for row in mutable:
        for index, processor in processors:
            value = row[index]
            if value is not None:
                found = converted.get(value)
                if found is None:
                    found = converted[value] = processor(value)
                row[index] = found
    return mutable


@cache
def _datetime_processors(
    table: Table, columns: tuple[str, ...], dialect: Dialect
) -> list[tuple[int, Callable[[Any], Any]]]:
    """(index, bind processor) of ``columns``' datetime columns that ``dialect`` converts:
    worked out once, since a server's small batches made it a few percent of each insert."""
    processors: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(columns):
        column_type = table.c[name].type
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None and isinstance(column_type, DateTime):
            processors.append((index, processor))
    return processors


# PostgreSQL: batches of at least this many rows are loaded with COPY. Inserted one by one (even
# pipelined), a bulk import's rows kept the import waiting on the server half of its time.
_COPY_FROM: Final = 100


def _copy_in(
    conn: Connection, table: str, names: str, rows: Sequence[Sequence[Any]], conflict: str
) -> None:
    """COPY ``rows`` into a temporary copy of ``table``, then move them over with one INSERT
    (which can skip rows already present, as COPY cannot)."""
    # One staging table per table and column list, kept by the connection (session).
    staging = f"staging_{table.strip(chr(34))}_{zlib.crc32(names.encode()):08x}"
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS "
            f"AS SELECT {names} FROM {table} WITH NO DATA"
        )
        with cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging}{conflict}")
        cursor.execute(f"DELETE FROM {staging}")

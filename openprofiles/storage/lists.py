"""Look-ups by a list of values bound as one parameter (:func:`one_of`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Text,
    TypeDecorator,
    any_,
    bindparam,
    func,
    select,
)

from openprofiles.jsontext import compact
from openprofiles.storage.raw import marker


class _JsonList(TypeDecorator[Any]):
    """A list of strings or numbers bound as one JSON text (SQLite's ``json_each`` reads it)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str:
        # Non-ASCII text without escapes: SQLite then reads the values' UTF-8 as it is.
        return compact(list(value))


def one_of(column: ColumnElement[Any], dialect: str, name: str = "values") -> ColumnElement[bool]:
    """``column`` is one of the list bound to ``name``, as one parameter: on PostgreSQL
    ``column = ANY(array)``, on SQLite ``column IN (SELECT value FROM json_each(text))``.

    One statement text whatever the number of values, which the driver converts (PostgreSQL)
    or prepares (SQLite) once: an IN list is a new text for each length, and SQLAlchemy
    renders it anew for each call (on PostgreSQL, converting those texts was about 5% of a
    bulk import; on SQLite, rendering them was about 3% of a server under PutProfileObject).

    Look-ups that run for every batch are built once per dialect (``functools.cache``), since
    building a statement costs more than running it for a server's small batches."""
    if dialect == "postgresql":
        # The array's elements without the column's length: a cast to VARCHAR(n) would cut
        # longer values short, and a value cut short could match a stored one.
        element = type(column.type)()
        return column == any_(bindparam(name, type_=ARRAY(element)))
    values = func.json_each(bindparam(name, type_=_JsonList())).table_valued("value")
    return column.in_(select(values.c.value))


def one_of_sql(conn: Connection, column: str) -> str:
    """:func:`one_of` as SQL text for ``storage.raw``: ``column`` is one of the list bound
    (with :func:`list_param`) at this placeholder."""
    if conn.dialect.name == "postgresql":
        return f"{column} = ANY({marker(conn)})"
    return f"{column} IN (SELECT value FROM json_each({marker(conn)}))"


def list_param(conn: Connection, values: Iterable[str | int]) -> object:
    """The parameter :func:`one_of_sql` reads: an array on PostgreSQL, JSON text on SQLite."""
    if conn.dialect.name == "postgresql":
        return list(values)
    return compact(list(values))

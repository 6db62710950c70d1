"""Look-ups by a list of values bound as one parameter (:func:`one_of`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Text, TypeDecorator, any_, bindparam, func, select

from openprofiles.jsontext import compact


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

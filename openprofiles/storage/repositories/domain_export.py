"""A domain's profiles and objects read in batches, in profile-id order, for exports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, func, or_, select

from openprofiles.storage.lists import one_of
from openprofiles.storage.tables import profile_objects, profiles


class ProfileRow(NamedTuple):
    profile_id: str
    document: str  # JSON text
    added_keys: str  # as stored: profile_keys.decode_added reads it

    def added(self) -> list[tuple[str, str, str]]:
        """The profile's added keys: (key_name, key_value, origin)."""
        # Lists of strings, as profile_keys.encode_added wrote them: orjson reads them as
        # json would, without jsontext.parse's look for floats (a third of an export's time).
        return [(name, value, origin) for name, value, origin in orjson.loads(self.added_keys)]


class ObjectRow(NamedTuple):
    profile_id: str
    object_type: str
    unique_key: str
    document: str  # the object as received
    key_values: str  # as stored: profile_objects.decode_keys reads it

    def key_pairs(self) -> list[tuple[str, str]]:
        """The object's keys: (key_name, key_value)."""
        return [(name, value) for name, value in orjson.loads(self.key_values)]


def profiles_after(
    conn: Connection, domain_id: int, after: str | None, limit: int
) -> list[ProfileRow]:
    """Up to ``limit`` profiles whose id follows ``after`` (None: from the first)."""
    query = (
        select(profiles.c.profile_id, profiles.c.document, profiles.c.added_keys)
        .where(profiles.c.domain_id == domain_id)
        .order_by(profiles.c.profile_id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(profiles.c.profile_id > after)
    return [ProfileRow(*row) for row in conn.execute(query)]


def objects_of(
    conn: Connection, domain_id: int, profile_ids: Sequence[str], now: datetime
) -> list[ObjectRow]:
    """The unexpired objects of these profiles, by profile, type and age (oldest first)."""
    if not profile_ids:
        return []
    c = profile_objects.c
    query = (
        select(c.profile_id, c.object_type, c.unique_key, c.document, c.key_values)
        .where(
            c.domain_id == domain_id,
            one_of(c.profile_id, conn.dialect.name),
            _visible(now),
        )
        .order_by(c.profile_id, c.object_type, c.id)
    )
    return [ObjectRow(*row) for row in conn.execute(query, {"values": list(profile_ids)})]


def _visible(now: datetime) -> Any:
    return or_(profile_objects.c.expires_at.is_(None), profile_objects.c.expires_at > now)


def type_objects_after(
    conn: Connection, domain_id: int, object_type: str, after: int, limit: int, now: datetime
) -> list[tuple[int, str]]:
    """Up to ``limit`` unexpired objects of a type, (id, document as received), in the order
    they were first stored, from the one after id ``after``."""
    c = profile_objects.c
    # The domain and type are compared as expressions so that no index on them serves the
    # query: through uq_profile_objects_key every batch would read and sort all the type's
    # objects for its thousand (the export slowed as the square of its size); read in id
    # order instead, each batch goes on where the last one stopped.
    query = (
        select(c.id, c.document)
        .where(
            c.id > after,
            c.domain_id + 0 == domain_id,
            c.object_type.concat("") == object_type,
            _visible(now),
        )
        .order_by(c.id)
        .limit(limit)
    )
    return [(int(i), str(d)) for i, d in conn.execute(query)]


def count_type_objects(conn: Connection, domain_id: int, object_type: str, now: datetime) -> int:
    c = profile_objects.c
    query = select(func.count()).where(
        c.domain_id == domain_id, c.object_type == object_type, _visible(now)
    )
    return int(conn.scalar(query) or 0)

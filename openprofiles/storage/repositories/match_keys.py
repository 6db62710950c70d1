"""Profiles' blocking keys (real-time matching's candidate index) and domains' trained models."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from openprofiles.storage.batched import insert_many
from openprofiles.storage.tables import match_keys, profiles, resolution_models


def replace(conn: Connection, domain_id: int, keys: Mapping[str, Sequence[str]]) -> None:
    """Give each profile of ``keys`` exactly those keys."""
    if not keys:
        return
    ids = list(keys)
    conn.execute(
        delete(match_keys).where(
            match_keys.c.domain_id == domain_id, match_keys.c.profile_id.in_(ids)
        )
    )
    rows = list(
        dict.fromkeys((domain_id, key, pid) for pid, values in keys.items() for key in values)
    )
    if rows:
        # DO NOTHING: the real-time matcher and a job's indexing may give a profile its keys
        # at the same moment; they are the same keys.
        insert_many(
            conn,
            match_keys,
            ("domain_id", "match_key", "profile_id"),
            rows,
            on_conflict="DO NOTHING",
        )


def forget(conn: Connection, domain_id: int, profile_ids: Sequence[str]) -> None:
    if profile_ids:
        conn.execute(
            delete(match_keys).where(
                match_keys.c.domain_id == domain_id, match_keys.c.profile_id.in_(list(profile_ids))
            )
        )


def candidates(conn: Connection, domain_id: int, keys: Sequence[str], limit: int) -> list[str]:
    """Up to ``limit`` profiles holding any of ``keys``, read through the primary key. Not
    DISTINCT in SQL: SQLite then reads the whole domain by the profile index instead."""
    if not keys:
        return []
    query = (
        select(match_keys.c.profile_id)
        .where(match_keys.c.domain_id == domain_id, match_keys.c.match_key.in_(list(keys)))
        .limit(limit * len(keys))
    )
    return list(dict.fromkeys(conn.scalars(query)))[:limit]


def without_keys(conn: Connection, domain_id: int, profile_ids: Sequence[str]) -> set[str]:
    """Those of ``profile_ids`` that have no key stored."""
    if not profile_ids:
        return set()
    have = conn.scalars(
        select(match_keys.c.profile_id)
        .where(match_keys.c.domain_id == domain_id, match_keys.c.profile_id.in_(list(profile_ids)))
        .distinct()
    )
    return set(profile_ids) - set(have)


def existing(conn: Connection, domain_id: int, profile_ids: Sequence[str]) -> set[str]:
    """Those of ``profile_ids`` the domain still has."""
    if not profile_ids:
        return set()
    return set(
        conn.scalars(
            select(profiles.c.profile_id).where(
                profiles.c.domain_id == domain_id, profiles.c.profile_id.in_(list(profile_ids))
            )
        )
    )


def model(conn: Connection, domain_id: int) -> dict[str, Any] | None:
    text = conn.scalar(
        select(resolution_models.c.model).where(resolution_models.c.domain_id == domain_id)
    )
    return None if text is None else dict(json.loads(text))


def save_model(
    conn: Connection, domain_id: int, job_id: str, trained: Mapping[str, Any], now: datetime
) -> None:
    text = json.dumps(trained, separators=(",", ":"))
    done = conn.execute(
        update(resolution_models)
        .where(resolution_models.c.domain_id == domain_id)
        .values(model=text, job_id=job_id, updated_at=now)
    )
    if done.rowcount == 0:
        conn.execute(
            insert(resolution_models).values(
                domain_id=domain_id, model=text, job_id=job_id, updated_at=now
            )
        )

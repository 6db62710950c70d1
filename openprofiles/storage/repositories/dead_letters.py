"""Dead letters: objects that could not be placed on a profile, kept for inspection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from openprofiles.storage.tables import dead_letters


def add(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Rows with domain_id, object_type, object, reason, created_at."""
    if rows:
        conn.execute(insert(dead_letters), list(rows))


def list_query(domain_id: int) -> Any:
    return select(
        dead_letters.c.id,
        dead_letters.c.object_type,
        dead_letters.c.object,
        dead_letters.c.reason,
        dead_letters.c.created_at,
    ).where(dead_letters.c.domain_id == domain_id)

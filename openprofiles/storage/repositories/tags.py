"""Tags on any resource ARN of an account."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, delete, insert, select

from openprofiles.storage.tables import tags


def get(conn: Connection, account: str, arn: str) -> dict[str, str]:
    rows = conn.execute(
        select(tags.c.tag_key, tags.c.tag_value).where(
            tags.c.account == account, tags.c.resource_arn == arn
        )
    )
    return {k: v for k, v in rows}


def put(conn: Connection, account: str, arn: str, values: Mapping[str, str]) -> None:
    """Set the given tags, replacing the values of keys already present."""
    if not values:
        return
    remove(conn, account, arn, values.keys())
    conn.execute(
        insert(tags),
        [
            {"account": account, "resource_arn": arn, "tag_key": k, "tag_value": v}
            for k, v in values.items()
        ],
    )


def remove(conn: Connection, account: str, arn: str, keys: Iterable[str]) -> None:
    conn.execute(
        delete(tags).where(
            tags.c.account == account, tags.c.resource_arn == arn, tags.c.tag_key.in_(list(keys))
        )
    )


def remove_all(conn: Connection, account: str, arn_prefix: str) -> None:
    """Drop the tags of a resource and of everything under it (``arn`` and ``arn/...``)."""
    conn.execute(
        delete(tags).where(
            tags.c.account == account,
            (tags.c.resource_arn == arn_prefix)
            | tags.c.resource_arn.startswith(arn_prefix + "/", autoescape=True),
        )
    )

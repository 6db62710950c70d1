"""Merge history: one row per merge of profiles, and the profiles each involved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from openprofiles.clock import to_utc
from openprofiles.jsontext import compact, parse
from openprofiles.storage.tables import merge_history, merge_history_profiles


@dataclass(frozen=True, slots=True)
class MergeRow:
    """A merge as stored; the JSON columns parsed (their contents: services/merges.py)."""

    id: str
    domain_id: int
    main_profile_id: str
    merged_profile_ids: list[str]
    before_images: dict[str, Any]
    moved: dict[str, Any]
    field_choices: list[Any]
    origin: str
    created_at: datetime
    undone_at: datetime | None

    def __str__(self) -> str:
        """One line for people (the console's merge history): when, what, who, undone."""
        merged = ", ".join(self.merged_profile_ids)
        line = (
            f"{self.created_at:%Y-%m-%d %H:%M:%S} UTC: {merged} merged into"
            f" {self.main_profile_id} by {self.origin} (merge {self.id})"
        )
        if self.undone_at is not None:
            line += f"; undone {self.undone_at:%Y-%m-%d %H:%M:%S} UTC"
        return line


def insert_merge(conn: Connection, merge: MergeRow) -> None:
    conn.execute(
        insert(merge_history).values(
            id=merge.id,
            domain_id=merge.domain_id,
            main_profile_id=merge.main_profile_id,
            merged_profile_ids=compact(merge.merged_profile_ids),
            before_images=compact(merge.before_images),
            moved=compact(merge.moved),
            field_choices=compact(merge.field_choices),
            origin=merge.origin,
            created_at=merge.created_at,
            undone_at=merge.undone_at,
        )
    )
    involved = dict.fromkeys([merge.main_profile_id, *merge.merged_profile_ids])
    conn.execute(
        insert(merge_history_profiles),
        [{"domain_id": merge.domain_id, "profile_id": p, "merge_id": merge.id} for p in involved],
    )


_COLUMNS = (
    merge_history.c.id,
    merge_history.c.domain_id,
    merge_history.c.main_profile_id,
    merge_history.c.merged_profile_ids,
    merge_history.c.before_images,
    merge_history.c.moved,
    merge_history.c.field_choices,
    merge_history.c.origin,
    merge_history.c.created_at,
    merge_history.c.undone_at,
)


def read_row(row: Any) -> MergeRow:
    """A row of :func:`list_query` or :func:`find` as a :class:`MergeRow`."""
    return MergeRow(
        row.id,
        row.domain_id,
        row.main_profile_id,
        parse(row.merged_profile_ids),
        parse(row.before_images),
        parse(row.moved),
        parse(row.field_choices),
        row.origin,
        to_utc(row.created_at),
        None if row.undone_at is None else to_utc(row.undone_at),
    )


def find(conn: Connection, domain_id: int, merge_id: str, *, for_update: bool) -> MergeRow | None:
    """A merge of the domain; ``for_update`` locks its row (PostgreSQL) until the write ends,
    so that two undoings of it cannot both proceed."""
    query = select(*_COLUMNS).where(
        merge_history.c.domain_id == domain_id, merge_history.c.id == merge_id
    )
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    return None if row is None else read_row(row)


def list_query(domain_id: int, profile_id: str | None) -> Any:
    """The domain's merges (those involving ``profile_id`` when given), for paging by id."""
    query = select(*_COLUMNS).where(merge_history.c.domain_id == domain_id)
    if profile_id is not None:
        query = query.where(
            merge_history.c.id.in_(
                select(merge_history_profiles.c.merge_id).where(
                    merge_history_profiles.c.domain_id == domain_id,
                    merge_history_profiles.c.profile_id == profile_id,
                )
            )
        )
    return query


def involving(conn: Connection, domain_id: int, profile_id: str) -> list[MergeRow]:
    """Every merge involving a profile, oldest first."""
    rows = conn.execute(list_query(domain_id, profile_id).order_by(merge_history.c.id))
    return [read_row(r) for r in rows]


def mark_undone(conn: Connection, merge_ids: Sequence[str], at: datetime) -> None:
    conn.execute(
        update(merge_history).where(merge_history.c.id.in_(list(merge_ids))).values(undone_at=at)
    )

"""Integrations, their flow runs and the source items their runs took."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from openprofiles.clock import to_utc
from openprofiles.storage.tables import domains, integration_items, integration_runs, integrations


@dataclass(frozen=True)
class IntegrationRecord:
    id: int
    domain_id: int
    uri: str
    object_type_name: str | None
    definition: dict[str, Any]
    hidden: bool
    state: dict[str, Any]
    next_run_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class RunRecord:
    id: int
    domain_id: int
    integration_id: int
    uri: str
    trigger: str
    status: str
    message: str | None
    records_read: int
    records_ingested: int
    records_rejected: int
    records_filtered: int
    rejections: list[str]
    started_at: datetime
    ended_at: datetime | None


def _integration(row: Row[Any]) -> IntegrationRecord:
    m = row._mapping
    return IntegrationRecord(
        id=m["id"],
        domain_id=m["domain_id"],
        uri=m["uri"],
        object_type_name=m["object_type_name"],
        definition=json.loads(m["definition"]),
        hidden=bool(m["hidden"]),
        state=json.loads(m["state"]),
        next_run_at=None if m["next_run_at"] is None else to_utc(m["next_run_at"]),
        created_at=to_utc(m["created_at"]),
        updated_at=to_utc(m["updated_at"]),
    )


def run_record(row: Row[Any]) -> RunRecord:
    m = row._mapping
    return RunRecord(
        id=m["id"],
        domain_id=m["domain_id"],
        integration_id=m["integration_id"],
        uri=m["uri"],
        trigger=m["trigger"],
        status=m["status"],
        message=m["message"],
        records_read=m["records_read"],
        records_ingested=m["records_ingested"],
        records_rejected=m["records_rejected"],
        records_filtered=m["records_filtered"],
        rejections=json.loads(m["rejections"]),
        started_at=to_utc(m["started_at"]),
        ended_at=None if m["ended_at"] is None else to_utc(m["ended_at"]),
    )


# --- integrations ------------------------------------------------------------------------------


def find(conn: Connection, domain_id: int, uri: str) -> IntegrationRecord | None:
    row = conn.execute(
        select(integrations).where(integrations.c.domain_id == domain_id, integrations.c.uri == uri)
    ).first()
    return None if row is None else _integration(row)


def find_by_id(conn: Connection, integration_id: int) -> IntegrationRecord | None:
    row = conn.execute(select(integrations).where(integrations.c.id == integration_id)).first()
    return None if row is None else _integration(row)


def count(conn: Connection, domain_id: int) -> int:
    return int(
        conn.scalar(
            select(func.count())
            .select_from(integrations)
            .where(integrations.c.domain_id == domain_id)
        )
        or 0
    )


def save(
    conn: Connection,
    domain_id: int,
    uri: str,
    object_type_name: str | None,
    definition: dict[str, Any],
    next_run_at: datetime | None,
    now: datetime,
) -> IntegrationRecord:
    """Create the integration or replace its members (keeping its creation time and what its
    runs took)."""
    text = json.dumps(definition, separators=(",", ":"), sort_keys=True)
    values = {
        "object_type_name": object_type_name,
        "definition": text,
        "next_run_at": next_run_at,
        "updated_at": now,
    }
    result = conn.execute(
        update(integrations)
        .where(integrations.c.domain_id == domain_id, integrations.c.uri == uri)
        .values(**values)
    )
    if not result.rowcount:
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(integrations).values(
                        domain_id=domain_id, uri=uri, created_at=now, **values
                    )
                )
        except IntegrityError:  # created concurrently (PostgreSQL): replace it instead
            return save(conn, domain_id, uri, object_type_name, definition, next_run_at, now)
    record = find(conn, domain_id, uri)
    assert record is not None
    return record


def remove(conn: Connection, domain_id: int, uri: str) -> bool:
    result = conn.execute(
        delete(integrations).where(integrations.c.domain_id == domain_id, integrations.c.uri == uri)
    )
    return bool(result.rowcount)


def list_query(domain_id: int, include_hidden: bool) -> Any:
    query = select(integrations).where(integrations.c.domain_id == domain_id)
    if not include_hidden:
        query = query.where(integrations.c.hidden == 0)
    return query


def account_query(account: str, region: str, uri: str, include_hidden: bool) -> Any:
    """The account's integrations of ``uri`` in every domain, with the domain's name."""
    query = (
        select(integrations, domains.c.name.label("domain_name"))
        .join(domains, domains.c.id == integrations.c.domain_id)
        .where(domains.c.account == account, domains.c.region == region)
        .where(integrations.c.uri == uri)
    )
    if not include_hidden:
        query = query.where(integrations.c.hidden == 0)
    return query


def record_of(row: Row[Any]) -> IntegrationRecord:
    return _integration(row)


def due(conn: Connection, now: datetime) -> list[IntegrationRecord]:
    """Integrations whose next scheduled run is at or before ``now``."""
    rows = conn.execute(
        select(integrations)
        .where(integrations.c.next_run_at.is_not(None), integrations.c.next_run_at <= now)
        .order_by(integrations.c.next_run_at)
    )
    return [_integration(r) for r in rows]


def lock(conn: Connection, integration_id: int) -> None:
    """Hold the integration's row until the transaction ends (PostgreSQL; SQLite has one
    writer anyway), so two servers cannot start two runs of it at once."""
    conn.execute(
        select(integrations.c.id).where(integrations.c.id == integration_id).with_for_update()
    )


def claim_next_run(
    conn: Connection, integration_id: int, seen: datetime, next_run_at: datetime | None
) -> bool:
    """Move the next run on from ``seen``, unless another server already did: whether this
    call moved it (and so starts the run)."""
    result = conn.execute(
        update(integrations)
        .where(integrations.c.id == integration_id, integrations.c.next_run_at == seen)
        .values(next_run_at=next_run_at)
    )
    return bool(result.rowcount)


def set_state(conn: Connection, integration_id: int, state: dict[str, Any]) -> None:
    conn.execute(
        update(integrations)
        .where(integrations.c.id == integration_id)
        .values(state=json.dumps(state, sort_keys=True))
    )


def domain_name(conn: Connection, domain_id: int) -> tuple[str, str, str] | None:
    """(account, region, name) of a domain."""
    row = conn.execute(
        select(domains.c.account, domains.c.region, domains.c.name).where(domains.c.id == domain_id)
    ).first()
    return None if row is None else (row[0], row[1], row[2])


# --- runs --------------------------------------------------------------------------------------


def start_run(
    conn: Connection, record: IntegrationRecord, trigger: str, now: datetime
) -> RunRecord:
    result = conn.execute(
        insert(integration_runs)
        .values(
            domain_id=record.domain_id,
            integration_id=record.id,
            uri=record.uri,
            trigger=trigger,
            status="RUNNING",
            started_at=now,
        )
        .returning(integration_runs.c.id)
    )
    run_id = int(result.scalar_one())
    found = find_run(conn, run_id)
    assert found is not None
    return found


def find_run(conn: Connection, run_id: int) -> RunRecord | None:
    row = conn.execute(select(integration_runs).where(integration_runs.c.id == run_id)).first()
    return None if row is None else run_record(row)


def has_earlier_run(conn: Connection, integration_id: int, run_id: int) -> bool:
    return (
        conn.scalar(
            select(integration_runs.c.id)
            .where(integration_runs.c.integration_id == integration_id)
            .where(integration_runs.c.id < run_id)
            .limit(1)
        )
        is not None
    )


def running(conn: Connection, integration_id: int | None = None) -> list[RunRecord]:
    query = select(integration_runs).where(integration_runs.c.status == "RUNNING")
    if integration_id is not None:
        query = query.where(integration_runs.c.integration_id == integration_id)
    return [run_record(r) for r in conn.execute(query.order_by(integration_runs.c.id))]


def add_counts(
    conn: Connection, run_id: int, read: int, ingested: int, rejected: int, filtered: int,
    rejections: list[str],
) -> None:  # fmt: skip
    """Add one batch's counts to the run, in the batch's own transaction."""
    values: dict[str, Any] = {
        "records_read": integration_runs.c.records_read + read,
        "records_ingested": integration_runs.c.records_ingested + ingested,
        "records_rejected": integration_runs.c.records_rejected + rejected,
        "records_filtered": integration_runs.c.records_filtered + filtered,
    }
    if rejections:
        current = conn.scalar(
            select(integration_runs.c.rejections).where(integration_runs.c.id == run_id)
        )
        kept = json.loads(current or "[]")
        values["rejections"] = json.dumps((kept + rejections)[:MAX_REJECTIONS_KEPT])
    conn.execute(update(integration_runs).where(integration_runs.c.id == run_id).values(**values))


MAX_REJECTIONS_KEPT = 100


def finish_run(
    conn: Connection, run_id: int, status: str, message: str | None, now: datetime
) -> None:
    conn.execute(
        update(integration_runs)
        .where(integration_runs.c.id == run_id)
        .values(status=status, message=message, ended_at=now)
    )


def runs_query(domain_id: int, uri: str | None) -> Any:
    query = select(integration_runs).where(integration_runs.c.domain_id == domain_id)
    if uri is not None:
        query = query.where(integration_runs.c.uri == uri)
    return query


# --- items taken -------------------------------------------------------------------------------


def taken(conn: Connection, integration_id: int) -> dict[tuple[str, str], tuple[int, bool]]:
    """(item, version) -> (records already stored, whole item taken)."""
    rows = conn.execute(
        select(
            integration_items.c.item,
            integration_items.c.version,
            integration_items.c.done,
            integration_items.c.complete,
        ).where(integration_items.c.integration_id == integration_id)
    )
    return {(r[0], r[1]): (int(r[2]), bool(r[3])) for r in rows}


def advance_item(
    conn: Connection, integration_id: int, item: str, version: str, done: int, complete: bool,
    run_id: int, now: datetime,
) -> None:  # fmt: skip
    """Record that the first ``done`` records of the item are stored (and whether all are)."""
    values = {"done": done, "complete": int(complete), "run_id": run_id, "updated_at": now}
    where = and_(
        integration_items.c.integration_id == integration_id,
        integration_items.c.item == item,
        integration_items.c.version == version,
    )
    if conn.execute(update(integration_items).where(where).values(**values)).rowcount:
        return
    conn.execute(
        insert(integration_items).values(
            integration_id=integration_id, item=item, version=version, **values
        )
    )


def forget_items(conn: Connection, integration_id: int) -> None:
    conn.execute(
        delete(integration_items).where(integration_items.c.integration_id == integration_id)
    )

"""Bulk-load settings: WAL checkpoints on a thread of their own, a log that stays bounded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from openprofiles.storage.bulk import CHECKPOINT_LAG, prepare_bulk_writes
from openprofiles.storage.database import Database
from openprofiles.storage.tables import tags

ROWS_PER_BATCH = 400
VALUE = "v" * 200


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database.open(f"sqlite:///{tmp_path / 'bulk.db'}")
    yield db
    db.close()


def _batch(database: Database, number: int) -> None:
    rows = [
        {"account": "a", "resource_arn": f"arn-{number}", "tag_key": f"k{i}", "tag_value": VALUE}
        for i in range(ROWS_PER_BATCH)
    ]
    with database.write() as conn:
        conn.execute(tags.insert(), rows)


def _wal_bytes(database: Database) -> int:
    path = database.write_engine.url.database
    assert path
    return os.path.getsize(path + "-wal")


def _autocheckpoint(database: Database) -> int:
    with database.write() as conn:
        return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def test_checkpoints_run_in_the_background_and_the_log_stays_bounded(
    database: Database,
) -> None:
    bulk = prepare_bulk_writes(database)
    assert _autocheckpoint(database) == 0  # commits no longer checkpoint inline
    _batch(database, 0)
    bulk.committed()
    one_batch = _wal_bytes(database)
    for number in range(1, 40):
        _batch(database, number)
        bulk.committed()
    largest = _wal_bytes(database)
    bulk.close()
    assert bulk.checkpoints > 0
    # Without checkpoints the log would hold all 40 batches; it never holds more than the
    # batches a checkpoint may lag behind (and the one being written).
    assert largest <= one_batch * (CHECKPOINT_LAG + 2)
    assert _autocheckpoint(database) == 1000  # given back when the load is over
    with database.read() as conn:
        assert conn.scalar(select(func.count()).select_from(tags)) == 40 * ROWS_PER_BATCH


def test_every_batch_is_visible_as_soon_as_it_commits(database: Database) -> None:
    bulk = prepare_bulk_writes(database)
    try:
        for number in range(5):
            _batch(database, number)
            bulk.committed()
            with database.read() as conn:
                count = conn.scalar(select(func.count()).select_from(tags))
            assert count == (number + 1) * ROWS_PER_BATCH
    finally:
        bulk.close()


def test_a_closed_bulk_load_leaves_writes_alone(database: Database) -> None:
    bulk = prepare_bulk_writes(database)
    bulk.close()
    bulk.close()  # closing twice is harmless
    assert database.before_write_begin == []
    _batch(database, 0)
    assert _autocheckpoint(database) == 1000


def test_batches_commit_on_either_database(database_url: str) -> None:
    database = Database.open(database_url)
    try:
        bulk = prepare_bulk_writes(database)
        for number in range(3):
            _batch(database, number)
            bulk.committed()
        bulk.close()
        assert bulk.active == (database.dialect == "sqlite")
        with database.read() as conn:
            assert conn.scalar(select(func.count()).select_from(tags)) == 3 * ROWS_PER_BATCH
    finally:
        database.close()


def test_a_failing_checkpoint_loses_nothing_and_never_stalls_writes(database: Database) -> None:
    bulk = prepare_bulk_writes(database)
    assert bulk._connection is not None
    bulk._connection.close()  # every checkpoint from now on fails
    for number in range(3 * CHECKPOINT_LAG):
        _batch(database, number)  # the waiting transactions still begin
        bulk.committed()
    bulk.close()
    assert bulk.error is not None
    with database.read() as conn:
        count = conn.scalar(select(func.count()).select_from(tags))
    assert count == 3 * CHECKPOINT_LAG * ROWS_PER_BATCH

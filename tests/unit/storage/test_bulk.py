"""Bulk-load settings: WAL checkpoints on a thread of their own, a log that stays bounded."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy.exc
from sqlalchemy import Connection, func, select

from openprofiles.storage.bulk import (
    CHECKPOINT_LAG,
    OTHERS_RECENT_BATCHES,
    BulkWrites,
    CommitFailed,
    prepare_bulk_writes,
)
from openprofiles.storage.database import Database
from openprofiles.storage.tables import profiles, tags

ROWS_PER_BATCH = 400
NOW = datetime(2026, 1, 1, tzinfo=UTC)
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
    _handed_on_batch(database, bulk, 0).result(timeout=30)
    one_batch = _wal_bytes(database)
    for number in range(1, 40):
        _handed_on_batch(database, bulk, number).result(timeout=30)
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
            _handed_on_batch(database, bulk, number).result(timeout=30)
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
            _handed_on_batch(database, bulk, number).result(timeout=30)
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
        # the waiting transactions still begin
        _handed_on_batch(database, bulk, number).result(timeout=30)
    bulk.close()
    assert bulk.error is not None
    with database.read() as conn:
        count = conn.scalar(select(func.count()).select_from(tags))
    assert count == 3 * CHECKPOINT_LAG * ROWS_PER_BATCH


@contextmanager
def _handed_on(
    database: Database, bulk: BulkWrites, futures: list[Future[None]]
) -> Iterator[Connection]:
    """A write whose commit is handed on to ``bulk``; the commit's future goes to ``futures``."""
    with database.write(commit=lambda finish: futures.append(bulk.commit_later(finish))) as conn:
        yield conn


def _handed_on_batch(database: Database, bulk: BulkWrites, number: int) -> Future[None]:
    futures: list[Future[None]] = []
    rows = [
        {"account": "a", "resource_arn": f"arn-{number}", "tag_key": f"k{i}", "tag_value": VALUE}
        for i in range(ROWS_PER_BATCH)
    ]
    with _handed_on(database, bulk, futures) as conn:
        conn.execute(tags.insert(), rows)
    (future,) = futures
    return future


def test_handed_on_commits_store_every_batch_in_order(database: Database) -> None:
    bulk = prepare_bulk_writes(database)
    try:
        futures = [_handed_on_batch(database, bulk, number) for number in range(10)]
        futures[-1].result(timeout=30)
        # Each write began only after the commit before it: all are done, none failed.
        assert all(f.done() and f.exception() is None for f in futures)
        with database.read() as conn:
            count = conn.scalar(select(func.count()).select_from(tags))
        assert count == 10 * ROWS_PER_BATCH
    finally:
        bulk.close()
    assert bulk.checkpoints > 0


def _refused_at_commit(database: Database, conn: Connection) -> None:
    conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
    # A profile of a domain that does not exist: refused only at COMMIT.
    conn.execute(
        profiles.insert(),
        [
            {
                "domain_id": 999,
                "profile_id": "p",
                "document": "{}",
                "size": 2,
                "created_at": NOW,
                "updated_at": NOW,
            }
        ],
    )


def _refused_before_commit(database: Database, conn: Connection) -> None:
    def refused() -> None:
        raise OSError("disk full")

    database.before_commit(refused)  # deferred: fails with the commit, on its thread


@pytest.mark.parametrize(
    ("fail", "error"),
    [
        (_refused_at_commit, sqlalchemy.exc.IntegrityError),
        (_refused_before_commit, OSError),
    ],
)
def test_a_failed_handed_on_commit_stores_nothing_and_stops_later_writes(
    database: Database,
    fail: Callable[[Database, Connection], None],
    error: type[Exception],
) -> None:
    bulk = prepare_bulk_writes(database)
    futures: list[Future[None]] = []
    try:
        with _handed_on(database, bulk, futures) as conn:
            conn.execute(
                tags.insert(),
                [{"account": "a", "resource_arn": "x", "tag_key": "k", "tag_value": "v"}],
            )
            fail(database, conn)
        with pytest.raises(error):
            futures[0].result(timeout=30)
        with pytest.raises(CommitFailed, match="could not be committed"):
            _batch(database, 1)
    finally:
        bulk.close()
    with database.read() as conn:
        assert conn.scalar(select(func.count()).select_from(tags)) == 0


def test_a_bulk_load_gives_way_only_when_another_connection_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    database = Database.open(url)
    other = Database.open(url, migrate=False)  # a server on the same data directory
    bulk = prepare_bulk_writes(database)
    try:
        for number in range(6):
            _handed_on_batch(database, bulk, number).result(timeout=30)
        assert bulk.gave_way == 0  # its own commits and checkpoints do not count
        assert not bulk.others_writing
        with other.write() as conn:
            conn.execute(
                tags.insert().values(account="b", resource_arn="s", tag_key="k", tag_value="v")
            )
        _handed_on_batch(database, bulk, 6).result(timeout=30)
        assert bulk.gave_way == 1 and bulk.others_writing
        _handed_on_batch(database, bulk, 7).result(timeout=30)
        assert bulk.gave_way == 1  # the other writer has been quiet since
        # The OTHERS_RECENT_BATCHES transactions after the one that gave way stay small (the
        # first of them is batch 7's).
        for number in range(8, 7 + OTHERS_RECENT_BATCHES):
            assert bulk.others_writing  # the load keeps its batches small for a while
            _handed_on_batch(database, bulk, number).result(timeout=30)
        assert not bulk.others_writing
    finally:
        bulk.close()
        other.close()
        database.close()


def test_postgresql_statistics_are_refreshed_as_a_load_grows(database_url: str) -> None:
    database = Database.open(database_url)
    bulk = prepare_bulk_writes(database)
    try:
        for _ in range(16):
            bulk.batch_written()
        if database.dialect != "postgresql":
            assert bulk.analyzed == 0  # SQLite plans these look-ups well without statistics
            return
        assert bulk.analyzed == 3  # after the 1st, the 4th and the 16th batch
        with database.read() as conn:
            analyzed = conn.exec_driver_sql(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
            )
            assert {"profiles", "profile_keys", "profile_objects"} <= set(analyzed.scalars())
    finally:
        bulk.close()
        database.close()


def _domain_one(conn: Connection) -> None:
    """Domain id 1, for key rows to belong to."""
    from openprofiles.storage.tables import domains

    conn.execute(
        domains.insert().values(
            id=1, account="a", region="us-east-1", name="d", default_expiration_days=1,
            config="{}", created_at=NOW, updated_at=NOW,
        )
    )  # fmt: skip


def test_bulk_key_inserts_skip_rows_already_present(database_url: str) -> None:
    """Both ways in (PostgreSQL's COPY path from 100 rows): a row already present stays one
    row, an 'object' row keeping the later expiry, never (None) the latest of all."""
    from openprofiles.storage.repositories.profile_keys import insert_profile_keys
    from openprofiles.storage.tables import profile_keys

    database = Database.open(database_url)
    try:
        with database.write() as conn:
            _domain_one(conn)
            first = [(1, "k", f"v{i}", "p", "object") for i in range(150)]
            insert_profile_keys(conn, first, 2000)  # enough rows for PostgreSQL's COPY path
            insert_profile_keys(conn, [(1, "k", "v0", "p", "standard")])
        with database.write() as conn:
            again = [(1, "k", f"v{i}", "p", "object") for i in range(100, 300)]
            insert_profile_keys(conn, [*again, again[0]], 3000)  # 50 present, one twice
            insert_profile_keys(conn, [(1, "k", "v1", "p", "object")], 1000)  # earlier: no
            insert_profile_keys(conn, [(1, "k", "v2", "p", "object")])  # never expires
            insert_profile_keys(conn, [(1, "k", "v2", "p", "object")], 4000)
        with database.read() as conn:
            rows = conn.execute(
                select(profile_keys.c.key_value, profile_keys.c.origin, profile_keys.c.expires)
            ).all()
        expected = {(f"v{i}", "object"): 2000 if i < 100 else 3000 for i in range(300)}
        expected[("v2", "object")] = None
        expected[("v0", "standard")] = None
        assert {(v, o): e for v, o, e in rows} == expected and len(rows) == 301
    finally:
        database.close()


def test_look_ups_by_lists_of_values_match_exactly(database_url: str) -> None:
    """Look-ups pass their values as one parameter (``one_of``): an array on PostgreSQL, a
    JSON text on SQLite. Values that array literals or JSON treat specially still match
    exactly, on both databases: in ingestion's look-ups, in reading profiles by id, and in
    search's matched keys (IN lists)."""
    from openprofiles.storage.repositories.profile_keys import insert_profile_keys
    from openprofiles.storage.repositories.profile_objects import key_owners
    from openprofiles.storage.repositories.profiles import get_documents, matched_keys

    awkward = [
        *("{a,b}", 'say "hi"', "back\\slash", "NULL", "", " x ", "comma,inside", "Ünï"),
        *("tab\tnew\nline", "[1,2]", "😀", "42"),
    ]
    database = Database.open(database_url)
    try:
        with database.write() as conn:
            _domain_one(conn)
            rows = [(1, "k", value, f"p{i}", "object") for i, value in enumerate(awkward)]
            rows.append((1, "k", "shared", "p1", "object"))
            rows.append((1, "k", "shared", "p7", "object"))
            rows.append((1, "k", "x" * 1024, "p99", "object"))  # the column's full length
            insert_profile_keys(conn, rows)
            conn.execute(
                profiles.insert(),
                [_profile_row(f"p{i}") for i in range(len(awkward))],
            )
        near_misses = ["shared", "a", "b", "null", "ünï", "x" * 1025, "😀 ", "042", "[1, 2]"]
        wanted = [("k", v) for v in [*awkward, *near_misses]]
        owners = [f"p{i}" for i in range(len(awkward))]
        with database.read() as conn:
            found = key_owners(conn, 1, wanted, NOW)
            matched = matched_keys(conn, 1, [*owners, "p99"], [("k", [v for _, v in wanted])], NOW)
            documents = get_documents(conn, 1, [*owners, "p100", "P1", "p1 "])
        expected = [("k", v, f"p{i}", f"p{i}") for i, v in enumerate(awkward)]
        assert sorted(found) == sorted([*expected, ("k", "shared", "p1", "p7")])
        assert sorted(matched) == sorted(
            [
                *((f"p{i}", "k", v) for i, v in enumerate(awkward)),
                ("p1", "k", "shared"),
                ("p7", "k", "shared"),
            ]
        )
        assert sorted(documents) == sorted(owners)
    finally:
        database.close()


def _profile_row(profile_id: str) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "domain_id": 1,
        "profile_id": profile_id,
        "document": "{}",
        "size": 2,
        "created_at": now,
        "updated_at": now,
    }


def test_deferred_key_inserts_run_with_the_commit_and_store_every_row(
    database: Database,
) -> None:
    """A bulk load's key rows go in on the commit's thread as a few JSON-fed statements:
    they store exactly the rows executemany would, values JSON treats specially included,
    a value shared by several profiles (a common name) and rows already present."""
    from openprofiles.storage.repositories.profile_keys import profile_keys_inserter
    from openprofiles.storage.tables import profile_keys

    awkward = ['say "hi"', "back\\slash", "", "tab\tnew\nline", "[1,2]", "😀", "Ünï", "{}"]
    rows = [(1, "k", value, f"p{i}", "object") for i, value in enumerate(awkward)]
    rows += [(1, "_fullName", "Ana Lee", f"p{i}", "standard") for i in range(5)]  # shared
    rows += [(1, "k", 'say "hi"', "p0", "object"), (1, "k", "Ünï", "p0", "standard")]
    with database.write() as conn:
        _domain_one(conn)
        present = {**_key_row(1, "k", "", "p2", "object"), "expires": 10}
        conn.execute(profile_keys.insert(), [present])
    bulk = prepare_bulk_writes(database)
    futures: list[Future[None]] = []
    try:
        with _handed_on(database, bulk, futures) as conn:
            assert database.commit_handed_on
            database.before_commit(profile_keys_inserter(conn, rows, 5000))
            # Deferred: not in the transaction yet.
            assert conn.scalar(select(func.count()).select_from(profile_keys)) == 1
        futures[0].result(timeout=30)
    finally:
        bulk.close()
    with database.read() as conn:
        stored = conn.execute(select(profile_keys)).all()
    # 'object' rows expire when the call says (the one present too: its expiry was earlier).
    expected = [(*row, 5000 if row[4] == "object" else None) for row in set(rows)]
    assert sorted(tuple(r) for r in stored) == sorted(expected)


def test_before_commit_runs_at_once_unless_the_commit_is_handed_on(database: Database) -> None:
    ran: list[str] = []
    with database.write():
        assert not database.commit_handed_on
        database.before_commit(lambda: ran.append("now"))
        assert ran == ["now"]
    assert not database.commit_handed_on


def _key_row(domain_id: int, name: str, value: str, pid: str, origin: str) -> dict[str, object]:
    return {
        "domain_id": domain_id,
        "key_name": name,
        "key_value": value,
        "profile_id": pid,
        "origin": origin,
    }

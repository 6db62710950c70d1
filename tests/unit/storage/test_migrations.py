"""The migrations build exactly the schema tables.py declares, on both databases."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

from openprofiles.storage.database import Database
from openprofiles.storage.migrate import _config, upgrade
from openprofiles.storage.tables import metadata, profile_objects


def _profile_with_document(conn: Connection, pid: str, document: dict[str, str]) -> None:
    conn.execute(
        text(
            "INSERT INTO profiles (domain_id, profile_id, document, size, created_at,"
            " updated_at) VALUES (1, :pid, :doc, 2, :now, :now)"
        ),
        {"pid": pid, "doc": json.dumps(document), "now": "2024-01-01 00:00:00"},
    )


migration_0008 = importlib.import_module(
    "openprofiles.storage.migrations.versions.0008_key_expiry_and_field_sources"
)


def test_migrated_schema_matches_tables(database_url: str) -> None:
    database = Database.open(database_url)
    upgrade(database)  # a second run is a no-op
    with database.read() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    database.close()
    assert diff == []


def _downgrade(database: Database, revision: str) -> None:
    config = _config()
    with database.write() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def _domain(conn: Connection) -> None:
    conn.execute(
        text(
            "INSERT INTO domains (id, account, region, name, default_expiration_days, config,"
            " created_at, updated_at) VALUES (1, 'a', 'r', 'd', 1, '{}', :now, :now)"
        ),
        {"now": "2024-01-01 00:00:00"},
    )


def _domain_with_objects(conn: Connection, *object_ids: int) -> None:
    """Domain 1 and, on profile p1, an object of type t with each id (unique key u<id>)."""
    now = "2024-01-01 00:00:00"
    _domain(conn)
    conn.execute(
        text(
            "INSERT INTO profile_objects (id, domain_id, object_type, unique_key, profile_id,"
            " document, size, created_at, updated_at)"
            " VALUES (:id, 1, 't', :key, 'p1', '{}', 2, :now, :now)"
        ),
        [{"id": i, "key": f"u{i}", "now": now} for i in object_ids],
    )


def test_key_tables_keep_their_rows_across_migration_0005(database_url: str) -> None:
    database = Database(database_url)
    upgrade(database, "0004")
    with database.write() as conn:
        _domain_with_objects(conn, 7)
        conn.execute(
            text(
                "INSERT INTO profile_keys (domain_id, key_name, key_value, profile_id, origin)"
                " VALUES (1, '_email', 'a@x', 'p1', 'object'), (1, '_email', 'a@x', 'p1',"
                " 'standard'), (1, '_phone', '+1', 'p2', 'custom')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO object_keys (object_id, domain_id, key_name, key_value)"
                " VALUES (7, 1, 'k', 'v'), (7, 1, 'k', 'v'), (7, 1, 'k', 'w')"
            )
        )
    upgrade(database, "0005")
    with database.read() as conn:
        keys = conn.execute(text("SELECT * FROM profile_keys ORDER BY 1, 2, 3, 4, 5")).all()
        object_keys = conn.execute(text("SELECT * FROM object_keys ORDER BY 1, 2, 3, 4")).all()
        if database.dialect == "sqlite":
            ddl = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name IN ('profile_keys', 'object_keys')")
            ).all()
            assert all(sql.rstrip().endswith("WITHOUT ROWID") for (sql,) in ddl) and len(ddl) == 2
    assert [tuple(k) for k in keys] == [
        (1, "_email", "a@x", "p1", "object"),
        (1, "_email", "a@x", "p1", "standard"),
        (1, "_phone", "+1", "p2", "custom"),
    ]
    assert [tuple(k) for k in object_keys] == [(7, 1, "k", "v"), (7, 1, "k", "w")]
    _downgrade(database, "0004")
    with database.read() as conn:
        assert len(conn.execute(text("SELECT * FROM profile_keys")).all()) == 3
        assert len(conn.execute(text("SELECT * FROM object_keys")).all()) == 2
    database.close()


def test_object_keys_move_into_the_object_rows_in_migration_0006(database_url: str) -> None:
    database = Database(database_url)
    upgrade(database, "0005")
    with database.write() as conn:
        _domain_with_objects(conn, 7, 8, 25007)  # 25007: in a later step of the migration
        conn.execute(
            text(
                "INSERT INTO object_keys (object_id, domain_id, key_name, key_value)"
                " VALUES (7, 1, 'k', 'v\"1'), (7, 1, 'id', 'é'), (25007, 1, 'k', 'z')"
            )
        )
    upgrade(database)
    with database.read() as conn:
        rows = conn.execute(text("SELECT id, key_values FROM profile_objects ORDER BY id")).all()
    assert [(i, json.loads(k)) for i, k in rows] == [
        (7, [["id", "é"], ["k", 'v"1']]),
        (8, []),
        (25007, [["k", "z"]]),
    ]
    _downgrade(database, "0005")
    with database.read() as conn:
        keys = conn.execute(text("SELECT * FROM object_keys ORDER BY 1, 2, 3, 4")).all()
    assert [tuple(k) for k in keys] == [(7, 1, "id", "é"), (7, 1, "k", 'v"1'), (25007, 1, "k", "z")]
    database.close()


def test_profiles_list_their_added_keys_from_migration_0007(database_url: str) -> None:
    database = Database(database_url)
    upgrade(database, "0006")
    now = "2024-01-01 00:00:00"
    with database.write() as conn:
        _domain_with_objects(conn, 7)
        conn.execute(
            text(
                "INSERT INTO profiles (domain_id, profile_id, document, size, created_at,"
                " updated_at) VALUES (1, :pid, '{}', 2, :now, :now)"
            ),
            [{"pid": pid, "now": now} for pid in ("p1", "p2", "p3")],
        )
        conn.execute(
            text(
                "INSERT INTO profile_keys (domain_id, key_name, key_value, profile_id, origin)"
                " VALUES (1, '_email', 'a@x', 'p1', 'object'), (1, '_email', 'a@x', 'p1',"
                " 'standard'), (1, 'k', 'é\"', 'p1', 'custom'), (1, '_phone', '+1', 'p2',"
                " 'custom'), (1, '_profileId', 'p3', 'p3', 'standard')"
            )
        )
    upgrade(database)
    with database.read() as conn:
        rows = conn.execute(
            text("SELECT profile_id, added_keys FROM profiles ORDER BY profile_id")
        ).all()
        keys = conn.execute(text("SELECT count(*) FROM profile_keys")).scalar()
    assert [(p, json.loads(k)) for p, k in rows] == [
        ("p1", [["k", 'é"', "custom"], ["_email", "a@x", "object"]]),
        ("p2", [["_phone", "+1", "custom"]]),
        ("p3", []),
    ]
    assert keys == 5  # the rows stay; only the index by profile goes
    _downgrade(database, "0006")
    with database.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM profile_keys")).scalar() == 5
        columns = conn.execute(text("SELECT * FROM profiles")).keys()
    assert "added_keys" not in columns
    upgrade(database)  # and up again
    database.close()


def test_object_key_rows_get_their_objects_expiry_from_migration_0008(database_url: str) -> None:
    database = Database(database_url)
    upgrade(database, "0008-1")
    day = datetime(2024, 1, 1, tzinfo=UTC)
    with database.write() as conn:
        _domain(conn)
        objects = [
            # p1: k=a on two objects, the later expiry (fraction rounded up) wins; k=b on one
            ("u1", "p1", [["k", "a"]], day + timedelta(days=1)),
            ("u2", "p1", [["k", "a"], ["k", "b"]], day + timedelta(days=2, microseconds=1)),
            # p2: k=a on one that expires and one that never does; k=c never expires
            ("u3", "p2", [["k", "a"]], day),
            ("u4", "p2", [["k", "a"], ["k", "c"]], None),
        ]
        objects += [(f"s{i}", f"q{i}", [["k", "z"]], day) for i in range(3)]  # several steps
        conn.execute(
            profile_objects.insert(),
            [
                {"domain_id": 1, "object_type": "t", "unique_key": u, "profile_id": p,
                 "document": "{}", "size": 2, "created_at": day, "updated_at": day,
                 "expires_at": expires, "key_values": json.dumps(keys)}
                for u, p, keys, expires in objects
            ],
        )  # fmt: skip
        rows = [("a", "p1", "object"), ("b", "p1", "object"), ("a", "p1", "standard")]
        rows += [("a", "p2", "object"), ("c", "p2", "object"), ("z", "q2", "object")]
        conn.execute(
            text(
                "INSERT INTO profile_keys (domain_id, key_name, key_value, profile_id, origin)"
                " VALUES (1, 'k', :value, :pid, :origin)"
            ),
            [{"value": v, "pid": p, "origin": o} for v, p, o in rows],
        )
    with patch.object(migration_0008, "_PROFILES_PER_STEP", 2):
        upgrade(database)
    with database.read() as conn:
        found = conn.execute(
            text("SELECT key_value, profile_id, origin, expires FROM profile_keys")
        ).all()
    at = int(day.timestamp())
    assert sorted(tuple(r) for r in found) == [
        ("a", "p1", "object", at + 2 * 86400 + 1),
        ("a", "p1", "standard", None),
        ("a", "p2", "object", None),
        ("b", "p1", "object", at + 2 * 86400 + 1),
        ("c", "p2", "object", None),
        ("z", "q2", "object", at),
    ]
    _downgrade(database, "0008-1")
    with database.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM profile_keys")).scalar() == 6
        columns = list(conn.execute(text("SELECT * FROM profile_keys")).keys())
        columns += list(conn.execute(text("SELECT * FROM profiles")).keys())
    assert "expires" not in columns and "field_sources" not in columns
    upgrade(database)  # and up again
    database.close()


def test_standard_email_and_phone_rows_are_normalised_by_migration_0013(database_url: str) -> None:
    database = Database(database_url)
    upgrade(database, "0008")
    sent = {
        "EmailAddress": "Ana@X.com",
        "PersonalEmailAddress": "ana@x.com",
        "PhoneNumber": "(206) 555-0100",
        "MobilePhoneNumber": "not a phone",
    }
    rows_as_sent = [
        ("_email", "Ana@X.com"),
        ("_email", "ana@x.com"),
        ("_phone", "(206) 555-0100"),
        ("_phone", "not a phone"),
        ("_profileId", "p1"),
    ]
    with database.write() as conn:
        _domain(conn)
        _profile_with_document(conn, "p1", sent)
        conn.execute(
            text(
                "INSERT INTO profile_keys (domain_id, key_name, key_value, profile_id, origin)"
                " VALUES (1, :n, :v, 'p1', 'standard')"
            ),
            [{"n": n, "v": v} for n, v in rows_as_sent],
        )
        conn.execute(
            text(
                "INSERT INTO profile_keys (domain_id, key_name, key_value, profile_id, origin)"
                " VALUES (1, '_phone', '(206) 555-0100', 'p1', 'custom')"
            )
        )

    def rows() -> list[tuple[str, str, str]]:
        with database.read() as conn:
            found = conn.execute(
                text("SELECT key_name, key_value, origin FROM profile_keys ORDER BY 1, 2, 3")
            ).all()
        return [tuple(r) for r in found]

    custom = ("_phone", "(206) 555-0100", "custom")  # AddProfileKey's rows stay as sent
    upgrade(database, "0013")
    assert rows() == sorted(
        [
            ("_email", "ana@x.com", "standard"),
            ("_phone", "+12065550100", "standard"),
            ("_phone", "not a phone", "standard"),
            ("_profileId", "p1", "standard"),
            custom,
        ]
    )
    _downgrade(database, "0008")
    assert rows() == sorted([(n, v, "standard") for n, v in rows_as_sent] + [custom])
    database.close()

"""Look-ups on the driver's cursor read what SQLAlchemy reads, inside the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from openprofiles.storage.database import Database
from openprofiles.storage.repositories import domains as domain_repo
from openprofiles.storage.repositories import object_types as type_repo
from openprofiles.storage.tables import domains, object_types

CREATED = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
UPDATED = datetime(2026, 11, 29, 23, 59, 59, 1, tzinfo=UTC)


def test_domain_and_object_type_look_ups_match_sqlalchemy(database_url: str) -> None:
    database = Database.open(database_url)
    try:
        with database.write() as conn:
            conn.execute(
                domains.insert().values(
                    account="111111111111", region="eu-west-1", name="shop",
                    default_expiration_days=30, config='{"DeadLetterQueueUrl": "q", "n": "é"}',
                    created_at=CREATED, updated_at=UPDATED,
                )
            )  # fmt: skip
            # Inside the transaction that wrote it, before its commit: the same transaction.
            record = domain_repo.find(conn, "111111111111", "eu-west-1", "shop")
            assert record is not None
            conn.execute(
                object_types.insert().values(
                    domain_id=record.id, name="crm", definition='{"Description": "d"}',
                    created_at=CREATED, updated_at=UPDATED,
                )
            )  # fmt: skip
            assert type_repo.find(conn, record.id, "crm") is not None
        with database.read() as conn:
            record = domain_repo.find(conn, "111111111111", "eu-west-1", "shop")
            row = conn.execute(select(domains).where(domains.c.name == "shop")).one()
            found_type = type_repo.find(conn, row.id, "crm")
            assert domain_repo.find(conn, "111111111111", "us-east-1", "shop") is None
            assert type_repo.find(conn, row.id, "other") is None
        assert record == domain_repo.DomainRecord(
            row.id, "111111111111", "eu-west-1", "shop", 30,
            {"DeadLetterQueueUrl": "q", "n": "é"}, CREATED, UPDATED,
        )  # fmt: skip
        assert record.created_at.tzinfo is not None
        assert found_type == type_repo.ObjectTypeRecord(
            "crm", '{"Description": "d"}', CREATED, UPDATED
        )
    finally:
        database.close()

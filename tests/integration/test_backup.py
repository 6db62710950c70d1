"""``openprofiles backup`` and ``restore`` against live servers on SQLite: a backup taken while
a server writes holds every write acknowledged before it began and passes SQLite's integrity
check once restored; restore's refusals; PostgreSQL's answer (pg_dump, pg_restore)."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from openprofiles.storage.migrate import head_revision
from tests.integration.test_observability import CUSTOMER_TYPE
from tests.support.databases import require_backend, temporary_database_url
from tests.support.live_server import LiveServer, running_server


def _cli(*args: str) -> Result:
    from openprofiles.cli.main import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _url(data: Path) -> str:
    return f"sqlite:///{data / 'openprofiles.db'}"


class ObjectWriter:
    """A thread putting Customer objects one after another; ``acknowledged`` lists the ids
    answered with 200, in order."""

    def __init__(self, server: LiveServer) -> None:
        self.client = server.client()
        self.acknowledged: list[str] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            i = 0
            while not self.stop.is_set():
                customer = f"c{i:06d}"
                self.client.put_profile_object(
                    DomainName="shop",
                    ObjectTypeName="Customer",
                    Object=json.dumps({"id": customer, "email": f"{customer}@example.com"}),
                )
                self.acknowledged.append(customer)
                i += 1
        except BaseException as exc:  # surfaced by the test
            self.error = exc

    def wait_for(self, count: int) -> None:
        while len(self.acknowledged) < count:
            assert self.error is None and self.thread.is_alive(), self.error
            self.stop.wait(0.01)


def _integrity_problems(database: Path) -> list[str]:
    """PRAGMA integrity_check's findings, less SQLite 3.40's false alarm on tables without a
    row id (README: "NULL value in profile_keys.domain_id"), checked the way README says."""
    conn = sqlite3.connect(database)
    try:
        found = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        real = [f for f in found if f != "ok" and not f.startswith("NULL value in profile_keys.")]
        if len(real) < len([f for f in found if f != "ok"]):
            nulls = conn.execute(
                "SELECT count(*) FROM profile_keys NOT INDEXED WHERE domain_id IS NULL"
                " OR key_name IS NULL OR key_value IS NULL OR profile_id IS NULL"
            ).fetchone()[0]
            if nulls:
                real.append(f"{nulls} profile_keys rows with NULLs")
        return real
    finally:
        conn.close()


def _found(client: Any, customers: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(customers), 50):
        chunk = customers[start : start + 50]
        items = client.search_profiles(
            DomainName="shop", KeyName="customerId", Values=chunk, MaxResults=100
        )["Items"]
        found |= {p["AccountNumber"] for p in items}
    return found


def test_backup_while_writing_restores_every_acknowledged_write(tmp_path: Path) -> None:
    data, backup_file = tmp_path / "data", tmp_path / "shop.backup"
    with running_server(_url(data), data) as server:
        cp = server.client()
        cp.create_domain(DomainName="shop", DefaultExpirationDays=30)
        cp.put_profile_object_type(DomainName="shop", ObjectTypeName="Customer", **CUSTOMER_TYPE)
        writer = ObjectWriter(server)
        writer.thread.start()
        try:
            writer.wait_for(200)
            before = list(writer.acknowledged)
            result = _cli("backup", "--data-dir", str(data), "--output", str(backup_file))
            writer.wait_for(len(writer.acknowledged) + 50)  # still writing after it
        finally:
            writer.stop.set()
            writer.thread.join()
        assert writer.error is None, writer.error
        assert result.exit_code == 0, result.output
        assert f"backup      {backup_file}" in result.output
        assert f"schema      {head_revision()}" in result.output
        written = list(writer.acknowledged)
    assert len(written) > len(before)

    restored = tmp_path / "restored"
    result = _cli("restore", "--data-dir", str(restored), "--input", str(backup_file))
    assert result.exit_code == 0, result.output
    assert _integrity_problems(restored / "openprofiles.db") == []
    with running_server(_url(restored), restored) as server:
        found = _found(server.client(), written)
    assert set(before) <= found  # every write acknowledged before the backup began
    assert found <= set(written)
    assert _integrity_problems(restored / "openprofiles.db") == []


def test_restore_refuses_a_database_in_use_or_present(tmp_path: Path) -> None:
    data, backup_file = tmp_path / "data", tmp_path / "one.backup"
    with running_server(_url(data), data) as server:
        server.client().create_domain(DomainName="kept", DefaultExpirationDays=1)
        assert _cli("backup", "--data-dir", str(data), "--output", str(backup_file)).exit_code == 0
        server.client().create_domain(DomainName="after-backup", DefaultExpirationDays=1)

        result = _cli("restore", "--data-dir", str(data), "--input", str(backup_file))
        assert result.exit_code == 2
        assert "is open in a running server" in result.output

        # --force: the running server's database takes the backup's content.
        result = _cli("restore", "--data-dir", str(data), "--input", str(backup_file), "--force")
        assert result.exit_code == 0, result.output
        assert "restart it" in result.output
        names = [d["DomainName"] for d in server.client().list_domains()["Items"]]
        assert names == ["kept"]
    result = _cli("restore", "--data-dir", str(data), "--input", str(backup_file))
    assert result.exit_code == 2 and "exists: give --force" in result.output

    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    result = _cli("restore", "--data-dir", str(tmp_path / "x"), "--input", str(not_a_backup))
    assert result.exit_code == 2 and "is not an SQLite database" in result.output
    result = _cli("backup", "--data-dir", str(tmp_path / "empty"), "--output", str(backup_file))
    assert result.exit_code == 2 and "there is no database at" in result.output
    itself = str(data / "openprofiles.db")
    result = _cli("backup", "--data-dir", str(data), "--output", itself)
    assert result.exit_code == 2 and "is the database or one of its files" in result.output


def test_postgresql_is_told_to_use_pg_dump_and_pg_restore(tmp_path: Path) -> None:
    require_backend("postgresql")
    with temporary_database_url("postgresql", tmp_path) as url:
        result = _cli("backup", "--database-url", url, "--output", str(tmp_path / "b"))
        assert result.exit_code == 2
        assert "pg_dump --format=custom" in result.output
        assert "+psycopg" not in result.output
        result = _cli("restore", "--database-url", url, "--input", str(__file__))
        assert result.exit_code == 2
        assert "pg_restore" in result.output
    assert not (tmp_path / "b").exists()

"""``openprofiles doctor`` on real databases (SQLite, PostgreSQL) and a real S3-compatible
store (moto's server on a free port): a healthy setup passes, and each problem is named with
what to do about it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from openprofiles.cli.main import cli
from openprofiles.storage.database import Database
from openprofiles.storage.migrate import head_revision, upgrade
from tests.support.live_server import free_port


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("OPENPROFILES_"):
            monkeypatch.delenv(name)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_CONFIG_FILE": str(tmp_path / "none"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}.items():  # fmt: skip
        monkeypatch.setenv(name, value)


def _doctor(*args: str) -> Result:
    return CliRunner().invoke(cli, ["doctor", *args], catch_exceptions=False)


def _lines(result: Result) -> dict[str, str]:
    """check name -> its line, for the lines that report a check."""
    found = {}
    for line in result.stdout.splitlines():
        if line.startswith(("OK ", "PROBLEM ")):
            words = line.split()
            name = "data directory" if words[1] == "data" else words[1]
            found[name] = line
    return found


@pytest.fixture
def migrated(database_url: str) -> str:
    Database.open(database_url).close()
    return database_url


def test_a_healthy_setup(migrated: str, tmp_path: Path) -> None:
    result = _doctor("--database-url", migrated, "--data-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    lines = _lines(result)
    assert set(lines) == {"database", "migrations", "credentials", "data directory", "s3"}
    assert all(line.startswith("OK ") for line in lines.values()), result.output
    assert f"schema at the newest migration, {head_revision()}" in lines["migrations"]
    assert "answers" in lines["database"]
    assert "not configured" in lines["s3"]
    assert result.stdout.endswith("no problems found\n")


def test_an_unmigrated_database(database_url: str, tmp_path: Path) -> None:
    database = Database.open(database_url, migrate=False)
    try:
        with database.read() as conn:
            conn.exec_driver_sql("SELECT 1")  # connected: the database exists, no schema
    finally:
        database.close()
    result = _doctor("--database-url", database_url, "--data-dir", str(tmp_path))
    assert result.exit_code == 1
    lines = _lines(result)
    assert lines["database"].startswith("OK ")
    assert lines["migrations"].startswith("PROBLEM ")
    assert "never been migrated: run `openprofiles migrate`" in lines["migrations"]
    assert result.stdout.endswith("1 problem(s) found\n")


def test_a_database_behind_the_newest_migration(tmp_path: Path) -> None:
    database = Database.open(f"sqlite:///{tmp_path / 'openprofiles.db'}", migrate=False)
    try:
        upgrade(database, "0008")
    finally:
        database.close()
    result = _doctor("--data-dir", str(tmp_path))
    assert result.exit_code == 1
    assert (
        f"the schema is at 0008, this openprofiles needs {head_revision()}"
        in (_lines(result)["migrations"])
    )


def test_a_database_that_does_not_answer(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none"
    result = _doctor("--database-url", url, "--data-dir", str(tmp_path))
    assert result.exit_code == 1
    lines = _lines(result)
    assert lines["database"].startswith("PROBLEM ") and "cannot connect to" in lines["database"]
    assert "not used: the database is PostgreSQL" in lines["data directory"]


def test_no_database_and_no_data_directory(tmp_path: Path) -> None:
    result = _doctor("--data-dir", str(tmp_path / "missing"))
    assert result.exit_code == 1
    lines = _lines(result)
    assert "run `openprofiles migrate --data-dir DIR`" in lines["database"]
    assert "does not exist" in lines["data directory"]
    assert not (tmp_path / "missing").exists()  # doctor creates nothing
    elsewhere = tmp_path / "elsewhere" / "openprofiles.db"
    result = _doctor("--database-url", f"sqlite:///{elsewhere}", "--data-dir", str(tmp_path))
    assert "no database at" in _lines(result)["database"]
    assert not elsewhere.parent.exists()


def test_default_credentials_on_a_reachable_host(migrated: str, tmp_path: Path) -> None:
    result = _doctor("--database-url", migrated, "--data-dir", str(tmp_path), "--host", "0.0.0.0")
    assert result.exit_code == 1
    line = _lines(result)["credentials"]
    assert line.startswith("PROBLEM ") and "Set OPENPROFILES_CREDENTIALS" in line


def test_own_credentials_on_a_reachable_host(
    migrated: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENPROFILES_CREDENTIALS", "AK1:secret:111111111111")
    result = _doctor("--database-url", migrated, "--data-dir", str(tmp_path), "--host", "0.0.0.0")
    assert result.exit_code == 0, result.output
    assert "1 key(s) for account(s) 111111111111" in _lines(result)["credentials"]


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_a_reachable_s3_endpoint(
    s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(
        Bucket="exports"
    )
    Database.open(f"sqlite:///{tmp_path / 'openprofiles.db'}").close()
    monkeypatch.setenv("OPENPROFILES_S3_ENDPOINT_URL", s3_endpoint)
    result = _doctor("--data-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    line = _lines(result)["s3"]
    # moto's servers in one process share their buckets: other tests' may be there too.
    visible = re.search(r"accepts the credentials \((\d+) bucket\(s\) visible\)", line)
    assert line.startswith("OK ") and visible and int(visible.group(1)) >= 1, line


def test_an_unreachable_s3_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Database.open(f"sqlite:///{tmp_path / 'openprofiles.db'}").close()
    endpoint = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("OPENPROFILES_S3_ENDPOINT_URL", endpoint)
    result = _doctor("--data-dir", str(tmp_path))
    assert result.exit_code == 1
    line = _lines(result)["s3"]
    assert line.startswith("PROBLEM ") and f"cannot reach {endpoint}" in line


def test_s3_without_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Database.open(f"sqlite:///{tmp_path / 'openprofiles.db'}").close()
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("OPENPROFILES_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    result = _doctor("--data-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "no AWS credentials found" in _lines(result)["s3"]


def test_malformed_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENPROFILES_CREDENTIALS", "not-a-credential")
    result = _doctor()
    assert result.exit_code == 1
    assert result.stdout.startswith("PROBLEM  settings")

"""``openprofiles resolve``: usage errors, and a job run in the command's process whose summary
and job row a server on the database would show (both databases)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from openprofiles.cli.main import cli
from openprofiles.config import Settings
from openprofiles.context import Caller
from openprofiles.services.container import Services
from openprofiles.storage.database import Database
from tests.support.planted import duplicate, people

CALLER = Caller("000000000000", "us-east-1")


def _resolve(*args: str) -> Result:
    return CliRunner().invoke(cli, ["resolve", *args], catch_exceptions=False)


def test_a_data_dir_without_a_database_is_a_usage_error(tmp_path: Path) -> None:
    result = _resolve("--domain", "d", "--data-dir", str(tmp_path / "empty"))
    assert result.exit_code == 2 and "holds no openprofiles database" in result.output


def test_a_domain_without_matching_is_a_usage_error(database_url: str) -> None:
    database = Database.open(database_url)
    try:
        Services(database, Settings()).domains.create(CALLER, "off", 30, {}, None)
    finally:
        database.close()
    result = _resolve("--domain", "off", "--database-url", database_url, "--no-progress")
    assert result.exit_code == 2 and "Matching is not enabled" in result.output
    missing = _resolve("--domain", "nowhere", "--database-url", database_url, "--no-progress")
    assert missing.exit_code == 2 and "nowhere does not exist" in missing.output


def test_resolve_runs_a_job_and_prints_its_summary(database_url: str) -> None:
    database = Database.open(database_url)
    try:
        services = Services(database, Settings())
        services.domains.create(CALLER, "shop", 30, {"Matching": {"Enabled": True}}, None)
        crowd = people(20)
        for person in crowd:
            services.profiles.create(CALLER, "shop", person)
        services.profiles.create(CALLER, "shop", duplicate(crowd[3]))
    finally:
        database.close()
    result = _resolve("--domain", "shop", "--database-url", database_url, "--no-progress")
    assert result.exit_code == 0, result.output
    lines = {line[:19].strip(): line[19:] for line in result.output.splitlines() if line}
    assert lines["status"] == "COMPLETED"
    assert lines["profiles reviewed"] == "21" and lines["matches found"] == "1"
    database = Database.open(database_url)
    try:
        jobs, _ = Services(database, Settings()).jobs.list(CALLER, "shop", None, None)
    finally:
        database.close()
    assert [(j.job_id, j.origin, j.status) for j in jobs] == [(lines["job"], "CLI", "COMPLETED")]

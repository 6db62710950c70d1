"""``openprofiles serve`` / ``migrate`` without starting a server."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from openprofiles import __version__
from openprofiles.cli.main import cli
from openprofiles.cli.serve import is_loopback
from openprofiles.config import load_settings


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    "credentials",
    ["test:test:000000000000", "mine:s3cret:111111111111,test:test:000000000000"],
)
def test_public_bind_with_default_credentials_is_refused(credentials: str) -> None:
    result = CliRunner().invoke(
        cli, ["serve", "--host", "0.0.0.0"], env={"OPENPROFILES_CREDENTIALS": credentials}
    )
    assert result.exit_code == 2
    assert "default credentials" in result.output


def test_env_host_is_checked_too_and_flags_win() -> None:
    env = {"OPENPROFILES_HOST": "0.0.0.0", "OPENPROFILES_CREDENTIALS": ""}
    assert CliRunner().invoke(cli, ["serve"], env=env).exit_code == 2
    env = {"OPENPROFILES_HOST": "127.0.0.1"}
    assert CliRunner().invoke(cli, ["serve", "--host", "10.1.2.3"], env=env).exit_code == 2


def test_malformed_credentials_are_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["serve"], env={"OPENPROFILES_CREDENTIALS": "nope"})
    assert result.exit_code == 2
    assert "ACCESS_KEY:SECRET_KEY:ACCOUNT_ID" in result.output


@pytest.mark.parametrize("regions", ["us-east-1 eu-west-1", "US-EAST-1", " , "])
def test_malformed_regions_are_a_usage_error(regions: str) -> None:
    for args, env in [(["serve", "--regions", regions], {}),
                      (["serve"], {"OPENPROFILES_REGIONS": regions})]:  # fmt: skip
        result = CliRunner().invoke(cli, args, env=env)
        assert result.exit_code == 2, result.output
        assert "region" in result.output


def test_regions_flag_and_setting() -> None:
    assert load_settings(environ={}).region_list is None  # the aws partition's
    env = {"OPENPROFILES_REGIONS": "eu-west-1, us-east-1"}
    assert load_settings(environ=env).region_list == ("eu-west-1", "us-east-1")
    assert load_settings({"regions": "eusc-de-east-1"}, env).region_list == ("eusc-de-east-1",)


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_migrate_creates_the_database(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["migrate", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "openprofiles.db").exists()
    assert "up to date" in result.output


def test_migrate_lists_each_migration_and_sums_up(tmp_path: Path) -> None:
    from openprofiles.storage.migrate import head_revision, known_revisions

    result = CliRunner().invoke(cli, ["migrate", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    applied = [line for line in result.output.splitlines() if line.startswith("applied ")]
    assert {line.split()[1] for line in applied} == known_revisions()
    assert f"empty -> {head_revision()}, {len(applied)} migration(s) in " in result.output
    again = CliRunner().invoke(cli, ["migrate", "--data-dir", str(tmp_path)])
    assert again.output.strip().endswith(f"is up to date ({head_revision()})")

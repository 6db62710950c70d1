"""``openprofiles import`` end to end, on SQLite and PostgreSQL: import into a database, then see
the profiles through a live server with boto3; import through a live server with
``--endpoint-url``; and the command lines of docs/import.md, run as documented."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from openprofiles.config import Settings
from openprofiles.context import Caller
from openprofiles.services.container import Services
from openprofiles.storage.database import Database
from tests.support.live_server import running_server

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "docs" / "import.md").read_text()
ACCOUNT, REGION = "000000000000", "us-east-1"
SHOP = ["import", "--domain", "shop", "--object-type", "Customer"]


def _doc_block(name: str) -> str:
    """The fenced block that follows the first mention of ``name`` followed by a colon."""
    match = re.search(rf"`{re.escape(name)}`:\n\n```\w*\n(.*?)```", DOCS, re.S)
    assert match, f"docs/import.md lost its {name} example"
    return match.group(1)


CUSTOMER_TYPE: dict[str, Any] = json.loads(_doc_block("customer-type.json"))


def _cli(args: list[str], stdin: bytes | None = None) -> Result:
    from openprofiles.cli.main import cli

    return CliRunner().invoke(cli, args, input=stdin, catch_exceptions=False)


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """--endpoint-url uses the standard credential chain: pin it to the default test account."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def shop(database_url: str) -> Iterator[str]:
    """A database holding domain ``shop`` with object type ``Customer`` (made via services)."""
    database = Database.open(database_url)
    try:
        services = Services(database, Settings())
        caller = Caller(ACCOUNT, REGION)
        services.domains.create(caller, "shop", 365, {}, None)
        services.object_types.put(caller, "shop", "Customer", CUSTOMER_TYPE)
    finally:
        database.close()
    yield database_url


def _location(database_url: str, tmp_path: Path) -> list[str]:
    if database_url.startswith("sqlite:"):
        return ["--data-dir", str(tmp_path)]  # the fixture's SQLite file is the data dir's
    return ["--database-url", database_url]


def _summary(output: str) -> dict[str, str]:
    rows = re.findall(r"^(objects read|stored|profiles created|rejected)  +(.+)$", output, re.M)
    return dict(rows)


def _search(cp: Any, key: str, value: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = cp.search_profiles(
        DomainName="shop", KeyName=key, Values=[value]
    )["Items"]
    return items


def test_import_jsonl_and_csv_then_serve(shop: str, tmp_path: Path) -> None:
    people = tmp_path / "people.jsonl"
    people.write_text(
        json.dumps({"id": "p1", "email": "Ana@Example.com", "first_name": "Ana", "city": "Oslo"})
        + "\n"
        + json.dumps({"id": "p2", "email": "bo@example.com", "first_name": " Bo "})
        + "\n\n"  # a blank line is skipped
        + "[1, 2]\n"
        + json.dumps({"id": "p3", "email": "ana@example.com", "phone": "+1 206 555 0100"})
        + "\n"
        + json.dumps({"id": "p4", "note": "x" * 256_001})
        + "\n"
        + '{"id": "p7", "email": "x\\ud800@example.com"}\n'  # an unpaired surrogate
    )
    result = _cli([*SHOP, "--batch-size", "2", *_location(shop, tmp_path), str(people)])
    assert result.exit_code == 1, result.output
    assert _summary(result.stdout) == {
        "objects read": "6",
        "stored": "3",
        "profiles created": "2",
        "rejected": "3",
    }
    rejects = [json.loads(line) for line in (tmp_path / "people.jsonl.rejects.jsonl").open()]
    assert [r["line"] for r in rejects] == [4, 6, 7]
    assert rejects[0] == {
        "line": 4,
        "reason": "not a JSON object: the line holds a JSON array",
        "object": [1, 2],
    }
    assert "256,000" in rejects[1]["reason"] or "256000" in rejects[1]["reason"]
    assert rejects[1]["object"]["id"] == "p4"
    assert rejects[2]["reason"] == (
        "not valid JSON: the string at email holds an unpaired surrogate (\\ud800), which is "
        "not Unicode text at column 25"
    )
    assert "line 4: not a JSON object" in result.stdout

    table = tmp_path / "people.csv"
    table.write_text(
        'id,email,first_name,city\np5,cy@example.com,Cy,"Bergen, NO"\np6,bo@example.com,,\n'
    )
    result = _cli([*SHOP, *_location(shop, tmp_path), str(table)])
    assert result.exit_code == 0, result.output
    assert _summary(result.stdout) == {
        "objects read": "2",
        "stored": "2",
        "profiles created": "1",
        "rejected": "0",
    }

    with running_server(shop, tmp_path) as server:
        cp = server.client("customer-profiles")
        (ana,) = _search(cp, "_email", "ana@example.com")
        assert ana["FirstName"] == "Ana" and ana["Address"]["City"] == "Oslo"
        assert ana["PhoneNumber"] == "+12065550100"
        assert _search(cp, "customerId", "p3")[0]["ProfileId"] == ana["ProfileId"]
        (bo,) = _search(cp, "_email", "bo@example.com")
        assert bo["FirstName"] == "Bo"
        assert _search(cp, "customerId", "p6")[0]["ProfileId"] == bo["ProfileId"]
        (cy,) = _search(cp, "customerId", "p5")
        assert cy["Address"]["City"] == "Bergen, NO"
        assert _search(cp, "customerId", "p4") == []
        objects = cp.list_profile_objects(
            DomainName="shop", ObjectTypeName="Customer", ProfileId=ana["ProfileId"]
        )["Items"]
        assert sorted(json.loads(o["Object"])["id"] for o in objects) == ["p1", "p3"]


def test_import_through_a_running_server(database_url: str, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(
        "id,email,first_name\n"
        "h1,hal@example.com,Hal\n"
        "h2,hal@example.com,Hal\n"
        "h3,ida@example.com,Ida,extra\n"
        f"h4,{'y' * 256_001}@example.com,Big\n"
        "h5,jo@example.com,Jo\n"
    )
    with running_server(database_url, tmp_path) as server:
        cp = server.client("customer-profiles")
        cp.create_domain(DomainName="shop", DefaultExpirationDays=365)
        cp.put_profile_object_type(DomainName="shop", ObjectTypeName="Customer", **CUSTOMER_TYPE)
        rejects = tmp_path / "out.jsonl"
        result = _cli(
            [*SHOP, "--endpoint-url", server.endpoint, "--rejects", str(rejects), str(people)]
        )
        assert result.exit_code == 1, result.output
        assert _summary(result.stdout) == {
            "objects read": "5",
            "stored": "3",
            "profiles created": "not reported over HTTP",
            "rejected": "2",
        }
        lines = [json.loads(line) for line in rejects.open()]
        assert [r["line"] for r in lines] == [4, 5]
        assert lines[0]["reason"] == "the row has 4 cells but the header has 3 columns"
        assert lines[1]["reason"].startswith("BadRequestException: ")
        assert lines[1]["object"]["first_name"] == "Big"
        (hal,) = _search(cp, "_email", "hal@example.com")
        assert _search(cp, "customerId", "h2")[0]["ProfileId"] == hal["ProfileId"]
        assert len(_search(cp, "_email", "jo@example.com")) == 1

        missing = _cli(
            [
                "import",
                "--domain",
                "nope",
                "--object-type",
                "Customer",
                "--endpoint-url",
                server.endpoint,
                str(people),
            ]
        )
        assert missing.exit_code == 2
        assert "ResourceNotFoundException" in missing.stderr


def test_missing_domain_or_type_is_a_usage_error(shop: str, tmp_path: Path) -> None:
    people = tmp_path / "p.jsonl"
    people.write_text('{"id": "x"}\n')
    where = _location(shop, tmp_path)
    result = _cli(["import", "--domain", "shop", "--object-type", "Nope", *where, str(people)])
    assert result.exit_code == 2 and "Nope" in result.stderr
    result = _cli(["import", "--domain", "gone", "--object-type", "Customer", *where, str(people)])
    assert result.exit_code == 2 and "gone" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = _cli([*SHOP, "--data-dir", str(empty), str(people)])
    assert result.exit_code == 2 and "holds no openprofiles database" in result.stderr


# --- docs/import.md, run as written ------------------------------------------------------------
def _documented_commands() -> list[str]:
    return [
        line.strip()
        for line in DOCS.splitlines()
        if line.startswith("openprofiles import --domain shop")
    ]


def _stable(output: str) -> list[str]:
    """Output lines without the timing ones."""
    return [
        line
        for line in output.strip().splitlines()
        if not line.startswith(("elapsed", "objects/s"))
    ]


def test_documented_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("customers.jsonl", "customers.csv"):
        Path(name).write_text(_doc_block(name))
    commands = _documented_commands()
    assert len(commands) == 3, commands
    documented_output = re.search(r"standard output:\n\n```\n(.*?)```", DOCS, re.S)
    documented_reject = re.search(r"For the example above:\n\n```jsonl\n(.*?)```", DOCS, re.S)
    assert documented_output and documented_reject

    data = tmp_path / "data"
    with running_server(f"sqlite:///{data / 'openprofiles.db'}", data) as server:
        cp = server.client("customer-profiles")
        cp.create_domain(DomainName="shop", DefaultExpirationDays=365)
        cp.put_profile_object_type(DomainName="shop", ObjectTypeName="Customer", **CUSTOMER_TYPE)

        local, remote, piped = commands
        result = _cli(shlex.split(local)[1:])
        assert result.exit_code == 1
        assert _stable(result.stdout) == _stable(documented_output.group(1))
        assert Path("customers.jsonl.rejects.jsonl").read_text() == documented_reject.group(1)

        args = shlex.split(remote.replace("http://127.0.0.1:4599", server.endpoint))[1:]
        result = _cli(args)
        assert result.exit_code == 1
        assert "profiles created  not reported over HTTP" in result.stdout
        assert "line 4: not valid JSON" in result.stdout

        words = shlex.split(piped)
        assert words[-2] == "<"
        result = _cli(words[1:-2], stdin=Path(words[-1]).read_bytes())
        assert result.exit_code == 0, result.output
        assert _summary(result.stdout)["profiles created"] == "1"  # c-6 is Wei again

        (ana,) = _search(cp, "_email", "ana@example.com")
        assert ana["LastName"] == "García"
        assert _search(cp, "customerId", "c-3")[0]["ProfileId"] == ana["ProfileId"]
        (wei,) = _search(cp, "_email", "wei@example.com")
        assert _search(cp, "customerId", "c-6")[0]["ProfileId"] == wei["ProfileId"]

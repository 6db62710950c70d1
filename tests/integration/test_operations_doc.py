"""docs/operations.md, run as written: its command lines in order against a live server's data
directory, its export record, doctor output, metrics table and JSON log line held to what the
commands and the server produce."""

from __future__ import annotations

import json
import re
import shlex
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.integration.test_observability import CUSTOMER_TYPE
from tests.support.docs import DOCS, json_blocks, same_shape
from tests.support.live_server import running_server

TEXT = (DOCS / "operations.md").read_text()


def _commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", TEXT, re.S)
    return [
        line for block in blocks for line in block.splitlines() if line.startswith("openprofiles ")
    ]


def test_documented_commands_run_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openprofiles.cli.main import cli

    monkeypatch.chdir(tmp_path)
    for name in ("OPENPROFILES_S3_ENDPOINT_URL", "OPENPROFILES_DATA_DIR", "OPENPROFILES_HOST",
                 "OPENPROFILES_DATABASE_URL", "OPENPROFILES_CREDENTIALS"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    commands = _commands()
    assert [shlex.split(c)[1] for c in commands] == [
        "export", "export", "import", "backup", "restore", "doctor", "completion",
    ]  # fmt: skip
    record, log_line = json_blocks("operations.md")
    data = tmp_path / "data"
    env = {"OPENPROFILES_LOG_FORMAT": "json"}
    with running_server(f"sqlite:///{data / 'openprofiles.db'}", data, env) as server:
        cp = server.client()
        for domain in ("shop", "copy"):
            cp.create_domain(DomainName=domain, DefaultExpirationDays=365)
            cp.put_profile_object_type(
                DomainName=domain, ObjectTypeName="Customer", **CUSTOMER_TYPE
            )
        for i in range(3):
            cp.put_profile_object(
                DomainName="shop", ObjectTypeName="Customer",
                Object=json.dumps({"id": f"c-{i}", "email": f"p{i}@example.com"}),
            )  # fmt: skip
        outputs = {}
        for command in commands:
            result = CliRunner().invoke(cli, shlex.split(command)[1:], catch_exceptions=False)
            assert result.exit_code == 0, f"{command}:\n{result.output}"
            outputs[shlex.split(command)[1]] = result.stdout
        with urllib.request.urlopen(server.endpoint + "/_openprofiles/metrics") as answer:
            metrics = answer.read().decode()
        copied, original = _profiles(cp, "copy"), _profiles(cp, "shop")

    exported = [json.loads(line) for line in Path("shop.jsonl").read_text().splitlines()]
    assert len(exported) == 3
    assert set(exported[0]) == set(record)
    assert set(exported[0]["Objects"][0]) == set(record["Objects"][0])
    assert set(record["Keys"]) <= set(exported[0]["Keys"])
    assert copied == original and len(copied) == 3
    assert Path("restored/openprofiles.db").is_file()

    documented = re.search(r"prints one line per check:\n\n```\n(.*?)```", TEXT, re.S)
    assert documented
    assert _shape(outputs["doctor"]) == _shape(documented.group(1))
    assert "complete -o nosort" in outputs["completion"]

    table = re.findall(r"^\| `(openprofiles_\w+)(?:\{[^}]*\})?` \| (\w+) \|", TEXT, re.M)
    assert len(table) == 11
    for name, kind in table:
        assert f"# TYPE {name} {kind}\n" in metrics, name

    lines = [json.loads(line) for line in server.log().splitlines() if line.strip()]
    access = next(line for line in lines if "op=CreateDomain" in line["message"])
    assert set(access) == set(log_line)
    assert same_shape(log_line["time"]).fullmatch(access["time"])


def _profiles(cp: Any, domain: str) -> list[dict[str, Any]]:
    """The domain's profiles, found by their customer ids, without their ids."""
    found = cp.search_profiles(
        DomainName=domain, KeyName="customerId", Values=["c-0", "c-1", "c-2"]
    )["Items"]
    drop = {"ProfileId", "FoundByItems"}
    return sorted(({k: v for k, v in p.items() if k not in drop} for p in found),
                  key=lambda p: str(p["AccountNumber"]))  # fmt: skip


def _shape(output: str) -> list[tuple[str, ...]]:
    """Each line's status and check name (the rest depends on the machine)."""
    return [tuple(line.split()[:2]) for line in output.strip().splitlines()]

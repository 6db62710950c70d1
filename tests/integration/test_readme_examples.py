"""The README's examples run as written against a live server (both databases)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from tests.support.live_server import LiveServer
from tests.support.raw_client import aws_cli

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
DOCUMENTED_ENDPOINT = "http://127.0.0.1:4599"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_python_example(live_server: LiveServer, capsys: object) -> None:
    [code] = _blocks("python")
    exec(compile(code.replace(DOCUMENTED_ENDPOINT, live_server.endpoint), "README", "exec"), {})
    found = live_server.client().search_profiles(
        DomainName="shop", KeyName="_email", Values=["ana@example.com"]
    )["Items"]
    assert [p["FirstName"] for p in found] == ["Ana"]


def test_cli_example(live_server: LiveServer) -> None:
    [block] = _blocks("sh")
    command = next(line for line in block.splitlines() if line.startswith("aws "))
    args = shlex.split(command)[1:]
    assert args[:2] == ["--endpoint-url", DOCUMENTED_ENDPOINT]
    live_server.client().create_domain(DomainName="from-cli", DefaultExpirationDays=1)
    result = aws_cli(live_server.endpoint, *args[2:])
    assert result.returncode == 0, result.stderr
    assert [d["DomainName"] for d in json.loads(result.stdout)["Items"]] == ["from-cli"]

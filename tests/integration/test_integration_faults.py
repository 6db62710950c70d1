"""Flow runs that go wrong, on both databases: a server killed in the middle of a run (the run
is failed and taken up on restart, and no record is stored twice), an unreachable S3 endpoint
(the run fails saying so, and nothing stored before is lost), and the CLI's run and runs."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_integration_flows import (
    jsonl,
    make_bucket,
    make_domain,
    projection,
    put_flow,
    run,
    runs,
    s3_flow,
)
from tests.support.live_server import free_port, running_server
from tests.support.s3 import moto_s3, s3_client

RECORDS = 30_000


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_s3() as endpoint:
        yield endpoint


def _env(endpoint: str) -> dict[str, str]:
    return {"OPENPROFILES_S3_ENDPOINT_URL": endpoint}


def _wait_for(condition: Any, timeout: float = 60) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_a_run_killed_midway_is_failed_and_taken_up_without_duplicates(
    database_url: str, tmp_path: Path, s3_endpoint: str
) -> None:
    s3 = s3_client(s3_endpoint)
    bucket = make_bucket(s3)
    records = [{"id": str(i), "first": f"n{i}"} for i in range(RECORDS)]
    s3.put_object(Bucket=bucket, Key="big.jsonl", Body=jsonl(records))
    data = tmp_path / "data"
    with running_server(database_url, data, _env(s3_endpoint)) as server:
        cp = server.client()
        domain = make_domain(cp)
        uri = put_flow(cp, domain, s3_flow(bucket, "", [projection("id", "first")]))
        started = run(server, domain, uri, Wait=False)
        assert started["Status"] == "RUNNING"

        def part_stored() -> bool:
            [current] = runs(server, domain)["Items"]
            assert current["Status"] == "RUNNING", current  # killed before it could end
            return bool(current["RecordsIngested"])

        _wait_for(part_stored)
        server.kill()
    with running_server(database_url, data, _env(s3_endpoint)) as server:

        def resumed_and_done() -> list[dict[str, Any]] | None:
            items: list[dict[str, Any]] = runs(server, domain)["Items"]
            done = len(items) == 2 and items[0]["Status"] != "RUNNING"
            return items if done else None

        resumed, killed = _wait_for(resumed_and_done)
        assert killed["RunId"] == started["RunId"]
        assert killed["Status"] == "FAILED" and "interrupted" in killed["Message"]
        assert 0 < killed["RecordsIngested"] < RECORDS
        assert resumed["Trigger"] == "Resume" and resumed["Status"] == "COMPLETED", resumed
        # Every record stored exactly once over the two runs.
        assert killed["RecordsIngested"] + resumed["RecordsIngested"] == RECORDS
        assert killed["RecordsRead"] + resumed["RecordsRead"] == RECORDS
        assert server.client().get_domain(DomainName=domain)["Stats"]["ObjectCount"] == RECORDS
        assert run(server, domain, uri)["RecordsRead"] == 0


def test_an_unreachable_endpoint_fails_the_run_and_loses_nothing(
    database_url: str, tmp_path: Path, s3_endpoint: str
) -> None:
    s3 = s3_client(s3_endpoint)
    bucket = make_bucket(s3)
    s3.put_object(Bucket=bucket, Key="a.jsonl", Body=jsonl([{"id": "1"}, {"id": "2"}]))
    data = tmp_path / "data"
    with running_server(database_url, data, _env(s3_endpoint)) as server:
        cp = server.client()
        domain = make_domain(cp)
        uri = put_flow(cp, domain, s3_flow(bucket, "", [projection("id")]))
        assert run(server, domain, uri)["RecordsIngested"] == 2
    s3.put_object(Bucket=bucket, Key="b.jsonl", Body=jsonl([{"id": "3"}]))
    nowhere = f"http://127.0.0.1:{free_port()}"
    with running_server(database_url, data, _env(nowhere)) as server:
        failed = run(server, domain, uri)
        assert failed["Status"] == "FAILED", failed
        assert "unreachable" in failed["Message"] and nowhere in failed["Message"]
        assert failed["RecordsIngested"] == 0
        assert server.client().get_domain(DomainName=domain)["Stats"]["ObjectCount"] == 2
    with running_server(database_url, data, _env(s3_endpoint)) as server:
        again = run(server, domain, uri)
        assert (again["Status"], again["RecordsIngested"]) == ("COMPLETED", 1), again


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "openprofiles", "integrations", *args],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=120,
    )  # fmt: skip


def test_cli_run_and_runs_locally_and_through_the_server(
    database_url: str, tmp_path: Path, s3_endpoint: str
) -> None:
    s3 = s3_client(s3_endpoint)
    bucket = make_bucket(s3)
    s3.put_object(Bucket=bucket, Key="a.csv", Body=b"id,first\n1,Ann\n2,Bo\n")
    data = tmp_path / "data"
    with running_server(database_url, data, _env(s3_endpoint)) as server:
        cp = server.client()
        domain = make_domain(cp)
        uri = put_flow(cp, domain, s3_flow(bucket, "", [projection("id", "first")]))
        remote = _cli("run", "--domain", domain, "--uri", uri,
                      "--endpoint-url", server.endpoint, env={})  # fmt: skip
        assert remote.returncode == 0, remote.stderr
        assert json.loads(remote.stdout)["RecordsIngested"] == 2
        s3.put_object(Bucket=bucket, Key="b.csv", Body=b"id,first\n3,Cy\n")
        local = _cli("run", "--domain", domain, "--uri", uri, "--database-url", database_url,
                     env=_env(s3_endpoint))  # fmt: skip
        assert local.returncode == 0, local.stderr
        assert json.loads(local.stdout)["RecordsIngested"] == 1
        assert "1 records" in local.stderr and "b.csv" in local.stderr  # the progress bar
        listed = _cli("runs", "--domain", domain, "--uri", uri,
                      "--endpoint-url", server.endpoint, env={})  # fmt: skip
        assert listed.returncode == 0, listed.stderr
        items = json.loads(listed.stdout)["Items"]
        assert [i["RecordsIngested"] for i in items] == [1, 2]
        missing = _cli("run", "--domain", domain, "--uri", "nope",
                       "--endpoint-url", server.endpoint, env={})  # fmt: skip
        assert missing.returncode == 1 and "404" in missing.stderr


def test_a_server_stopping_mid_run_ends_it_promptly_and_loses_nothing(
    database_url: str, tmp_path: Path, s3_endpoint: str
) -> None:
    s3 = s3_client(s3_endpoint)
    bucket = make_bucket(s3)
    records = [{"id": str(i)} for i in range(RECORDS)]
    s3.put_object(Bucket=bucket, Key="big.jsonl", Body=jsonl(records))
    data = tmp_path / "data"
    with running_server(database_url, data, _env(s3_endpoint)) as server:
        cp = server.client()
        domain = make_domain(cp)
        uri = put_flow(cp, domain, s3_flow(bucket, "", [projection("id")]))
        run(server, domain, uri, Wait=False)
        _wait_for(lambda: runs(server, domain)["Items"][0]["RecordsIngested"])
        started = time.time()
        assert server.stop() == 0
        assert time.time() - started < 20
    with running_server(database_url, data, _env(s3_endpoint)) as server:
        [stopped] = runs(server, domain)["Items"]
        assert stopped["Status"] == "FAILED" and stopped["Message"].startswith("stopped"), stopped
        rest = run(server, domain, uri)
        assert stopped["RecordsIngested"] + rest["RecordsIngested"] == RECORDS, rest

"""A job's export of its matches to an S3-compatible server (moto's, started here; both
databases), and an unreachable endpoint leaving the matches stored."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from openprofiles.clock import FixedClock
from openprofiles.config import Settings
from openprofiles.services.container import Services
from openprofiles.storage.database import Database
from openprofiles.worker.export import S3Exporter
from openprofiles.worker.resolution_jobs import JobRunner
from tests.support.docs import json_blocks, same_shape
from tests.support.email_engine import EmailEngine
from tests.support.live_server import free_port
from tests.unit.worker.test_resolution_jobs import CALLER


@pytest.fixture
def services(database_url: str) -> Iterator[Services]:
    database = Database.open(database_url)
    yield Services(database, Settings(), FixedClock(datetime(2026, 11, 25, 12, tzinfo=UTC)))
    database.close()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def aws_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


def _domain_with_export(services: Services, name: str, bucket: str, key: str) -> list[str]:
    exporting = {"S3Exporting": {"S3BucketName": bucket, "S3KeyName": key}}
    matching = {"Enabled": True, "ExportingConfig": exporting}
    services.domains.create(CALLER, name, 30, {"Matching": matching}, None)
    emails = ["a@x.com", "b@x.com", "a@x.com", "b@x.com", "c@x.com"]
    return [services.profiles.create(CALLER, name, {"EmailAddress": e}) for e in emails]


def test_a_job_exports_its_matches_as_json_lines(services: Services, s3_endpoint: str) -> None:
    s3: Any = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    bucket = f"results-{free_port()}"
    s3.create_bucket(Bucket=bucket)
    ids = _domain_with_export(services, "shop", bucket, "identity/")
    runner = JobRunner(
        services.database, services.clock, engine=EmailEngine, exporter=S3Exporter(s3_endpoint)
    )
    job = runner.run(services.jobs.start(CALLER, "shop"))
    assert job is not None and job.status == "COMPLETED", job
    prefix = f"identity/shop/{job.job_id}/"
    assert job.exporting_location == {"S3Exporting": {"S3BucketName": bucket, "S3KeyName": prefix}}
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [prefix + "matches-00000.jsonl"]
    body = s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read().decode()
    lines = [json.loads(line) for line in body.splitlines()]
    assert {frozenset(line["ProfileIds"]) for line in lines} == {
        frozenset({ids[0], ids[2]}), frozenset({ids[1], ids[3]})
    }  # fmt: skip
    stored = services.matches.get_matches(CALLER, "shop", None, None)
    assert [line["MatchId"] for line in lines] == [m.match_id for m in stored.matches]
    assert {line["JobId"] for line in lines} == {job.job_id}
    assert all(line["DomainName"] == "shop" and 0 <= line["ConfidenceScore"] <= 1 for line in lines)
    assert all(line["MatchGenerationDate"] == "2026-11-25T12:00:00.000000Z" for line in lines)
    documented = json_blocks("identity-resolution.md")[-1]
    for line in lines:
        assert list(line) == list(documented)
        assert same_shape(documented["MatchGenerationDate"]).fullmatch(line["MatchGenerationDate"])
        for name in ("MatchId", "JobId"):
            assert re.fullmatch("[0-9a-f]{32}", line[name]) and len(documented[name]) == 32


def test_an_unreachable_endpoint_is_a_partial_success_with_the_matches_stored(
    services: Services,
) -> None:
    _domain_with_export(services, "shop", "results", "")
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    runner = JobRunner(
        services.database, services.clock, engine=EmailEngine, exporter=S3Exporter(dead)
    )
    job = runner.run(services.jobs.start(CALLER, "shop"))
    assert job is not None and job.status == "PARTIAL_SUCCESS"
    assert job.message is not None and "s3://results/" in job.message
    assert "matches are stored" in job.message and job.exporting_location is None
    assert services.matches.get_matches(CALLER, "shop", None, None).potential_matches == 2

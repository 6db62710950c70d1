"""A job's export through a live server (both databases) into moto's S3 server, started here
and named by OPENPROFILES_S3_ENDPOINT_URL; and a domain schedule run by the server's clock."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from openprofiles.clock import FixedClock
from tests.integration.test_identity_resolution import start_job, wait_for_job
from tests.support.app_server import running_app
from tests.support.live_server import free_port, running_server
from tests.support.planted import duplicate, people

AWS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_a_job_exports_its_matches_to_the_configured_bucket(
    database_url: str, tmp_path: Path, s3_endpoint: str
) -> None:
    s3: Any = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    bucket = f"identity-{free_port()}"
    s3.create_bucket(Bucket=bucket)
    env = {**AWS, "OPENPROFILES_S3_ENDPOINT_URL": s3_endpoint}
    with running_server(database_url, tmp_path / "data", env=env) as server:
        cp = server.client()
        exporting = {"S3Exporting": {"S3BucketName": bucket, "S3KeyName": "weekly"}}
        cp.create_domain(
            DomainName="shop",
            DefaultExpirationDays=30,
            Matching={"Enabled": True, "ExportingConfig": exporting},
        )
        crowd = people(12, seed=9)
        ids = [cp.create_profile(DomainName="shop", **p)["ProfileId"] for p in crowd]
        twin = cp.create_profile(DomainName="shop", **duplicate(crowd[4]))["ProfileId"]
        status, started = start_job(server, "shop")
        assert status == 200
        job = wait_for_job(cp, "shop", started["JobId"])
        assert job["Status"] == "COMPLETED", job.get("Message")
        prefix = f"weekly/shop/{job['JobId']}/"
        assert job["ExportingLocation"] == {
            "S3Exporting": {"S3BucketName": bucket, "S3KeyName": prefix}
        }
        listed = cp.list_identity_resolution_jobs(DomainName="shop")["IdentityResolutionJobsList"]
        assert listed[0]["ExportingLocation"] == job["ExportingLocation"]
        stored = cp.get_matches(DomainName="shop")["Matches"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [prefix + "matches-00000.jsonl"]
    body = s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read().decode()
    lines = [json.loads(line) for line in body.splitlines()]
    assert [set(line["ProfileIds"]) for line in lines] == [{ids[4], twin}]
    assert [line["MatchId"] for line in lines] == [m["MatchId"] for m in stored]


def test_an_unreachable_endpoint_leaves_the_matches_stored(
    database_url: str, tmp_path: Path
) -> None:
    env = {**AWS, "OPENPROFILES_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    with running_server(database_url, tmp_path / "data", env=env) as server:
        cp = server.client()
        exporting = {"S3Exporting": {"S3BucketName": "nowhere"}}
        cp.create_domain(
            DomainName="shop",
            DefaultExpirationDays=30,
            Matching={"Enabled": True, "ExportingConfig": exporting},
        )
        crowd = people(6, seed=2)
        for person in [*crowd, duplicate(crowd[0])]:
            cp.create_profile(DomainName="shop", **person)
        job = wait_for_job(cp, "shop", start_job(server, "shop")[1]["JobId"])
        assert job["Status"] == "PARTIAL_SUCCESS"
        assert "s3://nowhere/" in job["Message"] and "matches are stored" in job["Message"]
        assert "ExportingLocation" not in job
        assert cp.get_matches(DomainName="shop")["PotentialMatches"] == 1


def test_the_server_runs_a_domains_job_at_its_schedule(database_url: str, tmp_path: Path) -> None:
    # 2026-11-25 is a Wednesday; the domain's job runs on Thursdays at 9:30 UTC.
    clock = FixedClock(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    with running_app(database_url, tmp_path, clock) as server:
        cp = server.client()
        schedule = {"DayOfTheWeek": "THURSDAY", "Time": "9:30"}
        cp.create_domain(
            DomainName="weekly",
            DefaultExpirationDays=30,
            Matching={"Enabled": True, "JobSchedule": schedule},
        )
        crowd = people(8, seed=4)
        for person in [*crowd, duplicate(crowd[1])]:
            cp.create_profile(DomainName="weekly", **person)
        worker = server.app.job_worker
        worker.step()  # the first look remembers the time
        clock.at = datetime(2026, 11, 26, 9, 29, tzinfo=UTC)
        worker.step()
        assert (
            cp.list_identity_resolution_jobs(DomainName="weekly")["IdentityResolutionJobsList"]
            == []
        )
        clock.at += timedelta(minutes=2)
        worker.step()
        [job] = cp.list_identity_resolution_jobs(DomainName="weekly")["IdentityResolutionJobsList"]
        assert job["JobStartTime"] == datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
        assert job["Status"] == "COMPLETED" and job["JobStats"]["NumberOfMatchesFound"] == 1
        clock.at += timedelta(days=6)
        worker.step()  # Wednesday: no slot since
        clock.at += timedelta(days=1)
        worker.step()  # the next Thursday 9:31
        jobs = cp.list_identity_resolution_jobs(DomainName="weekly")["IdentityResolutionJobsList"]
        assert [j["JobStartTime"].day for j in jobs] == [3, 26]

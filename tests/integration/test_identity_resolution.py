"""Identity resolution through boto3 on a live server (both databases): the Matching
configuration, the extension that starts a job, and the job operations."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.support.docs import json_blocks
from tests.support.live_server import LiveServer
from tests.support.raw_client import signed_request

JOBS_PATH = "/_openprofiles/domains/{}/identity-resolution-jobs"

FULL_MATCHING: dict[str, Any] = {
    "Enabled": True,
    "JobSchedule": {"DayOfTheWeek": "TUESDAY", "Time": "3:15"},
    "AutoMerging": {
        "Enabled": True,
        "Consolidation": {
            "MatchingAttributesList": [
                ["FirstName", "LastName", "EmailAddress"],
                ["PhoneNumber", "Address.PostalCode"],
            ]
        },
        "ConflictResolution": {"ConflictResolvingModel": "SOURCE", "SourceName": "crm"},
        "MinAllowedConfidenceScoreForMerging": 0.8,
    },
    "ExportingConfig": {"S3Exporting": {"S3BucketName": "results", "S3KeyName": "ir/"}},
}


@pytest.fixture
def live_server(module_server: tuple[LiveServer, str]) -> LiveServer:
    return module_server[0]


@pytest.fixture
def database_url(module_server: tuple[LiveServer, str]) -> str:
    return module_server[1]


def start_job(server: LiveServer, domain: str, body: bytes = b"{}") -> tuple[int, Any]:
    status, _, content = signed_request(
        server.endpoint, "POST", JOBS_PATH.format(domain), body=body
    )
    return status, json.loads(content)


def wait_for_job(cp: Any, domain: str, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.time() + timeout
    while True:
        job: dict[str, Any] = cp.get_identity_resolution_job(DomainName=domain, JobId=job_id)
        if job["Status"] in ("COMPLETED", "PARTIAL_SUCCESS", "FAILED"):
            return job
        assert time.time() < deadline, f"job still {job['Status']}"
        time.sleep(0.1)


def test_the_documented_configuration_and_answer_are_the_servers(live_server: LiveServer) -> None:
    documented, answer = json_blocks("identity-resolution.md")[:2]
    cp = live_server.client()
    cp.create_domain(DomainName="documented", DefaultExpirationDays=30, Matching=documented)
    assert cp.get_domain(DomainName="documented")["Matching"] == documented
    status, started = start_job(live_server, "documented")
    assert status == 200 and list(started) == list(answer)
    assert re.fullmatch("[0-9a-f]{32}", started["JobId"]) and len(answer["JobId"]) == 32


def test_matching_configuration_round_trips(live_server: LiveServer) -> None:
    cp = live_server.client()
    created = cp.create_domain(DomainName="cfg", DefaultExpirationDays=30, Matching=FULL_MATCHING)
    assert created["Matching"] == FULL_MATCHING
    assert cp.get_domain(DomainName="cfg")["Matching"] == FULL_MATCHING
    # An UpdateDomain without Matching keeps it; one with Matching replaces it whole.
    kept = cp.update_domain(DomainName="cfg", DefaultExpirationDays=40)
    assert kept["Matching"] == FULL_MATCHING
    replaced = cp.update_domain(DomainName="cfg", Matching={"Enabled": False})
    assert replaced["Matching"] == {"Enabled": False}
    assert cp.get_domain(DomainName="cfg")["Matching"] == {"Enabled": False}


@pytest.mark.parametrize(
    ("auto_merging", "named"),
    [
        ({"Enabled": True, "Consolidation": {"MatchingAttributesList": [["FirstName"]]},
          "ConflictResolution": {"ConflictResolvingModel": "SOURCE"}},
         "Matching.AutoMerging.ConflictResolution.SourceName"),
        ({"Enabled": True}, "Matching.AutoMerging.Consolidation"),
        ({"Enabled": True, "Consolidation": {"MatchingAttributesList": [["Nickname"]]}},
         "Matching.AutoMerging.Consolidation.MatchingAttributesList.1.1"),
        ({"Enabled": True, "Consolidation": {"MatchingAttributesList": [["FirstName"]]},
          "MinAllowedConfidenceScoreForMerging": 1.5},
         "MinAllowedConfidenceScoreForMerging"),
    ],
)  # fmt: skip
def test_bad_matching_is_a_400_naming_the_member_and_changes_nothing(
    live_server: LiveServer, auto_merging: dict[str, Any], named: str
) -> None:
    cp = live_server.client()
    bad = {"Enabled": True, "AutoMerging": auto_merging}
    with pytest.raises(ClientError) as err:
        cp.create_domain(DomainName="bad-new", DefaultExpirationDays=30, Matching=bad)
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    assert named in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError):
        cp.get_domain(DomainName="bad-new")  # not created
    name = f"bad-{abs(hash(named)) % 10_000}"
    cp.create_domain(DomainName=name, DefaultExpirationDays=30, Matching=FULL_MATCHING)
    with pytest.raises(ClientError) as err:
        cp.update_domain(DomainName=name, DefaultExpirationDays=5, Matching=bad)
    assert named in err.value.response["Error"]["Message"]
    after = cp.get_domain(DomainName=name)
    assert after["Matching"] == FULL_MATCHING and after["DefaultExpirationDays"] == 30
    cp.delete_domain(DomainName=name)


def test_the_extension_starts_a_job_that_the_job_operations_report(
    live_server: LiveServer,
) -> None:
    cp = live_server.client()
    status, error = start_job(live_server, "nowhere")
    assert status == 404 and "nowhere" in error["Message"]
    unsigned = httpx.post(live_server.endpoint + JOBS_PATH.format("nowhere"), content=b"{}")
    assert unsigned.status_code == 403
    cp.create_domain(DomainName="off", DefaultExpirationDays=30)
    status, error = start_job(live_server, "off")
    assert status == 400 and "Matching" in error["Message"]

    cp.create_domain(DomainName="jobs", DefaultExpirationDays=30, Matching={"Enabled": True})
    cp.create_profile(DomainName="jobs", FirstName="Ana", EmailAddress="ana@example.com")
    status, started = start_job(live_server, "jobs")
    assert status == 200 and set(started) == {"JobId"}
    job_id = started["JobId"]
    assert re.fullmatch("[0-9a-f]{32}", job_id)
    job = wait_for_job(cp, "jobs", job_id)
    assert job["JobId"] == job_id and job["DomainName"] == "jobs"
    assert job["JobEndTime"] >= job["JobStartTime"]
    assert job["LastUpdatedAt"] >= job["JobStartTime"]
    assert (job["JobExpirationTime"] - job["JobStartTime"]).days == 7
    assert set(job["JobStats"]) == {
        "NumberOfProfilesReviewed", "NumberOfMatchesFound", "NumberOfMergesDone"
    }  # fmt: skip
    status, error = start_job(live_server, "jobs", b'{"Engine": "x"}')
    assert status == 400 and "Engine" in error["Message"]

    with pytest.raises(ClientError) as err:
        cp.get_identity_resolution_job(DomainName="jobs", JobId="0" * 32)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_jobs_are_listed_newest_first_in_pages(live_server: LiveServer) -> None:
    cp = live_server.client()
    cp.create_domain(DomainName="listed", DefaultExpirationDays=30, Matching={"Enabled": True})
    started = []
    for _ in range(3):
        started.append(start_job(live_server, "listed")[1]["JobId"])
        time.sleep(0.01)  # distinct start times
    listed: list[str] = []
    kwargs: dict[str, Any] = {"DomainName": "listed", "MaxResults": 2}
    while True:
        page = cp.list_identity_resolution_jobs(**kwargs)
        assert len(page["IdentityResolutionJobsList"]) <= 2
        listed += [j["JobId"] for j in page["IdentityResolutionJobsList"]]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert listed == started[::-1]
    item = cp.list_identity_resolution_jobs(DomainName="listed")["IdentityResolutionJobsList"][0]
    assert {"DomainName", "JobId", "Status", "JobStartTime", "JobStats"} <= set(item)


def test_get_matches_before_any_job_is_empty(live_server: LiveServer) -> None:
    cp = live_server.client()
    cp.create_domain(DomainName="fresh", DefaultExpirationDays=30, Matching={"Enabled": True})
    got = cp.get_matches(DomainName="fresh")
    assert got["Matches"] == [] and got["PotentialMatches"] == 0
    preview = cp.get_auto_merging_preview(
        DomainName="fresh",
        Consolidation={"MatchingAttributesList": [["EmailAddress"]]},
        ConflictResolution={"ConflictResolvingModel": "RECENCY"},
    )
    assert preview["NumberOfMatchesInSample"] == 0
    with pytest.raises(ClientError) as err:
        cp.get_auto_merging_preview(
            DomainName="fresh",
            Consolidation={"MatchingAttributesList": [["EmailAddress"]]},
            ConflictResolution={"ConflictResolvingModel": "SOURCE"},
        )
    assert "ConflictResolution.SourceName" in err.value.response["Error"]["Message"]

"""Identity resolution jobs with the real engine on a live server (both databases): planted
duplicates found and nothing else, GetMatches paging, auto-merge by rule with the minimum
confidence and conflict resolution, a preview that changes nothing, and a server killed
mid-job."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from openprofiles.config import Settings
from openprofiles.context import Caller
from openprofiles.services.container import Services
from openprofiles.storage.database import Database
from tests.integration.test_identity_resolution import start_job, wait_for_job
from tests.support.live_server import LiveServer, start_server
from tests.support.planted import duplicate, people

FINISHED = ("COMPLETED", "PARTIAL_SUCCESS", "FAILED")


@pytest.fixture
def live_server(module_server: tuple[LiveServer, str]) -> LiveServer:
    return module_server[0]


@pytest.fixture
def database_url(module_server: tuple[LiveServer, str]) -> str:
    return module_server[1]


def _planted(cp: Any, domain: str, matching: dict[str, Any]) -> tuple[list[str], list[set[str]]]:
    """A domain of 30 people, 6 of them also written a second way; (every id, the planted
    groups)."""
    cp.create_domain(DomainName=domain, DefaultExpirationDays=30, Matching=matching)
    crowd = people(30, seed=len(domain))
    ids = [cp.create_profile(DomainName=domain, **p)["ProfileId"] for p in crowd]
    groups = []
    for n, i in enumerate(range(0, 30, 5)):
        twin = cp.create_profile(DomainName=domain, **duplicate(crowd[i], n))["ProfileId"]
        ids.append(twin)
        groups.append({ids[i], twin})
    return ids, groups


def _matches(cp: Any, domain: str, page_size: int = 100) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"DomainName": domain, "MaxResults": page_size}
    while True:
        page = cp.get_matches(**kwargs)
        assert len(page["Matches"]) <= page_size
        found += page["Matches"]
        if "NextToken" not in page:
            return found
        kwargs["NextToken"] = page["NextToken"]


def _run(server: LiveServer, domain: str) -> dict[str, Any]:
    status, started = start_job(server, domain)
    assert status == 200, started
    return wait_for_job(server.client(), domain, started["JobId"])


def test_a_job_finds_the_planted_duplicates_and_nothing_else(live_server: LiveServer) -> None:
    cp = live_server.client()
    _, planted = _planted(cp, "planted", {"Enabled": True})
    job = _run(live_server, "planted")
    assert job["Status"] == "COMPLETED", job.get("Message")
    assert job["JobStats"] == {
        "NumberOfProfilesReviewed": 36, "NumberOfMatchesFound": 6, "NumberOfMergesDone": 0
    }  # fmt: skip
    matches = _matches(cp, "planted", page_size=4)  # two pages
    assert sorted(map(sorted, (set(m["ProfileIds"]) for m in matches))) == sorted(
        map(sorted, planted)
    )
    assert all(0 <= m["ConfidenceScore"] <= 1 for m in matches)
    assert len({m["MatchId"] for m in matches}) == 6
    first = cp.get_matches(DomainName="planted", MaxResults=4)
    assert first["PotentialMatches"] == 6 and first["MatchGenerationDate"] <= job["JobEndTime"]
    scores = [m["ConfidenceScore"] for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert cp.get_domain(DomainName="planted")["Stats"]["ProfileCount"] == 36  # nothing merged


def test_the_preview_counts_and_changes_nothing(live_server: LiveServer) -> None:
    cp = live_server.client()
    ids, _ = _planted(cp, "preview", {"Enabled": True})
    _run(live_server, "preview")
    before = _matches(cp, "preview")
    by_email = cp.get_auto_merging_preview(
        DomainName="preview",
        Consolidation={"MatchingAttributesList": [["EmailAddress"]]},
        ConflictResolution={"ConflictResolvingModel": "RECENCY"},
    )
    assert (
        by_email["NumberOfMatchesInSample"],
        by_email["NumberOfProfilesInSample"],
        by_email["NumberOfProfilesWillBeMerged"],
    ) == (6, 12, 12)
    nobody = cp.get_auto_merging_preview(
        DomainName="preview",
        Consolidation={"MatchingAttributesList": [["EmailAddress", "BusinessName"]]},
        ConflictResolution={"ConflictResolvingModel": "RECENCY"},
    )
    assert nobody["NumberOfProfilesWillBeMerged"] == 0
    strict = cp.get_auto_merging_preview(
        DomainName="preview",
        Consolidation={"MatchingAttributesList": [["EmailAddress"]]},
        ConflictResolution={"ConflictResolvingModel": "RECENCY"},
        MinAllowedConfidenceScoreForMerging=1.0,
    )
    above_one = sum(1 for m in before if m["ConfidenceScore"] >= 1.0)
    assert strict["NumberOfProfilesWillBeMerged"] == 2 * above_one
    assert _matches(cp, "preview") == before
    assert cp.get_domain(DomainName="preview")["Stats"]["ProfileCount"] == len(ids)


def test_auto_merge_merges_by_rule_with_recency(live_server: LiveServer) -> None:
    cp = live_server.client()
    matching = {
        "Enabled": True,
        "AutoMerging": {
            "Enabled": True,
            # Twins of odd variant have their first name upper-cased: equal after
            # normalisation, so every twin merges by the first rule; the second rule never
            # holds (nobody has a BusinessName).
            "Consolidation": {
                "MatchingAttributesList": [["FirstName", "EmailAddress"], ["BusinessName"]]
            },
            "ConflictResolution": {"ConflictResolvingModel": "RECENCY"},
            "MinAllowedConfidenceScoreForMerging": 0.0,
        },
    }
    ids, planted = _planted(cp, "merging", matching)
    job = _run(live_server, "merging")
    assert job["Status"] == "COMPLETED", job.get("Message")
    assert job["JobStats"]["NumberOfMergesDone"] == 6
    assert job["AutoMerging"] == matching["AutoMerging"]
    assert cp.get_domain(DomainName="merging")["Stats"]["ProfileCount"] == 30
    twins = [max(group, key=ids.index) for group in planted]  # created later: more recent
    found = cp.batch_get_profile(DomainName="merging", ProfileIds=twins)
    assert sorted(p["ProfileId"] for p in found["Profiles"]) == sorted(twins)


def test_auto_merge_keeps_groups_below_the_minimum_confidence(live_server: LiveServer) -> None:
    cp = live_server.client()
    auto = {
        "Enabled": True,
        "Consolidation": {"MatchingAttributesList": [["EmailAddress"]]},
        "ConflictResolution": {"ConflictResolvingModel": "RECENCY"},
        "MinAllowedConfidenceScoreForMerging": 1.0,
    }
    ids, _ = _planted(cp, "strict", {"Enabled": True, "AutoMerging": auto})
    job = _run(live_server, "strict")
    certain = sum(1 for m in _matches(cp, "strict") if m["ConfidenceScore"] >= 1.0)
    assert job["JobStats"]["NumberOfMergesDone"] == certain
    profiles = cp.get_domain(DomainName="strict")["Stats"]["ProfileCount"]
    assert profiles == len(ids) - certain


def test_source_conflict_resolution_keeps_the_sources_profile(live_server: LiveServer) -> None:
    cp = live_server.client()
    cp.create_domain(DomainName="sourced", DefaultExpirationDays=30)
    cp.put_profile_object_type(
        DomainName="sourced",
        ObjectTypeName="crm",
        Description="CRM contacts",
        AllowProfileCreation=True,
        Fields={
            "id": {"Source": "_source.id", "Target": "_profile.AccountNumber"},
            "first": {"Source": "_source.first", "Target": "_profile.FirstName"},
            "last": {"Source": "_source.last", "Target": "_profile.LastName"},
            "email": {"Source": "_source.email", "Target": "_profile.EmailAddress",
                      "ContentType": "EMAIL_ADDRESS"},
            "phone": {"Source": "_source.phone", "Target": "_profile.PhoneNumber",
                      "ContentType": "PHONE_NUMBER"},
        },
        Keys={"crmId": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["id"]}]},
    )  # fmt: skip
    crowd = people(12, seed=3)
    from_crm = []
    for i, person in enumerate(crowd[:3]):
        obj = {"id": f"c-{i}", "first": person["FirstName"], "last": person["LastName"],
               "email": person["EmailAddress"], "phone": person["PhoneNumber"]}  # fmt: skip
        cp.put_profile_object(DomainName="sourced", ObjectTypeName="crm", Object=json.dumps(obj))
        from_crm.append(
            cp.search_profiles(DomainName="sourced", KeyName="crmId", Values=[f"c-{i}"])["Items"][
                0
            ]["ProfileId"]
        )
    later = [cp.create_profile(DomainName="sourced", **duplicate(p, 1))["ProfileId"]
             for p in crowd[:3]]  # fmt: skip
    for person in crowd[3:]:
        cp.create_profile(DomainName="sourced", **person)
    cp.update_domain(
        DomainName="sourced",
        Matching={
            "Enabled": True,
            "AutoMerging": {
                "Enabled": True,
                "Consolidation": {"MatchingAttributesList": [["EmailAddress"]]},
                "ConflictResolution": {"ConflictResolvingModel": "SOURCE", "SourceName": "crm"},
            },
        },
    )
    job = _run(live_server, "sourced")
    assert job["JobStats"]["NumberOfMergesDone"] == 3, job
    kept = cp.batch_get_profile(DomainName="sourced", ProfileIds=from_crm + later)
    assert sorted(p["ProfileId"] for p in kept["Profiles"]) == sorted(from_crm)
    # The main profile keeps its values; what it lacked comes from the merged one.
    main = {p["ProfileId"]: p for p in kept["Profiles"]}[from_crm[0]]
    assert main["EmailAddress"] == crowd[0]["EmailAddress"]
    assert main["BirthDate"] == crowd[0]["BirthDate"]


def _load(database_url: str, domain: str, count: int) -> None:
    """``count`` profiles through the ingestion engine, a batch per transaction."""
    database = Database.open(database_url)
    try:
        services = Services(database, Settings())
        caller = Caller("000000000000", "us-east-1")
        services.object_types.put(
            caller,
            domain,
            "contact",
            {
                "Description": "contacts",
                "AllowProfileCreation": True,
                "Fields": {
                    "id": {"Source": "_source.id", "Target": "_profile.AccountNumber"},
                    "first": {"Source": "_source.first", "Target": "_profile.FirstName"},
                    "last": {"Source": "_source.last", "Target": "_profile.LastName"},
                    "email": {"Source": "_source.email", "Target": "_profile.EmailAddress"},
                    "phone": {"Source": "_source.phone", "Target": "_profile.PhoneNumber"},
                },
                "Keys": {
                    "contactId": [
                        {"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["id"]}
                    ]
                },
            },
        )
        crowd = people(count - count // 50, seed=11)
        crowd += [duplicate(p) for p in crowd[: count - len(crowd)]]  # some duplicates
        for start in range(0, count, 5000):
            objects = [
                json.dumps({"id": f"k-{i}", "first": p["FirstName"], "last": p["LastName"],
                            "email": p["EmailAddress"], "phone": p["PhoneNumber"]})
                for i, p in enumerate(crowd[start : start + 5000], start)
            ]  # fmt: skip
            services.objects.put_many(caller, domain, "contact", objects)
    finally:
        database.close()


def test_a_server_killed_mid_job_resumes_it(database_url: str, tmp_path: Path) -> None:
    data = tmp_path / "killed"
    server = start_server(database_url, data)
    try:
        cp = server.client()
        cp.create_domain(DomainName="big", DefaultExpirationDays=30, Matching={"Enabled": True})
        _load(database_url, "big", 20_000)
        status, started = start_job(server, "big")
        assert status == 200
        job_id = started["JobId"]
        deadline = time.time() + 60
        while True:
            seen = cp.get_identity_resolution_job(DomainName="big", JobId=job_id)["Status"]
            if seen in ("PREPROCESSING", "FIND_MATCHING", "MERGING"):
                break
            assert seen == "PENDING" and time.time() < deadline, seen
            time.sleep(0.02)
        server.kill()
    finally:
        server.stop()
    restarted = start_server(database_url, data)
    try:
        job = wait_for_job(restarted.client(), "big", job_id, timeout=240)
        assert job["Status"] in ("COMPLETED", "FAILED"), job
        assert "stopped during" in job.get("Message", ""), job
        if job["Status"] == "COMPLETED":
            assert job["JobStats"]["NumberOfProfilesReviewed"] == 20_000
    finally:
        restarted.stop()


def _wait_for_group(cp: Any, domain: str, wanted: set[str], timeout: float = 1.0) -> float:
    """Seconds until GetMatches shows a group of exactly ``wanted``."""
    started = time.monotonic()
    while True:
        groups = [set(m["ProfileIds"]) for m in _matches(cp, domain)]
        if wanted in groups:
            return time.monotonic() - started
        assert time.monotonic() - started < timeout, f"no group {wanted} in {groups}"
        time.sleep(0.02)


def test_real_time_matches_appear_without_a_job(live_server: LiveServer) -> None:
    cp = live_server.client()
    cp.create_domain(DomainName="live", DefaultExpirationDays=30, Matching={"Enabled": True})
    cp.put_profile_object_type(
        DomainName="live",
        ObjectTypeName="web",
        Description="web sign-ups",
        AllowProfileCreation=True,
        Fields={
            "id": {"Source": "_source.id"},
            "first": {"Source": "_source.first", "Target": "_profile.FirstName"},
            "last": {"Source": "_source.last", "Target": "_profile.LastName"},
            "email": {"Source": "_source.email", "Target": "_profile.EmailAddress"},
            "phone": {"Source": "_source.phone", "Target": "_profile.PhoneNumber"},
            "birth": {"Source": "_source.birth", "Target": "_profile.BirthDate"},
        },
        Keys={"webId": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["id"]}]},
    )
    crowd = people(10, seed=5)
    ids = [cp.create_profile(DomainName="live", **p)["ProfileId"] for p in crowd]
    # CreateProfile: a second writing of person 0.
    twin = cp.create_profile(DomainName="live", **duplicate(crowd[0]))["ProfileId"]
    _wait_for_group(cp, "live", {ids[0], twin})
    # PutProfileObject: a web sign-up of person 1 creates a profile that matches.
    p1 = duplicate(crowd[1], 1)
    sign_up = {"id": "w-1", "first": p1["FirstName"], "last": p1["LastName"],
               "email": p1["EmailAddress"], "phone": p1["PhoneNumber"],
               "birth": p1["BirthDate"]}  # fmt: skip
    cp.put_profile_object(DomainName="live", ObjectTypeName="web", Object=json.dumps(sign_up))
    web = cp.search_profiles(DomainName="live", KeyName="webId", Values=["w-1"])["Items"]
    _wait_for_group(cp, "live", {ids[1], web[0]["ProfileId"]})
    # UpdateProfile: a stranger becomes person 2's second writing.
    stranger = cp.create_profile(DomainName="live", FirstName="Nobody")["ProfileId"]
    fields = {k: v for k, v in duplicate(crowd[2]).items() if k != "Address"}
    cp.update_profile(DomainName="live", ProfileId=stranger, **fields)
    _wait_for_group(cp, "live", {ids[2], stranger})
    matches = cp.get_matches(DomainName="live")
    assert matches["PotentialMatches"] == 3 and len(matches["Matches"]) == 3
    assert cp.list_identity_resolution_jobs(DomainName="live")["IdentityResolutionJobsList"] == []
    # A job's groups then replace them: the same three, found by the job.
    job = _run(live_server, "live")
    assert job["JobStats"]["NumberOfMatchesFound"] == 3
    after = {frozenset(m["ProfileIds"]) for m in _matches(cp, "live")}
    assert after == {
        frozenset({ids[0], twin}), frozenset({ids[1], web[0]["ProfileId"]}),
        frozenset({ids[2], stranger})
    }  # fmt: skip


def test_profiles_from_before_matching_are_candidates_after_a_job(
    live_server: LiveServer,
) -> None:
    cp = live_server.client()
    cp.create_domain(DomainName="late", DefaultExpirationDays=30)
    crowd = people(6, seed=8)
    ids = [cp.create_profile(DomainName="late", **p)["ProfileId"] for p in crowd]
    cp.update_domain(DomainName="late", Matching={"Enabled": True})
    assert _run(live_server, "late")["JobStats"]["NumberOfMatchesFound"] == 0
    time.sleep(1)  # the server indexes the domain's profiles after the job
    twin = cp.create_profile(DomainName="late", **duplicate(crowd[2]))["ProfileId"]
    _wait_for_group(cp, "late", {ids[2], twin})

"""What an operator watches (both databases): the metrics' ingest, pool and job series after
real ingestion, and the server's JSON log lines."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.live_server import LiveServer, running_server

CUSTOMER_TYPE: dict[str, Any] = {
    "Description": "customers",
    "AllowProfileCreation": True,
    "Fields": {
        "id": {"Source": "_source.id", "Target": "_profile.AccountNumber", "ContentType": "STRING"},
        "email": {
            "Source": "_source.email",
            "Target": "_profile.EmailAddress",
            "ContentType": "EMAIL_ADDRESS",
        },
    },
    "Keys": {"customerId": [{"StandardIdentifiers": ["PROFILE", "UNIQUE"], "FieldNames": ["id"]}]},
}


def _metrics(server: LiveServer) -> str:
    with urllib.request.urlopen(server.endpoint + "/_openprofiles/metrics", timeout=5) as r:
        return str(r.read().decode())


def _value(text: str, series: str) -> float:
    found = re.search(rf"^{re.escape(series)} (\S+)$", text, re.M)
    assert found, f"{series} missing from the metrics:\n{text}"
    return float(found.group(1))


def test_metrics_count_ingested_and_rejected_objects(live_server: LiveServer) -> None:
    cp = live_server.client()
    cp.create_domain(DomainName="shop", DefaultExpirationDays=30)
    cp.put_profile_object_type(DomainName="shop", ObjectTypeName="Customer", **CUSTOMER_TYPE)
    for i in range(5):
        cp.put_profile_object(
            DomainName="shop", ObjectTypeName="Customer", Object=json.dumps({"id": f"c{i}"})
        )
    cp.put_profile_object(  # same customer again: lands on the existing profile
        DomainName="shop",
        ObjectTypeName="Customer",
        Object=json.dumps({"id": "c0", "email": "a@b.c"}),
    )
    with pytest.raises(ClientError):
        cp.put_profile_object(DomainName="shop", ObjectTypeName="Customer", Object="not json")
    with pytest.raises(ClientError):
        cp.put_profile_object(DomainName="shop", ObjectTypeName="Nope", Object="{}")
    text = _metrics(live_server)
    assert _value(text, 'openprofiles_objects_ingested_total{profile="created"}') == 5
    assert _value(text, 'openprofiles_objects_ingested_total{profile="existing"}') == 1
    assert _value(text, 'openprofiles_objects_rejected_total{reason="invalid"}') == 1
    assert _value(text, 'openprofiles_objects_rejected_total{reason="not_found"}') == 1
    # The purge of expired objects runs at start: a job like any other.
    assert (
        _value(text, 'openprofiles_job_duration_seconds_count{kind="expiry",status="succeeded"}')
        >= 1
    )
    pools = re.findall(r'^openprofiles_db_pool_size\{pool="(\w+)"\} (\d+)$', text, re.M)
    assert pools, text
    for pool, size in pools:
        assert int(size) >= 1
        assert _value(text, f'openprofiles_db_pool_checked_out{{pool="{pool}"}}') >= 0
        assert f'openprofiles_db_pool_overflow{{pool="{pool}"}}' in text


def test_json_log_lines(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"OPENPROFILES_LOG_FORMAT": "json"}
    with running_server(f"sqlite:///{data / 'openprofiles.db'}", data, env) as server:
        answer = server.client().list_domains()
        request_id = answer["ResponseMetadata"]["RequestId"]
        with pytest.raises(ClientError):
            server.client().get_domain(DomainName="missing")
        assert server.stop() == 0
    lines = [json.loads(line) for line in server.log().splitlines() if line.strip()]
    assert lines, "the server wrote no log lines"
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line), line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    access = [line for line in lines if line["logger"] == "openprofiles.access"]
    listed = [line for line in access if "op=ListDomains" in line["message"]]
    assert [line["request_id"] for line in listed] == [request_id]
    assert any("listening on" in line["message"] for line in lines)


def test_integration_runs_are_timed_as_jobs(tmp_path: Path) -> None:
    from tests.integration.test_integration_flows import (
        jsonl,
        make_bucket,
        make_domain,
        projection,
        put_flow,
        run,
        s3_flow,
    )
    from tests.support.s3 import moto_s3, s3_client

    data = tmp_path / "data"
    with moto_s3() as endpoint:
        env = {"OPENPROFILES_S3_ENDPOINT_URL": endpoint}
        with running_server(f"sqlite:///{data / 'openprofiles.db'}", data, env) as server:
            s3, cp = s3_client(endpoint), server.client()
            domain, bucket = make_domain(cp), make_bucket(s3)
            s3.put_object(Bucket=bucket, Key="in/a.jsonl", Body=jsonl([{"id": "1"}, {"id": "2"}]))
            uri = put_flow(cp, domain, s3_flow(bucket, "in/", [projection("id")]))
            assert run(server, domain, uri)["Status"] == "COMPLETED"
            assert run(server, domain, uri)["Status"] == "COMPLETED"
            s3.delete_object(Bucket=bucket, Key="in/a.jsonl")
            s3.delete_bucket(Bucket=bucket)
            failed = run(server, domain, uri, DataPullMode="Complete")
            assert failed["Status"] == "FAILED", failed
            text = _metrics(server)
    name = "openprofiles_job_duration_seconds"
    assert _value(text, f'{name}_count{{kind="integration",status="completed"}}') == 2
    assert _value(text, f'{name}_count{{kind="integration",status="failed"}}') == 1
    assert _value(text, f'{name}_sum{{kind="integration",status="completed"}}') > 0
    assert _value(text, 'openprofiles_objects_ingested_total{profile="created"}') == 2


def test_identity_resolution_jobs_are_timed_as_jobs(live_server: LiveServer) -> None:
    from tests.integration.test_identity_resolution import start_job, wait_for_job

    cp = live_server.client()
    cp.create_domain(DomainName="people", DefaultExpirationDays=30, Matching={"Enabled": True})
    for name in ("Ana", "Ana", "Wei"):
        cp.create_profile(DomainName="people", FirstName=name, EmailAddress="ana@example.com")
    status, started = start_job(live_server, "people")
    assert status == 200, started
    job = wait_for_job(cp, "people", started["JobId"])
    name = "openprofiles_job_duration_seconds"
    labels = f'kind="identity_resolution",status="{job["Status"].lower()}"'
    # The job reads as ended a moment before its runner hands back and records the time.
    deadline = time.monotonic() + 10
    while f"{name}_count{{{labels}}}" not in (text := _metrics(live_server)):
        assert time.monotonic() < deadline, text
        time.sleep(0.05)
    assert _value(text, f"{name}_count{{{labels}}}") == 1
    assert _value(text, f"{name}_sum{{{labels}}}") > 0

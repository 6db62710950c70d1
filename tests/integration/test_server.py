"""The server as an operator and a client see it (both databases)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.support.live_server import LiveServer, free_port, running_server
from tests.support.profile_writers import ProfileWriters, assert_stored_whole
from tests.support.raw_client import signed_request


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_health_and_metrics(live_server: LiveServer) -> None:
    assert _get(live_server.endpoint + "/_openprofiles/health") == (200, b'{"status": "ok"}')
    live_server.client().list_domains()
    status, text = _get(live_server.endpoint + "/_openprofiles/metrics")
    assert status == 200
    assert (
        b'openprofiles_requests_total{service="customer-profiles",operation="ListDomains",'
        b'status="200"} 1'
    ) in text
    assert b"openprofiles_requests_in_flight " in text
    assert b"openprofiles_request_duration_seconds_bucket" in text
    access = [line for line in live_server.log().splitlines() if "openprofiles.access" in line]
    assert any('"GET /domains" 200' in line and "op=ListDomains account=000000000000" in line
               for line in access)  # fmt: skip


def _metric(text: bytes, name: str) -> int:
    found = re.search(rb"^" + name.encode() + rb" (\d+)$", text, re.M)
    assert found, f"{name} missing from the metrics"
    return int(found.group(1))


def test_concurrent_writes_each_stand_or_fall_alone(
    live_server: LiveServer, database_url: str
) -> None:
    """Concurrent creates, a third of them refused (no such domain): every answered profile
    is there and no refused one is; on SQLite the writes were committed in groups."""
    live_server.client().create_domain(DomainName="d", DefaultExpirationDays=1)
    clients, writes_each = 12, 10
    # Every client holds its own keep-alive connection and starts with the others, so that
    # writes arrive while another group's commit is under way and share the next one.
    start = threading.Barrier(clients)

    def create(n: int) -> list[str | None]:
        client = live_server.client()
        client.list_domains()  # connected before the barrier
        start.wait()
        answered: list[str | None] = []
        for i in range(n * writes_each, (n + 1) * writes_each):
            domain = "d" if i % 3 else "missing"
            try:
                answered.append(
                    str(client.create_profile(DomainName=domain, FirstName=f"p{i}")["ProfileId"])
                )
            except ClientError as err:
                assert err.response["Error"]["Code"] == "ResourceNotFoundException"
                answered.append(None)
        return answered

    with ThreadPoolExecutor(clients) as pool:
        answered = [pid for some in pool.map(create, range(clients)) for pid in some]
    writes = clients * writes_each
    created = {pid for pid in answered if pid}
    assert len(created) == 80
    found = live_server.client().search_profiles(
        DomainName="d", KeyName="_fullName", Values=[f"p{i}" for i in range(writes) if i % 3][:20]
    )
    assert len(found["Items"]) == 20
    stored: set[str] = set()
    ids = sorted(created)
    for start_at in range(0, len(ids), 20):
        batch = live_server.client().batch_get_profile(
            DomainName="d", ProfileIds=ids[start_at : start_at + 20]
        )
        stored |= {p["ProfileId"] for p in batch["Profiles"]}
    assert stored == created
    _, text = _get(live_server.endpoint + "/_openprofiles/metrics")
    if database_url.startswith("sqlite"):
        # Every write joined a group (the domain and every create, refused or not); fewer
        # groups than accepted writes means some commit served two or more of those.
        assert _metric(text, "openprofiles_grouped_writes_total") == writes + 1
        assert _metric(text, "openprofiles_write_groups_total") < len(created) + 1
    else:
        assert b"openprofiles_write_groups_total" not in text


def test_presigned_url_and_encoded_arn_path(live_server: LiveServer) -> None:
    live_server.client().create_domain(DomainName="d", DefaultExpirationDays=1)
    arn = "arn:aws:profile:us-east-1:000000000000:domains/d"
    request = AWSRequest(method="GET", url=f"{live_server.endpoint}/tags/{quote(arn, safe='')}")
    SigV4QueryAuth(Credentials("test", "test"), "profile", "us-east-1", 60).add_auth(request)
    status, body = _get(request.prepare().url)
    assert status == 200, body
    assert json.loads(body) == {"tags": {}}


def test_authentication_errors(live_server: LiveServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as unsigned:
        urllib.request.urlopen(live_server.endpoint + "/domains")
    status, headers, body = unsigned.value.code, unsigned.value.headers, unsigned.value.read()
    assert status == 403
    assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert json.loads(body)["Message"] == "Missing Authentication Token"

    unsigned_client: Any = live_server.client(signature_version=UNSIGNED)
    with pytest.raises(ClientError) as missing:
        unsigned_client.list_domains()
    assert missing.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    for kwargs, code in [
        ({"access_key": "nobody"}, "UnrecognizedClientException"),
        ({"secret_key": "wrong"}, "InvalidSignatureException"),
    ]:
        client: Any = live_server.client(**kwargs)
        with pytest.raises(ClientError) as err:
            client.list_domains()
        assert err.value.response["Error"]["Code"] == code
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def _scope_refusal(response: tuple[int, dict[str, str], bytes]) -> str:
    status, headers, body = response
    assert (status, headers["x-amzn-errortype"]) == (403, "InvalidSignatureException"), body
    message: str = json.loads(body).get("Message") or json.loads(body)["message"]
    return message


def test_the_credential_scope_names_the_service_and_a_real_region(
    live_server: LiveServer,
) -> None:
    """Raw signed requests: signed for another service or a region that does not exist, each
    is refused as AWS refuses it, on AWS operations, b2bi and the /_openprofiles/ extensions."""
    endpoint = live_server.endpoint
    live_server.client().create_domain(DomainName="d", DefaultExpirationDays=1)
    b2bi_headers = {
        "X-Amz-Target": "B2BI.ListProfiles",
        "Content-Type": "application/x-amz-json-1.0",
    }

    def b2bi(service: str) -> tuple[int, dict[str, str], bytes]:
        return signed_request(endpoint, "POST", "/", body=b"{}", headers=b2bi_headers,
                              service=service)  # fmt: skip

    letters = "/_openprofiles/domains/d/dead-letters"

    assert signed_request(endpoint, "GET", "/domains")[0] == 200
    assert b2bi("b2bi")[0] == 200
    assert signed_request(endpoint, "GET", letters)[0] == 200
    for path in ("/domains", letters):
        assert _scope_refusal(signed_request(endpoint, "GET", path, service="s3")) == (
            "Credential should be scoped to correct service: 'profile'."
        )
        refused = _scope_refusal(signed_request(endpoint, "GET", path, region="mars-north-9"))
        assert refused.startswith("Credential should be scoped to a valid region.")
    assert _scope_refusal(b2bi("profile")) == (
        "Credential should be scoped to correct service: 'b2bi'."
    )


def test_a_configured_region_list_is_honoured(database_url: str, tmp_path: Path) -> None:
    env = {"OPENPROFILES_REGIONS": "eu-west-1,ap-southeast-2"}
    with running_server(database_url, tmp_path / "data", env) as server:
        for region in ("eu-west-1", "ap-southeast-2"):
            assert signed_request(server.endpoint, "GET", "/domains", region=region)[0] == 200
        refused = _scope_refusal(signed_request(server.endpoint, "GET", "/domains"))
        assert "'us-east-1'" in refused and "one of ap-southeast-2, eu-west-1" in refused


def test_unknown_paths_and_bad_json_answer_json(live_server: LiveServer) -> None:
    for path in ("/no/such/thing", "/_openprofiles/nothing"):
        status, headers, body = signed_request(live_server.endpoint, "GET", path)
        assert status == 404 and headers["content-type"].startswith("application/json")
        assert "Message" in json.loads(body)
    status, headers, body = signed_request(
        live_server.endpoint, "POST", "/domains/x", body=b"{not json"
    )
    assert status == 400 and headers["x-amzn-errortype"] == "BadRequestException"
    assert "JSON" in json.loads(body)["Message"]


def test_unimplemented_operation_names_itself(live_server: LiveServer) -> None:
    with pytest.raises(ClientError) as err:
        live_server.client().list_event_streams(DomainName="d")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert "ListEventStreams" in err.value.response["Error"]["Message"]


def test_sigterm_shuts_down_cleanly(database_url: str, tmp_path: Path) -> None:
    """SIGTERM while clients write: the server exits with 0, and after a restart every
    acknowledged profile is there, whole, and a write in flight is whole or absent."""
    with running_server(database_url, tmp_path) as server:
        server.client().create_domain(DomainName="d", DefaultExpirationDays=1)
        with ProfileWriters(server, "d") as writers:
            writers.wait_for(50)
            assert server.stop() == 0
    with running_server(database_url, tmp_path) as restarted:
        assert_stored_whole(restarted.client(), writers)


def test_port_zero_reports_the_port_it_bound(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "openprofiles", "serve", "--port", "0",
         "--data-dir", str(tmp_path)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        line = ""
        deadline = time.time() + 30
        while "listening on" not in line and time.time() < deadline:
            line = process.stderr.readline()
        found = re.search(r"listening on http://127\.0\.0\.1:(\d+) ", line)
        assert found, line
        port = int(found.group(1))
        assert port != 0
        assert _get(f"http://127.0.0.1:{port}/_openprofiles/health")[0] == 200
    finally:
        process.terminate()
        process.wait(20)


def test_refuses_public_bind_with_default_credentials(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "openprofiles", "serve", "--host", "0.0.0.0",
         "--port", str(free_port()), "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 2
    assert "default credentials" in result.stderr

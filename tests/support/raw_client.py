"""Signed requests without client-side validation, and the AWS CLI, for integration tests.

- ``signed_request(endpoint, method, path, body=..., headers=..., query=...)``: any bytes,
  SigV4-signed by botocore; returns (status, headers, body bytes).
- ``call(endpoint, "customer-profiles", "CreateDomain", {...})``: botocore serializes the
  params without validating them, so deliberately bad input reaches the server; returns
  (status, headers, parsed JSON or None).
- ``aws_cli(endpoint, "customer-profiles", "list-domains")``: the AWS CLI of this venv.

Credentials default to test/test (account 000000000000); pass ``access_key``/``secret_key``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any
from urllib.parse import quote

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.serialize import create_serializer

from openprofiles.protocol.models import load_service_model

# One keep-alive client for the whole test run: sweeps send hundreds of requests.
_http = httpx.Client(timeout=30)

SIGNING_NAMES = {"customer-profiles": "profile", "b2bi": "b2bi"}


def signed_request(
    endpoint: str,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    query: str = "",
    service: str = "profile",
    region: str = "us-east-1",
    access_key: str = "test",
    secret_key: str = "test",
) -> tuple[int, dict[str, str], bytes]:
    """Sign with botocore's SigV4 and send; (status, headers, body)."""
    url = endpoint + path + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    SigV4Auth(Credentials(access_key, secret_key), service, region).add_auth(request)
    response = _http.request(method, url, content=body, headers=dict(request.headers.items()))
    return response.status_code, dict(response.headers), response.content


def call(
    endpoint: str,
    service_name: str,
    operation_name: str,
    params: dict[str, Any],
    **credentials: str,
) -> tuple[int, dict[str, str], Any]:
    """Serialize ``params`` with botocore (no validation, so bad input reaches the server),
    sign and send; (status, headers, parsed JSON body or None)."""
    model = load_service_model(service_name)
    operation = model.operation_model(operation_name)
    serialized = create_serializer(model.metadata["protocol"], include_validation=False)
    request = serialized.serialize_to_request(params, operation)
    query = request["query_string"]
    if isinstance(query, dict):
        query = "&".join(
            f"{quote(str(k), safe='-_.~')}={quote(str(v), safe='-_.~')}"
            for k, values in request["query_string"].items()
            for v in (values if isinstance(values, list) else [values])
        )
    body = request["body"]
    if isinstance(body, str):
        body = body.encode()
    status, headers, content = signed_request(
        endpoint,
        request["method"],
        request["url_path"],
        body=body or b"",
        headers={k: str(v) for k, v in request["headers"].items()},
        query=query,
        service=SIGNING_NAMES[service_name],
        **credentials,
    )
    try:
        parsed = json.loads(content) if content else None
    except ValueError:
        parsed = None
    return status, headers, parsed


def aws_cli(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the AWS CLI from this environment against ``endpoint`` with credentials test/test,
    region us-east-1 and ``--output json``; e.g. ``aws_cli(url, "customer-profiles",
    "list-domains")``. Text output and exit status are in the CompletedProcess."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
        # Keep the developer's own ~/.aws configuration out of the tests.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "awscli", "--endpoint-url", endpoint, "--output", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

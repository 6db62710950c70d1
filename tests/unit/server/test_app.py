"""The ASGI app: its own endpoints, what it hands the gateway, metrics and the access log."""

from __future__ import annotations

import json
import logging
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from openprofiles.config import Settings
from openprofiles.protocol.http import HttpRequest, HttpResponse
from openprofiles.server.app import App, create_app
from openprofiles.server.extensions import Extensions


class StubGateway:
    """Records what it was given; answers 200 as operation Echo for account 123."""

    def __init__(self, fail: bool = False) -> None:
        self.requests: list[HttpRequest] = []
        self.fail = fail

    async def handle(self, request: HttpRequest) -> HttpResponse:
        if self.fail:
            raise RuntimeError("boom")
        self.requests.append(request)
        return HttpResponse(
            200,
            {"Content-Type": "application/json", "x-amzn-RequestId": "rid-1"},
            b"{}",
            operation="Echo",
            account="123456789012",
        )


class Client:
    """Requests straight into the ASGI app (no lifespan: tests set the gateway themselves)."""

    def __init__(self, app: Any, raise_app_exceptions: bool = True) -> None:
        self.transport = httpx.ASGITransport(
            app=app, client=("198.51.100.7", 50000), raise_app_exceptions=raise_app_exceptions
        )

    async def arequest(self, method: str, path: str, **kw: Any) -> httpx.Response:
        async with httpx.AsyncClient(
            transport=self.transport, base_url="http://localhost:4599"
        ) as client:
            return await client.request(method, path, **kw)

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            return await self.arequest(method, path, **kw)

        return anyio.run(go)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)


def _app(tmp_path: Path, gateway: StubGateway | None = None) -> App:
    app = create_app(Settings(data_dir=tmp_path))
    if gateway is not None:
        app.gateway = gateway  # type: ignore[assignment]
        app.extensions = Extensions(gateway)  # type: ignore[arg-type]
    return app


def test_health_is_503_until_started_then_200(tmp_path: Path) -> None:
    app = _app(tmp_path)
    client = Client(app)  # lifespan not run: database not open
    response = client.get("/_openprofiles/health")
    assert (response.status_code, response.json()) == (503, {"status": "starting"})
    app.gateway = StubGateway()  # type: ignore[assignment]
    assert client.get("/_openprofiles/health").json() == {"status": "ok"}


def test_request_reaches_the_gateway_as_sent(tmp_path: Path) -> None:
    gateway = StubGateway()
    client = Client(_app(tmp_path, gateway))
    path = "/tags/arn%3Aaws%3Aprofile%3Aus-east-1%3A1%3Adomains%2Fd"
    response = client.post(
        path + "?b=2&a=%2B1",
        content=b'{"x": 1}',
        headers=[("X-Thing", "one"), ("x-thing", "two")],
    )
    assert response.status_code == 200
    assert response.headers["content-length"] == "2"
    (seen,) = gateway.requests
    assert (seen.method, seen.path, seen.query_string) == ("POST", path, "b=2&a=%2B1")
    assert seen.body == b'{"x": 1}'
    assert seen.headers["x-thing"] == "one,two"
    assert all(name == name.lower() for name in seen.headers)


def test_unknown_openprofiles_path_is_json_404(tmp_path: Path) -> None:
    client = Client(_app(tmp_path, StubGateway()))
    for method in ("GET", "POST", "DELETE"):
        response = client.request(method, "/_openprofiles/no/such/thing")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/json")
        assert "Message" in response.json()


def test_unexpected_exception_is_a_json_500(tmp_path: Path) -> None:
    client = Client(_app(tmp_path, StubGateway(fail=True)), raise_app_exceptions=False)
    response = client.get("/domains")
    assert response.status_code == 500
    assert response.json() == {"Message": "An internal error occurred"}


def test_metrics_count_requests(tmp_path: Path) -> None:
    client = Client(_app(tmp_path, StubGateway()))
    client.get("/domains")
    client.post("/", headers={"X-Amz-Target": "B2BI.ListProfiles"}, content=b"{}")
    text = client.get("/_openprofiles/metrics").text
    assert 'openprofiles_requests_total{service="customer-profiles",operation="Echo",' in text
    assert 'openprofiles_requests_total{service="b2bi",operation="Echo",status="200"} 1' in text
    assert 'openprofiles_request_duration_seconds_count{service="b2bi",operation="Echo"} 1' in text
    assert "openprofiles_requests_in_flight 1" in text  # the metrics request itself


def test_access_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    client = Client(_app(tmp_path, StubGateway()))
    with caplog.at_level(logging.INFO, logger="openprofiles.access"):
        client.get("/domains?max-results=1")
    (record,) = [r for r in caplog.records if r.name == "openprofiles.access"]
    line = record.getMessage()
    assert '"GET /domains" 200' in line
    assert "op=Echo account=123456789012 id=rid-1" in line
    assert line.split()[0] == "198.51.100.7"


def test_mounted_app_gets_its_prefix(tmp_path: Path) -> None:
    async def console(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["path"].encode()})

    app = _app(tmp_path, StubGateway())
    app.mount("/_openprofiles/plugin", console)
    client = Client(app)
    assert client.get("/_openprofiles/plugin/x").text == "/_openprofiles/plugin/x"
    # Counted beside the API's requests, named by its prefix.
    metrics = client.get("/_openprofiles/metrics").text
    assert 'operation="plugin",status="200"' in metrics
    with pytest.raises(ValueError):
        app.mount("/console", console)


def test_lifespan_opens_the_database_and_serves_signed_calls(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    client = Client(app)
    events: list[str] = []

    async def scenario() -> httpx.Response:
        to_app, from_server = anyio.create_memory_object_stream[MutableMapping[str, Any]](4)

        async def send(message: MutableMapping[str, Any]) -> None:
            events.append(message["type"])

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(app, {"type": "lifespan"}, from_server.receive, send)
            await to_app.send({"type": "lifespan.startup"})
            while not events:
                await anyio.sleep(0.01)
            assert (await client.arequest("GET", "/_openprofiles/health")).status_code == 200
            request = AWSRequest(method="GET", url="http://localhost:4599/domains")
            SigV4Auth(Credentials("test", "test"), "profile", "us-east-1").add_auth(request)
            response = await client.arequest(
                "GET", "/domains", headers=dict(request.headers.items())
            )
            await to_app.send({"type": "lifespan.shutdown"})
        return response

    response = anyio.run(scenario)
    assert response.status_code == 200, response.text
    assert json.loads(response.content)["Items"] == []
    assert events == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert app.gateway is None  # shut down: database closed
    assert (tmp_path / "openprofiles.db").exists()


def test_the_console_is_served_under_its_prefix_once_started(tmp_path: Path) -> None:
    client = Client(_app(tmp_path))  # lifespan not run: no services yet
    assert client.get("/_openprofiles/console/domains").status_code == 503
    assert client.get("/_openprofiles/console/sign-in").status_code == 503

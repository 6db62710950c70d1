"""The whole pipeline with a fake authenticator and handlers registered for the test."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest

from openprofiles.clock import FixedClock
from openprofiles.config import Credential
from openprofiles.context import Caller
from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.handlers import registry
from openprofiles.handlers.context import RequestContext
from openprofiles.protocol.gateway import Gateway
from openprofiles.protocol.http import HttpRequest, HttpResponse
from openprofiles.protocol.models import B2BI, CUSTOMER_PROFILES, load_service_model
from openprofiles.protocol.scope import CredentialScope
from tests.unit.protocol.wire import botocore_parse

CALLER = Caller(account="111122223333", region="eu-west-1", access_key="AKID")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _authenticate(
    request: HttpRequest,
    credentials: Mapping[str, Credential],
    expected: CredentialScope,
    now: datetime,
) -> Caller:
    assert now == NOW
    if request.headers.get("authorization") == "none":
        raise ServiceError(ErrorKind.MISSING_AUTH, "Missing Authentication Token")
    return CALLER


@pytest.fixture
def gateway() -> Gateway:
    return Gateway(object(), {}, FixedClock(NOW), authenticate=_authenticate)


Register = Callable[[tuple[str, str], registry.Handler | None], None]


@pytest.fixture
def register(monkeypatch: pytest.MonkeyPatch) -> Register:
    """Register (or, with None, remove) a handler for this test only."""
    registry.load_all()

    def register(key: tuple[str, str], fn: registry.Handler | None) -> None:
        if fn is None:
            monkeypatch.delitem(registry._HANDLERS, key, raising=False)
        else:
            monkeypatch.setitem(registry._HANDLERS, key, fn)

    return register


def _run(gateway: Gateway, request: HttpRequest) -> HttpResponse:
    async def go() -> HttpResponse:
        return await gateway.handle(request)

    return anyio.run(go)


def _rest(method: str, path: str, body: bytes = b"", **headers: str) -> HttpRequest:
    return HttpRequest(method, path, "", {"content-type": "application/json", **headers}, body)


def _b2bi(operation: str, body: bytes) -> HttpRequest:
    headers = {"x-amz-target": f"B2BI.{operation}", "content-type": "application/x-amz-json-1.0"}
    return HttpRequest("POST", "/", "", headers, body)


def test_success_customer_profiles(gateway: Gateway, register: Register) -> None:
    seen: list[tuple[RequestContext, dict[str, Any]]] = []

    def get_domain(ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        seen.append((ctx, req))
        return {
            "DomainName": req["DomainName"],
            "DefaultExpirationDays": 30,
            "CreatedAt": datetime(2025, 5, 6, tzinfo=UTC),
            "LastUpdatedAt": datetime(2025, 5, 7, tzinfo=UTC),
        }

    register((CUSTOMER_PROFILES, "GetDomain"), get_domain)
    response = _run(gateway, _rest("GET", "/domains/sales"))
    assert response.status == 200
    assert response.operation == "GetDomain" and response.account == CALLER.account
    ctx, req = seen[0]
    assert req == {"DomainName": "sales"}
    assert ctx.caller == CALLER
    assert ctx.request_id == response.headers["x-amzn-RequestId"]
    op_model = load_service_model(CUSTOMER_PROFILES).operation_model("GetDomain")
    parsed = botocore_parse(op_model, response)
    assert parsed["DomainName"] == "sales"
    assert parsed["CreatedAt"].timestamp() == datetime(2025, 5, 6, tzinfo=UTC).timestamp()


def test_success_b2bi(gateway: Gateway, register: Register) -> None:
    def get_profile(ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        return {
            "profileId": req["profileId"],
            "name": "n",
            "phone": "+12065550100",
            "businessName": "b",
            "createdAt": datetime(2025, 1, 1, tzinfo=UTC),
        }

    register((B2BI, "GetProfile"), get_profile)
    response = _run(gateway, _b2bi("GetProfile", b'{"profileId": "p-0123456789abcdefghijk"}'))
    assert response.status == 200, response.body
    assert response.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert json.loads(response.body)["profileId"] == "p-0123456789abcdefghijk"


def test_unimplemented_operation_is_501(gateway: Gateway, register: Register) -> None:
    register((CUSTOMER_PROFILES, "GetDomainLayout"), None)
    response = _run(gateway, _rest("GET", "/domains/d/layouts/l"))
    assert response.status == 501
    assert response.headers["x-amzn-ErrorType"] == "NotImplementedException"
    message = json.loads(response.body)["Message"]
    assert "GetDomainLayout" in message and "openprofiles" in message
    assert response.operation == "GetDomainLayout"


def test_malformed_json_is_400(gateway: Gateway, register: Register) -> None:
    register((CUSTOMER_PROFILES, "CreateDomain"), lambda ctx, req: {})
    response = _run(gateway, _rest("POST", "/domains/d", b"{not json"))
    assert response.status == 400
    assert response.headers["x-amzn-ErrorType"] == "BadRequestException"
    assert "not valid JSON" in json.loads(response.body)["Message"]


def test_validation_error_is_400(gateway: Gateway) -> None:
    response = _run(gateway, _b2bi("CreateProfile", b'{"name": "n"}'))
    assert response.status == 400
    body = json.loads(response.body)
    assert body["__type"] == "ValidationException"
    assert "'phone'" in body["Message"]


def test_service_error_from_handler(gateway: Gateway, register: Register) -> None:
    def missing(ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        raise ServiceError(ErrorKind.NOT_FOUND, "no such domain")

    register((CUSTOMER_PROFILES, "GetDomain"), missing)
    response = _run(gateway, _rest("GET", "/domains/d"))
    assert response.status == 404
    assert json.loads(response.body) == {"Message": "no such domain"}


def test_unexpected_exception_is_500_without_traceback(
    gateway: Gateway, register: Register, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("secret internals")

    register((CUSTOMER_PROFILES, "GetDomain"), broken)
    with caplog.at_level(logging.ERROR):
        response = _run(gateway, _rest("GET", "/domains/d"))
    assert response.status == 500
    assert response.headers["x-amzn-ErrorType"] == "InternalServerException"
    message = json.loads(response.body)["Message"]
    assert response.headers["x-amzn-RequestId"] in message
    assert "secret internals" not in response.body.decode()
    assert "Traceback" not in response.body.decode()
    assert any(r.exc_info for r in caplog.records)


def test_authentication_failure(gateway: Gateway) -> None:
    response = _run(gateway, _rest("GET", "/domains/d", authorization="none"))
    assert response.status == 403
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert response.account == ""


def test_unknown_path_is_json_404(gateway: Gateway) -> None:
    response = _run(gateway, _rest("GET", "/no/such/thing"))
    assert response.status == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert "Message" in json.loads(response.body)


def test_unknown_b2bi_target(gateway: Gateway) -> None:
    response = _run(gateway, _b2bi("Teleport", b"{}"))
    assert response.status == 404
    assert json.loads(response.body)["__type"] == "UnknownOperationException"


def test_calls_arriving_together_share_one_combined_run(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.load_all()
    runs: list[list[str]] = []

    def put_all(calls: Any) -> list[dict[str, Any] | Exception]:
        runs.append([req["Object"] for _, req in calls])
        return [
            ServiceError(ErrorKind.INVALID, "refused")
            if req["Object"] == "bad"
            else {"ProfileObjectUniqueKey": req["Object"]}
            for _, req in calls
        ]

    def same_type(ctx: RequestContext, req: dict[str, Any]) -> Any:
        return (req["DomainName"], req["ObjectTypeName"])

    monkeypatch.setitem(
        registry._COMBINERS,
        (CUSTOMER_PROFILES, "PutProfileObject"),
        registry.Combiner(same_type, put_all),
    )
    objects = ["a", "bad", "c", "d"]
    responses: dict[str, HttpResponse] = {}

    async def put(obj: str) -> None:
        body = json.dumps({"ObjectTypeName": "t", "Object": obj}).encode()
        responses[obj] = await gateway.handle(_rest("PUT", "/domains/d/profiles/objects", body))

    async def go() -> None:
        async with anyio.create_task_group() as group:
            for obj in objects:
                group.start_soon(put, obj)

    anyio.run(go)
    assert runs == [objects]  # one run, in arrival order
    for obj in ("a", "c", "d"):
        assert responses[obj].status == 200
        assert json.loads(responses[obj].body) == {"ProfileObjectUniqueKey": obj}
    assert responses["bad"].status == 400
    assert json.loads(responses["bad"].body)["Message"] == "refused"

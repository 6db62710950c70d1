"""The /_openprofiles/ extension router: what reaches a handler's params, and bad bodies."""

from __future__ import annotations

import re
from typing import Any

import anyio
import pytest

from openprofiles.context import Caller
from openprofiles.handlers.context import RequestContext
from openprofiles.protocol.http import HttpRequest
from openprofiles.server.extensions import Extensions


class _Gateway:
    services: Any = None

    def caller_of(self, request: HttpRequest, service: str) -> Caller:
        return Caller(account="123456789012", region="us-east-1")


def _extensions(seen: list[dict[str, Any]]) -> Extensions:
    def echo(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        seen.append(params)
        return {"ok": True}

    ext = Extensions(_Gateway())  # type: ignore[arg-type]
    pattern = re.compile(r"^/_openprofiles/things/(?P<Name>[^/]+)$")
    ext.routes.append(("POST", pattern, "Echo", echo))
    return ext


def _post(ext: Extensions, path: str, body: bytes, query: str = "") -> Any:
    request = HttpRequest("POST", path, query, {}, body)
    return anyio.run(ext.handle, request)


def test_json_body_members_path_labels_and_query_reach_the_handler() -> None:
    seen: list[dict[str, Any]] = []
    ext = _extensions(seen)
    response = _post(
        ext, "/_openprofiles/things/a%20b", b'{"Uri": "u", "Name": "x"}', "max-results=3"
    )
    assert response.status == 200
    assert seen == [{"Uri": "u", "Name": "a b", "MaxResults": "3"}]  # the path label wins


@pytest.mark.parametrize("body", [b"", b"  ", b"{}"])
def test_an_empty_body_or_object_gives_no_members(body: bytes) -> None:
    seen: list[dict[str, Any]] = []
    assert _post(_extensions(seen), "/_openprofiles/things/n", body).status == 200
    assert seen == [{"Name": "n"}]


@pytest.mark.parametrize("body", [b"[1]", b"not json", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_a_400(body: bytes) -> None:
    seen: list[dict[str, Any]] = []
    response = _post(_extensions(seen), "/_openprofiles/things/n", body)
    assert response.status == 400
    assert b"must be a JSON object" in response.body
    assert seen == []

"""openprofiles' own API under /_openprofiles/, SigV4-signed like the AWS operations.

Routes are data: (method, path pattern) -> handler taking (ctx, params). Path labels, query
parameters (``max-results`` -> MaxResults, ``next-token`` -> NextToken) and the members of a
JSON object body become params; a path label or query parameter wins over a body member of its
name.
Requests are signed for customer-profiles (service ``profile``) and errors are
customer-profiles-shaped.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

import anyio.to_thread

from openprofiles import jsontext
from openprofiles.context import current_request_id
from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.handlers.context import RequestContext
from openprofiles.protocol.gateway import Gateway
from openprofiles.protocol.http import HttpRequest, HttpResponse
from openprofiles.protocol.models import CUSTOMER_PROFILES
from openprofiles.protocol.serializer import serialize_error

Handler = Callable[[RequestContext, dict[str, Any]], dict[str, Any]]
_QUERY_NAMES = {"max-results": "MaxResults", "next-token": "NextToken"}
_SENT_NAMES = {member: query for query, member in _QUERY_NAMES.items()}
_MEMBERS = re.compile(r"\b(" + "|".join(_SENT_NAMES) + r")\b")


def _routes() -> list[tuple[str, re.Pattern[str], str, Handler]]:
    from openprofiles.handlers.identity_resolution import start_identity_resolution_job
    from openprofiles.handlers.integrations import (
        list_integration_runs,
        post_contact_records,
        run_integration,
    )
    from openprofiles.handlers.merges import get_merge, list_merges, undo_merge
    from openprofiles.handlers.objects import list_dead_letters

    merges = r"^/_openprofiles/domains/(?P<DomainName>[^/]+)/merges"
    return [
        (
            "GET",
            re.compile(r"^/_openprofiles/domains/(?P<DomainName>[^/]+)/dead-letters/?$"),
            "ListDeadLetters",
            list_dead_letters,
        ),
        (
            "POST",
            re.compile(
                r"^/_openprofiles/domains/(?P<DomainName>[^/]+)/identity-resolution-jobs/?$"
            ),
            "StartIdentityResolutionJob",
            start_identity_resolution_job,
        ),
        ("GET", re.compile(merges + r"/?$"), "ListMerges", list_merges),
        ("GET", re.compile(merges + r"/(?P<MergeId>[^/]+)/?$"), "GetMerge", get_merge),
        ("POST", re.compile(merges + r"/(?P<MergeId>[^/]+)/undo/?$"), "UndoMerge", undo_merge),
        (
            "POST",
            re.compile(r"^/_openprofiles/domains/(?P<DomainName>[^/]+)/integrations/run/?$"),
            "RunIntegration",
            run_integration,
        ),
        (
            "GET",
            re.compile(r"^/_openprofiles/domains/(?P<DomainName>[^/]+)/integrations/runs/?$"),
            "ListIntegrationRuns",
            list_integration_runs,
        ),
        (
            "POST",
            re.compile(r"^/_openprofiles/connect/contact-records/?$"),
            "PutContactRecords",
            post_contact_records,
        ),
    ]


class Extensions:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.routes = _routes()

    def _route(self, request: HttpRequest) -> tuple[str, Handler, re.Match[str]] | None:
        for method, pattern, name, handler in self.routes:
            match = pattern.match(request.path)
            if match and request.method == method:
                return name, handler, match
        return None

    async def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        current_request_id.set(request_id)
        name = ""
        try:
            found = self._route(request)
            if found is None:
                raise ServiceError(
                    ErrorKind.UNKNOWN_OPERATION,
                    f"No openprofiles endpoint {request.method} {request.path}",
                )
            name, handler, match = found
            caller = self.gateway.caller_of(request, CUSTOMER_PROFILES)
            params: dict[str, Any] = {k: unquote(v) for k, v in match.groupdict().items()}
            for key, value in parse_qsl(request.query_string):
                params[_QUERY_NAMES.get(key, key)] = value
            params = {**_body_members(request.body), **params}
            ctx = RequestContext(caller, self.gateway.services, request_id)
            output = await anyio.to_thread.run_sync(functools.partial(handler, ctx, params))
            response = HttpResponse(
                200,
                {"Content-Type": "application/json", "x-amzn-RequestId": request_id},
                json.dumps(output).encode(),
            )
        except ServiceError as exc:
            response = serialize_error(CUSTOMER_PROFILES, _as_sent(exc), request_id)
        response.operation = name
        return response


def _body_members(body: bytes) -> dict[str, Any]:
    """The members of a JSON object body; an empty body has none. Read by jsontext.parse, as
    the AWS operations' bodies are, so a lone surrogate escape is refused here too."""
    if not body.strip():
        return {}
    try:
        members = jsontext.parse(body)
    except ValueError:
        members = None
    if not isinstance(members, dict):
        raise ServiceError(ErrorKind.INVALID, "The request body must be a JSON object, e.g. {}")
    return members


def _as_sent(error: ServiceError) -> ServiceError:
    """``error`` naming the query parameters as the client sent them (``max-results``, not
    ``MaxResults``): handlers and the pager name them as the AWS operations' members."""
    message = _MEMBERS.sub(lambda m: _SENT_NAMES[m.group(1)], error.message)
    return ServiceError(error.kind, message, **error.fields)

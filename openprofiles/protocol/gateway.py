"""The request pipeline: authenticate → route → parse → validate → handler → serialize.

Whatever happens, the client gets an AWS-shaped response with ``x-amzn-RequestId``; an
unexpected exception is logged with its traceback and answered with a 500 whose message names
the request id (never the traceback).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import uuid
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any, cast

import anyio.to_thread

from openprofiles.clock import Clock, SystemClock
from openprofiles.config import Credential
from openprofiles.context import Caller, current_request_id
from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.handlers.context import RequestContext
from openprofiles.handlers.registry import Combiner, find_combiner, find_handler
from openprofiles.protocol.http import HttpRequest, HttpResponse
from openprofiles.protocol.models import B2BI, CUSTOMER_PROFILES, SERVICES
from openprofiles.protocol.parser import parse_json_request, parse_rest_request
from openprofiles.protocol.router import rest_router, target_router
from openprofiles.protocol.scope import CredentialScope, credential_scope
from openprofiles.protocol.serializer import serialize_error, serialize_output
from openprofiles.protocol.validator import validate

log = logging.getLogger(__name__)

Authenticate = Callable[[HttpRequest, Mapping[str, Credential], CredentialScope, datetime], Caller]

# On SQLite, handlers run on the event loop's thread: SQLite takes one writer at a time anyway
# and answers in well under a millisecond, and handing each call to a worker thread cost more
# (GIL hand-offs between the loop and the workers) than the work itself: 870 -> 1,225
# CreateProfile/s and 690 -> 1,670 SearchProfiles/s with 32 clients (bench/http_crud.py).
# Their writes share one transaction per loop turn (storage/group_commit.py), and
# each answer waits for that commit: 1,235 -> 2,600 CreateProfile/s (one commit per 16 writes).
# These operations' cost grows with the size of a domain, so they keep a worker thread and
# never stall the loop. PostgreSQL, whose calls wait on the network, always uses threads.
THREADED_OPERATIONS = frozenset(
    {"DeleteDomain", "GetDomain", "DeleteProfileObjectType", "PutProfileObjectType"}
)
_B2BI_TARGET_PREFIX = "B2BI."


def verify_sigv4(
    request: HttpRequest,
    credentials: Mapping[str, Credential],
    expected: CredentialScope,
    now: datetime,
) -> Caller:
    """The default authenticator: ``openprofiles.protocol.sigv4.verify_request``."""
    # Imported on first use so the protocol layer loads without the SigV4 module.
    module = importlib.import_module("openprofiles.protocol.sigv4")
    return cast(Authenticate, module.verify_request)(request, credentials, expected, now)


def service_of(request: HttpRequest) -> str:
    """b2bi for ``X-Amz-Target: B2BI.*`` requests, customer-profiles otherwise."""
    target = request.headers.get("x-amz-target", "")
    return B2BI if target.startswith(_B2BI_TARGET_PREFIX) else CUSTOMER_PROFILES


class Gateway:
    """Turns an :class:`HttpRequest` into an :class:`HttpResponse` for both services."""

    def __init__(
        self,
        services: Any,
        credentials: Mapping[str, Credential],
        clock: Clock | None = None,
        authenticate: Authenticate = verify_sigv4,
        regions: Collection[str] | None = None,
    ) -> None:
        """``regions``: those a request may be signed for; None for the aws partition's."""
        self.services = services
        self.credentials = credentials
        self.clock: Clock = clock or SystemClock()
        self.authenticate = authenticate
        self.scopes = {service: credential_scope(service, regions) for service in SERVICES}
        self.database: Any = getattr(services, "database", None)
        self.inline = getattr(self.database, "dialect", None) == "sqlite"
        self._grouping = False
        # Calls waiting for their combined run: (operation, key) -> [(ctx, params, future)].
        self._waiting: dict[tuple[str, Any], list[tuple[RequestContext, Any, Any]]] = {}
        self._runs: set[asyncio.Task[None]] = set()

    async def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        current_request_id.set(request_id)
        service = service_of(request)
        operation = ""
        account = ""
        try:
            caller = self.caller_of(request, service)
            account = caller.account
            operation, params = _route_and_parse(service, request)
            handler = find_handler(service, operation)
            if handler is None:
                raise ServiceError(
                    ErrorKind.NOT_IMPLEMENTED,
                    f"{operation} is not implemented by openprofiles yet",
                )
            ctx = RequestContext(caller, self.services, request_id)
            combiner = find_combiner(service, operation)
            if combiner is not None:
                output = await self._combined(operation, combiner, ctx, params)
            elif self.inline and operation not in THREADED_OPERATIONS:
                output = await self._inline(handler, ctx, params)
            else:
                output = await anyio.to_thread.run_sync(functools.partial(handler, ctx, params))
            response = serialize_output(service, operation, output, request_id)
        except ServiceError as exc:
            response = serialize_error(service, exc, request_id)
        except Exception:
            log.exception("request %s (%s %s) failed", request_id, service, operation or "?")
            error = ServiceError(
                ErrorKind.INTERNAL,
                f"An internal error occurred; request id {request_id}",
            )
            response = serialize_error(service, error, request_id)
        response.operation = operation
        response.account = account
        return response

    def caller_of(self, request: HttpRequest, service: str) -> Caller:
        """Who sent ``request``, signed for ``service``; ServiceError (403) if it is not so."""
        return self.authenticate(request, self.credentials, self.scopes[service], self.clock.now())

    def _group_commits(self) -> None:
        if not self._grouping:
            self.database.group_commits_on(asyncio.get_running_loop())
            self._grouping = True

    async def _inline(self, handler: Any, ctx: RequestContext, params: dict[str, Any]) -> Any:
        """Run ``handler`` on the loop's thread; its writes join the loop's write group, and
        the answer (success or error) waits until that group is committed."""
        self._group_commits()
        await self.database.writer_free()
        try:
            output = handler(ctx, params)
        finally:
            group = self.database.joined()
            if group is not None:
                await asyncio.shield(group.done)
        return output

    async def _combined(
        self, operation: str, combiner: Combiner, ctx: RequestContext, params: dict[str, Any]
    ) -> Any:
        """Answer this call together with the others of the same key that arrive in this turn
        of the event loop: one combined run (on the loop's thread on SQLite, else a worker
        thread) instead of one handler call each."""
        loop = asyncio.get_running_loop()
        slot = (operation, combiner.key(ctx, params))
        waiting = self._waiting.get(slot)
        if waiting is None:
            waiting = self._waiting[slot] = []
            run = loop.create_task(self._run_combined(slot, combiner))
            self._runs.add(run)  # the loop keeps only a weak reference to a task
            run.add_done_callback(self._runs.discard)
        future: asyncio.Future[tuple[Any, Any]] = loop.create_future()
        waiting.append((ctx, params, future))
        outcome, group = await future
        if group is not None:
            await asyncio.shield(group.done)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def _run_combined(self, slot: tuple[str, Any], combiner: Combiner) -> None:
        if self.inline:
            # Calls that arrive while the last group commits join this run.
            await self.database.writer_free()
        calls = self._waiting.pop(slot)
        group = None
        try:
            if self.inline:
                self._group_commits()
                outcomes = combiner.run([(ctx, params) for ctx, params, _ in calls])
                group = self.database.joined()
            else:
                outcomes = await anyio.to_thread.run_sync(
                    combiner.run, [(ctx, params) for ctx, params, _ in calls]
                )
        except Exception as exc:
            outcomes = [exc] * len(calls)
        for (_, _, future), outcome in zip(calls, outcomes, strict=True):
            if not future.done():  # a caller that went away was cancelled
                future.set_result((outcome, group))


def _route_and_parse(service: str, request: HttpRequest) -> tuple[str, dict[str, Any]]:
    if service == B2BI:
        operation = target_router(service).match(request.headers.get("x-amz-target", ""))
        params = parse_json_request(service, operation, request)
    else:
        operation, labels = rest_router(service).match(
            request.method, request.path, request.query_string
        )
        params = parse_rest_request(service, operation, request, labels)
    return operation, validate(service, operation, params)

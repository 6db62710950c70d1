"""The ASGI application: openprofiles' own endpoints under /_openprofiles/, the rest to the
protocol gateway.

Plain ASGI rather than a framework's request objects: every AWS call goes through here, and
the benchmark compares this path with a bare ASGI app.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from openprofiles.clock import Clock
from openprofiles.config import Settings
from openprofiles.protocol.gateway import Gateway, service_of
from openprofiles.protocol.http import HttpRequest, HttpResponse
from openprofiles.server.extensions import Extensions
from openprofiles.server.metrics import CONTENT_TYPE, Metrics, observe_job, timed_job
from openprofiles.worker.expiry import INTERVAL_SECONDS, ExpiryWorker
from openprofiles.worker.integrations import FlowScheduler

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("openprofiles.access")
log = logging.getLogger("openprofiles.server")

PREFIX = "/_openprofiles/"
CONSOLE_PREFIX = "/_openprofiles/console"


def _json(status: int, body: dict[str, Any], **headers: str) -> HttpResponse:
    return HttpResponse(
        status, {"Content-Type": "application/json", **headers}, json.dumps(body).encode()
    )


class App:
    """ASGI callable; opens the database and builds the services at lifespan start-up.

    ``mount(prefix, app)`` hands every request under ``prefix`` (e.g. the web console under
    ``/_openprofiles/console``) to another ASGI app, scope unchanged; the AWS path never
    pays for it.
    """

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        purge_every: float = INTERVAL_SECONDS,
        jobs_every: float | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.purge_every = purge_every  # seconds between purges of expired objects
        self.jobs_every = jobs_every  # seconds between the job worker's looks; None: its own
        self.metrics = Metrics()
        self.gateway: Gateway | None = None
        self.extensions: Extensions | None = None
        self.mounts: list[tuple[str, ASGIApp]] = []
        self._database: Any = None
        self._expiry: Any = None
        self.job_worker: Any = None
        self.realtime: Any = None
        from openprofiles.console.app import Console

        self.mount(CONSOLE_PREFIX, Console(settings, self._services))
        self._scheduler: Any = None

    def mount(self, prefix: str, app: ASGIApp) -> None:
        if not prefix.startswith(PREFIX):
            raise ValueError(f"mounted apps live under {PREFIX}, not {prefix!r}")
        self.mounts.append((prefix, app))

    def _services(self) -> Any:
        """The services once started (the console asks on each request), else None."""
        return self.gateway.services if self.gateway is not None else None

    @property
    def ready(self) -> bool:
        """True once the database is open and migrated and the gateway is built."""
        return self.gateway is not None

    def start(self) -> None:
        # Imported here: the storage layer (and its migrations) loads only when serving.
        from openprofiles.services.container import Services
        from openprofiles.storage.database import Database

        self._database = Database.open(self.settings.effective_database_url)
        services = Services(self._database, self.settings, self.clock)
        services.objects.on_ingest = self.metrics.count_ingest
        services.flows.on_run_end = lambda seconds, status: observe_job(
            "integration", seconds, status.lower()
        )
        self.gateway = Gateway(
            services, self.settings.credential_map, self.clock, regions=self.settings.region_list
        )
        self.extensions = Extensions(self.gateway)
        self._expiry = ExpiryWorker(
            timed_job("expiry", services.objects.purge_expired), self.purge_every
        )
        self._expiry.start()
        # Runs a crash left under way: marked failed, and taken up by a new run.
        services.flows.recover()
        self._scheduler = FlowScheduler(services.flows.due_runs)
        self._scheduler.start()
        from openprofiles.worker.realtime import RealtimeMatcher

        self.realtime = RealtimeMatcher(services.database, services.clock)
        services.profiles.on_profiles_changed = self.realtime.submit
        services.objects.on_profiles_changed = self.realtime.submit
        self.realtime.start()
        self.job_worker = _job_worker(services, self.jobs_every, self.realtime)
        services.jobs.on_created.append(self.job_worker.wake)
        self.job_worker.start()

    def stop(self) -> None:
        if self.gateway is not None:
            self.gateway.services.flows.stop_runs()  # a scheduled run too, before the join below
        if self.job_worker is not None:
            self.job_worker.stop()
            self.job_worker = None
        if self.realtime is not None:
            self.realtime.stop()
            self.realtime = None
        if self._scheduler is not None:
            self._scheduler.stop()
            self._scheduler = None
        if self.gateway is not None:
            self.gateway.services.flows.close()
        if self._expiry is not None:
            self._expiry.stop()
            self._expiry = None
        self.gateway = None
        self.extensions = None
        if self._database is not None:
            self._database.close()
            self._database = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.mounts:
            for prefix, app in self.mounts:
                if scope["path"].startswith(prefix):
                    await self._mounted(prefix, app, scope, receive, send)
                    return
        started = time.perf_counter()
        self.metrics.in_flight += 1
        try:
            request = await _read_request(scope, receive)
            if request is None:  # the client went away before sending its body
                return
            try:
                response = await self._dispatch(request)
            except Exception:
                log.exception("%s %s failed", request.method, request.path)
                response = _json(500, {"Message": "An internal error occurred"})
            headers = [
                (name.lower().encode("latin-1"), value.encode("latin-1", "replace"))
                for name, value in response.headers.items()
                if name.lower() != "content-length"
            ]
            headers.append((b"content-length", str(len(response.body)).encode()))
            await send(
                {"type": "http.response.start", "status": response.status, "headers": headers}
            )
            await send({"type": "http.response.body", "body": response.body})
        finally:
            self.metrics.in_flight -= 1
        elapsed = time.perf_counter() - started
        service = _service_label(request)
        self.metrics.observe(service, response.operation, response.status, elapsed)
        if self.settings.access_log and access_log.isEnabledFor(logging.INFO):
            client = scope.get("client") or ("-", 0)
            access_log.info(
                '%s "%s %s" %d %.1fms op=%s account=%s id=%s',
                client[0],
                request.method,
                request.path,
                response.status,
                elapsed * 1000,
                response.operation or "-",
                response.account or "-",
                response.headers.get("x-amzn-RequestId", "-"),
            )

    async def _mounted(
        self, prefix: str, app: ASGIApp, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """A mounted app's request, counted and logged beside the API's, its operation named
        by its prefix (``console`` for ``/_openprofiles/console``)."""
        operation = prefix.removeprefix(PREFIX)
        started = time.perf_counter()
        status = 500
        self.metrics.in_flight += 1

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await app(scope, receive, sending)
        finally:
            self.metrics.in_flight -= 1
        elapsed = time.perf_counter() - started
        self.metrics.observe("openprofiles", operation, status, elapsed)
        if self.settings.access_log and access_log.isEnabledFor(logging.INFO):
            client = scope.get("client") or ("-", 0)
            access_log.info(
                '%s "%s %s" %d %.1fms op=%s account=- id=-',
                client[0],
                scope["method"],
                scope["path"],
                status,
                elapsed * 1000,
                operation,
            )

    async def _dispatch(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(PREFIX):
            if request.path == PREFIX + "health" and request.method in ("GET", "HEAD"):
                if not self.ready:
                    return _json(503, {"status": "starting"})
                return _json(200, {"status": "ok"})
            if request.path == PREFIX + "metrics" and request.method == "GET":
                text = self.metrics.render(self._database)
                return HttpResponse(200, {"Content-Type": CONTENT_TYPE}, text.encode())
            if self.extensions is not None:
                return await self.extensions.handle(request)
        if self.gateway is None:
            return _json(503, {"Message": "openprofiles is not ready"})
        return await self.gateway.handle(request)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.start()
                except Exception as exc:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _job_worker(services: Any, every: float | None, realtime: Any) -> Any:
    from openprofiles.worker.export import S3Exporter
    from openprofiles.worker.job_worker import INTERVAL_SECONDS as JOBS_EVERY
    from openprofiles.worker.job_worker import JobWorker
    from openprofiles.worker.resolution_jobs import JobRunner

    runner = JobRunner(
        services.database,
        services.clock,
        exporter=S3Exporter(services.settings.s3_endpoint_url),
    )
    runner.on_job_end = lambda seconds, status: observe_job(
        "identity_resolution", seconds, "interrupted" if status == "PENDING" else status.lower()
    )
    return JobWorker(
        services.database,
        services.clock,
        runner,
        every or JOBS_EVERY,
        after_job=realtime.index_domain,
    )


def _service_label(request: HttpRequest) -> str:
    return "openprofiles" if request.path.startswith(PREFIX) else service_of(request)


async def _read_request(scope: Scope, receive: Receive) -> HttpRequest | None:
    """The request from the ASGI scope and body; None when the client disconnected."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else scope["path"]
    return HttpRequest(
        method=scope["method"],
        path=path.split("?", 1)[0],
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=b"".join(chunks),
    )


def create_app(settings: Settings, clock: Clock | None = None) -> App:
    """The ASGI app for ``settings``; the database opens when the server's lifespan starts."""
    return App(settings, clock)

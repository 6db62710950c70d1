"""The console's ASGI app: sign-in, sessions, CSRF, and the pages' routes.

Served by the server itself under ``/_openprofiles/console`` (``App.mount``), outside SigV4: a
browser signs in once with an access key and its secret and carries a signed session cookie
(HttpOnly, SameSite=Strict; Secure unless the page was asked for over plain http on a loopback
host). Every POST carries the session's CSRF token or is refused with 403. Pages call the
services directly with a :class:`~openprofiles.context.Caller` for the signed-in account, so an
account sees exactly what the API would show it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from openprofiles.config import Settings, parse_regions
from openprofiles.console import merge_pages, object_pages, pages, review_pages
from openprofiles.console.render import PREFIX, View, render
from openprofiles.console.sessions import (
    CSRF_FIELD,
    MAX_AGE_SECONDS,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    Session,
    SessionSigner,
    check_secret,
    tokens_equal,
)
from openprofiles.context import Caller
from openprofiles.errors import ErrorKind, ServiceError

if TYPE_CHECKING:
    from openprofiles.services.container import Services

log = logging.getLogger(__name__)

DEFAULT_REGION = "us-east-1"
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
_STATUS = {
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.INVALID: 400,
}


@dataclass(frozen=True)
class PageRequest:
    """What a page handler is given: the request's values, the signed-in account and the
    services to ask."""

    path: dict[str, str]
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    session: Session
    caller: Caller
    services: Services

    def arg(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[0] if values else default

    def field(self, name: str, default: str = "") -> str:
        values = self.form.get(name)
        return values[0] if values else default


PageHandler = Callable[[PageRequest], "View | Response"]


class Console:
    """ASGI app for everything under :data:`PREFIX`; ``services`` gives the server's services
    once they are built (None while starting)."""

    def __init__(self, settings: Settings, services: Callable[[], Services | None]) -> None:
        self.settings = settings
        self.services = services
        self.credentials = settings.credential_map
        self.regions = settings.region_list
        self._signer: SessionSigner | None = None
        routes = [
            Route(PREFIX, self._home, methods=["GET"]),
            Route(PREFIX + "/", self._home, methods=["GET"]),
            Route(PREFIX + "/sign-in", self._sign_in_page, methods=["GET"]),
            Route(PREFIX + "/sign-in", self._sign_in, methods=["POST"]),
            Route(PREFIX + "/sign-out", self._sign_out, methods=["POST"]),
            Route(PREFIX + "/static/console.css", self._stylesheet, methods=["GET"]),
        ]
        table: list[tuple[str, str, PageHandler]] = [
            *pages.ROUTES,
            *object_pages.ROUTES,
            *merge_pages.ROUTES,
            *review_pages.ROUTES,
        ]
        for method, path, handler in table:
            routes.append(Route(PREFIX + path, self._page(handler), methods=[method]))
        self.router = Router(routes=routes, default=self._not_found)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.router(scope, receive, send)

    # --- sessions ------------------------------------------------------------------------------
    def _ready(self) -> tuple[Services, SessionSigner] | None:
        services = self.services()
        if services is None:
            return None
        if self._signer is None:
            self._signer = SessionSigner(services.secret)
        return services, self._signer

    def _session(self, request: Request, signer: SessionSigner) -> Session | None:
        return signer.read_session(request.cookies.get(SESSION_COOKIE), self.credentials)

    @staticmethod
    def _secure(request: Request) -> bool:
        """Whether cookies get Secure: always, unless the browser asked over plain http for
        a loopback host (where a Secure cookie would never be sent back)."""
        host = (request.url.hostname or "").lower()
        return not (request.url.scheme == "http" and host in _LOOPBACK_HOSTS)

    def _set_cookie(self, response: Response, request: Request, name: str, value: str) -> None:
        response.set_cookie(
            name,
            value,
            max_age=MAX_AGE_SECONDS,
            path=PREFIX,
            httponly=True,
            samesite="strict",
            secure=self._secure(request),
        )

    def _clear_cookie(self, response: Response, request: Request, name: str) -> None:
        response.delete_cookie(
            name, path=PREFIX, httponly=True, samesite="strict", secure=self._secure(request)
        )

    # --- sign-in and sign-out ---------------------------------------------------------------------
    async def _home(self, request: Request) -> Response:
        return RedirectResponse(PREFIX + "/domains", status_code=303)

    async def _sign_in_page(self, request: Request) -> Response:
        return await self._sign_in_form(request, "", "", 200)

    async def _sign_in_form(
        self, request: Request, message: str, access_key: str, status: int
    ) -> Response:
        ready = self._ready()
        if ready is None:
            return _starting()
        _services, signer = ready
        cookie, token = signer.sign_in_cookie()
        view = View(
            "sign_in.html",
            {
                "message": message,
                "access_key": access_key,
                "regions": self.regions,
                "region": request.query_params.get("region", DEFAULT_REGION),
                "next": _local_path(request.query_params.get("next", "")),
                "csrf_token": token,
            },
            status,
        )
        response = HTMLResponse(render(view, session=None), status)
        self._set_cookie(response, request, SIGN_IN_COOKIE, cookie)
        return response

    async def _sign_in(self, request: Request) -> Response:
        ready = self._ready()
        if ready is None:
            return _starting()
        _services, signer = ready
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        expected = signer.read_sign_in(request.cookies.get(SIGN_IN_COOKIE))
        if expected is None or not tokens_equal(_one(form, CSRF_FIELD), expected):
            return _forbidden()
        access_key = _one(form, "access_key").strip()
        region = _one(form, "region").strip() or DEFAULT_REGION
        credential = check_secret(self.credentials, access_key, _one(form, "secret_key"))
        if credential is None:
            log.info("console sign-in refused for access key %r", access_key)
            return await self._sign_in_form(
                request, "That access key and secret key do not match.", access_key, 401
            )
        if not _is_region(region) or (self.regions is not None and region not in self.regions):
            return await self._sign_in_form(
                request, f"Region {region!r} is not a region this server serves.", access_key, 400
            )
        cookie, _session = signer.session_cookie(credential, region)
        target = _local_path(_one(form, "next")) or PREFIX + "/domains"
        response = RedirectResponse(target, status_code=303)
        self._set_cookie(response, request, SESSION_COOKIE, cookie)
        self._clear_cookie(response, request, SIGN_IN_COOKIE)
        return response

    async def _sign_out(self, request: Request) -> Response:
        ready = self._ready()
        if ready is None:
            return _starting()
        _services, signer = ready
        session = self._session(request, signer)
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        if session is None:
            return RedirectResponse(PREFIX + "/sign-in", status_code=303)
        if not tokens_equal(_one(form, CSRF_FIELD), session.csrf):
            return _forbidden()
        response = RedirectResponse(PREFIX + "/sign-in", status_code=303)
        self._clear_cookie(response, request, SESSION_COOKIE)
        return response

    # --- pages ------------------------------------------------------------------------------------
    def _page(self, handler: PageHandler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            ready = self._ready()
            if ready is None:
                return _starting()
            services, signer = ready
            session = self._session(request, signer)
            if session is None:
                if request.method != "GET":
                    return _forbidden()
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"{PREFIX}/sign-in?{_query(next=target)}", status_code=303)
            form: dict[str, list[str]] = {}
            if request.method == "POST":
                body = (await request.body()).decode("utf-8", "replace")
                form = parse_qs(body, keep_blank_values=True)
                if not tokens_equal(_one(form, CSRF_FIELD), session.csrf):
                    return _forbidden()
            page = PageRequest(
                path=dict(request.path_params),
                query=parse_qs(request.url.query, keep_blank_values=True),
                form=form,
                session=session,
                caller=Caller(session.account, session.region, session.access_key),
                services=services,
            )
            return await run_in_threadpool(self._answer, handler, page)

        return endpoint

    def _answer(self, handler: PageHandler, page: PageRequest) -> Response:
        try:
            result = handler(page)
        except ServiceError as exc:
            status = _STATUS.get(exc.kind, 400)
            result = View("error.html", {"status": status, "message": exc.message}, status)
        if isinstance(result, Response):
            return result
        shared: dict[str, Any] = {
            "session": page.session,
            "csrf_token": page.session.csrf,
            "domain": page.path.get("domain"),
            "current_next": page.arg("next"),
        }
        html = render(result, **shared)
        return HTMLResponse(html, result.status, headers=_NO_STORE)

    async def _stylesheet(self, request: Request) -> Response:
        from importlib.resources import files

        css = files("openprofiles.console").joinpath("static/console.css").read_bytes()
        return Response(css, 200, {"Cache-Control": "max-age=3600"}, media_type="text/css")

    async def _not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        view = View("error.html", {"status": 404, "message": "There is no such page."}, 404)
        response = HTMLResponse(render(view, session=None, domain=None), 404)
        await response(scope, receive, send)


# Pages show one account's data: no shared cache may keep them.
_NO_STORE = {"Cache-Control": "no-store"}


def _is_region(name: str) -> bool:
    try:
        parse_regions(name)
    except ValueError:
        return False
    return True


def _one(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name)
    return values[0] if values else ""


def _query(**values: str) -> str:
    from urllib.parse import urlencode

    return urlencode(values)


def _local_path(target: str) -> str:
    """``target`` when it is a path of the console, else "": a sign-in never sends the browser
    off-site."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(PREFIX + "/"):
        return ""
    return target


def _forbidden() -> Response:
    view = View(
        "error.html",
        {"status": 403, "message": "This form has expired or did not come from the console. "
         "Go back, reload the page and send it again."},
        403,
    )  # fmt: skip
    return HTMLResponse(render(view, session=None, domain=None), 403)


def _starting() -> Response:
    return HTMLResponse("<p>openprofiles is starting; try again in a moment.</p>", 503)

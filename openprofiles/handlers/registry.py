"""The table of implemented operations: (service, operation name) -> handler.

A handler takes the request context and the parsed, validated input (a dict keyed by the
model's member names, as botocore's ``params``) and returns the output dict keyed the same way
(unset members simply absent; timestamps as ``datetime``). On SQLite it runs on the event
loop's thread, on PostgreSQL in a worker thread (protocol/gateway.py). An operation may also
register a combined form (:func:`combined`) that answers concurrent calls together.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from openprofiles.handlers.context import RequestContext

Params = dict[str, Any]
Handler = Callable[[RequestContext, Params], Params]

CUSTOMER_PROFILES = "customer-profiles"
B2BI = "b2bi"

_HANDLERS: dict[tuple[str, str], Handler] = {}


@dataclass(frozen=True)
class Combiner:
    """Answers several concurrent calls of one operation in one go.

    ``key`` says which calls may share a run (same account, domain, ...); ``run`` takes them
    in arrival order and returns one output or exception per call, at the call's position.
    """

    key: Callable[[RequestContext, Params], Hashable]
    run: Callable[[Sequence[tuple[RequestContext, Params]]], list[Params | Exception]]


_COMBINERS: dict[tuple[str, str], Combiner] = {}


def combined(
    service: str, name: str, key: Callable[[RequestContext, Params], Hashable]
) -> Callable[
    [Callable[[Sequence[tuple[RequestContext, Params]]], list[Params | Exception]]],
    Callable[[Sequence[tuple[RequestContext, Params]]], list[Params | Exception]],
]:
    """Register the decorated function as the combined form of an operation's handler: the
    gateway may send it the calls that arrive together instead of one handler call each."""

    def register(
        fn: Callable[[Sequence[tuple[RequestContext, Params]]], list[Params | Exception]],
    ) -> Callable[[Sequence[tuple[RequestContext, Params]]], list[Params | Exception]]:
        _COMBINERS[(service, name)] = Combiner(key, fn)
        return fn

    return register


def find_combiner(service: str, name: str) -> Combiner | None:
    load_all()
    return _COMBINERS.get((service, name))


def operation(service: str, name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``service``'s operation ``name``."""

    def register(fn: Handler) -> Handler:
        key = (service, name)
        if key in _HANDLERS:
            raise RuntimeError(f"two handlers for {service} {name}")
        _HANDLERS[key] = fn
        return fn

    return register


def find_handler(service: str, name: str) -> Handler | None:
    load_all()
    return _HANDLERS.get((service, name))


def implemented(service: str) -> list[str]:
    load_all()
    return sorted(name for (svc, name) in _HANDLERS if svc == service)


_loaded = False


def load_all() -> None:
    """Import every handler module so that its decorators run."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib
    import pkgutil

    import openprofiles.handlers as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name != "registry":
            importlib.import_module(f"{pkg.__name__}.{info.name}")

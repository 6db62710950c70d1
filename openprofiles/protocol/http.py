"""Protocol-level HTTP request and response, independent of the ASGI server."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request as received.

    ``path`` is the raw, still percent-encoded path (what SigV4 canonicalises and what the
    router splits before decoding labels); ``query_string`` is the raw query string without
    ``?``; ``headers`` has lower-cased names (a repeated header is joined with ``,``).
    """

    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    # For the access log: which operation answered and for which account ("" when unknown).
    operation: str = ""
    account: str = ""

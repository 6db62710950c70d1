"""Find the operation a request is for: rest-json by method + path, json 1.0 by X-Amz-Target.

Routes are precomputed from every operation's ``http.requestUri`` and indexed by method and
segment count, so a lookup compares a handful of templates at most.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.protocol.models import load_service_model

_LITERAL, _LABEL, _GREEDY = 0, 1, 2


@dataclass(frozen=True)
class _Template:
    operation: str
    method: str
    uri: str
    segments: tuple[tuple[int, str], ...]  # (kind, literal text or label name)
    query: tuple[tuple[str, str | None], ...]  # literal query parts of the requestUri
    greedy: bool

    @property
    def rank(self) -> tuple[int, ...]:
        """Sort key: literal segments before labels (left to right), query literals first."""
        return (0 if self.query else 1, *(kind for kind, _ in self.segments))

    def match(self, parts: list[str], query: str) -> dict[str, str] | None:
        labels: dict[str, str] = {}
        for index, (kind, text) in enumerate(self.segments):
            if kind == _GREEDY:
                rest = "/".join(parts[index:])
                if not rest:
                    return None
                labels[text] = unquote(rest)
                break
            part = parts[index]
            if kind == _LITERAL:
                if part != text and ("%" not in part or unquote(part) != text):
                    return None
            else:
                if not part:
                    return None
                labels[text] = unquote(part) if "%" in part else part
        if self.query and not self._query_matches(query):
            return None
        return labels

    def _query_matches(self, query: str) -> bool:
        present = dict(parse_qsl(query, keep_blank_values=True))
        return all(k in present and (v is None or present[k] == v) for k, v in self.query)


def _template(operation: str, method: str, request_uri: str) -> _Template:
    path, _, query = request_uri.partition("?")
    segments: list[tuple[int, str]] = []
    greedy = False
    for segment in _split(path):
        if segment.startswith("{") and segment.endswith("}"):
            name = segment[1:-1]
            if name.endswith("+"):
                segments.append((_GREEDY, name[:-1]))
                greedy = True
            else:
                segments.append((_LABEL, name))
        else:
            segments.append((_LITERAL, segment))
    literals: list[tuple[str, str | None]] = []
    for item in query.split("&") if query else ():
        key, eq, value = item.partition("=")
        literals.append((key, value if eq else None))
    return _Template(operation, method, request_uri, tuple(segments), tuple(literals), greedy)


def _split(path: str) -> list[str]:
    path = path.split("?", 1)[0]
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]  # tolerate a trailing slash
    return path[1:].split("/") if path.startswith("/") else path.split("/")


class RestRouter:
    """Operation lookup for a rest-json service."""

    def __init__(self, service: str) -> None:
        model = load_service_model(service)
        self.service = service
        self._exact: dict[tuple[str, int], list[_Template]] = {}
        self._greedy: dict[str, list[_Template]] = {}
        for name in model.operation_names:
            http = model.operation_model(name).http
            tpl = _template(name, http["method"].upper(), http["requestUri"])
            if tpl.greedy:
                self._greedy.setdefault(tpl.method, []).append(tpl)
            else:
                self._exact.setdefault((tpl.method, len(tpl.segments)), []).append(tpl)
        for table in (self._exact, self._greedy):
            for templates in table.values():
                templates.sort(key=lambda t: t.rank)
        self._methods = sorted({m for m, _ in self._exact} | set(self._greedy))

    def _find(self, method: str, parts: list[str], query: str) -> tuple[str, dict[str, str]] | None:
        for tpl in self._exact.get((method, len(parts)), ()):
            labels = tpl.match(parts, query)
            if labels is not None:
                return tpl.operation, labels
        for tpl in self._greedy.get(method, ()):
            if len(parts) >= len(tpl.segments):
                labels = tpl.match(parts, query)
                if labels is not None:
                    return tpl.operation, labels
        return None

    def match(self, method: str, path: str, query: str = "") -> tuple[str, dict[str, str]]:
        """(operation name, decoded URI labels) for a raw, percent-encoded path."""
        parts = _split(path)
        found = self._find(method.upper(), parts, query)
        if found is not None:
            return found
        allowed = [m for m in self._methods if m != method.upper() and self._find(m, parts, query)]
        if allowed:
            raise ServiceError(
                ErrorKind.UNKNOWN_OPERATION,
                f"No operation of {self.service} answers {method.upper()} {path}; "
                f"this path accepts {', '.join(allowed)}",
            )
        raise ServiceError(
            ErrorKind.UNKNOWN_OPERATION,
            f"No operation of {self.service} matches {method.upper()} {path}",
        )


class TargetRouter:
    """Operation lookup for a json 1.0/1.1 service by ``X-Amz-Target: Prefix.Operation``."""

    def __init__(self, service: str) -> None:
        model = load_service_model(service)
        self.service = service
        self.prefix = f"{model.metadata['targetPrefix']}."
        self._targets: dict[str, str] = {self.prefix + n: n for n in model.operation_names}

    def match(self, target: str) -> str:
        name = self._targets.get(target.strip())
        if name is None:
            raise ServiceError(
                ErrorKind.UNKNOWN_OPERATION,
                f"{target or 'No X-Amz-Target header'}: not an operation of {self.service}",
            )
        return name


@functools.cache
def rest_router(service: str) -> RestRouter:
    return RestRouter(service)


@functools.cache
def target_router(service: str) -> TargetRouter:
    return TargetRouter(service)

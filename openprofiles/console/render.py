"""The console's templates: one Jinja2 environment over ``console/templates``, autoescaped."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from openprofiles.clock import to_utc

PREFIX = "/_openprofiles/console"


@dataclass
class View:
    """A page to render: its template, the values it shows and the HTTP status."""

    template: str
    values: dict[str, Any] = field(default_factory=dict)
    status: int = 200


def _pretty(value: Any) -> str:
    """JSON text (or a JSON value) indented for reading; text that is not JSON as it is."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return str(value)
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def _when(value: datetime | None) -> str:
    return to_utc(value).strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else ""


def _query(values: dict[str, Any]) -> str:
    """A query string from ``values``; lists repeat their name, None and "" are left out."""
    pairs = []
    for name, value in values.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if item not in (None, ""):
                pairs.append((name, str(item)))
    return urlencode(pairs)


def display_name(document: dict[str, Any]) -> str:
    """What to call a profile: its person's name, else its business's, else ""."""
    names = [document.get(f) for f in ("FirstName", "MiddleName", "LastName")]
    person = " ".join(str(n) for n in names if n)
    return person or str(document.get("BusinessName") or "")


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("openprofiles.console", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a misspelt value fails the page instead of showing ""
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["base"] = PREFIX
    env.globals["display_name"] = display_name
    env.filters["q"] = lambda value: quote(str(value), safe="")
    env.filters["pretty"] = _pretty
    env.filters["when"] = _when
    env.filters["query"] = _query
    return env


def render(view: View, **shared: Any) -> str:
    """The page's HTML; ``shared`` values (the session, ...) yield to the view's own."""
    return environment().get_template(view.template).render({**shared, **view.values})

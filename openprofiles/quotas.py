"""Service quotas, read from quotas.json (data, not code).

Below services and ingest alike, so both read the one file: ingest validates an object type's
keys and fields against it, services the rest.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path


@cache
def _quotas() -> dict[str, int]:
    data: dict[str, int] = json.loads((Path(__file__).parent / "quotas.json").read_text())
    return data


def quota(name: str) -> int:
    """The limit called ``name`` in quotas.json."""
    return _quotas()[name]

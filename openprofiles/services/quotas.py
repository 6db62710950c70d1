"""Service quotas, read from quotas.json (data, not code)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path


@cache
def _quotas() -> dict[str, int]:
    data: dict[str, int] = json.loads((Path(__file__).parent / "quotas.json").read_text())
    return data


def quota(name: str) -> int:
    return _quotas()[name]

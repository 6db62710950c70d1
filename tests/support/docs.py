"""The documentation's examples, for tests that hold the server to them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[2] / "docs"


def json_blocks(name: str) -> list[Any]:
    """The ```json examples of ``docs/{name}``, parsed, in order."""
    text = (DOCS / name).read_text()
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]


def same_shape(documented: str) -> re.Pattern[str]:
    """A pattern for values written as ``documented`` is, each digit standing for any digit."""
    return re.compile(re.sub(r"\d", r"\\d", re.escape(documented)))

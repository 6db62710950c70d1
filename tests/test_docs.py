"""The README's promises: its first two commands, the CI line, the operation table, the
settings it says do nothing."""

from __future__ import annotations

import re
from pathlib import Path

from openprofiles.handlers.status import operations_table
from openprofiles.services.domains import CONFIG_MEMBERS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _commands() -> list[str]:
    return [line.strip() for line in README.splitlines() if line.startswith("    python3 -m venv")]


def test_readme_opens_with_serve_and_test_commands() -> None:
    serve, test = _commands()[:2]
    assert serve.endswith("openprofiles serve") and "pip install -e ." in serve
    assert test.endswith(".venv/bin/pytest") and "[test]" in test


def test_ci_runs_exactly_the_readme_test_line() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert _commands()[1] in [line.strip() for line in ci]


def test_operation_table_is_current() -> None:
    match = re.search(r"<!-- operations:start -->\n(.*)<!-- operations:end -->", README, re.S)
    assert match, "README lost its operations markers"
    assert match.group(1).strip() == operations_table().strip(), (
        "README's operation table is stale: regenerate it with `openprofiles operations`"
    )


# Domain settings the server acts on; every other stored one is inert and the README says so.
ACTED_ON = {"DeadLetterQueueUrl", "Matching"}


def _differences() -> str:
    match = re.search(r"## Differences from AWS worth knowing\n(.*?)\n## ", README, re.S)
    assert match, "README lost its Differences section"
    return match.group(1)


def test_differences_name_each_setting_that_does_nothing() -> None:
    inert = [m for m in CONFIG_MEMBERS if m not in ACTED_ON] + ["EncryptionKey"]
    missing = [m for m in inert if f"`{m}`" not in _differences()]
    assert not missing, f"README's Differences do not say these settings do nothing: {missing}"

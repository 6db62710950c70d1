"""server/logs.py: JSON log lines, and the setting that picks them."""

from __future__ import annotations

import json
import logging

import pytest

from openprofiles.config import load_settings
from openprofiles.context import current_request_id
from openprofiles.server.logs import JsonFormatter


def _record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise ValueError("broken")
        except ValueError:
            import sys

            info = sys.exc_info()
    return logging.LogRecord("openprofiles.test", logging.WARNING, __file__, 1, message, args, info)


def test_a_line_is_one_json_object() -> None:
    line = JsonFormatter().format(_record("answered %d of %s", 3, "ünïcode\nline"))
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["level"] == "warning"
    assert parsed["logger"] == "openprofiles.test"
    assert parsed["message"] == "answered 3 of ünïcode\nline"
    assert parsed["time"].endswith("Z") and "request_id" not in parsed


def test_the_request_id_and_the_traceback() -> None:
    token = current_request_id.set("rid-42")
    try:
        parsed = json.loads(JsonFormatter().format(_record("failed", exc=True)))
    finally:
        current_request_id.reset(token)
    assert parsed["request_id"] == "rid-42"
    assert (
        parsed["exception"].startswith("Traceback") and "ValueError: broken" in parsed["exception"]
    )


def test_the_log_format_setting() -> None:
    assert load_settings(environ={}).log_format == "text"
    assert load_settings(environ={"OPENPROFILES_LOG_FORMAT": "json"}).log_format == "json"
    assert (
        load_settings({"log_format": "text"}, {"OPENPROFILES_LOG_FORMAT": "json"}).log_format
        == "text"
    )
    with pytest.raises(ValueError, match="log format 'xml' is not one of text, json"):
        load_settings(environ={"OPENPROFILES_LOG_FORMAT": "xml"})

"""Reading a source object's records by its key, and the connector-profiles file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from openprofiles.integrations.profiles import ProfileError, load_profiles
from openprofiles.integrations.s3 import records_of


def _records(key: str, data: bytes) -> list[tuple[int, object, str | None]]:
    return [(r.line, r.source, r.error) for r in records_of(key, io.BytesIO(data))]


def test_json_array_json_lines_and_csv() -> None:
    assert _records("a.json", b' [{"id": 1}, 2]') == [
        (1, {"id": 1}, None),
        (2, 2, "not a JSON object: array elements must be objects"),
    ]
    assert _records("a.json", b'{"id": 1}\n{"id": 2}\n') == [(1, {"id": 1}, None),
                                                             (2, {"id": 2}, None)]  # fmt: skip
    assert _records("data/a.CSV", b"id,name\n1,Ann\n") == [(2, {"id": "1", "name": "Ann"}, None)]
    assert _records("part-0000", b'{"id": 3}\n') == [(1, {"id": 3}, None)]
    [(line, _, error)] = _records("broken.json", b"[{")
    assert line == 1 and error is not None and error.startswith("not valid JSON")


def test_profiles_file(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    assert load_profiles(None) == {}
    path.write_text(json.dumps({"crm": {"ConnectorType": "Salesforce",
                                        "InstanceUrl": "https://x.my.salesforce.com/",
                                        "AccessToken": "t0ken"}}))  # fmt: skip
    profile = load_profiles(str(path))["crm"]
    assert profile.instance_url == "https://x.my.salesforce.com" and profile.api_version
    assert "t0ken" not in repr(profile)
    for bad, named in [
        ({"crm": {"ConnectorType": "S3", "InstanceUrl": "u", "AccessToken": "t"}}, "ConnectorType"),
        ({"crm": {"ConnectorType": "Zendesk", "InstanceUrl": "u"}}, "AccessToken"),
        ([], "JSON object"),
    ]:
        path.write_text(json.dumps(bad))
        with pytest.raises(ProfileError, match=named):
            load_profiles(str(path))
    with pytest.raises(ProfileError, match="cannot read"):
        load_profiles(str(tmp_path / "missing.json"))

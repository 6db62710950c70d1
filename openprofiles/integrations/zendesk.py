"""The Zendesk source: the time-based incremental export (``/api/v2/incremental/{Object}.json
?start_time=``), paged by ``next_page`` until ``end_of_stream``.

The flow's Object is the export's (``users``, ``tickets``, ``organizations``); records are
taken from the watermark's second on (``start_time`` is Unix seconds), ``updated_at`` being the
incremental field by default.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from openprofiles.integrations.http_json import JsonClient
from openprofiles.integrations.profiles import ConnectorProfile


def _error(body: Any) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return f"{error.get('title', '')}: {error.get('message', '')}"
        if error:
            return f"{error}: {body.get('description', '')}".rstrip(": ")
    return ""


def _unix(value: str | datetime) -> int:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return int(value.timestamp())


class ZendeskSource:
    default_stamp = "updated_at"
    id_field = "id"

    def __init__(self, profile: ConnectorProfile) -> None:
        self.client = JsonClient(profile, _error)
        self.profile = profile

    def query(
        self, object_name: str, fields: list[str], stamp_field: str, since: str | datetime | None
    ) -> Iterator[dict[str, Any]]:
        del fields, stamp_field  # the export answers whole records; the Tasks project them
        start = 0 if since is None else _unix(since)
        url: str | None = (
            f"{self.profile.instance_url}/api/v2/incremental/{object_name}.json?start_time={start}"
        )
        while url is not None:
            page, _ = self.client.get(url)
            yield from page.get(object_name, [])
            url = None if page.get("end_of_stream", True) else page.get("next_page")

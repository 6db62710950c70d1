"""The ServiceNow source: the Table API (``/api/now/table/{Object}``), ordered by the
incremental field (``sys_updated_on`` by default) from the watermark on, ``sysparm_limit``
records a page, following the ``Link`` header's ``rel="next"`` page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlencode

from openprofiles.clock import to_utc
from openprofiles.integrations.http_json import JsonClient
from openprofiles.integrations.profiles import ConnectorProfile

PAGE_SIZE: Final = 1000
_NEXT: Final = re.compile(r'<([^>]+)>;\s*rel="next"')


def _error(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        return f"{error.get('message', '')}: {error.get('detail', '')}".rstrip(": ")
    return ""


class ServiceNowSource:
    default_stamp = "sys_updated_on"
    id_field = "sys_id"

    def __init__(self, profile: ConnectorProfile) -> None:
        self.client = JsonClient(profile, _error)
        self.profile = profile

    def query(
        self, object_name: str, fields: list[str], stamp_field: str, since: str | datetime | None
    ) -> Iterator[dict[str, Any]]:
        if isinstance(since, datetime):
            since = to_utc(since).strftime("%Y-%m-%d %H:%M:%S")
        condition = f"{stamp_field}>={since}^" if since is not None else ""
        params = {
            "sysparm_query": f"{condition}ORDERBY{stamp_field}^ORDERBYsys_id",
            "sysparm_fields": ",".join(dict.fromkeys(["sys_id", *fields, stamp_field])),
            "sysparm_limit": str(PAGE_SIZE),
        }
        url: str | None = (
            f"{self.profile.instance_url}/api/now/table/{object_name}?{urlencode(params)}"
        )
        while url is not None:
            page, headers = self.client.get(url)
            yield from page.get("result", [])
            link = next((v for k, v in headers.items() if k.lower() == "link"), "")
            found = _NEXT.search(link)
            url = found.group(1) if found else None

"""The Marketo source: leads changed since the watermark, through the REST API.

``GET /rest/v1/activities/pagingtoken.json?sinceDatetime=`` gives a paging token; the lead
changes from it (``/rest/v1/activities/leadchanges.json?nextPageToken=&fields=``, until
``moreResult`` is false) name the changed leads, which are then read 300 at a time
(``/rest/v1/leads.json?filterType=id&filterValues=&fields=``), oldest ``updatedAt`` first. The
flow's Object is ``leads``. Marketo answers its own errors with HTTP 200 and ``"success":
false``: 606 and 615 (rate and concurrency limits) are waited out like a 429, any other code
fails the run with Marketo's message.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlencode

from openprofiles.clock import to_utc
from openprofiles.integrations.http_json import MAX_ATTEMPTS, JsonClient
from openprofiles.integrations.profiles import ConnectorProfile
from openprofiles.integrations.s3 import SourceUnreachable

LEADS_PER_READ: Final = 300
_LIMITS: Final = ("606", "615")


def _error(body: Any) -> str:
    if isinstance(body, dict) and body.get("errors"):
        first = body["errors"][0]
        return f"{first.get('code', '')}: {first.get('message', '')}"
    return ""


class MarketoSource:
    default_stamp = "updatedAt"
    id_field = "id"

    def __init__(self, profile: ConnectorProfile, sleep: Any = time.sleep) -> None:
        self.client = JsonClient(profile, _error)
        self.profile = profile
        self.sleep = sleep

    def _call(self, path: str, **params: str) -> dict[str, Any]:
        url = f"{self.profile.instance_url}{path}?{urlencode(params)}"
        for attempt in range(MAX_ATTEMPTS):
            body, _ = self.client.get(url)
            if body.get("success", True):
                return dict(body)
            codes = [str(e.get("code")) for e in body.get("errors", [])]
            if any(c in _LIMITS for c in codes) and attempt + 1 < MAX_ATTEMPTS:
                self.sleep(2.0**attempt)
                continue
            raise SourceUnreachable(f"{self.client.where} refused the request: {_error(body)}")
        raise SourceUnreachable(f"{self.client.where} kept refusing: rate limited")

    def query(
        self, object_name: str, fields: list[str], stamp_field: str, since: str | datetime | None
    ) -> Iterator[dict[str, Any]]:
        if object_name != "leads":
            raise SourceUnreachable(f"the Marketo source reads leads, not {object_name}")
        if isinstance(since, datetime):
            since = to_utc(since).strftime("%Y-%m-%dT%H:%M:%SZ")
        token = self._call(
            "/rest/v1/activities/pagingtoken.json", sinceDatetime=since or "1970-01-01T00:00:00Z"
        )["nextPageToken"]
        wanted = ",".join(dict.fromkeys(["id", *fields, stamp_field]))
        changed: list[str] = []
        while True:
            page = self._call(
                "/rest/v1/activities/leadchanges.json", nextPageToken=token, fields=wanted
            )
            for change in page.get("result", []):
                lead = str(change.get("leadId"))
                if lead not in changed:
                    changed.append(lead)
            token = page.get("nextPageToken", token)
            if not page.get("moreResult"):
                break
        leads: list[dict[str, Any]] = []
        for start in range(0, len(changed), LEADS_PER_READ):
            chunk = changed[start : start + LEADS_PER_READ]
            answer = self._call(
                "/rest/v1/leads.json", filterType="id", filterValues=",".join(chunk), fields=wanted
            )
            leads += answer.get("result", [])
        leads.sort(key=lambda lead: (str(lead.get(stamp_field, "")), str(lead.get("id"))))
        yield from leads
